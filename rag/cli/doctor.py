"""``rag doctor [--repair] [--json]``: compare the indexes with the article record, and repair them from it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from rag.cli.common import build_settings
from rag.index.doctor import DoctorReport, examine, repair
from rag.index.ingest import LazyEmbedder
from rag.index.store import StoreBusyError
from rag.models.cache import describe
from rag.models.files import MODELS
from rag.services import Services
from rag.settings import Settings

console = Console()
err_console = Console(stderr=True)


def doctor_command(
    fix: Annotated[bool, typer.Option("--repair", help="Fix what is found (takes the write lock).")] = False,
    data_dir: Annotated[Path | None, typer.Option("--data-dir", help="Data directory (default: RAG_DATA_DIR or .rag).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")] = False,
) -> None:
    """Check that the indexes hold every article of the record as it is, with nothing queued; exit 1 if not."""
    services = Services(build_settings(data_dir))
    try:
        if fix:
            report = repair(services.store, LazyEmbedder(lambda: services.embedder), services.settings)
        else:
            report = examine(services.store)
    except StoreBusyError as exc:
        err_console.print(Text.assemble(("error:", "red"), f" {exc}"))
        raise typer.Exit(1) from None
    if as_json:
        typer.echo(report.model_dump_json(indent=2))
    else:
        _print(report)
        _print_models(services.settings)
    if not report.ok:
        raise typer.Exit(1)


def _print(report: DoctorReport) -> None:
    if report.repaired:
        console.print(f"repaired {len(report.repaired)} problem(s):")
        for problem in report.repaired:
            console.print(Text(f"  {problem.kind} {problem.article_id}: {problem.detail} → {problem.repair}"))
    if report.ok:
        console.print(f"ok: {report.articles} articles, {report.chunks} chunks, nothing pending")
        return
    table = Table("problem", "article", "detail", "--repair will")
    for problem in report.problems:
        table.add_row(problem.kind, Text(problem.article_id), Text(problem.detail), Text(problem.repair))
    console.print(table)
    console.print(f"{len(report.problems)} problem(s) in {report.articles} articles, {report.chunks} chunks; "
                  "run `rag doctor --repair`")


def _print_models(settings: Settings) -> None:
    """Where the shared model cache is, and whether this data directory's models are links into it."""
    console.print(Text(f"model cache: {settings.model_cache}"))
    for spec in MODELS.values():
        path = settings.models_dir / spec.filename
        console.print(Text(f"  {path}: {describe(path, settings.model_cache / spec.filename)}"))
