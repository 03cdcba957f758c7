"""Run the answer pipeline for a request: in a worker thread, in the model's queue, stoppable by client or deadline."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncGenerator, Callable, Iterator, Sequence
from contextlib import aclosing
from dataclasses import dataclass, field
from typing import Any, TypeVar

import anyio
import anyio.to_thread
from sse_starlette import EventSourceResponse
from starlette.types import Receive, Scope, Send

from api.deps import AppState
from api.queue import DeadlineExceeded, ModelQueue, Ticket
from api.schemas import StageEvent
from rag.answer.pipeline import AnswerCancelled, Answerer, AskOptions, Turn
from rag.models.files import ModelFileError
from rag.models.llm import ChatModel, LLMError, Message
from rag.models.usage import MeteredModel, Usage, metering
from rag.services import Services
from rag.types import Answer, AnswerSentence, Citation, SearchFilters

T = TypeVar("T")


class CancellableModel:
    """A chat model that stops at the next streamed piece once ``cancelled()`` is true (the client went away).

    It also stops, with ``DeadlineExceeded``, once ``deadline`` (a :func:`time.monotonic` time) has passed.
    """

    def __init__(self, inner: ChatModel, cancelled: Callable[[], bool] | None = None, deadline: float | None = None,
                 deadline_s: float | None = None) -> None:
        self.inner = inner
        self.name = inner.name
        self._cancelled = cancelled
        self._deadline = deadline
        self._deadline_s = deadline_s

    def complete(self, messages: Sequence[Message], max_tokens: int = 256) -> str:
        return "".join(self.stream(messages, max_tokens))

    def stream(self, messages: Sequence[Message], max_tokens: int = 256) -> Iterator[str]:
        pieces = self.inner.stream(messages, max_tokens)
        try:
            for piece in pieces:
                if self._cancelled is not None and self._cancelled():
                    raise AnswerCancelled("the client went away")
                if self._deadline is not None and time.monotonic() > self._deadline:
                    raise DeadlineExceeded(self._deadline_s)
                yield piece
        finally:
            close = getattr(pieces, "close", None)
            if close is not None:
                close()


@dataclass
class AnswerRun:
    """What one answer needs: the services, the model's queue, the question and its context."""

    services: Services
    queue: ModelQueue
    question: str
    history: Sequence[Turn] = ()
    filters: SearchFilters | None = None
    ticket: Ticket | None = None
    """The place in the line reserved when the request was admitted (:func:`admit`); without one, ``ask`` waits
    for its own."""
    deadline: float | None = None
    """When the answer must be done (a :func:`time.monotonic` time); ``None``: no limit."""
    deadline_s: float | None = None
    usage: Usage = field(default_factory=Usage)
    """The tokens the model used for this answer (reader, rewrite, judge), set when :meth:`ask` returns."""

    def ask(self, on_sentence: Callable[[AnswerSentence, dict[int, Citation]], None] | None = None,
            cancelled: Callable[[], bool] | None = None, on_stage: Callable[[StageEvent], None] | None = None) -> Answer:
        """Answer synchronously (call it from a worker thread); one answer at a time per process.

        The in-process model is not thread-safe, and the verifier's judge shares it, so the whole answer holds
        the model's slot; other requests wait in its bounded line. ``on_stage`` hears the place in the line while
        waiting, then each stage of the answer.
        """
        services = self.services
        settings = services.settings

        def on_wait(ahead: int, wait: float) -> None:
            if on_stage is not None:
                on_stage(StageEvent(stage="queued", ahead=ahead, expected_wait_s=round(wait, 1)))

        def on_step(stage: str) -> None:
            if on_stage is not None:
                on_stage(StageEvent.model_validate({"stage": stage}))
        options = AskOptions(history=list(self.history), filters=self.filters or SearchFilters(), k=settings.top_k,
                             max_tokens=settings.llm_max_tokens, cancelled=cancelled, on_stage=on_step)
        with self.queue.slot(self.ticket, self.deadline_s, cancelled, on_wait), metering() as meter:
            try:
                load_chat(services)
                answerer = Answerer.from_services(services)
                answerer.chat = CancellableModel(MeteredModel(answerer.chat), cancelled, self.deadline, self.deadline_s)
                return answerer.ask(self.question, options, on_sentence=on_sentence)
            finally:
                self.usage = meter.total


def admit(state: AppState, question: str, history: Sequence[Turn] = (), filters: SearchFilters | None = None) -> AnswerRun:
    """An answer run with its place in the model's line reserved.

    Raises ``ModelBusy`` (503 with ``Retry-After``) at once when the line is full or the answers ahead leave no time
    for this one before its deadline, ``LLMError`` (503) when the model failed to start.
    """
    if "model" in state.problems:
        raise LLMError("the model failed to start")
    settings = state.services.settings
    ticket = state.model_queue.reserve("answer", settings.request_deadline_s)
    return AnswerRun(state.services, state.model_queue, question, history, filters, ticket, ticket.deadline,
                     settings.request_deadline_s)


class QueuedEventSource(EventSourceResponse):
    """A streamed answer that gives its place in the model's line back however the response ends.

    The stream's own cleanup withdraws the ticket too, but a client that leaves before the first event is sent
    may stop a generator that never started; this covers that case.
    """

    def __init__(self, content: Any, ticket: Ticket | None, **kwargs: Any) -> None:
        super().__init__(content, **kwargs)
        self.ticket = ticket

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            if self.ticket is not None:
                self.ticket.withdraw()


async def answer_once(run: AnswerRun) -> Answer:
    """The whole answer (no streaming), with the same queue, deadline and failure handling as a stream."""
    async with aclosing(stream_answer(run)) as events:
        async for kind, payload in events:
            if kind == "error":
                raise payload
            if kind == "answer":
                answer: Answer = payload
                return answer
    raise AnswerCancelled("the answer stream ended without an answer")


async def run_with_model(state: AppState, work: Callable[[], T], deadline_s: float, kind: str = "check") -> T:
    """Run ``work`` in a worker thread holding the model: 503 at once if it cannot be done in time, 504 past it.

    At the deadline it is a 504 once the work started, a 503 if it was still waiting. ``kind`` names the work for
    the queue's timings (a briefing holds the model far longer than a check). ``work`` cannot be interrupted (a
    claim check, a briefing): after a 504 it finishes in the background and then gives the model back.
    """
    if "model" in state.problems:
        raise LLMError("the model failed to start")
    queue = state.model_queue
    ticket = queue.reserve(kind, deadline_s)

    def job() -> T:
        with queue.slot(ticket):
            load_chat(state.services)
            return work()

    try:
        with anyio.move_on_after(deadline_s):  # not fail_after: a TimeoutError from the work itself is no deadline
            return await anyio.to_thread.run_sync(job, abandon_on_cancel=True)
        raise ticket.late()
    finally:
        ticket.withdraw()  # still waiting at the deadline: leave the line now


def load_chat(services: Services) -> ChatModel:
    """The chat model; a model that cannot be loaded (missing or broken file) is a backend failure (503)."""
    try:
        return services.chat
    except (LLMError, ModelFileError):
        raise
    except (OSError, ValueError, RuntimeError) as exc:
        raise LLMError(f"the model could not be loaded: {exc}") from exc


Event = tuple[str, Any]


async def stream_answer(run: AnswerRun, finish: Callable[[Answer], Any] | None = None) -> AsyncGenerator[Event, None]:
    """Yield ``("stage", StageEvent)`` and ``("sentence", (sentence, citations))`` as they come, then the answer.

    The last event is ``("answer", result)``: ``result`` is ``finish(answer)`` when given (run in the worker thread,
    e.g. to store the turn). A failure ends the stream with ``("error", exception)``; so does the run's deadline
    (``DeadlineExceeded`` once the answer started, at once, while the worker stops at its next model piece;
    ``WaitTooLong`` if it never got the model). Closing the iterator early (client gone) sets the cancel flag: a
    waiting worker leaves the line, a running one stops at the next model piece, and nothing is stored.
    """
    loop = asyncio.get_running_loop()
    events: asyncio.Queue[Event] = asyncio.Queue()
    cancel = threading.Event()

    def emit(kind: str, payload: Any) -> None:
        try:
            loop.call_soon_threadsafe(events.put_nowait, (kind, payload))
        except RuntimeError:  # the event loop is gone (server shutting down)
            pass

    def work() -> None:
        try:
            answer = run.ask(lambda sentence, cites: emit("sentence", (sentence, cites)), cancel.is_set,
                             lambda stage: emit("stage", stage))
            if cancel.is_set():
                raise AnswerCancelled("the client went away")
            emit("answer", finish(answer) if finish is not None else answer)
        except AnswerCancelled:
            emit("cancelled", None)
        except Exception as exc:  # reported to the client as an error event
            emit("error", exc)

    worker = threading.Thread(target=work, name="answer", daemon=True)
    worker.start()
    try:
        while True:
            left = None if run.deadline is None else max(0.0, run.deadline - time.monotonic())
            try:
                kind, payload = await asyncio.wait_for(events.get(), left)
            except TimeoutError:  # 504 if the answer started, 503 (with Retry-After) if it never got the model
                kind, payload = "error", run.ticket.late() if run.ticket else DeadlineExceeded(run.deadline_s)
            yield kind, payload
            if kind in ("answer", "error", "cancelled"):
                return
    finally:
        cancel.set()
        if run.ticket is not None:
            run.ticket.withdraw()
