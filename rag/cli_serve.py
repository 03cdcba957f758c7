"""``rag serve``: the HTTP API, the OpenAI-compatible facade and the web page, under uvicorn."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def serve_command(
    host: Annotated[str, typer.Option(help="Interface to listen on (0.0.0.0 for every interface).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes; each loads its own model. With more than "
                                         "one, several share the database (set RAG_DATABASE_URL for PostgreSQL).")] = 1,
    data_dir: Annotated[Path | None, typer.Option("--data-dir", help="Data directory (default: RAG_DATA_DIR or .rag).")]
    = None,
) -> None:
    """Serve the API and the chat page (open http://HOST:PORT/)."""
    import os

    import uvicorn

    if data_dir is not None:
        os.environ["RAG_DATA_DIR"] = str(data_dir)  # the factory builds Settings in each worker from the environment
    uvicorn.run("api.app:app_from_environment", factory=True, host=host, port=port, workers=workers,
                log_level="info", timeout_graceful_shutdown=10)
