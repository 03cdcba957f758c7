"""Content-dependent fake readers for runner tests: they answer from the evidence they are shown."""

from __future__ import annotations

import re
from collections.abc import Sequence

from rag.llm import FunctionModel, Message

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
