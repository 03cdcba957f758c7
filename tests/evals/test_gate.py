"""The CI gate: direction-aware comparison, and a deliberately worsened pipeline fails it."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from evals.datasets import golden_set
from evals.gate import Baseline, check, improvements, load_baseline, metrics_of
from evals.metrics import HIGHER_IS_BETTER, LOWER_IS_BETTER
from evals.runner import run_eval
from rag.embed import HashingEmbedder
from tests.conftest import GOLDEN, ROOT, SEED_DIR, make_settings
from tests.evals.fakes import declining_model

BASELINE = ROOT / "evals" / "baseline.json"
RAG = ROOT / ".venv" / "bin" / "rag"


def baseline(**metrics: float) -> Baseline:
    return Baseline(dataset="seed_golden", model="m", why="test", metrics=metrics)


def test_gate_knows_which_way_is_better() -> None:
    floor = baseline(fact_accuracy=0.6, false_refusal_rate=0.1, unsupported_entities=0)
    assert check({"fact_accuracy": 0.6, "false_refusal_rate": 0.1, "unsupported_entities": 0}, floor) == []
    failures = check({"fact_accuracy": 0.59, "false_refusal_rate": 0.2, "unsupported_entities": 1}, floor)
    assert [f.split(":")[0] for f in failures] == ["fact_accuracy", "false_refusal_rate", "unsupported_entities"]
    assert check({"fact_accuracy": None, "false_refusal_rate": 0.0, "unsupported_entities": 0}, floor) == [
        "fact_accuracy: missing from the run (baseline 0.6)"]
    assert improvements({"fact_accuracy": 0.7, "false_refusal_rate": 0.0, "unsupported_entities": 0}, floor) == [
        "fact_accuracy: 0.7 (baseline 0.6)", "false_refusal_rate: 0.0 (baseline 0.1)"]
    assert check({"fact_accuracy": 0.6, "false_refusal_rate": 0.1, "unsupported_entities": 0}, floor, "rgb-noise")


def test_committed_baseline_gates_answers_citations_and_retrieval() -> None:
    committed = load_baseline(BASELINE)
    assert committed.dataset == "seed_golden-test" and committed.pipeline == "ours" and committed.why
    gated = set(committed.metrics)
    assert {"fact_accuracy", "correct_refusal_rate", "false_refusal_rate", "citation_validity", "mrr",
            "support_rate", "unsupported_entities"} <= gated
    assert committed.metrics["citation_validity"] == 1.0
    assert gated <= set(HIGHER_IS_BETTER) | set(LOWER_IS_BETTER)
    assert not any(k.startswith("latency") for k in gated)  # machine-dependent: reported, never gated


@pytest.fixture(scope="module")
def degraded_result(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seed eval run with a reader that declines every question, saved as ``rag eval`` saves results."""
    scratch = tmp_path_factory.mktemp("degraded")
    result = run_eval(golden_set(GOLDEN, [SEED_DIR]), make_settings(scratch / "data"), embedder=HashingEmbedder(),
                      chat=declining_model())
    path = scratch / "degraded.json"
    path.write_text(result.model_dump_json())
    return path


def test_gate_fails_a_worsened_pipeline_through_the_cli(degraded_result: Path, tmp_path: Path) -> None:
    _, metrics = metrics_of(degraded_result)
    assert metrics["fact_accuracy"] < load_baseline(BASELINE).metrics["fact_accuracy"]
    report = tmp_path / "report.md"
    run = subprocess.run([str(RAG), "eval", "--from", str(degraded_result), "--gate", str(BASELINE),
                          "--report", str(report)], capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 1, run.stderr
    assert "gate: fact_accuracy:" in run.stderr and "below the baseline" in run.stderr
    assert "false_refusal_rate:" in run.stderr
    assert "support_rate: missing from the run" in run.stderr  # no sentences at all is not a pass
    assert "## Gate" in report.read_text() and "FAIL fact_accuracy" in report.read_text()


def test_gate_passes_a_result_at_the_baseline(degraded_result: Path, tmp_path: Path) -> None:
    """The same result against a baseline set from it passes: the gate compares, it does not always fail."""
    dataset, metrics = metrics_of(degraded_result)
    own = Baseline(dataset=dataset, model="declining-fake", why="test",
                   metrics={k: metrics[k] for k in load_baseline(BASELINE).metrics if metrics[k] is not None})
    path = tmp_path / "baseline.json"
    path.write_text(own.model_dump_json())
    run = subprocess.run([str(RAG), "eval", "--from", str(degraded_result), "--gate", str(path), "--json"],
                         capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 0, run.stderr
    assert '"gate": []' in run.stdout
