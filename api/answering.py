"""Run the answer pipeline for a request: in a worker thread, one model call at a time, stoppable by the client."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncGenerator, Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from rag.answer import AnswerCancelled, Answerer, AskOptions, Turn
from rag.llm import ChatModel, LLMError, Message
from rag.model_files import ModelFileError
from rag.services import Services
from rag.types import Answer, AnswerSentence, Citation, SearchFilters


class CancellableModel:
    """A chat model that stops at the next streamed piece once ``cancelled()`` is true (the client went away)."""

    def __init__(self, inner: ChatModel, cancelled: Callable[[], bool] | None = None) -> None:
        self.inner = inner
        self.name = inner.name
        self._cancelled = cancelled

    def complete(self, messages: Sequence[Message], max_tokens: int = 256) -> str:
        return "".join(self.stream(messages, max_tokens))

    def stream(self, messages: Sequence[Message], max_tokens: int = 256) -> Iterator[str]:
        pieces = self.inner.stream(messages, max_tokens)
        try:
            for piece in pieces:
                if self._cancelled is not None and self._cancelled():
                    raise AnswerCancelled("the client went away")
                yield piece
        finally:
            close = getattr(pieces, "close", None)
            if close is not None:
                close()


@dataclass
class AnswerRun:
    """What one answer needs: the services, the process-wide model lock, the question and its context."""

    services: Services
    model_lock: threading.Lock
    question: str
    history: Sequence[Turn] = ()
    filters: SearchFilters | None = None

    def ask(self, on_sentence: Callable[[AnswerSentence, dict[int, Citation]], None] | None = None,
            cancelled: Callable[[], bool] | None = None) -> Answer:
        """Answer synchronously (call it from a worker thread); one answer at a time per process.

        The in-process model is not thread-safe, and the verifier's judge shares it, so the whole answer holds
        the lock; a second request waits its turn.
        """
        services = self.services
        settings = services.settings
        options = AskOptions(history=list(self.history), filters=self.filters or SearchFilters(), k=settings.top_k,
                             max_tokens=settings.llm_max_tokens, cancelled=cancelled)
        with self.model_lock:
            if cancelled is not None and cancelled():
                raise AnswerCancelled("the client went away")
            load_chat(services)
            answerer = Answerer.from_services(services)
            answerer.chat = CancellableModel(answerer.chat, cancelled)
            return answerer.ask(self.question, options, on_sentence=on_sentence)


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
    """Yield ``("sentence", (sentence, citations))`` as sentences are verified, then ``("answer", result)``.

    ``result`` is ``finish(answer)`` when given (run in the worker thread, e.g. to store the turn). A failure
    ends the stream with ``("error", exception)``. Closing the iterator early (client gone) sets the cancel flag:
    the worker stops at the next model piece and nothing is stored.
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
            answer = run.ask(lambda sentence, cites: emit("sentence", (sentence, cites)), cancel.is_set)
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
            kind, payload = await events.get()
            yield kind, payload
            if kind in ("answer", "error", "cancelled"):
                return
    finally:
        cancel.set()
