"""The answer reader: the judge model copies the shortest phrase of a quote that answers the question, or NONE.

Whether a quote answers a question is read, not matched against word lists: the model is asked for the answer
phrase, and the phrase counts only when it occurs verbatim in the quote (a phrase the model made up is no answer).
The score is the model's probability that its reply does not begin "NONE" (the first token's distribution), so a
threshold chosen on the tune split trades false refusals against distractors answered.
"""

from __future__ import annotations

import difflib
import re
import threading
from dataclasses import dataclass

from rag.models.llm import LLMError, Message
from rag.models.prompts import render_prompt
from rag.text import normalize
from rag.verify.judge import ShortReader

NONE_WORDS = ("NONE", "None", "none", " NONE", " None")
MAX_PHRASE_TOKENS = 24
"""Longest reply read: an answer phrase is short; a copied sentence is cut here and then fails the verbatim test."""


@dataclass(frozen=True)
class Reading:
    """What the reader found in one passage for one question."""

    phrase: str | None
    """The answer phrase exactly as it stands in the passage, or ``None`` (NONE, or a phrase not in the passage)."""
    score: float
    """P(the reply is not NONE), in 0..1."""
    start: int = -1
    """Offset of ``phrase`` in the passage (-1 without one)."""
    reply: str = ""
    """The model's reply as written (for the reason shown and for debugging)."""


def read_messages(question: str, passage: str) -> list[Message]:
    safe = passage.replace("<", "‹").replace(">", "›")
    return [
        {"role": "system", "content": render_prompt("read_system")},
        {"role": "user", "content": render_prompt("read_user", passage=safe, question=question.replace("<", "‹"))},
    ]


_SAME_MARKS = str.maketrans({"“": '"', "”": '"', "„": '"', "‘": "'", "’": "'", "–": "-", "—": "-"})
"""Typographic quotes and dashes read as their plain forms (one character for one, so offsets hold)."""
_PARTS = re.compile(r"\s*(?:[,;]\s*(?:and\s+)?|\s+and\s+)")
FUZZY_RATIO = 0.85
"""A reply of two or more words that is this close (characters, difflib) to a stretch of the passage points at it."""


def _plain(text: str) -> str:
    return normalize(text).translate(_SAME_MARKS)


def _exact(phrase: str, passage: str) -> tuple[int, int] | None:
    words = re.findall(r"\S+", _plain(phrase).strip().strip("\"'").rstrip(".,;:!?"))
    if not words:
        return None
    pattern = r"(?<!\w)" + r"\s+".join(re.escape(w) for w in words) + r"(?!\w)"
    match = re.search(pattern, _plain(passage), re.IGNORECASE)
    return (match.start(), match.end()) if match else None


def _near(phrase: str, passage: str) -> tuple[int, int] | None:
    """The stretch of the passage with as many words as ``phrase`` that is closest to it, if close enough."""
    wanted = _plain(phrase).strip().strip("\"'").rstrip(".,;:!?").lower()
    size = len(wanted.split())
    if size < 2:
        return None
    plain = _plain(passage).lower()
    tokens = list(re.finditer(r"\S+", plain))
    best, where = 0.0, None
    for i in range(len(tokens) - size + 1):
        start = tokens[i].start()
        stretch = plain[start : tokens[i + size - 1].end()].rstrip(".,;:!?")
        ratio = difflib.SequenceMatcher(None, wanted, stretch).ratio()
        if ratio > best:
            best, where = ratio, (start, start + len(stretch))
    return where if best >= FUZZY_RATIO else None


def locate(phrase: str, passage: str) -> tuple[int, int] | None:
    """Where the reply points in ``passage``, or ``None``.

    The phrase itself (case, white space, typographic quotes and end punctuation aside), else a stretch within
    ``FUZZY_RATIO`` of it, else, for a list the model joined from the passage ("A, B and C"), the first item when
    every item is there.
    """
    found = _exact(phrase, passage) or _near(phrase, passage)
    if found is not None:
        return found
    parts = [p for p in _PARTS.split(phrase) if p.strip()]
    if len(parts) > 1:
        spans = [_exact(p, passage) or _near(p, passage) for p in parts]
        if all(spans):
            return spans[0]
    return None


class AnswerReader:
    """Reads answer phrases with a judge model that can write a short reply; readings are cached per process."""

    def __init__(self, judge: ShortReader) -> None:
        self.judge = judge
        self._cache: dict[tuple[str, str], Reading] = {}
        self._lock = threading.Lock()

    def read(self, question: str, passage: str) -> Reading:
        key = (question, passage)
        with self._lock:
            if key in self._cache:
                return self._cache[key]
            reading = self._read(question, passage)
            self._cache[key] = reading
            return reading

    def _read(self, question: str, passage: str) -> Reading:
        try:
            reply, p_none = self.judge.short_reply(read_messages(question, passage), MAX_PHRASE_TOKENS, NONE_WORDS)
        except LLMError:
            return Reading(None, 0.0)  # fails closed: no reading is no answer
        line = next((ln.strip() for ln in reply.splitlines() if ln.strip()), "")
        score = round(1.0 - p_none, 4)
        if not line or line.strip("\"'. ").upper() == "NONE":
            return Reading(None, score, reply=reply)
        span = locate(line, passage)
        if span is None:
            return Reading(None, score, reply=reply)
        return Reading(normalize(passage)[span[0]:span[1]], score, span[0], reply)
