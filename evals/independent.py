"""Independent scoring helpers: the eval's own reading of numbers, names and word support.

Deliberately written apart from the pipeline's verifier (``rag.verify``) and text helpers (``rag.text``): an
eval metric that called the checker it grades would measure nothing. Simple and strict: whole-word names,
digits and number words, unstemmed content words with plural/past endings folded.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

_NUMBER_WORDS = {
    "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7", "eight": "8",
    "nine": "9", "ten": "10", "eleven": "11", "twelve": "12", "fifteen": "15", "twenty": "20", "thirty": "30",
    "fifty": "50", "hundred": "100", "thousand": "1000", "million": "1000000", "dozen": "12",
}
_FUNCTION = frozenset(
    "a an the and or but of in on at by for from to with as is are was were be been has have had it its this that "
    "these those they them their he she his her we i you who whom which what when where why how not no also than "
    "then there here into over under after before during since until while about said says say according".split()
)
_OPENERS = frozenset(
    "the a an in on at by for from to of and but or as according however meanwhile also both some many several "
    "who what when where why how which this that these those it its he she they we i after before during since "
    "while yes no so yet".split()
)


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def eval_numbers(text: str) -> set[str]:
    text = _nfc(text)
    found = {n.replace(",", "") for n in re.findall(r"\d[\d,]*(?:\.\d+)?", text)}
    return found | {_NUMBER_WORDS[w] for w in re.findall(r"[a-z]+", text.lower()) if w in _NUMBER_WORDS}


def eval_names(text: str) -> set[str]:
    """Capitalised words (parts of hyphenated ones), possessives dropped, common openers left out."""
    found = set()
    for token in re.findall(r"\w+(?:[’'\-]\w+)*", _nfc(text)):
        for part in re.sub(r"[’']s$", "", token).split("-"):
            if len(part) > 1 and part[0].isupper() and part.lower() not in _OPENERS:
                found.add(part)
    return found


def whole_word(text: str, word: str) -> bool:
    return re.search(r"(?<!\w)" + re.escape(_nfc(word)) + r"(?!\w)", _nfc(text), re.I) is not None


def unsupported_entities(sentence: str, cited: str) -> list[str]:
    """Numbers and names in ``sentence`` that the text it cites does not contain (names as whole words)."""
    numbers = sorted(eval_numbers(sentence) - eval_numbers(cited))
    names = sorted(n for n in eval_names(sentence) if not whole_word(cited, n))
    return numbers + names


def _fold(word: str) -> str:
    for suffix in ("ies", "es", "s", "ed", "ing"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def content_words(text: str) -> set[str]:
    return {_fold(w) for w in re.findall(r"\w+", _nfc(text).lower()) if w not in _FUNCTION and len(w) > 2}


def lexically_supported(sentence: str, cited: str, share: float = 0.6) -> bool:
    """No unsupported number or name, and ``share`` of the sentence's content words in the cited text."""
    if unsupported_entities(sentence, cited):
        return False
    wanted = content_words(sentence)
    return bool(wanted) and len(wanted & content_words(cited)) / len(wanted) >= share


def overlaps(start: int, end: int, spans: Iterable[tuple[int, int]]) -> bool:
    return any(start < s_end and s_start < end for s_start, s_end in spans)
