"""API keys: when ``RAG_API_KEYS`` is set, every request but health and the page's own files needs one.

A key is sent as ``Authorization: Bearer KEY`` or ``X-API-Key: KEY``. Keys are compared as SHA-256 digests with
:func:`hmac.compare_digest` against every configured key, so neither the time taken nor an early exit tells a
caller how much of a key it guessed. A key never appears in a response or a log line: requests are logged by
the key's position in the list ("key 2"). Refused requests are logged per address, at most a line a minute
(:class:`RefusalLog`), so guessing keys cannot fill the log.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from fastapi import FastAPI
from pydantic import SecretStr
from starlette.types import ASGIApp, Receive, Scope, Send

from api.errors import send_error
from api.limits import TokenBuckets, address, send_too_many

log = logging.getLogger("api.auth")

MISSING = "this API needs a key: send it as 'Authorization: Bearer KEY' or 'X-API-Key: KEY'"
INVALID = "the API key is not valid"
LOG_EVERY_S = 60.0
"""How often, at most, a line is logged for the requests refused from one address."""
OVER_RATE = "over the rate limit after refused keys"

Schedule = Callable[[float, Callable[[], None]], object]
"""Call a function after some seconds (``loop.call_later``); tests pass one they run by hand."""


def _later(delay: float, callback: Callable[[], None]) -> object:
    return asyncio.get_running_loop().call_later(delay, callback)


class RefusalLog:
    """Log the first refused request from an address at once, then one line a minute with the count since.

    Without it, a client guessing keys writes a warning per guess for as long as it keeps trying. A line is written
    at the end of each minute that had refusals (none for a quiet one), so a burst that stops is still counted.
    """

    def __init__(self, every_s: float = LOG_EVERY_S, schedule: Schedule = _later) -> None:
        self.every_s = every_s
        self._schedule = schedule
        self._open: dict[str, Counter[str]] = {}
        """Address → its refusals by reason not yet logged, while the minute since its last line runs."""

    def refused(self, scope: Scope, reason: str) -> None:
        """Count a refused request; log it now unless a line for its address was written in the last minute."""
        host = (scope.get("client") or ("unknown",))[0]
        unlogged = self._open.get(host)
        if unlogged is not None:
            unlogged[reason] += 1
            return
        log.warning("refused %s %s from %s: %s", scope["method"], scope["path"], host, reason)
        self._start_minute(host)

    def _close(self, host: str) -> None:
        """At the end of an address's minute: a line with what it had refused, and another minute if any."""
        unlogged = self._open.pop(host, None)
        if not unlogged:
            return
        counts = ", ".join(f"{number} {reason}" for reason, number in unlogged.most_common())
        log.warning("refused %d more requests from %s in the last %g s (%s); one line a minute per address while "
                    "it goes on", sum(unlogged.values()), host, self.every_s, counts)
        self._start_minute(host)

    def _start_minute(self, host: str) -> None:
        self._open[host] = Counter()
        self._schedule(self.every_s, lambda: self._close(host))


class RequireApiKey:
    """Answer 401 (with ``WWW-Authenticate: Bearer``) unless the request carries one of ``keys``.

    Sets ``scope["rag.client"]`` to the key's name (``key N``), which the rate limit counts by. With ``buckets`` (the
    rate limit's), every refused request spends a token of its address, and an address out of tokens gets 429
    before its key is even looked at: guessing keys is held to the rate limit, and a 429 tells nothing about a guess.
    Refusals, 401 or 429, are logged through ``refusals``: per address, at most a line a minute.
    """

    def __init__(self, app: ASGIApp, keys: Sequence[SecretStr], open_paths: frozenset[str],
                 buckets: TokenBuckets | None = None, refusals: RefusalLog | None = None) -> None:
        self.app = app
        self.open_paths = open_paths
        self.buckets = buckets
        self.refusals = refusals or RefusalLog()
        self._digests = [_digest(key.get_secret_value()) for key in keys]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self._digests or scope["path"] in self.open_paths:
            await self.app(scope, receive, send)
            return
        if self.buckets is not None and (wait := self.buckets.wait(address(scope))) > 0:
            self.refusals.refused(scope, OVER_RATE)
            await send_too_many(scope, send, self.buckets, wait)
            return
        presented = presented_key(scope)
        number = self.match(presented) if presented is not None else None
        if number is None:
            if self.buckets is not None:
                self.buckets.take(address(scope))
            reason = MISSING if presented is None else INVALID
            self.refusals.refused(scope, "no API key" if presented is None else "wrong API key")
            challenge = 'Bearer realm="conflict-rag"' + ("" if presented is None else ', error="invalid_token"')
            await send_error(scope, send, 401, reason, {"www-authenticate": challenge},
                             "missing_api_key" if presented is None else "invalid_api_key")
            return
        scope["rag.client"] = f"key {number}"
        await self.app(scope, receive, send)

    def match(self, presented: str) -> int | None:
        """The 1-based position of the matching key, or ``None``; every key is compared, whatever matches."""
        digest = _digest(presented)
        found = None
        for number, expected in enumerate(self._digests, start=1):
            if hmac.compare_digest(digest, expected) and found is None:
                found = number
        return found


def document_keys(app: FastAPI, open_paths: frozenset[str]) -> None:
    """Declare the two ways to send a key in the OpenAPI schema (clients and ``/docs`` then offer them)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = build()  # FastAPI keeps it as app.openapi_schema: extended once, in place
            schema.setdefault("components", {})["securitySchemes"] = {
                "bearer": {"type": "http", "scheme": "bearer"},
                "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
            }
            schema["security"] = [{"bearer": []}, {"apiKey": []}]
            for path, operations in schema.get("paths", {}).items():
                if path in open_paths:
                    for operation in operations.values():
                        operation["security"] = []
        return build()

    app.openapi = openapi  # type: ignore[method-assign]


def presented_key(scope: Scope) -> str | None:
    """The key from ``Authorization: Bearer`` or ``X-API-Key``; ``None`` when neither header is there."""
    headers = {bytes(k).lower(): bytes(v).decode("latin-1").strip() for k, v in scope["headers"]}
    authorization = headers.get(b"authorization", "")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return headers.get(b"x-api-key") or None


def _digest(key: str) -> bytes:
    return hashlib.sha256(key.encode("utf-8", "surrogateescape")).digest()
