"""Fake chat models (the seam is :class:`rag.models.llm.ChatModel`): queued replies, or replies computed from the messages."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

from rag.models.llm import LLMError, Message


class QueueModel:
    """Fake: replies with queued texts in order and records every call's messages."""

    name = "queue-fake"

    def __init__(self, replies: Sequence[str]) -> None:
        self.replies = list(replies)
        self.calls: list[list[Message]] = []

    def complete(self, messages: Sequence[Message], max_tokens: int = 256) -> str:
        self.calls.append(list(messages))
        if not self.replies:
            raise LLMError("queue-fake has no replies left")
        return self.replies.pop(0)

    def stream(self, messages: Sequence[Message], max_tokens: int = 256) -> Iterator[str]:
        text = self.complete(messages, max_tokens)
        for start in range(0, len(text), 7):
            yield text[start : start + 7]


class FunctionModel(QueueModel):
    """Fake: the reply is a function of the messages, so it can depend on the evidence it was shown."""

    name = "function-fake"

    def __init__(self, function: Callable[[Sequence[Message]], str]) -> None:
        super().__init__([])
        self.function = function

    def complete(self, messages: Sequence[Message], max_tokens: int = 256) -> str:
        self.calls.append(list(messages))
        return self.function(messages)
