"""Check an answer sentence against the evidence it cites: words, numbers and names must be there."""

from __future__ import annotations

import re

from rag.text import tokenize

SUPPORT_THRESHOLD = 0.6
"""Share of a sentence's content words that must appear in the cited text."""

_NUMBER_WORDS = {
    "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7", "eight": "8",
    "nine": "9", "ten": "10", "eleven": "11", "twelve": "12", "thirteen": "13", "fourteen": "14", "fifteen": "15",
    "sixteen": "16", "seventeen": "17", "eighteen": "18", "nineteen": "19", "twenty": "20", "thirty": "30",
    "forty": "40", "fifty": "50", "sixty": "60", "seventy": "70", "eighty": "80", "ninety": "90", "hundred": "100",
    "thousand": "1000", "million": "1000000", "dozen": "12",
}
# Capitalised words that are not names (sentence openers, question words, months are checked as numbers).
_NOT_NAMES = frozenset(
    "The A An This That These Those It Its He She They We I In On At By For From To Of And But Or As "
    "According However Meanwhile Also Both Some Many Several Who What When Where Why How Which "
    "About Approximately Roughly Around Nearly After Before During Since Besides Apart Other Name List Give Tell "
    "Describe Summarize Summarise Explain Please".split()
)


def numbers_in(text: str) -> set[str]:
    """Digits (commas dropped) and number words normalised to digits."""
    found = {n.replace(",", "") for n in re.findall(r"\d[\d,]*(?:\.\d+)?", text)}
    found |= {_NUMBER_WORDS[w] for w in re.findall(r"[a-z]+", text.lower()) if w in _NUMBER_WORDS}
    return found


def names_in(text: str) -> set[str]:
    """Capitalised words other than common function words (checked case-insensitively later)."""
    words = re.findall(r"\b[A-Z][\w’'-]*", text)
    names = {re.sub(r"[’']s?$", "", w) for w in words if w not in _NOT_NAMES}
    return {n for n in names if len(n) > 1}


def support_score(sentence: str, evidence: str) -> float:
    """Share of the sentence's content words found in ``evidence``; 0 when a number or name is missing."""
    if not numbers_in(sentence) <= numbers_in(evidence):
        return 0.0
    evidence_lower = evidence.lower()
    if any(name.lower() not in evidence_lower for name in names_in(sentence)):
        return 0.0
    words = set(tokenize(sentence))
    if not words:
        return 0.0
    return len(words & set(tokenize(evidence))) / len(words)


def is_supported(sentence: str, evidence: str) -> bool:
    return support_score(sentence, evidence) >= SUPPORT_THRESHOLD
