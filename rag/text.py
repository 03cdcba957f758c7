"""Text helpers shared by retrieval, evidence selection and verification: tokens, numbers, names, dates."""

from __future__ import annotations

import re
import unicodedata

import Stemmer

STOPWORDS = frozenset(
    "a an and are as at be been but by did do does for from had has have he her his how i in into is it its "
    "of on or said says she that the their them there they this to was were what when where which who whom "
    "why will with would you".split()
)
_STEMMER = Stemmer.Stemmer("english")


def normalize(text: str) -> str:
    """NFC, so a question typed with combining accents matches article text ("António")."""
    return unicodedata.normalize("NFC", text)


def tokenize(text: str) -> list[str]:
    """Lower-cased, Snowball-stemmed word tokens without stopwords ('accused' finds 'accuse')."""
    words = [w for w in re.findall(r"\w+", normalize(text).lower()) if w not in STOPWORDS]
    return list(_STEMMER.stemWords(words))


def stem(word: str) -> str:
    return str(_STEMMER.stemWord(word.lower()))
