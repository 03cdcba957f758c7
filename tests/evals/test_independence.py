"""Evals grade independently: no module that scores loads the product code it grades, not even transitively.

Each scoring module is imported alone in a fresh interpreter and ``sys.modules`` is read back, so an import
that reaches the verifier through a third module (``rag.types`` importing it, say) fails as surely as a direct one.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys

import pytest

from tests.conftest import ROOT

FORBIDDEN = ("rag.answer", "rag.verify", "rag.index.chunking", "rag.briefing.verify")
"""What the evals grade (answers, citations, answer checks, the verifier, chunking): a scoring module loads none of them."""

SCORING = (
    "evals.text", "evals.independent", "evals.datasets", "evals.metrics", "evals.briefing_metrics", "evals.judge",
    "evals.gate", "evals.results", "evals.report", "evals.claims", "evals.noise", "evals.injection.attacks",
    "evals.injection.rules", "evals.retrieval", "evals.boilerplate",
)
"""Modules that parse, score, gate or report."""
NOT_SCORING = (
    "evals.runner", "evals.cli", "evals.claims_runner", "evals.claims_cli", "evals.briefing_eval",
    "evals.llamaindex_baseline", "evals.synthetic", "evals.injection.runner", "evals.injection.cli",
    "evals.injection.__main__", "evals.scratch", "evals.retrieval_runner", "evals.retrieval_cli",
)
"""Modules that run the product (or write data) and hand what it produced to the scorers: free to import it."""

_PROBE = "import importlib, json, sys; importlib.import_module(sys.argv[1]); print(json.dumps(sorted(sys.modules)))"


def is_forbidden(module: str) -> bool:
    return any(module == name or module.startswith(name + ".") for name in FORBIDDEN)


def loaded_forbidden(module: str) -> list[str]:
    """The forbidden modules in ``sys.modules`` after importing ``module`` alone in a fresh interpreter."""
    run = subprocess.run([sys.executable, "-c", _PROBE, module], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    return [m for m in json.loads(run.stdout) if is_forbidden(m)]


def imported_names(module: str) -> set[str]:
    """Every module named by an import statement in ``module``'s source, function bodies included."""
    tree = ast.parse((ROOT / (module.replace(".", "/") + ".py")).read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
    return names


@pytest.mark.parametrize("module", SCORING)
def test_a_scoring_module_loads_none_of_the_product_code_it_grades(module: str) -> None:
    assert loaded_forbidden(module) == []


@pytest.mark.parametrize("module", SCORING)
def test_a_scoring_module_names_none_of_it_even_inside_a_function(module: str) -> None:
    assert sorted(n for n in imported_names(module) if is_forbidden(n)) == []


def test_the_probe_sees_the_product_where_it_is_run() -> None:
    """The check can fail: the runner asks the real pipeline, so its import loads what the scorers may not."""
    assert loaded_forbidden("evals.runner")


def test_every_evals_module_is_classed_as_scoring_or_not() -> None:
    found = {".".join(p.relative_to(ROOT).with_suffix("").parts) for p in (ROOT / "evals").rglob("*.py")}
    found -= {m for m in found if m.endswith("__init__")}
    assert found == set(SCORING) | set(NOT_SCORING)
    assert not set(SCORING) & set(NOT_SCORING)
