"""Map failures to status codes with a sentence; a traceback never reaches a client."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from rag.corpus import ArticleError
from rag.db import ConversationNotFound
from rag.llm import LLMError
from rag.model_files import ModelFileError
from rag.store import StoreBusyError

log = logging.getLogger("api")


class NotFound(LookupError):
    """An id the client named does not exist; the message says which."""


class BadRequest(ValueError):
    """The request is well-formed but cannot be served; the message says why."""


def status_and_detail(exc: BaseException) -> tuple[int, str]:
    """The HTTP status and the client-facing sentence for an exception raised while serving a request."""
    if isinstance(exc, NotFound):
        return 404, str(exc)
    if isinstance(exc, ConversationNotFound):
        return 404, f"no conversation with id {exc}"
    if isinstance(exc, BadRequest | ArticleError):
        return 400, str(exc)
    if isinstance(exc, LLMError | ModelFileError):
        return 503, f"the model backend is unavailable: {exc}"
    if isinstance(exc, StoreBusyError):
        return 503, str(exc)
    if isinstance(exc, NotImplementedError):
        return 501, f"not available in this version: {exc}"
    log.error("unhandled error", exc_info=exc)
    return 500, "internal error; the server log has the details"


async def _handle(request: Request, exc: Exception) -> JSONResponse:
    status, detail = status_and_detail(exc)
    return JSONResponse({"detail": detail}, status_code=status)


def install_error_handlers(app: FastAPI) -> None:
    for kind in (NotFound, ConversationNotFound, BadRequest, ArticleError, LLMError, ModelFileError, StoreBusyError,
                 NotImplementedError, Exception):
        app.add_exception_handler(kind, _handle)
