"""``create_app``: the FastAPI application (API, OpenAI-compatible facade, web page) with its lifespan."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.responses import FileResponse, Response
from starlette.types import Scope

from api import openai_compat
from api.auth import RequireApiKey, document_keys
from api.deps import AppState
from api.errors import install_error_handlers
from api.limits import BodyLimit, RateLimit, TokenBuckets
from api.queue import ModelQueue
from api.routes import answers, articles, briefings, chat, health, search
from rag.answer.pipeline import answer_messages
from rag.models.llm import ChatModel
from rag.services import Services
from rag.settings import Settings, get_settings

STATIC = Path(__file__).resolve().parent / "static"
log = logging.getLogger("api")
PAGE_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-src 'self' blob:; "
               "object-src 'none'; base-uri 'none'; form-action 'self'")
"""The page loads only its own files: even text that escaped escaping could not run a script or load one. (``blob:``
frames are local copies of this server's briefings, fetched with the API key a frame could not send.)"""


class WebPage(StaticFiles):
    """The chat page's files, served with :data:`PAGE_POLICY`."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        response.headers.setdefault("Content-Security-Policy", PAGE_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        return response


def warm_up(state: AppState, load_model: bool = True) -> None:
    """Build the store, database, embedder, model and verifier's judge once; failures go to ``/readyz``."""
    services = state.services
    parts: list[tuple[str, Callable[[], object]]] = [("index", lambda: services.store), ("database", lambda: services.database),
                                       ("embedder", lambda: services.embedder)]
    if load_model:
        parts += [("model", lambda: prime_answers(services.chat)), ("judge", lambda: services.verifier.judge)]
    for name, build in parts:
        try:
            build()
        except Exception as exc:  # the service still starts; /readyz says why it is not ready
            state.problems[name] = f"unavailable: {exc}"
            log.error("%s failed to start: %s", name, exc)


def prime_answers(chat: ChatModel) -> None:
    """Evaluate the answer prompt's instructions and worked examples before the first question (a local model only)."""
    prime = getattr(chat, "prime", None)
    if prime is not None:
        prime(answer_messages("", [])[:-1])


def open_paths() -> frozenset[str]:
    """What anyone may fetch, key or not: liveness and the chat page's own files (the page holds no data)."""
    return frozenset({"/healthz", "/", "/favicon.ico"} | {f"/{file.name}" for file in STATIC.iterdir() if file.is_file()})


def favicon() -> FileResponse:
    """The page's icon where browsers look for it without a ``<link rel="icon">`` (the SVG the page names)."""
    return FileResponse(STATIC / "favicon.svg", media_type="image/svg+xml",
                        headers={"Cache-Control": "public, max-age=86400"})


BRIEFING_ANSWERS = 10
"""A briefing's model time in answers, until one has been timed (it writes and verifies several sections)."""


def model_queue(settings: Settings) -> ModelQueue:
    """The model's line, with the assumed time of each kind of work until it has been timed.

    One slot for the in-process model (not thread-safe); ``max_concurrent`` for a served one, which batches.
    """
    answer = settings.expected_answer_s
    slots = settings.max_concurrent if settings.backend == "openai" else 1
    return ModelQueue(settings.max_waiting, {"answer": answer, "check": answer, "briefing": BRIEFING_ANSWERS * answer},
                      slots=slots)


def create_app(settings: Settings | None = None, services: Services | None = None, load_model: bool = True) -> FastAPI:
    """The application; ``services`` (with fake embedder or model) replaces the one built from ``settings``."""
    services = services or Services(settings or get_settings())
    settings = services.settings
    state = AppState(services=services, model_queue=model_queue(settings))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await anyio.to_thread.run_sync(warm_up, state, load_model)
        yield
        if "database" in vars(services):
            services.database.close()

    app = FastAPI(
        title="conflict-rag",
        version="0.1.0",
        summary="Cited answers over conflict news: every sentence backed by an exact quote, or 'the sources don't say'.",
        lifespan=lifespan,
    )
    app.state.rag = state
    install_error_handlers(app)
    for module in (health, answers, search, articles, chat, briefings, openai_compat):
        app.include_router(module.router)
    app.add_api_route("/favicon.ico", favicon, methods=["GET"], include_in_schema=False)
    app.mount("/", WebPage(directory=STATIC, html=True), name="web")
    # Added innermost first: a request meets the key check, then the rate limit, then the body limit.
    app.add_middleware(BodyLimit, max_bytes=settings.max_request_bytes)
    buckets = None
    if settings.rate_limit_per_minute:
        buckets = TokenBuckets(settings.rate_limit_per_minute, settings.rate_limit_burst)
        app.add_middleware(RateLimit, buckets=buckets, open_paths=open_paths())
    if settings.api_keys:  # refused keys spend their address's tokens: guessing is rate-limited too
        app.add_middleware(RequireApiKey, keys=settings.api_keys, open_paths=open_paths(), buckets=buckets)
        document_keys(app, open_paths())
        log.info("API keys required on every route but %s (%d keys configured)", ", ".join(sorted(open_paths())),
                 len(settings.api_keys))
    return app


def app_from_environment() -> FastAPI:
    """The factory ``rag serve`` gives uvicorn: settings from ``RAG_*`` variables, built in each worker."""
    return create_app(Settings())
