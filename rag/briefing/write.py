"""Stage 5: the small model writes short bullets per section from a handful of numbered, fenced evidence sentences.

One model call per section that has evidence; each bullet must cite ONE evidence number. Bullets without a
valid number are kept (as drafts citing nothing) so the gate can count them as dropped.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from pydantic import BaseModel, Field

from rag.answer.citations import parse_markers
from rag.briefing.evidence import Candidate, EvidenceSet
from rag.briefing.models import SECTION_TITLES, SectionKind
from rag.models.llm import ChatModel, Message
from rag.models.prompts import render_prompt
from rag.text import tokenize

SECTION_ORDER: tuple[SectionKind, ...] = ("bottom_line", "developments", "humanitarian", "international", "watch")
MAX_BULLETS = {"bottom_line": 3, "developments": 4, "humanitarian": 3, "international": 3, "watch": 2}
SECTION_CAP = {"bottom_line": 4, "developments": 6, "humanitarian": 4, "international": 4, "watch": 3}
"""Sentences a section may hold: the writer's bullets, then its best unused evidence quoted (budget permitting)."""
MAX_TOKENS = 140
RECITE_OVERLAP = 0.5


class Draft(BaseModel):
    """A sentence the model wrote, and the (1-based) evidence number it cited, if any."""

    section: str
    text: str
    cited: int | None
    recited: bool = False
    """The model gave no valid number; ``cited`` is the evidence sentence sharing most of its words."""


class Drafts(BaseModel):
    drafts: list[Draft] = Field(default_factory=list)
    model: str = ""
    calls: int = 0
    raw: dict[str, str] = Field(default_factory=dict)
    """The model's raw reply per section (kept in the artifact for inspection)."""


def format_evidence(evidence: Sequence[Candidate]) -> str:
    """Numbered lines; angle brackets neutralised so article text cannot close the fence."""
    return "\n".join(f"[{n}] {c.text.replace('<', '‹').replace('>', '›')}" for n, c in enumerate(evidence, start=1))


def section_messages(kind: str, evidence: Sequence[Candidate]) -> list[Message]:
    user = render_prompt("brief_user", evidence=format_evidence(evidence), section=SECTION_TITLES[kind],
                         guidance=render_prompt(f"brief_section_{kind}").strip(), count=str(MAX_BULLETS[kind]))
    return [{"role": "system", "content": render_prompt("brief_system")}, {"role": "user", "content": user}]


def parse_bullets(kind: str, reply: str, evidence: Sequence[str]) -> list[Draft]:
    """Each bullet's sentences with the first valid evidence number they cite.

    A sentence citing no valid number is re-cited to the evidence sentence holding most of its words (at least
    ``RECITE_OVERLAP``); the gate then checks it against that one quote like any other. Otherwise ``cited`` is None.
    """
    drafts: list[Draft] = []
    for line in reply.splitlines():
        line = re.sub(r"^\s*(?:[-*•]|\d+[.)])\s+", "", line).strip()
        if not line:
            continue
        for sentence in parse_markers(line):
            valid = [n for n in sentence.cited if 1 <= n <= len(evidence)]
            if valid:
                drafts.append(Draft(section=kind, text=sentence.text, cited=valid[0]))
                continue
            best = _closest(sentence.text, evidence)
            drafts.append(Draft(section=kind, text=sentence.text, cited=best, recited=best is not None))
    return drafts


def _closest(text: str, evidence: Sequence[str]) -> int | None:
    words = set(tokenize(text))
    if not words or not evidence:
        return None
    shares = [len(words & set(tokenize(e))) / len(words) for e in evidence]
    best = max(range(len(evidence)), key=lambda i: shares[i])
    return best + 1 if shares[best] >= RECITE_OVERLAP else None


def write_sections(evidence: EvidenceSet, chat: ChatModel) -> Drafts:
    """Ask the model for each section that has evidence; parse its bullets and their citations."""
    result = Drafts(model=getattr(chat, "name", ""))
    for kind in SECTION_ORDER:
        items = evidence.section(kind)
        if not items:
            continue
        reply = chat.complete(section_messages(kind, items), max_tokens=MAX_TOKENS)
        result.calls += 1
        result.raw[kind] = reply
        result.drafts.extend(parse_bullets(kind, reply, [c.text for c in items])[: MAX_BULLETS[kind] + 1])
    return result
