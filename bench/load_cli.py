"""``rag load``: concurrent chat users against a running ``rag serve``, for a bounded time, with the figures printed."""

from __future__ import annotations

import sys
from typing import Annotated

import typer


def load_command(
    url: Annotated[str, typer.Option(help="The running service, e.g. http://127.0.0.1:8000.")] = "http://127.0.0.1:8000",
    users: Annotated[int, typer.Option(min=1, max=500, help="Concurrent chat users.")] = 20,
    duration: Annotated[float, typer.Option(min=1, max=3600, help="Seconds to run; open requests are then cancelled.")]
    = 60.0,
    key: Annotated[str | None, typer.Option(help="API key (default: the first of RAG_API_KEYS, if set).",
                                            show_default=False)] = None,
    question: Annotated[list[str] | None, typer.Option("--question", help="A question to ask (repeatable; default: "
                                                       "the seed golden set's answerable questions).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")] = False,
) -> None:
    """Load the chat API: p50/p95 latency, throughput, statuses, rejected share, queue depth, unexpected 5xx.

    Exits 1 when any unexpected server error (a 5xx other than a full queue's 503 or a deadline's 504) was seen.
    """
    import asyncio

    from bench.load import render, run_load

    if key is None:
        from rag.settings import Settings

        keys = Settings().api_keys
        key = keys[0].get_secret_value() if keys else None
    if not question:
        from bench.run import seed_questions

        question = seed_questions(1000)
    result = asyncio.run(run_load(url, question, users=users, duration_s=duration, key=key))
    sys.stdout.write(result.model_dump_json(indent=2) + "\n" if as_json else render(result))
    if result.unexpected_5xx:
        raise typer.Exit(1)
