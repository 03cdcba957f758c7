"""Map failures to status codes with a sentence; a traceback or a server path never reaches a client.

Errors are ``{"detail": "..."}``, except on the OpenAI-compatible routes (:func:`speaks_openai`), whose clients
parse OpenAI's ``{"error": {"message", "type", "param", "code"}}`` (and raise ``openai.AuthenticationError``,
``openai.BadRequestError``, … from it).
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException
from starlette.types import Scope, Send

from api.queue import DeadlineExceeded, ModelBusy, QueueFull, WaitTooLong
from api.schemas import OpenAIError, OpenAIErrorResponse
from rag.db import ConversationNotFound
from rag.index.corpus import ArticleError
from rag.index.store import StoreBusyError
from rag.models.files import ModelFileError
from rag.models.llm import LLMError

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
    if isinstance(exc, ModelBusy):
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


OPENAI_PATHS = frozenset({"/v1/chat/completions", "/v1/models"})
_OPENAI_TYPES = {401: "authentication_error", 403: "permission_error", 429: "rate_limit_error"}
_OPENAI_CODES = {400: "invalid_request", 401: "invalid_api_key", 404: "not_found", 405: "method_not_allowed",
                 413: "request_too_large", 429: "rate_limit_exceeded", 500: "internal_error", 501: "not_implemented",
                 503: "service_unavailable", 504: "timeout"}


def speaks_openai(path: str) -> bool:
    """Whether ``path`` is an OpenAI-compatible route, whose errors take OpenAI's shape."""
    return path in OPENAI_PATHS or path.startswith("/v1/models/")


def error_code(exc: BaseException) -> str | None:
    """The OpenAI ``code`` slug for a failure more specific than its status says (``None``: the status's own)."""
    if isinstance(exc, QueueFull):
        return "queue_full"
    if isinstance(exc, WaitTooLong):
        return "queue_wait_too_long"
    if isinstance(exc, TooLong):
        return "string_above_max_length"
    if isinstance(exc, LLMError | ModelFileError):
        return "model_unavailable"
    return None


def openai_error(status: int, message: str, code: str | None = None, param: str | None = None) -> dict[str, Any]:
    """OpenAI's error body for ``status``: ``{"error": {"message", "type", "param", "code"}}``."""
    kind = _OPENAI_TYPES.get(status, "server_error" if status >= 500 else "invalid_request_error")
    error = OpenAIError(message=message, type=kind, param=param, code=code or _OPENAI_CODES.get(status))
    return OpenAIErrorResponse(error=error).model_dump()


def error_response(path: str, status: int, detail: str, code: str | None = None) -> tuple[int, dict[str, Any]]:
    """The status and body for a failure on ``path``.

    OpenAI's shape on its routes (where a 422 is a 400: OpenAI answers invalid input so), ``{"detail": ...}`` elsewhere.
    """
    if speaks_openai(path):
        status = 400 if status == 422 else status
        return status, openai_error(status, detail, code)
    return status, {"detail": detail}


def error_headers(exc: BaseException) -> dict[str, str]:
    """``Retry-After`` for a failure that says when to come back (the model busy for longer than the request can wait)."""
    retry_after = getattr(exc, "retry_after", None)
    return {"Retry-After": str(retry_after)} if isinstance(retry_after, int) else {}


async def _handle(request: Request, exc: Exception) -> JSONResponse:
    status, body = error_response(request.url.path, *status_and_detail(exc), error_code(exc))
    return JSONResponse(body, status_code=status, headers=error_headers(exc))


async def _invalid_request(request: Request, exc: Exception) -> Response:
    """FastAPI's 422 with its field list, but OpenAI's 400 on the OpenAI routes (the first problem, its field)."""
    assert isinstance(exc, RequestValidationError)
    if not speaks_openai(request.url.path):
        return await request_validation_exception_handler(request, exc)
    first: dict[str, Any] = next(iter(exc.errors()), {})
    where = [str(part) for part in first.get("loc", ())[1:]]  # ("body", "messages", 0, "role") → messages.0.role
    problem = str(first.get("msg", "invalid request"))
    message = f"{'.'.join(where)}: {problem}" if where else problem
    return JSONResponse(openai_error(400, message, "invalid_value", where[0] if where else None), 400)


async def _http_error(request: Request, exc: Exception) -> Response:
    """Starlette's own 404/405 (no such route, wrong method), in OpenAI's shape on the OpenAI routes."""
    assert isinstance(exc, HTTPException)
    if not speaks_openai(request.url.path):
        return await http_exception_handler(request, exc)
    status, body = error_response(request.url.path, exc.status_code, str(exc.detail))
    return JSONResponse(body, status_code=status, headers=exc.headers)


async def send_error(scope: Scope, send: Send, status: int, detail: str, headers: dict[str, str] | None = None,
                     code: str | None = None) -> None:
    """Answer an error from plain ASGI middleware (before FastAPI runs), shaped for the path (:func:`error_response`)."""
    status, payload = error_response(scope["path"], status, detail, code)
    body = json.dumps(payload).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw += [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


def install_error_handlers(app: FastAPI) -> None:
    for kind in (NotFound, ConversationNotFound, BadRequest, ArticleError, LLMError, ModelFileError, StoreBusyError,
                 NotImplementedError, TooLong, ModelBusy, DeadlineExceeded, Exception):
        app.add_exception_handler(kind, _handle)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(HTTPException, _http_error)
