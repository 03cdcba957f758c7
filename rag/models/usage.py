"""Tokens the model used for one piece of work: the backend's own counts where it reports them, estimates otherwise.

Work that wants its usage (an answer served by the OpenAI-compatible facade) runs inside :func:`metering`; every
model call made inside it, in that thread, adds its tokens with :func:`record_usage`: the reader, a follow-up's
rewrite and the verifier's judge alike. The real backends record their own calls (``reports_usage``); a model that
does not (a fake, another wrapper's inner model) is wrapped in :class:`MeteredModel`, which estimates.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING

from pydantic import BaseModel

if TYPE_CHECKING:
    from rag.models.llm import ChatModel, Message

CHARS_PER_TOKEN = 4
"""The usual rule of thumb for English text with BPE tokenizers: about four characters a token."""


class Usage(BaseModel):
    """Tokens read (prompt) and written (completion) by one or more model calls."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    estimated: bool = False
    """True when some count is not the backend's own: the model's tokenizer on the message texts without the chat
    template (in-process llama.cpp), or :data:`CHARS_PER_TOKEN` (a backend or fake that reports nothing)."""

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def __add__(self, other: Usage) -> Usage:
        return Usage(prompt_tokens=self.prompt_tokens + other.prompt_tokens,
                     completion_tokens=self.completion_tokens + other.completion_tokens,
                     estimated=self.estimated or other.estimated)


class UsageMeter:
    """The calls recorded inside one :func:`metering` block."""

    def __init__(self) -> None:
        self.calls: list[Usage] = []

    @property
    def total(self) -> Usage:
        return sum(self.calls, Usage())


_METER: ContextVar[UsageMeter | None] = ContextVar("rag_usage_meter", default=None)


@contextmanager
def metering() -> Iterator[UsageMeter]:
    """Count the model calls made in this block (in this thread or context)."""
    meter = UsageMeter()
    token = _METER.set(meter)
    try:
        yield meter
    finally:
        _METER.reset(token)


def record_usage(usage: Usage) -> None:
    """Add one call's tokens to the open meter; nothing happens outside :func:`metering`."""
    meter = _METER.get()
    if meter is not None:
        meter.calls.append(usage)


def estimate_tokens(text: str) -> int:
    """Tokens in ``text`` at :data:`CHARS_PER_TOKEN` characters a token, rounded up."""
    return math.ceil(len(text) / CHARS_PER_TOKEN)


def counted_usage(prompts: Iterable[str], completion: str, count: Callable[[str], int] = estimate_tokens) -> Usage:
    """An estimated :class:`Usage`: ``count`` (a tokenizer, or :func:`estimate_tokens`) over each text."""
    return Usage(prompt_tokens=sum(count(text) for text in prompts), completion_tokens=count(completion) if completion else 0,
                 estimated=True)


class MeteredModel:
    """A chat model whose calls are recorded, estimated from the texts, unless the model records its own."""

    def __init__(self, inner: ChatModel) -> None:
        self.inner = inner
        self.name = inner.name

    def complete(self, messages: Sequence[Message], max_tokens: int = 256) -> str:
        return "".join(self.stream(messages, max_tokens))

    def stream(self, messages: Sequence[Message], max_tokens: int = 256) -> Iterator[str]:
        if getattr(self.inner, "reports_usage", False):
            yield from self.inner.stream(messages, max_tokens)
            return
        pieces: list[str] = []
        stream = self.inner.stream(messages, max_tokens)
        try:
            for piece in stream:
                pieces.append(piece)
                yield piece
        finally:
            close = getattr(stream, "close", None)
            if close is not None:
                close()
            record_usage(counted_usage((m["content"] for m in messages), "".join(pieces)))
