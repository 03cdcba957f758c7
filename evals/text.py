"""The eval's own reading of answer text: citation markers and sentences, written apart from the product's parser.

The marker format is the product's contract (what ``rag ask`` emits and the model is asked to write): ``[n]``, or
several numbers in one bracket, ``[n, m]`` / ``[n; m]``. A marker belongs to the sentence it ends or follows
("… Kabul [2]." and "… Kabul. [2] Next …" both cite 2 for the first sentence); a line that opens with markers
and has none after them ("[2] One. Two.") cites them for each of its sentences. Sentences come from spaCy's
rule-based sentencizer over each line (a line break always ends a sentence), not from the product's splitter.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spacy.language import Language

MARKER = re.compile(r"\[\d+(?:\s*[,;]\s*\d+)*\]")
"""One citation marker: ``[1]``, ``[2, 3]``, ``[2; 3]``."""
_NUMBER = re.compile(r"\d+")
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([.,;:!?])")
_SPACES = re.compile(r"[ \t]{2,}")
_OPENING = frozenset("“‘([")
"""Punctuation that opens the next sentence; spaCy's sentencizer leaves it at the end of the one before."""


@dataclass(frozen=True)
class Sentence:
    """A sentence of a text with its offsets: ``text[start:end]`` is the sentence."""

    text: str
    start: int
    end: int


@dataclass
class CitedSentence:
    """A sentence with its markers taken out, and the numbers they cited, in order."""

    text: str
    cited: list[int] = field(default_factory=list)


def marker_numbers(text: str) -> list[int]:
    """Every number the markers in ``text`` cite, in order (``[1][2, 3]`` gives 1, 2, 3)."""
    return [int(n) for marker in MARKER.findall(text) for n in _NUMBER.findall(marker)]


def strip_markers(text: str) -> str:
    """``text`` without its markers, and without the spaces a marker leaves (doubled, or before punctuation)."""
    return _SPACES.sub(" ", _SPACE_BEFORE_PUNCT.sub(r"\1", MARKER.sub("", text))).strip()


@cache
def _sentencizer() -> Language:
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    return nlp


def split_sentences(text: str) -> list[Sentence]:
    """Sentences of ``text``, by line and then by spaCy's sentencizer, trimmed of surrounding whitespace."""
    lines = [(m.start(), m.group()) for m in re.finditer(r"[^\n]+", text) if m.group().strip()]
    sentences: list[Sentence] = []
    for (offset, _), doc in zip(lines, _sentencizer().pipe(line for _, line in lines)):
        for token in doc[:-1]:  # an opening quote or bracket starts the sentence after it
            following = doc[token.i + 1]
            if token.text in _OPENING and following.is_sent_start and not token.is_sent_start:
                token.is_sent_start, following.is_sent_start = True, False
        for span in doc.sents:
            start, end = offset + span.start_char, offset + span.end_char
            while start < end and text[start].isspace():
                start += 1
            while end > start and text[end - 1].isspace():
                end -= 1
            if end > start:
                sentences.append(Sentence(text[start:end], start, end))
    return sentences


def parse_markers(answer: str) -> list[CitedSentence]:
    """The sentences of a cited answer with the numbers each cites (see the module docstring for the rules)."""
    blanked = MARKER.sub(lambda m: " " * len(m.group()), answer)  # markers never end or start a sentence
    spans = split_sentences(blanked)
    if not spans:
        return []
    starts = [s.start for s in spans]
    cited: list[list[int]] = [[] for _ in spans]
    for line in re.finditer(r"[^\n]+", answer):
        markers = list(MARKER.finditer(answer, line.start(), line.end()))
        own = [i for i, s in enumerate(spans) if line.start() <= s.start < line.end()]
        if markers and own and all(m.end() <= spans[own[0]].start for m in markers):
            for i in own:  # "[2] One. Two.": the line's markers cite each of its sentences
                cited[i] += marker_numbers("".join(m.group() for m in markers))
            continue
        for m in markers:
            owner = max(bisect.bisect_right(starts, m.start()) - 1, 0)
            cited[owner] += marker_numbers(m.group())
    result: list[CitedSentence] = []
    for span, numbers in zip(spans, cited):
        text = strip_markers(answer[span.start : span.end])
        if text.strip(" .,;:"):
            result.append(CitedSentence(text, numbers))
        elif result:  # a stray marker or full stop on its own goes to the sentence before
            result[-1].cited += numbers
    return result
