"""The ``rag`` command line: ingest, search, ask, brief, eval, serve, bench; each with ``--json``.

Text from articles (titles, outlets, quotes, ids) and from the model is printed as :class:`rich.text.Text`, never
parsed as Rich markup: a title like ``[/bold]`` or ``[link=…]`` prints as itself.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import BaseModel
from rich.console import Console
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

from rag.corpus import count_items
from rag.ingest import LazyEmbedder, delete_article, ingest_paths
from rag.services import Services
from rag.settings import Settings
from rag.store import StoreBusyError
from rag.types import Citation, SearchFilters, SearchHit

app = typer.Typer(no_args_is_help=True, add_completion=False, help="Cited answers over conflict news.")
console = Console()
err_console = Console(stderr=True)

DataDir = Annotated[
    Path | None, typer.Option("--data-dir", help="Data directory (default: RAG_DATA_DIR or .rag).")
]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]
Backend = Annotated[str | None, typer.Option(help="local (GGUF in-process) or openai (any compatible endpoint).")]
Since = Annotated[
    dt.datetime | None, typer.Option(formats=["%Y-%m-%d"], help="Only articles published on/after.")
]
Until = Annotated[
    dt.datetime | None, typer.Option(formats=["%Y-%m-%d"], help="Only articles published on/before.")
]
Outlet = Annotated[list[str] | None, typer.Option("--outlet", help="Only this outlet (repeatable).")]


def build_settings(data_dir: Path | None, **overrides: Any) -> Settings:
    """Settings from the environment, with command-line options taking precedence."""
    values = {k: v for k, v in overrides.items() if v is not None}
    if data_dir is not None:
        values["data_dir"] = data_dir
    return Settings(**values)


def print_json(value: Any) -> None:
    """Write JSON to stdout (pydantic models through their own serialiser)."""
    if isinstance(value, BaseModel):
        text = value.model_dump_json(indent=2)
    else:
        text = json.dumps(_plain(value), indent=2, ensure_ascii=False)
    sys.stdout.write(text + "\n")


def _plain(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _source_line(citation: Citation) -> str:
    """``Title (Outlet, 2026-03-03)`` for a citation, leaving out what the article does not give."""
    where = ", ".join(x for x in (citation.outlet, str(citation.published_at or "")) if x)
    return citation.title + (f" ({where})" if where else "")


def _quote_line(citation: Citation, where: str) -> Text:
    """``    “quote”  id @start-end``, the id dimmed."""
    return Text.assemble(f"    “{citation.quote}”  ", (f"{where} @{citation.start}-{citation.end}", "dim"))


def _check_backend(backend: str | None) -> None:
    if backend not in (None, "local", "openai"):
        raise fail("--backend must be 'local' or 'openai'", code=2)


def fail(message: str, code: int = 1) -> typer.Exit:
    err_console.print(Text.assemble(("error:", "red"), " ", message))
    return typer.Exit(code)


class _PagesPerSecond(ProgressColumn):
    """The ingest rate, in pages (items) per second."""

    def render(self, task: Task) -> Text:
        return Text(f"{task.speed:.1f} pages/s" if task.speed else "– pages/s", style="progress.data.speed")


@app.command()
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
                console.print(Text(f"  recovered: finished the interrupted write of {article_id}"))
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


@app.command()
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


@app.command()
def articles(data_dir: DataDir = None, as_json: JsonFlag = False) -> None:
    """List the indexed articles."""
    store = Services(build_settings(data_dir)).store
    found = store.list_articles()
    if as_json:
        print_json([a.model_dump(mode="json", exclude={"body"}) for a in found])
        return
    table = Table("id", "title", "outlet", "published", "note")
    for a in found:
        note = f"reprint of {a.duplicate_of}" if a.duplicate_of else ""
        table.add_row(Text(a.id), Text(a.title), Text(a.outlet or ""), str(a.published_at or ""), Text(note))
    console.print(table)


@app.command()
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


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="The question.")],
    since: Since = None,
    until: Until = None,
    outlet: Outlet = None,
    backend: Backend = None,
    data_dir: DataDir = None,
    as_json: JsonFlag = False,
) -> None:
    """Answer a question from the indexed articles; every sentence cites a checkable quote."""
    from rag.answer import Answerer, AskOptions
    from rag.llm import LLMError
    from rag.model_files import ModelFileError

    _check_backend(backend)
    services = Services(build_settings(data_dir, backend=backend))
    filters = SearchFilters(since=since.date() if since else None, until=until.date() if until else None,
                            outlets=outlet or [])
    try:
        answerer = Answerer.from_services(services)
        printer = None if as_json else (lambda sentence, _: console.print(
            Text.assemble(sentence.text, " ", ("".join(f"[{n}]" for n in sentence.citations), "cyan"))))
        options = AskOptions(filters=filters, k=services.settings.top_k, max_tokens=services.settings.llm_max_tokens)
        answer = answerer.ask(question, options, on_sentence=printer)
    except (LLMError, ModelFileError, ValueError) as exc:
        raise fail(str(exc)) from exc
    if as_json:
        print_json(answer)
        return
    if answer.refused:
        console.print(Text(answer.text))
        if answer.related:
            console.print("\n[dim]Related passages, not an answer:[/dim]")
            for citation in answer.related:
                console.print(Text(f"  “{citation.quote}” — {_source_line(citation)}"))
        return
    console.print()
    for number, citation in answer.citations.items():
        console.print(Text.assemble((f"[{number}]", "cyan"), " ", _source_line(citation)))
        console.print(_quote_line(citation, citation.chunk_id))


@app.command()
def check(
    claim: Annotated[str, typer.Argument(help="The statement to fact-check against the indexed articles.")],
    backend: Backend = None,
    data_dir: DataDir = None,
    as_json: JsonFlag = False,
) -> None:
    """Fact-check a claim: supported, contradicted (a source says otherwise) or not_in_sources, with the quotes."""
    from rag.factcheck import check_claim
    from rag.llm import LLMError
    from rag.model_files import ModelFileError

    _check_backend(backend)
    services = Services(build_settings(data_dir, backend=backend))
    try:
        verdict = check_claim(claim, services)
    except (LLMError, ModelFileError, ValueError) as exc:
        raise fail(str(exc)) from exc
    if as_json:
        print_json({"verdict": verdict.verdict, "citations": verdict.citations, "reason": verdict.reason})
        return
    colour = {"supported": "green", "contradicted": "red", "not_in_sources": "yellow"}[verdict.verdict]
    console.print(Text.assemble((verdict.verdict, colour), f": {verdict.reason}"))
    label = "closest passages, not evidence" if verdict.verdict == "not_in_sources" else "source"
    for citation in verdict.citations:
        console.print(Text.assemble("  ", (f"{label}:", "dim"), " ", _source_line(citation)))
        console.print(_quote_line(citation, citation.article_id))


def _register_commands() -> None:
    """Commands that live beside their subsystem (imported here so ``rag --help`` lists them all)."""
    from evals.cli import eval_command
    from rag.bench.cli import bench_command
    from rag.cli_brief import register as register_brief
    from rag.cli_doctor import doctor_command
    from rag.cli_load import load_command
    from rag.cli_serve import serve_command

    app.command("eval")(eval_command)
    app.command("doctor")(doctor_command)
    app.command("serve")(serve_command)
    app.command("bench")(bench_command)
    app.command("load")(load_command)
    register_brief(app)


_register_commands()
