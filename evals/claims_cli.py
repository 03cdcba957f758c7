"""``rag eval --format claims``: the verifier benchmark, per-class false accepts/rejects, a threshold sweep, the gate."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from evals.claims import (
    CLAIM_METRICS_HIGHER,
    CLAIM_METRICS_LOWER,
    STRICT_CLASSES,
    ClaimRow,
    ClaimsResult,
    sweep,
)
from evals.claims_runner import run_claims
from evals.datasets import DatasetError, load_claims
from evals.gate import check, compare_rows, environment, load_baseline
from rag.settings import Settings

CLAIMS_DATASET = Path("evals/datasets/claims.jsonl")
err = Console(stderr=True)


def claims_command(dataset: Path | None, split: str | None, backend: str | None, model: str | None, out: Path | None,
                   gate: Path | None, as_json: bool) -> None:
    from rag.verify import build_verifier

    values: dict[str, object] = {}
    if backend:
        values["backend"] = backend
    if model:
        values["verifier_model"] = model
    try:
        if split not in (None, "tune", "test"):
            raise DatasetError("--split must be 'tune' or 'test'")
        items = load_claims(dataset or CLAIMS_DATASET, split)  # type: ignore[arg-type]
        settings = Settings(**values)  # type: ignore[arg-type]
    except (DatasetError, ValueError) as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}")
        raise typer.Exit(2) from None
    verifier = build_verifier(settings, lambda: None)
    judge_model = settings.verifier_model or settings.local_model
    result = run_claims(items, verifier, config={
        "split": split, "threshold": settings.verifier_threshold, "judge": settings.verifier_judge,
        "judge_model": judge_model, "backend": settings.backend,
        "environment": environment(judge_model, settings.llm_threads, settings.llm_batch)})
    destination = out or Path(".rag") / "evals" / f"{(dataset or CLAIMS_DATASET).stem}-{split or 'all'}.json"
    destination.parent.mkdir(parents=True, exist_ok=True)
    destination.write_text(result.model_dump_json(indent=1), encoding="utf-8")
    stem = (dataset or CLAIMS_DATASET).stem  # "claims-test", "claims_rgb-test": a baseline names its set and half
    failures = _gate(result, gate, f"{stem}-{split}" if split else stem) if gate else []
    if as_json:
        sys.stdout.write(json.dumps({"metrics": result.metrics, "rows": [r.model_dump() for r in result.rows],
                                     "sweep": sweep(result.rows, _THRESHOLDS), "gate": failures}, indent=1) + "\n")
    else:
        _print(result.metrics, result.rows)
        err.print(f"result: {destination}")
    for failure in failures:
        err.print(f"[red]gate:[/red] {escape(failure)}")
    if failures:
        raise typer.Exit(1)


_THRESHOLDS = [round(0.2 + 0.05 * i, 2) for i in range(13)]


def _gate(result: ClaimsResult, path: Path, dataset: str) -> list[str]:
    """The shared gate (:mod:`evals.gate`) over the claims benchmark.

    Aggregates within the noise band, flipped claims by the sign test, and never a new strict false accept (an
    edited negation, role swap, number, date or entity accepted).
    """
    try:
        baseline = load_baseline(path, CLAIM_METRICS_HIGHER, CLAIM_METRICS_LOWER)
    except DatasetError as exc:
        return [str(exc)]
    outcomes = {r.id: r.correct for r in result.rows}
    strict = {r.id for r in result.rows if r.claim_class in STRICT_CLASSES}
    if baseline.rows:
        err.print(f"claims against the baseline: {compare_rows(baseline.rows, outcomes).describe()}")
    return check(result.metrics, baseline, dataset, rows=outcomes, strict=strict, lower=CLAIM_METRICS_LOWER)


def _print(metrics: dict[str, object], rows: list[ClaimRow]) -> None:
    table = Table("class", "n", "false accepts", "false rejects", "judged")
    per_class = metrics["per_class"]
    assert isinstance(per_class, dict)
    for cls, figures in per_class.items():
        table.add_row(cls, str(figures["n"]), str(figures.get("false_accepts", "")),
                      str(figures.get("false_rejects", "")), str(figures["judged"]))
    console = Console()
    console.print(table)
    for key in ("items", "strict_false_accepts", "false_accept_rate", "false_reject_rate", "label_accuracy",
                "judged_share", "ms_p50"):
        console.print(f"{key}: {metrics[key]}")
    sweep_table = Table("threshold", "false accept rate", "false reject rate", "strict false accepts")
    for line in sweep(rows, _THRESHOLDS):
        sweep_table.add_row(str(line["threshold"]), str(line["false_accept_rate"]), str(line["false_reject_rate"]),
                            str(line["strict_false_accepts"]))
    console.print(sweep_table)
