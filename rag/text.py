"""Text helpers shared by retrieval, evidence selection and verification: tokens, numbers, names, dates.

Everything is NFC-normalised first, so a question typed with combining accents matches article text ("António").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

import Stemmer

from rag.nlp.countries import same_place

STOPWORDS = frozenset(
    "a an and are as at be been but by did do does for from had has have he her his how i in into is it its "
    "of on or said says she that the their them there they this to was were what when where which who whom "
    "why will with would you".split()
)
_STEMMER = Stemmer.Stemmer("english")

NUMBER_WORDS = {
    "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7", "eight": "8",
    "nine": "9", "ten": "10", "eleven": "11", "twelve": "12", "thirteen": "13", "fourteen": "14", "fifteen": "15",
    "sixteen": "16", "seventeen": "17", "eighteen": "18", "nineteen": "19", "twenty": "20", "thirty": "30",
    "forty": "40", "fifty": "50", "sixty": "60", "seventy": "70", "eighty": "80", "ninety": "90", "hundred": "100",
    "thousand": "1000", "million": "1000000", "billion": "1000000000", "dozen": "12",
}
MONTHS = {
    "january": "01", "jan": "01", "february": "02", "feb": "02", "march": "03", "mar": "03", "april": "04",
    "apr": "04", "may": "05", "june": "06", "jun": "06", "july": "07", "jul": "07", "august": "08", "aug": "08",
    "september": "09", "sep": "09", "sept": "09", "october": "10", "oct": "10", "november": "11", "nov": "11",
    "december": "12", "dec": "12",
}
WEEKDAYS = frozenset("monday tuesday wednesday thursday friday saturday sunday".split())


def _alternation(words: Iterable[str]) -> str:
    """Capitalised words as a regex alternation, longest first (so "Sept" is tried before "Sep")."""
    return "|".join(sorted((w.capitalize() for w in words), key=lambda w: (-len(w), w)))


_FULL_MONTHS = {max((w for w in MONTHS if MONTHS[w] == number), key=len) for number in set(MONTHS.values())}
MONTH_PATTERN = (rf"(?:{_alternation(_FULL_MONTHS)}|"
                 rf"(?:{_alternation(w for w in MONTHS if w not in _FULL_MONTHS)})\.?)")
"""A month as news text writes it, capitalised: its name ("February") or abbreviation ("Feb", "Feb.", "Sept.")."""
WEEKDAY_PATTERN = f"(?:{_alternation(WEEKDAYS)})"
"""A weekday's name, capitalised ("Monday")."""

# Capitalised words that are not names: sentence openers, question words, imperative openers, function words.
NOT_NAMES = frozenset(
    w.lower()
    for w in (
        "The A An This That These Those It Its He She They We I You In On At By For From To Of And But Or Nor As If "
        "According However Meanwhile Also Both Some Many Several Most All Any No Not Yes Each Every Such "
        "Who Whom Whose What When Where Why How Which Whether "
        "Is Are Was Were Did Does Do Has Have Had Can Could Should Would Will Shall May Might Must "
        "About Approximately Roughly Around Nearly Almost Over Under After Before During Since Until While Besides "
        "Apart Other Another Then There Here Now Today Yesterday Last Next First Second Third Earlier Later "
        "Name Names List Give Tell Describe Summarize Summarise Explain Please Compare Identify Outline Show State "
        "Mention Quote Find Say Says Said Provide Note Consider Which Beyond Despite Although Though Instead "
        "Local Residents Witnesses Experts Analysts Officials Observers Some Senior Military Footage Hospitals "
        "Yet So Still Because Once Again Even Only Just Very Exactly Interesting Parts Conclusion"
    ).split()
)

# Irregular verb forms, so "wrote" finds "write" (Snowball only strips regular suffixes).
_IRREGULAR = {
    form: base for base, forms in {
        "write": "wrote written", "say": "said", "tell": "told", "take": "took taken", "make": "made",
        "give": "gave given", "go": "went gone", "come": "came", "strike": "struck stricken", "fight": "fought",
        "flee": "fled", "hold": "held", "lead": "led", "meet": "met", "seek": "sought", "bring": "brought",
        "begin": "began begun", "see": "saw seen", "know": "knew known", "think": "thought", "leave": "left",
        "keep": "kept", "stand": "stood", "speak": "spoke spoken", "rise": "rose risen", "fall": "fell fallen",
        "win": "won", "lose": "lost", "build": "built", "send": "sent", "spend": "spent", "shoot": "shot",
        "break": "broke broken", "choose": "chose chosen", "drive": "drove driven", "run": "ran", "grow": "grew grown",
        "throw": "threw thrown", "pay": "paid", "find": "found", "catch": "caught", "buy": "bought", "feel": "felt",
        "hear": "heard", "mean": "meant", "sell": "sold", "shake": "shook shaken", "undertake": "undertook undertaken",
        "overthrow": "overthrew overthrown", "seize": "seized", "die": "died dead", "kill": "killed",
        "wound": "wounded", "forbid": "forbade forbidden", "steal": "stole stolen", "withdraw": "withdrew withdrawn",
    }.items() for form in forms.split()
}

_WORD = re.compile(r"\w+(?:[’'\-]\w+)*")


def normalize(text: str) -> str:
    """NFC, and typographic apostrophes unified, so a question typed differently matches article text."""
    return unicodedata.normalize("NFC", text)


def words(text: str) -> list[str]:
    """Word tokens, lower-cased, possessive ``'s`` dropped; hyphenated compounds kept whole."""
    return [re.sub(r"[’']s$", "", w) for w in _WORD.findall(normalize(text).lower())]


def tokenize(text: str) -> list[str]:
    """Lower-cased, Snowball-stemmed word tokens without stopwords ('accused' finds 'accuse')."""
    found = [_IRREGULAR.get(w, w) for w in re.findall(r"\w+", normalize(text).lower()) if w not in STOPWORDS]
    return list(_STEMMER.stemWords(found))


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    lower = word.lower()
    return str(_STEMMER.stemWord(_IRREGULAR.get(lower, lower)))


def numbers_in(text: str) -> set[str]:
    """Digits (commas dropped) and number words normalised to digits ("six" and "6" are one number)."""
    text = normalize(text)
    found = {n.replace(",", "") for n in re.findall(r"\d[\d,]*(?:\.\d+)?", text)}
    found |= {NUMBER_WORDS[w] for w in re.findall(r"[a-z]+", text.lower()) if w in NUMBER_WORDS}
    return found


def dates_in(text: str) -> set[str]:
    """Weekday and month names, normalised ("Feb." and "February" are one month; the verb "may" is not May)."""
    text = normalize(text)
    found = {w for w in re.findall(r"[a-z]+", text.lower()) if w in WEEKDAYS}
    for match in re.finditer(r"\b([A-Z][a-z]+)\b", text):
        lower = match.group(1).lower()
        if lower not in MONTHS:
            continue
        if lower == "may" and not re.match(r"May\s+\d", text[match.start():]) and not re.search(
            r"\b(?:in|of|early|late|mid)\s+$", text[: match.start()]
        ):
            continue
        found.add("month:" + MONTHS[lower])
    return found


def names_in(text: str) -> set[str]:
    """Capitalised words that are not function words, question words or dates (Unicode-aware, whole words).

    Hyphenated compounds count as their parts ("Afghanistan-Pakistan" names both countries); possessives drop
    their ``'s``; single letters are not names.
    """
    text = normalize(text)
    found: set[str] = set()
    for token in _WORD.findall(text):
        token = re.sub(r"[’']s$", "", token)
        for part in token.split("-"):
            if len(part) < 2 or not part[0].isupper() or part.isdigit():
                continue
            lower = part.lower()
            if lower in NOT_NAMES or lower in WEEKDAYS or lower in MONTHS:
                continue
            found.add(part)
    return found


def has_word(text: str, word: str) -> bool:
    """``word`` occurs in ``text`` as a whole word, case-insensitively ("Iran" is not in "Iranian")."""
    pattern = r"(?<!\w)" + re.escape(normalize(word)) + r"(?!\w)"
    return re.search(pattern, normalize(text), re.IGNORECASE) is not None


def mentions(text: str, name: str) -> bool:
    """``text`` names ``name`` or an equivalent demonym/country ("Chinese" ↔ "China", "Afghan" ↔ "Afghanistan")."""
    if has_word(text, name):
        return True
    return any(has_word(text, other) for other in same_place().get(name.lower(), ()))


def is_place_name(name: str) -> bool:
    """``name`` is a country, its capital or its demonym (countryinfo), as opposed to a person or a body."""
    return name.lower() in same_place()
