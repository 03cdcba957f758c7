"""The CI gate: direction-aware comparison, and a deliberately worsened pipeline fails it."""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest

from evals.datasets import EvalSet, GoldenRow, golden_set
from evals.gate import (
    GATED_AT_ZERO,
    NEVER_TOLERATED,
    Baseline,
    check,
    compare_rows,
    improvements,
    load_baseline,
    metrics_of,
)
from evals.metrics import HIGHER_IS_BETTER, LOWER_IS_BETTER
from evals.results import PipelineRun as RunResult
from evals.runner import run_eval
from rag.services import Services
from rag.testing.embed import HashingEmbedder
from rag.testing.llm import FunctionModel
from tests.conftest import GOLDEN, ROOT, SEED_DIR, make_settings
from tests.evals.fakes import (
    AcceptEverything,
    DropBestPassage,
    declining_model,
    embellishing_model,
    extractive_model,
    failing_once_model,
    forgetful_model,
)

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


def test_committed_baseline_gates_answers_and_citations_not_retrieval_over_three_articles() -> None:
    committed = load_baseline(BASELINE)
    assert committed.dataset == "seed_golden-test" and committed.pipeline == "ours" and committed.why
    gated = set(committed.metrics)
    assert {"fact_accuracy", "correct_refusal_rate", "false_refusal_rate", "citation_validity",
            "support_rate", "unsupported_entities"} <= gated
    # Over three articles every question finds its source: a 1.0 floor there cannot fail. Retrieval is gated on
    # the RGB noise corpus instead (evals/retrieval_baseline.json, tests/evals/test_retrieval_gate.py).
    assert {"hit_at_k", "recall_at_k", "mrr"}.isdisjoint(gated)
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


# Regression versus noise ---------------------------------------------------------------------------------------


def test_row_flips_are_paired_and_tested_against_chance() -> None:
    flips = compare_rows({"a": True, "b": True, "c": False, "d": True}, {"a": False, "b": True, "c": True})
    assert (flips.regressed, flips.recovered, flips.missing) == (["a"], ["c"], ["d"])
    assert flips.p_value == 0.75  # one each way: P(X >= 1 | n = 2) = 3/4
    assert compare_rows({"a": True}, {"a": False}).p_value == 0.5
    five_down = compare_rows({str(i): True for i in range(5)}, {str(i): False for i in range(5)})
    assert five_down.p_value == 0.5 ** 5 and "5 rows pass -> fail" in five_down.describe()


def _rows(passed: int, total: int) -> dict[str, bool]:
    return {f"q{i}": i < passed for i in range(total)}


def test_one_flipped_row_is_noise_many_are_a_regression() -> None:
    floor = Baseline(dataset="d", model="m", why="t", metrics={"fact_accuracy": 0.74, "errors": 0},
                     tolerance={"fact_accuracy": 0.02, "errors": 5}, rows=_rows(37, 50))
    assert check({"fact_accuracy": 0.72, "errors": 0}, floor, rows=_rows(36, 50)) == []
    failures = check({"fact_accuracy": 0.64, "errors": 0}, floor, rows=_rows(32, 50))
    assert any("below the baseline 0.74 (noise band 0.02)" in f for f in failures)
    assert any("more rows regressed than noise explains" in f and "q32, q33" in f for f in failures)
    # Five rows down and none up fails the sign test even where the aggregate band would allow it.
    wide = floor.model_copy(update={"tolerance": {"fact_accuracy": 0.2}})
    assert [f.split(":")[0] for f in check({"fact_accuracy": 0.64, "errors": 0}, wide, rows=_rows(32, 50))] == [
        "more rows regressed than noise explains (level 0.05)"]
    # Errors are never noise, whatever the tolerance says; nor is a row that vanished.
    assert check({"fact_accuracy": 0.74, "errors": 1}, floor, rows=_rows(37, 50)) == [
        "errors: 1 is above 0 (gated at 0, whatever the baseline holds)"]
    assert check({"fact_accuracy": 0.74, "errors": 0}, floor, rows=_rows(37, 49)) == [
        "rows missing from the run: q49"]


@pytest.mark.parametrize("name", GATED_AT_ZERO)
def test_errors_and_failed_generations_are_gated_at_zero_whatever_the_baseline_holds(name: str) -> None:
    failure = f"{name}: 1 is above 0 (gated at 0, whatever the baseline holds)"
    assert check({"fact_accuracy": 0.7, name: 0}, baseline(fact_accuracy=0.6)) == []
    assert check({"fact_accuracy": 0.7, name: 1}, baseline(fact_accuracy=0.6)) == [failure]  # not in the baseline
    assert check({"fact_accuracy": 0.7, name: 1}, baseline(fact_accuracy=0.6, **{name: 3})) == [failure]
    lenient = Baseline(dataset="d", model="m", why="t", metrics={name: 0}, tolerance={name: 5})
    assert check({name: 1}, lenient) == [failure]
    assert check({}, lenient) == [f"{name}: missing from the run (baseline 0.0)"]
    assert check({"strict_false_accepts": 0}, baseline()) == []  # a run that has no such count (the claims set)


def test_a_run_whose_model_failed_once_reports_it_and_fails_the_gate(tmp_path: Path) -> None:
    rows = [GoldenRow(id="a", question="What did Khwaja Asif write on X?", answer="open war", facts=[["open war"]],
                      sources=["004_fce48783007ea49c"], answerable=True),
            GoldenRow(id="b", question="How long is the border between Afghanistan and Pakistan?", answer="1,600 miles",
                      facts=[["1,600"]], sources=["004_fce48783007ea49c"], answerable=True)]
    eval_set = EvalSet(name="two", rows=rows, corpus_paths=[SEED_DIR])
    settings = make_settings(tmp_path / "data", verifier_judge="off")
    run = run_eval(eval_set, settings, embedder=HashingEmbedder(), chat=failing_once_model()).runs[0]
    assert run.metrics["generation_failed"] == 1 and run.metrics["errors"] == 0  # it answered, from quotes
    failed = run.rows[0]
    assert failed.mode != "error" and any("the model failed while writing" in why for why in failed.why)
    assert not any("the model failed" in why for why in run.rows[1].why)
    # The gate fails the run against a baseline it meets on everything else, one that does not list the count too.
    at_the_run = Baseline(dataset="two", model="m", why="t", metrics={"fact_accuracy": run.metrics["fact_accuracy"]},
                          rows={r.id: r.passed for r in run.rows})
    failures = check(run.metrics, at_the_run, "two", rows={r.id: r.passed for r in run.rows})
    assert failures == ["generation_failed: 1 is above 0 (gated at 0, whatever the baseline holds)"]


def test_a_strict_row_that_regresses_always_fails() -> None:
    floor = Baseline(dataset="claims-test", model="m", why="t", metrics={"strict_false_accepts": 2},
                     rows={"neg-1": True, "para-1": True})
    ok = check({"strict_false_accepts": 2}, floor, rows={"neg-1": True, "para-1": False}, strict={"neg-1"},
               lower=("strict_false_accepts",))
    assert ok == []  # a paraphrase rejected once is noise
    bad = check({"strict_false_accepts": 2}, floor, rows={"neg-1": False, "para-1": True}, strict={"neg-1"},
                lower=("strict_false_accepts",))
    assert bad == ["strict rows regressed (never tolerated): neg-1"]


@pytest.mark.parametrize("path", [BASELINE, ROOT / "evals" / "claims_baseline.json"])
def test_committed_baselines_carry_rows_environment_and_the_measured_band(path: Path) -> None:
    committed = Baseline.model_validate_json(path.read_text())
    assert len(committed.rows) >= 60 and committed.level == 0.05
    assert {"model", "llama_cpp", "cpu", "threads", "batch"} <= set(committed.environment)
    configs = committed.noise["configurations"]
    assert len(configs) >= 3 and {c["threads"] for c in configs} >= {1, 2}
    assert all(isinstance(c["rows_flipped"], int) for c in configs)
    assert all(not committed.tolerance.get(name) for name in NEVER_TOLERATED)
    assert "generation_failed" in committed.metrics or path.name.startswith("claims")


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, RunResult]:
    """The seed eval (test half) with a content-dependent reader: as is, twice, and with two planted regressions."""
    rows = golden_set(GOLDEN, [SEED_DIR], "test")
    def accept_everything(services: Services) -> None:
        services.verifier = AcceptEverything(services.verifier)

    def drop_best_passage(services: Services) -> None:
        services.retriever = DropBestPassage(services.retriever)  # type: ignore[assignment]

    variants: dict[str, tuple[Callable[[], FunctionModel], Callable[[Services], None] | None]] = {
        "reference": (extractive_model, None),
        "rerun": (extractive_model, None),
        "retriever drops the best passage": (extractive_model, drop_best_passage),
        "reader declines every sixth question": (lambda: forgetful_model(every=6), None),
        "verifier accepts an invented casualty figure": (embellishing_model, accept_everything),
    }
    runs = {}
    for name, (reader, adjust) in variants.items():
        result = run_eval(rows, make_settings(tmp_path_factory.mktemp("planted") / "data", verifier_judge="off"),
                          embedder=HashingEmbedder(), chat=reader(), adjust=adjust)
        runs[name] = result.runs[0]
    return runs


def _baseline_from(run: RunResult) -> Baseline:
    """A baseline measured on ``run`` with the committed band and level (what CI would hold it to)."""
    committed = load_baseline(BASELINE)
    return committed.model_copy(update={
        "dataset": "seed_golden-test", "rows": {r.id: r.passed for r in run.rows},
        "metrics": {k: run.metrics[k] for k in committed.metrics if run.metrics.get(k) is not None}})


@pytest.mark.parametrize("regression", ["retriever drops the best passage", "reader declines every sixth question",
                                        "verifier accepts an invented casualty figure"])
def test_the_gate_catches_a_planted_regression(planted: dict[str, RunResult], regression: str) -> None:
    baseline = _baseline_from(planted["reference"])
    rerun = planted["rerun"]
    assert check(rerun.metrics, baseline, "seed_golden-test", rows={r.id: r.passed for r in rerun.rows}) == []
    degraded = planted[regression]
    failures = check(degraded.metrics, baseline, "seed_golden-test", rows={r.id: r.passed for r in degraded.rows})
    assert failures, f"{regression} passed the gate: {degraded.metrics}"


def test_an_honest_verifier_keeps_the_invented_figure_out(planted: dict[str, RunResult]) -> None:
    """The same embellishing reader with the real verifier passes: the gate fails the verifier, not the reader."""
    rows = golden_set(GOLDEN, [SEED_DIR], "test")
    with tempfile.TemporaryDirectory() as scratch:
        run = run_eval(rows, make_settings(Path(scratch) / "data", verifier_judge="off"), embedder=HashingEmbedder(),
                       chat=embellishing_model()).runs[0]
    assert run.metrics["unsupported_entities"] == 0
    assert check(run.metrics, _baseline_from(planted["reference"]), "seed_golden-test",
                 rows={r.id: r.passed for r in run.rows}) == []
