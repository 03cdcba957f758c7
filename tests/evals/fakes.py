"""Content-dependent fake readers for runner tests: they answer from the evidence they are shown."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from rag.models.llm import LLMError, Message
from rag.testing.llm import FunctionModel

_EVIDENCE_LINE = re.compile(r"^\[(\d+)\] (.+)$", re.M)


def extractive_reply(messages: Sequence[Message]) -> str:
    """Copy the first evidence line with its marker; a rewrite request gets the question back unchanged."""
    prompt = messages[-1]["content"]
    match = _EVIDENCE_LINE.search(prompt)
    if match is None:  # the follow-up rewrite prompt: name the previous question's subject
        previous = re.findall(r"^User: (.+)$", prompt, re.M)
        follow_up = re.search(r"Follow-up question: (.+)", prompt)
        return f"{previous[-1] if previous else ''} {follow_up.group(1) if follow_up else ''}".strip()
    return f"{match.group(2)} [{match.group(1)}]"


def extractive_model() -> FunctionModel:
    return FunctionModel(extractive_reply)


def declining_model() -> FunctionModel:
    """A worsened reader: declines everything (what a broken prompt or model swap might do)."""
    return FunctionModel(lambda _: "NOT IN SOURCES")


# Planted regressions: the pipeline degraded on purpose, so the gate's tests show it still catches a real one.


def forgetful_model(every: int = 3) -> FunctionModel:
    """A worsened reader: declines every ``every``-th question it is asked (a model that has started to fail)."""
    asked = [0]

    def reply(messages: Sequence[Message]) -> str:
        if _EVIDENCE_LINE.search(messages[-1]["content"]) is None:
            return extractive_reply(messages)
        asked[0] += 1
        return "NOT IN SOURCES" if asked[0] % every == 0 else extractive_reply(messages)

    return FunctionModel(reply)


def failing_once_model() -> FunctionModel:
    """A worsened reader: the endpoint fails on the first answer it is asked to write, then recovers."""
    asked = [0]

    def reply(messages: Sequence[Message]) -> str:
        if _EVIDENCE_LINE.search(messages[-1]["content"]) is None:
            return extractive_reply(messages)
        asked[0] += 1
        if asked[0] == 1:
            raise LLMError("the model endpoint dropped the connection")
        return extractive_reply(messages)

    return FunctionModel(reply)


def embellishing_model() -> FunctionModel:
    """A worsened reader: after the evidence it copies, it adds a casualty figure no passage gives."""

    def reply(messages: Sequence[Message]) -> str:
        answer = extractive_reply(messages)
        marker = re.search(r"\[(\d+)\]$", answer)
        return f"{answer} Officials said 917 people were killed [{marker.group(1)}]." if marker else answer

    return FunctionModel(reply)


class AcceptEverything:
    """A verifier whose checks have been switched off: every sentence passes."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def check(self, sentence: str, quote: str) -> Any:
        verdict = self.inner.check(sentence, quote)
        return verdict.model_copy(update={"supported": True, "label": "supported", "reason": "planted: accepted"})


class DropBestPassage:
    """A retriever that loses its best-ranked passage for every query."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def search(self, query: str, k: int = 6, filters: Any = None) -> list[Any]:
        return list(self.inner.search(query, k + 1, filters))[1:]
