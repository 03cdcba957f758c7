"""Map failures to status codes with a sentence; a traceback or a server path never reaches a client."""

from __future__ import annotations

import json
import logging
import re

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.types import Send

from api.queue import DeadlineExceeded, QueueFull
from rag.corpus import ArticleError
from rag.db import ConversationNotFound
from rag.llm import LLMError
from rag.model_files import ModelFileError
from rag.store import StoreBusyError

log = logging.getLogger("api")

BACKEND_DOWN = "the model backend is unavailable; try again later (the server log says why)"
_PATH = re.compile(r"(?<![\w:/.~-])(?:~|[A-Za-z]:)?((?:[/\\][\w.@+-]+){2,})[/\\]?")


class NotFound(LookupError):
    """An id the client named does not exist; the message says which."""


class BadRequest(ValueError):
    """The request is well-formed but cannot be served; the message says why."""


class TooLong(ValueError):
    """A text over its configured limit; the message names the limit and the setting that holds it (422)."""


def scrub_paths(text: str) -> str:
    """``text`` with each absolute file path cut to its last part (``/srv/rag/data`` → ``data``)."""
    return _PATH.sub(lambda m: re.split(r"[/\\]", m.group(1))[-1], text)


def status_and_detail(exc: BaseException) -> tuple[int, str]:
    """The HTTP status and the client-facing sentence for an exception raised while serving a request."""
    if isinstance(exc, NotFound):
        return 404, scrub_paths(str(exc))
    if isinstance(exc, ConversationNotFound):
        return 404, f"no conversation with id {exc}"
    if isinstance(exc, TooLong):
        return 422, str(exc)
    if isinstance(exc, BadRequest | ArticleError):
        return 400, scrub_paths(str(exc))
    if isinstance(exc, QueueFull):
        return 503, str(exc)
    if isinstance(exc, DeadlineExceeded):
        return 504, str(exc)
    if isinstance(exc, LLMError | ModelFileError):
        log.warning("model backend unavailable: %s", exc)
        return 503, BACKEND_DOWN
    if isinstance(exc, StoreBusyError):
        return 503, scrub_paths(str(exc))
    if isinstance(exc, NotImplementedError):
        return 501, f"not available in this version: {scrub_paths(str(exc))}"
    log.error("unhandled error", exc_info=exc)
    return 500, "internal error; the server log has the details"


def error_headers(exc: BaseException) -> dict[str, str]:
    """``Retry-After`` for a failure that says when to come back (a full model queue)."""
    retry_after = getattr(exc, "retry_after", None)
    return {"Retry-After": str(retry_after)} if isinstance(retry_after, int) else {}


async def _handle(request: Request, exc: Exception) -> JSONResponse:
    status, detail = status_and_detail(exc)
    return JSONResponse({"detail": detail}, status_code=status, headers=error_headers(exc))


async def send_error(send: Send, status: int, detail: str, headers: dict[str, str] | None = None) -> None:
    """Answer ``{"detail": ...}`` with ``status`` from plain ASGI middleware (before FastAPI runs)."""
    body = json.dumps({"detail": detail}).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw += [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


def install_error_handlers(app: FastAPI) -> None:
    for kind in (NotFound, ConversationNotFound, BadRequest, ArticleError, LLMError, ModelFileError, StoreBusyError,
                 NotImplementedError, TooLong, QueueFull, DeadlineExceeded, Exception):
        app.add_exception_handler(kind, _handle)
