"""``rag serve``: the HTTP API, the OpenAI-compatible facade and the web page, under uvicorn."""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from pydantic import ValidationError

from rag.cli.common import fail
from rag.settings import Settings

NO_KEYS = ("refusing to listen on {host} without API keys: anyone who can reach this port could use the API. "
           "Set RAG_API_KEYS to one or more comma-separated keys of at least 16 characters, e.g. "
           "export RAG_API_KEYS=$(python -c 'import secrets; print(secrets.token_urlsafe(32))'), "
           "or listen on 127.0.0.1 only.")
ON_DISK_WORKERS = ("refusing to start {workers} workers on the on-disk index at {path}: Chroma's on-disk client is not "
                   "safe across processes (each worker would keep a stale copy of the index). Run one worker, or serve "
                   "the index from a Chroma server (chroma run --path DIR, then RAG_CHROMA_URL=http://HOST:PORT) and, "
                   "for conversations shared by the workers, RAG_DATABASE_URL=postgresql+psycopg://...")
WORKER_HEALTHCHECK_S = 60
"""How long uvicorn's supervisor waits for a worker to answer its ping before killing and restarting it. Its default
(5 s) killed workers still loading the embedder and spaCy on a busy 2-core machine, and could kill one in the middle
of a request: a worker that is slow is not a worker that is dead."""


def is_loopback(host: str) -> bool:
    """Whether ``host`` only accepts connections from this machine (``0.0.0.0`` and ``::`` accept every one)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name other than localhost may resolve to any interface


def serve_command(
    host: Annotated[str, typer.Option(help="Interface to listen on (0.0.0.0 for every interface; needs "
                                      "RAG_API_KEYS).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes; each loads its own model. More than one "
                                         "needs a Chroma server (RAG_CHROMA_URL) and shares the database "
                                         "(RAG_DATABASE_URL for PostgreSQL).")] = 1,
    data_dir: Annotated[Path | None, typer.Option("--data-dir", help="Data directory (default: RAG_DATA_DIR or .rag).")]
    = None,
) -> None:
    """Serve the API and the chat page (open http://HOST:PORT/)."""
    if data_dir is not None:
        os.environ["RAG_DATA_DIR"] = str(data_dir)  # the factory builds Settings in each worker from the environment
    try:
        settings = Settings()
    except ValidationError as exc:  # the message only: a rejected value may be a key
        problems = "; ".join(_problem(error["loc"], error["msg"]) for error in exc.errors())
        raise fail(f"invalid settings: {problems}", code=2) from None
    if not settings.api_keys and not is_loopback(host):
        raise fail(NO_KEYS.format(host=host), code=2)
    if workers > 1 and not settings.chroma_url:
        raise fail(ON_DISK_WORKERS.format(workers=workers, path=settings.chroma_dir), code=2)
    uvicorn.run("api.app:app_from_environment", factory=True, host=host, port=port, workers=workers,
                log_level="info", timeout_graceful_shutdown=10, timeout_worker_healthcheck=WORKER_HEALTHCHECK_S)


def _problem(loc: tuple[int | str, ...], message: str) -> str:
    name = ".".join(map(str, loc)).upper()
    return f"{name if name.startswith('RAG_') else 'RAG_' + name}: {message.removeprefix('Value error, ')}"
