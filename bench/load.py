"""Load a running service: concurrent chat users for a bounded time; latency, throughput, rejections, queue depth.

Each user asks ``POST /v1/chat`` (streamed), waits for the final ``answer`` event, and asks the next question at
once; a 503 or 429 with ``Retry-After`` makes it wait that long first, as a polite client does. A poller reads
``GET /v1/queue`` to see how deep the model's queue gets. When the time is up every request still open is
cancelled (the server stops its work when the client leaves) and counted as unfinished.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
from pydantic import BaseModel

from bench.measure import percentile_ms
from rag.sse_events import EventDecoder


class LoadResult(BaseModel):
    """What ``rag load`` prints (``--json``: this model)."""

    url: str
    users: int
    duration_s: float
    """Measured wall time, from the first request to the cancellation of the last."""
    requests: int
    """Requests that got an outcome (a status, an error event, or a connection error)."""
    statuses: dict[str, int]
    """``"200"`` (answered), a status code (``"503"``), ``"stream 504"`` (an error event after the stream began),
    ``"error: ConnectError"``; unfinished requests are not in it."""
    answered: int
    answers_per_s: float
    requests_per_s: float
    latency_p50_ms: float | None
    """Request sent → whole verified answer received, over answered requests (queue wait included)."""
    latency_p95_ms: float | None
    latency_max_ms: float | None
    first_sentence_p50_ms: float | None
    rejected: int
    """Turned away at once: 503 with ``Retry-After`` (queue full) and 429 (rate limit)."""
    rejected_share: float
    deadline_504: int
    """Answers cut at the server's deadline (``RAG_REQUEST_DEADLINE_S``)."""
    unexpected_5xx: int
    """Server errors other than queue rejections and deadlines: these should never happen."""
    connection_errors: int
    unfinished: int
    """Requests still waiting or streaming when the time ran out (cancelled)."""
    queue_bound: int | None
    """The server's ``max_waiting``."""
    queue_peak_seen: int | None
    """The most requests seen waiting for the model by polling ``GET /v1/queue`` every 0.25 s."""
    queue_peak_server: int | None
    """The server's own count of the most requests that ever waited (since it started)."""


@dataclass
class Outcome:
    status: str
    started: float
    ended: float
    first_sentence: float | None = None
    retry_after: float | None = None


@dataclass
class _Tally:
    outcomes: list[Outcome] = field(default_factory=list)
    in_flight: int = 0
    queue_peak: int | None = None


async def run_load(url: str, questions: Sequence[str], users: int = 20, duration_s: float = 60.0,
                   key: str | None = None, request_timeout_s: float = 600.0) -> LoadResult:
    """Run ``users`` chat users against the service at ``url`` for ``duration_s`` seconds."""
    if not questions:
        raise ValueError("no questions to ask")
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    limits = httpx.Limits(max_connections=users + 4, max_keepalive_connections=users + 4)
    timeout = httpx.Timeout(request_timeout_s, connect=10.0)
    tally = _Tally()
    async with httpx.AsyncClient(base_url=url.rstrip("/"), headers=headers, limits=limits, timeout=timeout) as client:
        started = time.perf_counter()
        tasks = [asyncio.create_task(_user(n, users, client, questions, tally)) for n in range(users)]
        poller = asyncio.create_task(_poll_queue(client, tally))
        await asyncio.sleep(duration_s)
        unfinished = tally.in_flight
        for task in [*tasks, poller]:
            task.cancel()
        await asyncio.gather(*tasks, poller, return_exceptions=True)
        elapsed = time.perf_counter() - started
        server = await _queue_status(client)
    return summarize(url, users, elapsed, tally, unfinished, server)


async def _user(number: int, users: int, client: httpx.AsyncClient, questions: Sequence[str], tally: _Tally) -> None:
    turn = number
    while True:
        question = questions[turn % len(questions)]
        turn += users
        tally.in_flight += 1
        try:
            outcome = await _chat(client, question)
        finally:
            tally.in_flight -= 1
        tally.outcomes.append(outcome)
        if outcome.retry_after:
            await asyncio.sleep(outcome.retry_after)


async def _chat(client: httpx.AsyncClient, question: str) -> Outcome:
    started = time.perf_counter()
    first: float | None = None
    try:
        async with client.stream("POST", "/v1/chat", json={"question": question}) as response:
            if response.status_code != 200:
                await response.aread()
                retry = response.headers.get("retry-after")
                return Outcome(str(response.status_code), started, time.perf_counter(),
                               retry_after=float(retry) if retry and retry.isdigit() else None)
            async for kind, data in _events(response.aiter_lines()):
                if kind == "sentence" and first is None:
                    first = time.perf_counter()
                elif kind == "answer":
                    return Outcome("200", started, time.perf_counter(), first)
                elif kind == "error":
                    status = data.get("status") if isinstance(data, dict) else None
                    retry = data.get("retry_after") if isinstance(data, dict) else None
                    return Outcome(f"stream {status}", started, time.perf_counter(), first,
                                   retry_after=float(retry) if isinstance(retry, int | float) else None)
            return Outcome("stream ended without an answer", started, time.perf_counter(), first)
    except httpx.HTTPError as exc:
        await asyncio.sleep(0.5)  # a refused connection must not spin
        return Outcome(f"error: {type(exc).__name__}", started, time.perf_counter())


async def _events(lines: AsyncIterator[str]) -> AsyncIterator[tuple[str, Any]]:
    """``(event, data)`` pairs of a Server-Sent Events body."""
    decoder = EventDecoder()
    async for raw in lines:
        if (event := decoder.feed(raw)) is not None:
            yield event


async def _poll_queue(client: httpx.AsyncClient, tally: _Tally) -> None:
    while True:
        status = await _queue_status(client)
        if status is not None:
            tally.queue_peak = max(tally.queue_peak or 0, int(status["waiting"]))
        await asyncio.sleep(0.25)


async def _queue_status(client: httpx.AsyncClient) -> dict[str, Any] | None:
    try:
        response = await client.get("/v1/queue", timeout=10)
    except httpx.HTTPError:
        return None
    body = response.json() if response.status_code == 200 else None
    return body if isinstance(body, dict) else None


def summarize(url: str, users: int, elapsed: float, tally: _Tally, unfinished: int,
              server: dict[str, Any] | None) -> LoadResult:
    """The figures from the outcomes (only those finished within the time)."""
    outcomes = tally.outcomes
    statuses = Counter(o.status for o in outcomes)
    answered = [o for o in outcomes if o.status == "200"]
    latencies = [o.ended - o.started for o in answered]
    firsts = [o.first_sentence - o.started for o in answered if o.first_sentence is not None]
    rejected = sum(1 for o in outcomes if (o.status == "503" and o.retry_after) or o.status == "429")
    deadline = statuses["504"] + statuses["stream 504"]
    # A 503 with a retry time is the queue saying no (at once, or in the stream once no time was left to start).
    unexpected = sum(1 for o in outcomes if _server_error(o.status)
                     and not (o.status in ("503", "stream 503") and o.retry_after)
                     and o.status not in ("504", "stream 504"))
    return LoadResult(
        url=url, users=users, duration_s=round(elapsed, 1), requests=len(outcomes), statuses=dict(sorted(statuses.items())),
        answered=len(answered), answers_per_s=round(len(answered) / elapsed, 3),
        requests_per_s=round(len(outcomes) / elapsed, 3), latency_p50_ms=percentile(latencies, 50),
        latency_p95_ms=percentile(latencies, 95), latency_max_ms=percentile(latencies, 100),
        first_sentence_p50_ms=percentile(firsts, 50), rejected=rejected,
        rejected_share=round(rejected / len(outcomes), 3) if outcomes else 0.0, deadline_504=deadline,
        unexpected_5xx=unexpected, connection_errors=sum(n for s, n in statuses.items() if s.startswith("error:")),
        unfinished=unfinished, queue_bound=int(server["max_waiting"]) if server else None,
        queue_peak_seen=tally.queue_peak, queue_peak_server=int(server["peak_waiting"]) if server else None,
    )


def _server_error(status: str) -> bool:
    code = status.removeprefix("stream ")
    return code.isdigit() and int(code) >= 500


def percentile(seconds: Sequence[float], q: float) -> float | None:
    """The ``q``-th percentile in milliseconds, as ``rag bench`` computes it (``None`` for no values)."""
    return round(percentile_ms(seconds, q), 1) if seconds else None


def render(result: LoadResult) -> str:
    """The figures as a few lines of text."""
    def ms(value: float | None) -> str:
        return "–" if value is None else f"{value:,.0f} ms"

    statuses = ", ".join(f"{status} ×{count}" for status, count in result.statuses.items()) or "none"
    return "\n".join([
        f"rag load: {result.users} chat users for {result.duration_s:g} s against {result.url}",
        f"requests {result.requests} ({result.requests_per_s:.2f}/s); answered {result.answered} "
        f"({result.answers_per_s:.3f}/s); unfinished at the end {result.unfinished}",
        f"answer latency p50 {ms(result.latency_p50_ms)}, p95 {ms(result.latency_p95_ms)}, max "
        f"{ms(result.latency_max_ms)}; first sentence p50 {ms(result.first_sentence_p50_ms)}",
        f"statuses: {statuses}",
        f"rejected at once (503 queue full, 429 rate): {result.rejected} ({result.rejected_share:.1%}); "
        f"deadline 504s {result.deadline_504}; unexpected 5xx {result.unexpected_5xx}; "
        f"connection errors {result.connection_errors}",
        f"model queue: bound {result.queue_bound if result.queue_bound is not None else '?'}, most waiting seen "
        f"{result.queue_peak_seen if result.queue_peak_seen is not None else '?'} (server's own peak "
        f"{result.queue_peak_server if result.queue_peak_server is not None else '?'})",
    ]) + "\n"
