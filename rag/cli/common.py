"""What every ``rag`` sub-command shares: the consoles, common options, settings, JSON output and errors.

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
from rich.text import Text

from rag.settings import Settings
from rag.types import Citation

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
        text = json.dumps(plain(value), indent=2, ensure_ascii=False)
    sys.stdout.write(text + "\n")


def plain(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def source_line(citation: Citation) -> str:
    """``Title (Outlet, 2026-03-03)`` for a citation, leaving out what the article does not give."""
    where = ", ".join(x for x in (citation.outlet, str(citation.published_at or "")) if x)
    return citation.title + (f" ({where})" if where else "")


def quote_line(citation: Citation, where: str) -> Text:
    """``    “quote”  id @start-end``, the id dimmed."""
    return Text.assemble(f"    “{citation.quote}”  ", (f"{where} @{citation.start}-{citation.end}", "dim"))


def check_backend(backend: str | None) -> None:
    if backend not in (None, "local", "openai"):
        raise fail("--backend must be 'local' or 'openai'", code=2)


def fail(message: str, code: int = 1) -> typer.Exit:
    err_console.print(Text.assemble(("error:", "red"), " ", message))
    return typer.Exit(code)


