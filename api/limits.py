"""Limits on what a client may send: body size (413), text lengths (422) and request rate (429).

The two middlewares are plain ASGI, so they see every request before FastAPI parses anything, streamed
responses included.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import TooLong, send_error
from rag.settings import Settings


def check_length(what: str, text: str, limit: int, setting: str) -> None:
    """Raise :class:`TooLong` when ``text`` is over ``limit`` characters."""
    if len(text) > limit:
        raise TooLong(f"the {what} is {len(text):,} characters long; the limit is {limit:,} ({setting})")


def check_question(settings: Settings, text: str, what: str = "question") -> None:
    """A question, claim or search query against ``Settings.max_question_chars``."""
    check_length(what, text, settings.max_question_chars, "RAG_MAX_QUESTION_CHARS")


class BodyLimit:
    """Reject a request body over ``max_bytes`` with 413, whether it declares a Content-Length or is chunked.

    The body is read here, counted as it arrives, before the application runs: a body over the limit is never
    held whole and the application never sees it. A body within the limit is replayed to the application.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _header(scope, b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._reject(scope, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return  # the client left before sending its whole body
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._reject(scope, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body: list[Message] = [{"type": "http.request", "body": b"".join(chunks), "more_body": False}]

        async def replay() -> Message:
            # The body once, then the real channel (a streamed response listens on it for the client leaving).
            return body.pop() if body else await receive()

        await self.app(scope, replay, send)

    async def _reject(self, scope: Scope, send: Send) -> None:
        await send_error(scope, send, 413, f"the request body is over the limit of {self.max_bytes:,} bytes "
                                           "(RAG_MAX_REQUEST_BYTES)", {"connection": "close"})


class TokenBuckets:
    """A token bucket per client: ``burst`` requests at once, refilled at ``per_minute``."""

    MAX_CLIENTS = 10_000

    def __init__(self, per_minute: int, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = per_minute / 60
        self.burst = float(burst)
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}

    def wait(self, client: str) -> float:
        """0 if ``client`` has a token left, else the seconds until it will; nothing is spent."""
        now = self._clock()
        tokens, then = self._buckets.get(client, (self.burst, now))
        tokens = min(self.burst, tokens + (now - then) * self.rate)
        return 0.0 if tokens >= 1 else (1 - tokens) / self.rate

    def take(self, client: str) -> float:
        """0 if ``client`` may go ahead (a token is spent), else the seconds until it may."""
        now = self._clock()
        tokens, then = self._buckets.get(client, (self.burst, now))
        tokens = min(self.burst, tokens + (now - then) * self.rate)
        if tokens >= 1:
            self._buckets[client] = (tokens - 1, now)
            return 0.0
        self._buckets[client] = (tokens, now)
        if len(self._buckets) > self.MAX_CLIENTS:
            self._forget_full(now)
        return (1 - tokens) / self.rate

    def _forget_full(self, now: float) -> None:
        """Drop the buckets that have refilled: forgetting them changes nothing, and memory stays bounded."""
        for client, (tokens, then) in list(self._buckets.items()):
            if tokens + (now - then) * self.rate >= self.burst:
                del self._buckets[client]


class RateLimit:
    """429 with ``Retry-After`` for a client over its rate: per API key (as ``api.auth`` names it), else per address.

    Paths in ``open_paths`` (health and the page's files) are not counted.
    """

    def __init__(self, app: ASGIApp, buckets: TokenBuckets, open_paths: frozenset[str]) -> None:
        self.app = app
        self.buckets = buckets
        self.open_paths = open_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] not in self.open_paths:
            wait = self.buckets.take(scope.get("rag.client") or address(scope))
            if wait > 0:
                await send_too_many(scope, send, self.buckets, wait)
                return
        await self.app(scope, receive, send)


def address(scope: Scope) -> str:
    """The rate-limit name of the client's address (``address 127.0.0.1``)."""
    return f"address {(scope.get('client') or ('unknown',))[0]}"


async def send_too_many(scope: Scope, send: Send, buckets: TokenBuckets, wait: float) -> None:
    """429 with ``Retry-After``: the client may try again in ``wait`` seconds (rounded up)."""
    seconds = max(1, math.ceil(wait))
    await send_error(scope, send, 429, f"too many requests: this server allows {buckets.rate * 60:g} a minute per "
                                       f"client (RAG_RATE_LIMIT_PER_MINUTE); try again in {seconds} s",
                     {"retry-after": str(seconds)})


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key.lower() == name:
            return bytes(value).decode("latin-1").strip()
    return None
