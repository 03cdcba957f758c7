"""``rag brief`` (make a briefing, or the day's briefing with ``--daily``) and ``rag briefings [show ID]``."""

from __future__ import annotations

import datetime as dt
import os
import re
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from rag.briefing import (
    Briefing,
    BriefingError,
    BriefingOptions,
    generate_briefing,
    render_html,
    render_json,
    render_markdown,
    resume_briefing,
)
from rag.services import Services
from rag.settings import Settings

console = Console()
err = Console(stderr=True)
FORMATS = ("md", "html", "json")


def parse_since(value: str | None, now: dt.datetime) -> tuple[dt.date | None, bool]:
    """``DATE`` (YYYY-MM-DD), ``24h``/``Nh``, ``7d``/``Nd`` or ``last`` → (first day, since the last briefing)."""
    if value is None:
        return None, False
    text = value.strip().lower()
    if text == "last":
        return None, True
    relative = re.fullmatch(r"(\d+)\s*([hd])", text)
    if relative:
        amount = int(relative.group(1))
        delta = dt.timedelta(hours=amount) if relative.group(2) == "h" else dt.timedelta(days=amount)
        return (now - delta).date(), False
    try:
        return dt.date.fromisoformat(text), False
    except ValueError:
        raise typer.BadParameter(f"{value!r}: use a date (YYYY-MM-DD), 24h, 7d or last", param_hint="--since") from None


def render(briefing: Briefing, fmt: str) -> str:
    return {"md": render_markdown, "html": render_html, "json": render_json}[fmt](briefing)


def _settings(data_dir: Path | None, backend: str | None) -> Settings:
    values: dict[str, object] = {}
    if data_dir is not None:
        values["data_dir"] = data_dir
    if backend is not None:
        values["backend"] = backend
    return Settings(**values)  # type: ignore[arg-type]


def _write_atomic(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def daily_paths(folder: Path, day: dt.date) -> dict[str, Path]:
    return {fmt: folder / f"briefing-{day.isoformat()}.{fmt}" for fmt in FORMATS}


def write_daily(services: Services, folder: Path, options: BriefingOptions) -> tuple[dict[str, Path], Briefing | None]:
    """The day's briefing as md + html + json in ``folder``; nothing is done when the day's JSON exists."""
    day = (options.as_of or dt.datetime.now(dt.UTC)).date()
    paths = daily_paths(folder, day)
    if paths["json"].is_file():
        return paths, None
    folder.mkdir(parents=True, exist_ok=True)
    briefing = generate_briefing(services, options)
    for fmt in ("md", "html", "json"):  # JSON last: its presence marks the day as done
        _write_atomic(paths[fmt], render(briefing, fmt))
    return paths, briefing


def brief_command(
    since: Annotated[str | None, typer.Option(help="YYYY-MM-DD, 24h, 7d, or 'last' (where the last briefing ended).")] = None,
    until: Annotated[dt.datetime | None, typer.Option(formats=["%Y-%m-%d"], help="Last day of the window.")] = None,
    topic: Annotated[str | None, typer.Option(help="Only storylines about this.")] = None,
    max_words: Annotated[int, typer.Option("--max-words", min=80, max=5000, help="Word budget of the sections.")] = 600,
    fmt: Annotated[str, typer.Option("--format", help="md | html | json")] = "md",
    out: Annotated[Path | None, typer.Option(help="Write the briefing here instead of printing it.")] = None,
    daily: Annotated[bool, typer.Option("--daily", help="Write today's briefing (md + html + json) into --dir, once.")] = False,
    folder: Annotated[Path | None, typer.Option("--dir", help="Folder for --daily.")] = None,
    resume: Annotated[str | None, typer.Option("--resume", help="Finish run RUN_ID from its saved stages.")] = None,
    backend: Annotated[str | None, typer.Option(help="local | openai")] = None,
    data_dir: Annotated[Path | None, typer.Option("--data-dir", help="Data directory (default: RAG_DATA_DIR or .rag).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the Briefing object as JSON.")] = False,
) -> None:
    """Write a sourced situation briefing over the articles in a window; every sentence cited and verified."""
    from rag.models.files import ModelFileError
    from rag.models.llm import LLMError

    if fmt not in FORMATS:
        raise typer.BadParameter("use md, html or json", param_hint="--format")
    if backend not in (None, "local", "openai"):
        raise typer.BadParameter("use local or openai", param_hint="--backend")
    if daily and folder is None:
        raise typer.BadParameter("--daily needs --dir DIR", param_hint="--dir")
    now = dt.datetime.now(dt.UTC)
    first_day, since_last = parse_since(since, now)
    options = BriefingOptions(since=first_day, since_last=since_last or (daily and since is None),
                              until=until.date() if until else None, topic=topic, max_words=max_words, as_of=now)
    services = Services(_settings(data_dir, backend))
    try:
        if daily:
            assert folder is not None
            paths, made = write_daily(services, folder, options)
            if as_json:
                sys.stdout.write(render_json(made) + "\n" if made else '{"written": false}\n')
            else:
                console.print(Text(("wrote " if made else "already written today: ") + ", ".join(str(p) for p in paths.values())))
            return
        briefing = resume_briefing(services, resume) if resume else generate_briefing(services, options)
    except (BriefingError, LLMError, ModelFileError) as exc:
        err.print(Text.assemble(("error:", "red"), f" {exc}"))
        raise typer.Exit(1) from None
    text = render(briefing, "json" if as_json else fmt)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        _write_atomic(out, text)
        err.print(Text(f"wrote {out} ({briefing.id}, run {briefing.run_id})"))
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")


def briefings_command(
    action: Annotated[str | None, typer.Argument(help="'show' to print one briefing.")] = None,
    briefing_id: Annotated[str | None, typer.Argument(help="The briefing id (with 'show').")] = None,
    fmt: Annotated[str, typer.Option("--format", help="md | html | json (with 'show')")] = "md",
    data_dir: Annotated[Path | None, typer.Option("--data-dir", help="Data directory (default: RAG_DATA_DIR or .rag).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List stored briefings (newest first), or ``show ID`` one of them."""
    database = Services(_settings(data_dir, None)).database
    if action is None:
        records = database.list_briefings()
        if as_json:
            rows = [{"id": r.id, "title": r.title, "as_of": r.as_of.isoformat(), "window_start": r.window_start.isoformat(),
                     "window_end": r.window_end.isoformat() if r.window_end else None,
                     "created_at": r.created_at.isoformat()} for r in records]
            import json

            sys.stdout.write(json.dumps(rows, indent=2) + "\n")
            return
        table = Table("id", "title", "window", "created")
        for r in records:
            table.add_row(Text(r.id), Text(r.title), f"{r.window_start} – {r.window_end or ''}", f"{r.created_at:%Y-%m-%d %H:%M}")
        console.print(table if records else "no briefings yet (rag brief)")
        return
    if action != "show" or briefing_id is None:
        raise typer.BadParameter("use 'rag briefings' or 'rag briefings show ID'", param_hint="ACTION")
    if fmt not in FORMATS:
        raise typer.BadParameter("use md, html or json", param_hint="--format")
    record = database.get_briefing(briefing_id)
    if record is None:
        err.print(Text.assemble(("error:", "red"), f" no briefing with id {briefing_id!r}"))
        raise typer.Exit(1)
    chosen = "json" if as_json else fmt
    text = {"md": record.markdown, "html": record.html, "json": record.payload_json}[chosen]
    sys.stdout.write(text if text.endswith("\n") else text + "\n")


def register(app: typer.Typer) -> None:
    app.command("brief")(brief_command)
    app.command("briefings")(briefings_command)
