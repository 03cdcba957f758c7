"""``rag eval --stage retrieval``: rank the set's articles with the product's retriever, print, save, gate."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from evals.datasets import DatasetError, EvalSet
from evals.retrieval import MEASURES, RetrievalResult, better_than, check_retrieval, load_retrieval_baseline
from evals.retrieval_runner import run_retrieval
from rag.settings import Settings

err = Console(stderr=True)


def retrieval_command(eval_set: EvalSet, settings: Settings, reuse_data_dir: bool, out: Path | None,
                      gate: Path | None, as_json: bool) -> None:
    """Run the retrieval eval over ``eval_set``; with ``gate``, exit 1 when a metric is below its floor."""
    try:
        baseline = load_retrieval_baseline(gate) if gate else None
    except DatasetError as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}")
        raise typer.Exit(2) from None
    if not as_json:
        err.print(f"{eval_set.name}: indexing {len(eval_set.articles) or 'the corpus'} articles, then retrieving")
    result = run_retrieval(eval_set, settings, reuse_data_dir=reuse_data_dir)
    destination = out or Path(".rag") / "evals" / f"{eval_set.name}-retrieval-{dt.datetime.now():%Y%m%d-%H%M%S}.json"
    destination.parent.mkdir(parents=True, exist_ok=True)
    destination.write_text(result.model_dump_json(indent=1), encoding="utf-8")
    failures = check_retrieval(result, baseline) if baseline else []
    if as_json:
        summary = result.model_dump(mode="json") | ({"gate": failures} if baseline else {})
        sys.stdout.write(json.dumps(summary, indent=1) + "\n")
    else:
        _print(result)
        err.print(f"result: {destination}")
    if baseline and not failures:
        for line in better_than(result, baseline):
            err.print(f"[green]better than baseline:[/green] {escape(line)}")
    for failure in failures:
        err.print(f"[red]gate:[/red] {escape(failure)}")
    if failures:
        raise typer.Exit(1)


def _print(result: RetrievalResult) -> None:
    table = Table(f"{result.dataset}: {result.corpus.get('rows')} questions over {result.corpus.get('articles')} "
                  f"articles ({result.embedder})", *(f"k={k}" + (" (answers)" if k == result.k else "")
                                                     for k in result.ks))
    for measure in MEASURES:
        table.add_row(measure, *(str(result.metrics.get(f"{measure}_at_{k}")) for k in result.ks))
    Console().print(table)
