"""Measuring helpers for ``rag bench``: peak resident memory, percentiles, the machine, recording wrappers."""

from __future__ import annotations

import os
import platform
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import numpy as np
import psutil

from rag.index.chunking import split_sentences
from rag.models.embed import Embedder
from rag.models.llm import ChatModel, Message

GIB = 1024**3


class PeakMemory:
    """Samples this process's resident memory in a background thread; ``peak`` is the largest seen (bytes).

    The figure is the whole process (everything loaded before the measured part counts too), which is
    what a service running that part would hold.
    """

    def __init__(self, interval_s: float = 0.02) -> None:
        self.interval_s = interval_s
        self.peak = 0
        self._process = psutil.Process()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._process.memory_info().rss)
            self._stop.wait(self.interval_s)

    def __enter__(self) -> PeakMemory:
        self.peak = self._process.memory_info().rss
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._process.memory_info().rss)


def percentile_ms(seconds: Sequence[float], q: float) -> float:
    """The ``q``-th percentile of durations given in seconds, in milliseconds."""
    return float(np.percentile(np.asarray(seconds) * 1000.0, q)) if seconds else 0.0


def describe_machine() -> dict[str, Any]:
    """What the numbers were measured on: cores, memory, CPU model, load at the start, Python."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in open("/proc/cpuinfo", encoding="utf-8"):  # noqa: SIM115 - read once, closed by GC
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "memory_gib": round(psutil.virtual_memory().total / GIB, 1),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
    }


@dataclass
class ModelCall:
    """One call the pipeline made to the chat model: what it sent, what came back, and when (perf_counter)."""

    messages: list[Message]
    max_tokens: int
    started: float
    text: str = ""
    pieces: list[str] = field(default_factory=list)
    piece_times: list[float] = field(default_factory=list)
    model_s: float = 0.0
    """Time spent inside the model (waiting for its next piece), excluding what the caller did in between."""

    @property
    def first_token_s(self) -> float:
        """From the call to the first piece: the model's prompt evaluation (plus one decoded token)."""
        return self.piece_times[0] - self.started if self.piece_times else self.model_s

    @property
    def first_sentence_at(self) -> float:
        """When the model's first sentence was complete: the next one began (or the stream ended)."""
        text = ""
        for piece, at in zip(self.pieces, self.piece_times, strict=True):
            text += piece
            if len(split_sentences(text)) > 1:
                return at
        return self.piece_times[-1] if self.piece_times else self.started


@dataclass
class RecordingChat:
    """Wraps a chat model and times every call from inside, so the model's own time is known exactly."""

    inner: ChatModel
    calls: list[ModelCall] = field(default_factory=list)
    name: str = ""

    def __post_init__(self) -> None:
        self.name = self.inner.name

    def complete(self, messages: Sequence[Message], max_tokens: int = 256) -> str:
        return "".join(self.stream(messages, max_tokens))

    def stream(self, messages: Sequence[Message], max_tokens: int = 256) -> Iterator[str]:
        call = ModelCall(list(messages), max_tokens, started=time.perf_counter())
        self.calls.append(call)
        pieces = iter(self.inner.stream(messages, max_tokens))
        while True:
            asked = time.perf_counter()
            try:
                piece = next(pieces)
            except StopIteration:
                call.model_s += time.perf_counter() - asked
                return
            arrived = time.perf_counter()
            call.model_s += arrived - asked
            call.piece_times.append(arrived)
            call.pieces.append(piece)
            call.text += piece
            yield piece


@dataclass
class ModelRun:
    """The bare model on one prompt: time to first token (prompt evaluation), first sentence, and total."""

    text: str
    first_token_s: float
    first_sentence_s: float
    total_s: float


def forget_prompt_cache(chat: ChatModel) -> None:
    """Make llama.cpp evaluate the next prompt from scratch, so every timed call pays the same prompt cost."""
    inner = getattr(chat, "inner", chat)
    forget = getattr(inner, "forget", None)
    if forget is not None:
        forget()


def run_model(chat: ChatModel, messages: Sequence[Message], max_tokens: int) -> ModelRun:
    """Stream ``messages`` through the bare model with a cold prompt cache and time it.

    The first sentence counts as complete when the next one begins (or the stream ends), the same rule
    the answer pipeline uses before it verifies and emits a sentence.
    """
    forget_prompt_cache(chat)
    started = time.perf_counter()
    text, first_token, first_sentence = "", None, None
    for piece in chat.stream(messages, max_tokens):
        now = time.perf_counter() - started
        first_token = now if first_token is None else first_token
        text += piece
        if first_sentence is None and len(split_sentences(text)) > 1:
            first_sentence = now
    total = time.perf_counter() - started
    return ModelRun(text, first_token or total, first_sentence or total, total)


@dataclass
class RecordingEmbedder:
    """Wraps an embedder and records the batches it was asked to embed and the time it spent."""

    inner: Embedder
    batches: list[list[str]] = field(default_factory=list)
    seconds: float = 0.0
    name: str = ""

    def __post_init__(self) -> None:
        self.name = self.inner.name

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        started = time.perf_counter()
        vectors = self.inner.embed(texts)
        self.seconds += time.perf_counter() - started
        self.batches.append(list(texts))
        return vectors
