"""``rag eval``: run a dataset (or load saved results), write the JSON result and a report, apply the gate."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from evals.datasets import DatasetError, EvalSet, find_rgb_dev, golden_set, multihop_set, rgb_set
from evals.gate import check, compare_rows, improvements, load_baseline
from evals.report import SUMMARY_KEYS, fmt, load_result, write_report
from evals.results import EvalResult
from evals.runner import run_eval
from rag.settings import Settings

SEED_DATASET = Path("evals/datasets/seed_golden.jsonl")
SEED_CORPUS = Path("corpus/seeds")
err = Console(stderr=True)

Format = Literal["golden", "rgb", "multihop"]


def eval_command(
    dataset: Annotated[Path | None, typer.Option(help="Golden JSONL, RGB JSONL or MultiHop-RAG queries JSON "
                                                      "(default: the seed golden set, or the RGB dev file).")] = None,
    corpus: Annotated[list[Path] | None, typer.Option(help="Folder of articles or a JSONL corpus (repeatable).")] = None,
    format: Annotated[str, typer.Option("--format", help="golden | rgb | multihop | claims")] = "golden",
    setting: Annotated[str, typer.Option(help="RGB setting: noise | conflict")] = "noise",
    pipeline: Annotated[list[str] | None, typer.Option(help="ours | llamaindex-baseline (repeat to compare).")] = None,
    backend: Annotated[str | None, typer.Option(help="local | openai")] = None,
    model: Annotated[str | None, typer.Option(help="Local model: qwen2.5-coder-0.5b | qwen2.5-coder-1.5b")] = None,
    k: Annotated[int, typer.Option(min=1, help="Article-level k for Hit@k and Recall@k.")] = 2,
    limit: Annotated[int | None, typer.Option(min=1, help="Only the first N rows.")] = None,
    out: Annotated[Path | None, typer.Option(help="Where to write the JSON result (default .rag/evals/).")] = None,
    report: Annotated[Path | None, typer.Option(help="Write a report: .html or .md.")] = None,
    gate: Annotated[Path | None, typer.Option(help="Fail (exit 1) when a gated metric is below this baseline.")] = None,
    saved: Annotated[list[Path] | None, typer.Option("--from", help="Report on saved results instead of running.")] = None,
    data_dir: Annotated[Path | None, typer.Option("--data-dir", help="Reuse this index instead of a scratch one.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print {metrics, rows} as JSON.")] = False,
    split: Annotated[str | None, typer.Option(help="Only one half of a golden or claims file: tune | test.")] = None,
    sample: Annotated[int | None, typer.Option(min=1, help="--format injection: a fixed sample of N placements.")] = None,
    briefings: Annotated[int | None, typer.Option(min=0, help="--format injection: write a briefing for only the "
                                                       "first N placements (default: every one).")] = None,
    boilerplate: Annotated[Path | None, typer.Option(help="Golden runs: a boilerplate pattern file; answers whose "
                                                          "text or quotes hold one are counted (boilerplate_answers, "
                                                          "gated at 0 by a baseline that has it).")] = None,
    stage: Annotated[str, typer.Option(help="answer: the whole pipeline | retrieval: only the retriever, no model "
                                            "(Hit/Recall/MRR at top_k, 1 and 10; --gate takes a retrieval "
                                            "baseline).")] = "answer",
) -> None:
    """Run an eval set and score it: retrieval, answers, citations, latency; optionally gate on a baseline."""
    if stage not in ("answer", "retrieval"):
        err.print("[red]error:[/red] --stage must be 'answer' or 'retrieval'")
        raise typer.Exit(2)
    if stage == "retrieval":
        _retrieval(dataset, corpus, format, setting, limit, split, data_dir, out, gate, as_json)
        return
    if format == "injection":
        from evals.injection.cli import run_and_report

        run_and_report(_settings(backend, model, None), sample, briefings, out, as_json)
        return
    if format == "briefing":
        from evals.briefing_eval import briefing_command

        briefing_command(dataset, corpus, backend, model, out, gate, as_json, split, data_dir)
        return
    if format == "claims":
        from evals.claims_cli import claims_command

        claims_command(dataset, split, backend, model, out, gate, as_json)
        return
    if split not in (None, "tune", "test"):
        err.print("[red]error:[/red] --split must be 'tune' or 'test'")
        raise typer.Exit(2)
    try:
        if saved:
            results = [load_result(p) for p in saved]
        else:
            eval_set = _load_set(dataset, corpus, format, setting, limit, split)
            settings = _settings(backend, model, data_dir)
            results = [_run(eval_set, settings, pipeline or ["ours"], k, data_dir is not None, quiet=as_json)]
            if boilerplate:
                _count_boilerplate(results[0], boilerplate)
            destination = out or Path(".rag") / "evals" / f"{eval_set.name}-{dt.datetime.now():%Y%m%d-%H%M%S}.json"
            destination.parent.mkdir(parents=True, exist_ok=True)
            destination.write_text(results[0].model_dump_json(indent=1), encoding="utf-8")
            err.print(f"result: {destination}")
        failures = _gate(results[0], gate) if gate else None
        if report:
            write_report(report, results, failures)
            err.print(f"report: {report}")
    except DatasetError as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}")
        raise typer.Exit(2) from None
    if as_json:
        sys.stdout.write(json.dumps(results[0].summary() | ({"gate": failures} if gate else {}), indent=1) + "\n")
    else:
        _print_metrics(results)
    if failures:
        for failure in failures:
            err.print(f"[red]gate:[/red] {escape(failure)}")
        raise typer.Exit(1)


def _retrieval(dataset: Path | None, corpus: list[Path] | None, format: str, setting: str, limit: int | None,
               split: str | None, data_dir: Path | None, out: Path | None, gate: Path | None, as_json: bool) -> None:
    from evals.retrieval_cli import retrieval_command

    try:
        if format not in ("golden", "rgb", "multihop"):
            raise DatasetError("--stage retrieval takes --format golden, rgb or multihop")
        if split not in (None, "tune", "test"):
            raise DatasetError("--split must be 'tune' or 'test'")
        eval_set = _load_set(dataset, corpus, format, setting, limit, split)
        settings = _settings(None, None, data_dir)
    except DatasetError as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}")
        raise typer.Exit(2) from None
    retrieval_command(eval_set, settings, data_dir is not None, out, gate, as_json)


def _load_set(dataset: Path | None, corpus: list[Path] | None, format: str, setting: str, limit: int | None,
              split: str | None = None) -> EvalSet:
    if format == "rgb":
        if setting not in ("noise", "conflict"):
            raise DatasetError("--setting must be 'noise' or 'conflict'")
        eval_set = rgb_set(dataset or find_rgb_dev(), setting)  # type: ignore[arg-type]
    elif format == "multihop":
        if dataset is None or not corpus or len(corpus) != 1:
            raise DatasetError("--format multihop needs --dataset QUERIES.json and one --corpus CORPUS.jsonl")
        eval_set = multihop_set(dataset, corpus[0])
    elif format == "golden":
        eval_set = golden_set(dataset or SEED_DATASET, corpus or ([SEED_CORPUS] if dataset is None else []),
                              split)  # type: ignore[arg-type]
        if split:
            eval_set.name = f"{eval_set.name}-{split}"
        if not eval_set.corpus_paths:
            raise DatasetError("--corpus is required with a golden dataset other than the seed set")
    else:
        raise DatasetError("--format must be golden, rgb or multihop")
    if limit:
        eval_set.rows = eval_set.rows[:limit]
        known = {r.id for r in eval_set.rows}
        eval_set.rows = [r for r in eval_set.rows if not r.followup_of or r.followup_of in known]
    return eval_set


def _settings(backend: str | None, model: str | None, data_dir: Path | None) -> Settings:
    values: dict[str, object] = {}
    if backend is not None:
        values["backend"] = backend
    if model is not None:
        values["local_model"] = model
    if data_dir is not None:
        values["data_dir"] = data_dir
    try:
        return Settings(**values)  # type: ignore[arg-type]
    except ValueError as exc:
        raise DatasetError(f"bad option: {exc}") from None


def _run(eval_set: EvalSet, settings: Settings, pipelines: list[str], k: int, reuse: bool, quiet: bool) -> EvalResult:
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err, transient=True, disable=quiet) as progress:
        task = progress.add_task(f"{eval_set.name}: indexing", total=len(eval_set.rows) * len(pipelines))
        passed = 0

        def on_row(pipeline: str, row: object) -> None:
            nonlocal passed
            passed += bool(getattr(row, "passed", False))
            progress.update(task, advance=1, description=f"{eval_set.name} [{pipeline}] {getattr(row, 'id', '')} "
                                                         f"({passed} passed)")

        return run_eval(eval_set, settings, pipelines, reuse_data_dir=reuse, k=k, on_row=on_row)


def _count_boilerplate(result: EvalResult, path: Path) -> None:
    """Adds ``boilerplate_answers`` (rows whose answer or quotes hold a listed pattern) to every run's metrics."""
    from evals.boilerplate import boilerplate_rows, load_boilerplate

    patterns = load_boilerplate(path)
    for run in result.runs:
        found = boilerplate_rows(run.rows, patterns)
        run.metrics["boilerplate_answers"] = len({f["row"] for f in found})
        for hit in found:
            err.print(f"[yellow]boilerplate:[/yellow] {hit['row']} {hit['pattern']}: {escape(hit['text'][:120])}")


def _gate(result: EvalResult, path: Path) -> list[str]:
    baseline = load_baseline(path)
    run = next((r for r in result.runs if r.pipeline == baseline.pipeline), None)
    if run is None:
        return [f"the baseline gates pipeline {baseline.pipeline!r}, which this run did not include"]
    outcomes = {r.id: r.passed for r in run.rows}
    if baseline.rows:
        err.print(f"rows against the baseline: {compare_rows(baseline.rows, outcomes).describe()}")
    failures = check(run.metrics, baseline, result.dataset, rows=outcomes)
    if not failures:
        for line in improvements(run.metrics, baseline):
            err.print(f"[green]better than baseline:[/green] {line}")
    return failures


def _print_metrics(results: list[EvalResult]) -> None:
    table = Table("metric", *(f"{r.dataset}\n{run.pipeline}\n{run.model}" for r in results for run in r.runs))
    for key in SUMMARY_KEYS:
        table.add_row(key, *(fmt(run.metrics.get(key)) for r in results for run in r.runs))
    Console().print(table)
