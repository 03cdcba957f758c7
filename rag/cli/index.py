"""``rag ingest``, ``rag search``, ``rag articles`` and ``rag delete``: the corpus and its indexes."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from rag.cli.common import DataDir, JsonFlag, Outlet, Since, Until, build_settings, console, err_console, fail, print_json
from rag.index.corpus import count_items
from rag.index.ingest import LazyEmbedder, delete_article, ingest_paths
from rag.index.store import StoreBusyError
from rag.services import Services
from rag.types import SearchFilters, SearchHit


class _PagesPerSecond(ProgressColumn):
    """The ingest rate, in pages (items) per second."""

    def render(self, task: Task) -> Text:
        return Text(f"{task.speed:.1f} pages/s" if task.speed else "– pages/s", style="progress.data.speed")


def ingest(
    paths: Annotated[
        list[Path], typer.Argument(help="Files or folders of articles (.txt .md .html .jsonl).")
    ],
    data_dir: DataDir = None,
    as_json: JsonFlag = False,
) -> None:
    """Ingest articles; unchanged ones are skipped, reprints recorded, bad files reported."""
    services = Services(build_settings(data_dir))
    try:
        if as_json:
            report = ingest_paths(paths, services.store, services.embedder, services.settings)
            print_json({"counts": report.counts(), **report.model_dump(mode="json")})
        else:
            with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), _PagesPerSecond(),
                          TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(), console=err_console,
                          transient=True) as progress:
                task = progress.add_task("ingesting", total=count_items(paths))
                report = ingest_paths(
                    paths,
                    services.store,
                    services.embedder,
                    services.settings,
                    progress=lambda name: progress.update(task, advance=1, description=f"ingesting {escape(name[:40])}"),
                )
            counts = report.counts()
            console.print(", ".join(f"{name} {count}" for name, count in counts.items()))
            if report.boilerplate:
                lines = sum(d.lines for d in report.boilerplate.values())
                chars = sum(d.chars for d in report.boilerplate.values())
                console.print(f"  boilerplate: {lines:,} lines ({chars:,} characters) repeated across pages of their "
                              f"site left out of {len(report.boilerplate)} articles")
            for article_id in report.recovered:
                console.print(Text(f"  recovered: the index caught up with {article_id} (left queued by an interrupted run)"))
            for error in report.pending:
                console.print(Text.assemble("  ", ("pending", "yellow"), f" {error.source}: {error.reason} "
                                            "(kept in the record and queued; the next ingest or `rag doctor --repair` retries)"))
            for reprint, original in report.duplicates.items():
                console.print(Text(f"  reprint: {reprint} duplicates {original}"))
            for warning in report.warnings:
                console.print(Text.assemble("  ", ("warning", "yellow"), f" {warning.source}: {warning.warning}"))
            for error in report.failed:
                console.print(Text.assemble("  ", ("failed", "red"), f" {error.source}: {error.reason}"))
    except StoreBusyError as exc:
        raise fail(str(exc)) from None
    if report.failed and not (report.added or report.updated or report.unchanged or report.duplicates):
        raise typer.Exit(1)


def search(
    query: Annotated[str, typer.Argument(help="What to look for.")],
    k: Annotated[int, typer.Option("--k", min=1, help="How many chunks to return.")] = 6,
    since: Since = None,
    until: Until = None,
    outlet: Outlet = None,
    article: Annotated[
        list[str] | None, typer.Option("--article", help="Only this article id (repeatable).")
    ] = None,
    data_dir: DataDir = None,
    as_json: JsonFlag = False,
) -> None:
    """Hybrid (dense + BM25) search over the indexed chunks."""
    services = Services(build_settings(data_dir))
    filters = SearchFilters(
        since=since.date() if since else None,
        until=until.date() if until else None,
        outlets=outlet or [],
        article_ids=article or [],
    )
    hits = services.retriever.search(query, k=k, filters=filters)
    if as_json:
        print_json([hit.model_dump(mode="json") for hit in hits])
        return
    if not hits:
        console.print("no matching chunks")
    elif console.width < WIDE_TABLE:
        print_hits_compact(hits)
    else:
        table = Table("#", "score", "article", "outlet", "date", "text", show_lines=True)
        for rank, hit in enumerate(hits, start=1):
            table.add_row(
                str(rank),
                f"{hit.score:.4f}",
                Text.assemble(hit.title, "\n", (hit.chunk_id, "dim")),
                Text(hit.outlet or ""),
                str(hit.published_at or ""),
                Text(clip(hit.text, PASSAGE_CHARS)),
            )
        console.print(table)


WIDE_TABLE = 120
"""Terminal columns below which ``rag search`` prints one block per hit: six table columns leave a title a few
characters a line at 80."""
PASSAGE_CHARS = 300


def print_hits_compact(hits: list[SearchHit]) -> None:
    """One block per hit: rank, score, title, outlet and date on one line; the chunk id and the passage below it.

    Wrapped lines hang under the title and the passage is indented, so rank and score stand out on the left.
    """
    for rank, hit in enumerate(hits, start=1):
        where = ", ".join(part for part in (hit.outlet, str(hit.published_at or "")) if part)
        title = Text(hit.title, "bold")
        if where:
            title.append(f" — {where}", "dim")
        lead = Text.assemble((f"{rank:>2}.", "bold"), " ", (f"{hit.score:.4f}", "cyan"), "  ")
        _print_hanging(lead, title)
        _print_hanging(Text(" " * 4), Text(hit.chunk_id, "dim"))
        _print_hanging(Text(" " * 4), Text(clip(hit.text, PASSAGE_CHARS)))
        console.print()


def _print_hanging(lead: Text, text: Text) -> None:
    """``lead`` then ``text`` wrapped to the rest of the line, its further lines indented as far as ``lead``."""
    indent = Text(" " * lead.cell_len)
    for number, line in enumerate(text.wrap(console, max(20, console.width - lead.cell_len))):
        line.rstrip()
        console.print(Text.assemble(lead if number == 0 else indent, line) if line.plain else "", soft_wrap=True)


def clip(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters at a word boundary, with ``…`` when anything was cut."""
    if len(text) <= limit:
        return text
    cut = text[:limit - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit // 2 else cut).rstrip() + "…"


def articles(data_dir: DataDir = None, as_json: JsonFlag = False) -> None:
    """List the articles of the record; those the indexes have not caught up with yet say ``"pending": true``."""
    store = Services(build_settings(data_dir)).store
    found = store.list_articles()
    unfinished = store.pending_ids()
    if as_json:
        print_json([{**a.model_dump(mode="json", exclude={"body"}), "pending": a.id in unfinished} for a in found])
        return
    table = Table("id", "title", "outlet", "published", "note")
    for a in found:
        note = f"reprint of {a.duplicate_of}" if a.duplicate_of else ""
        if a.id in unfinished:
            note = "pending: not yet in the search index (retried by the next ingest; see rag doctor)"
        table.add_row(Text(a.id), Text(a.title), Text(a.outlet or ""), str(a.published_at or ""), Text(note))
    console.print(table)


def delete(
    article_id: Annotated[str, typer.Argument(help="The article id to remove.")],
    data_dir: DataDir = None,
    as_json: JsonFlag = False,
) -> None:
    """Remove one article and its chunks."""
    services = Services(build_settings(data_dir))
    try:  # the embedder loads only if a reprint must be indexed in the deleted original's place
        deleted = delete_article(article_id, services.store, LazyEmbedder(lambda: services.embedder), services.settings)
    except StoreBusyError as exc:
        raise fail(str(exc)) from None
    if as_json:
        print_json({"deleted": deleted, "article_id": article_id})
    elif deleted:
        console.print(Text(f"deleted {article_id}"))
    if not deleted:
        raise fail(f"no article with id {article_id!r}")


