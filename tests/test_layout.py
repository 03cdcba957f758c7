"""The layout by concept holds: no import circle in the product, and the product never imports the dev tools.

The import graph is read from the source (every ``import``, at module level or inside a function), so a circle
hidden by an import inside a function is still a circle. An edge goes to the module named; a package's
``__init__`` only counts for what it imports itself.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PRODUCT = ("rag", "api")
DEV_TOOLS = ("evals", "bench", "tests")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def runtime_nodes(tree: ast.AST) -> list[ast.AST]:
    """Every node but those under ``if TYPE_CHECKING:`` (imports for annotations only, never run)."""
    found: list[ast.AST] = []
    pending = [tree]
    while pending:
        node = pending.pop()
        found.append(node)
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            pending.extend(node.orelse)
            continue
        pending.extend(ast.iter_child_nodes(node))
    return found


def imports_of(path: Path, known: set[str]) -> set[str]:
    """The modules of ``known`` that ``path`` imports (``from pkg import mod`` counts as ``pkg.mod`` when it is one)."""
    found: set[str] = set()
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    for node in runtime_nodes(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
            found.update(f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names)
    return {name for name in found if name in known}


def product_graph() -> dict[str, set[str]]:
    files = [p for top in PRODUCT for p in (ROOT / top).rglob("*.py")]
    known = {module_name(p) for p in files}
    return {module_name(p): imports_of(p, known) - {module_name(p)} for p in files}


def test_the_product_has_no_import_circle() -> None:
    try:
        order = list(TopologicalSorter(product_graph()).static_order())
    except CycleError as exc:
        raise AssertionError(f"import circle: {' -> '.join(exc.args[1])}") from None
    assert "rag.cli" in order and "api.app" in order


def test_the_cycle_check_sees_a_circle_hidden_inside_a_function(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("import b\n")
    (tmp_path / "b.py").write_text("def late():\n    import a\n")
    graph = {"a": {"b"}, "b": set()}
    for name in ("a", "b"):
        for node in ast.walk(ast.parse((tmp_path / f"{name}.py").read_text())):
            if isinstance(node, ast.Import):
                graph[name].update(alias.name for alias in node.names)
    try:
        list(TopologicalSorter(graph).static_order())
    except CycleError:
        return
    raise AssertionError("a circle through a function-level import went unseen")


def test_the_product_never_names_the_dev_tools_or_the_fakes() -> None:
    offenders = []
    for top in PRODUCT:
        for path in (ROOT / top).rglob("*.py"):
            if path.is_relative_to(ROOT / "rag" / "testing"):
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                    [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
                offenders += [f"{path.relative_to(ROOT)}: {n}" for n in names
                              if n.split(".")[0] in DEV_TOOLS or n.startswith("rag.testing")]
    assert offenders == []


def test_the_command_line_and_the_service_start_without_the_dev_tools() -> None:
    """In a fresh interpreter: ``rag --help`` (plugins listed, not loaded) and the app import neither evals nor bench."""
    code = ("import sys\nfrom typer.testing import CliRunner\nimport api.app\nfrom rag.cli import app\n"
            "result = CliRunner().invoke(app, ['--help'])\nassert result.exit_code == 0, result.output\n"
            "assert 'eval' in result.output and 'bench' in result.output, result.output\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('evals', 'bench') or m.startswith('rag.testing')))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.strip() == "[]"


def test_a_plugin_command_runs_with_its_own_options() -> None:
    out = subprocess.run([sys.executable, "-m", "rag.cli", "eval", "--help"], cwd=ROOT, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0 and "--gate" in out.stdout, out.stdout + out.stderr
