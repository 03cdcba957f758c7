"""A fake reader whose reply depends on the evidence it is shown, and a fake rewrite that reads the history."""

from __future__ import annotations

import re
from collections.abc import Sequence

from rag.models.llm import Message

_WORD = re.compile(r"[A-Za-z0-9]+")
_STOP = frozenset("the a an of in on at to and or did does do what who which when where how is was were has have "
                  "for with by from that this he she they it his her their".split())


def words(text: str) -> set[str]:
    return {w.lower() for w in _WORD.findall(text) if w.lower() not in _STOP}


def reader(messages: Sequence[Message]) -> str:
    """Answer prompts: repeat the evidence line sharing most words with the question, with its number.

    Rewrite prompts: replace the pronoun with the first two-word name in the previous answer. Briefing
    sections: the first two evidence sentences as cited bullets.
    """
    user = messages[-1]["content"]
    if "Follow-up question:" in user:
        question = user.split("Follow-up question:", 1)[1].split("\n", 1)[0].strip()
        answer = user.split("Assistant:", 1)[1] if "Assistant:" in user else ""
        name = re.search(r"\b([A-Z][a-z]+ [A-Z][a-z]+)\b", answer)
        return re.sub(r"\b(he|she)\b", name.group(1) if name else "the spokesman", question, count=1)
    lines = re.findall(r"^\[(\d+)\] (.+)$", user, flags=re.M)
    if "Section:" in user:  # a briefing section: the first two evidence sentences as bullets
        return "\n".join(f"- {text.rstrip('.')} [{number}]." for number, text in lines[:2])
    question = user.rsplit("Question:", 1)[1].split("\n", 1)[0]
    if not lines:
        return "NOT IN SOURCES"
    number, text = max(lines, key=lambda line: len(words(line[1]) & words(question)))
    return f"{text.rstrip('.')} [{number}]."
