"""Numbers in a parsed text: their value and what they count, from the dependency parse.

"six killed", "killed six people", "left twelve soldiers dead", "23 million people": the value (digits or words,
read by the maintained ``text2num`` package), the noun it counts (``head``) and the outcome reported for it
(``outcome``: the verb or adjective that governs the counted noun). Dates are not numbers here (see
:mod:`rag.text`'s ``dates_in``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from spacy.tokens import Doc, Token
from text_to_num import alpha2digit, text2num

_SCALES = {"hundred": 1e2, "thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12, "dozen": 12.0,
           "k": 1e3, "m": 1e6, "bn": 1e9}
_NUMBER_LABELS = frozenset({"CARDINAL", "MONEY", "QUANTITY", "PERCENT"})
OUTCOMES = {lemma: group for group, lemmas in (
    ("killed", "kill die dead death killing fatality"),
    ("injured", "injure wound hurt injury injured wounded"),
    ("displaced", "displace flee displaced"),
    ("damaged", "damage destroy damaged destroyed"),
    ("detained", "arrest detain detained arrested"),
) for lemma in lemmas.split()}
"""What a count in a casualty or damage report can be of: general reporting English, one group per outcome."""


_VAGUE = {"dozens": (24.0, 199.0), "scores": (40.0, 199.0), "hundreds": (200.0, 1999.0),
          "thousands": (2000.0, 1999999.0), "millions": (2e6, 1999999999.0), "billions": (2e9, 2e12)}
"""Plural round numbers as ranges: "dozens of soldiers" is not "hundreds of soldiers"."""
_UNITS = {"decade": ("year", 10.0), "century": ("year", 100.0), "fortnight": ("week", 2.0),
          "millennium": ("year", 1000.0)}
"""Units counted in a larger one: "two decades" is "twenty years"."""


@dataclass(frozen=True)
class Quantity:
    value: float
    """The value in the smallest unit of :data:`_UNITS` (decades as years); the low end of a vague range."""
    high: float
    """The range's high end (``value`` for an exact number)."""
    text: str
    head: str | None
    """Lemma of the counted noun ("soldier"), when the parse attaches the number to one."""
    outcome: str | None
    """The outcome group of the counted thing ("killed", "injured", …), when the parse says."""
    ordinal: bool = False
    """A rank ("the second largest city"), compared only with ranks."""


def _value(tokens: list[Token]) -> float | None:
    digits = [t for t in tokens if re.fullmatch(r"\d[\d,]*(\.\d+)?", t.text)]
    scale = 1.0
    for t in tokens:
        scale *= _SCALES.get(t.lower_, 1.0) if t.lower_ in ("million", "billion", "trillion", "k", "m", "bn") else 1.0
    if digits:
        try:
            return float(digits[0].text.replace(",", "")) * scale
        except ValueError:
            return None
    words = " ".join(t.lower_ for t in tokens if t.is_alpha or t.text == "-").replace(" - ", "-")
    if not words:
        return None
    try:
        return float(text2num(words, "en"))
    except ValueError:
        return _SCALES.get(words)


def _rank(token: Token) -> float | None:
    """A rank's value: "third" → 3, "21st" → 21.

    text2num's ``alpha2digit`` leaves "first" and "second" alone (they are other words too); in an ORDINAL
    entity they are ranks.
    """
    if token.lower_ in ("first", "second"):
        return 1.0 if token.lower_ == "first" else 2.0
    found = re.fullmatch(r"(\d+)(st|nd|rd|th)", alpha2digit(token.text, "en").strip())
    return float(found.group(1)) if found else None


def _calendar(token: Token) -> bool:
    """A year or a day of the month ("2021", "Feb. 27"): a date, not a count ("five decades" is a count)."""
    if token.ent_type_ != "DATE":
        return False
    if re.fullmatch(r"(1[89]|20)\d\d", token.text):
        return True
    near = [token.doc[i] for i in (token.i - 1, token.i + 1, token.i + 2) if 0 <= i < len(token.doc)]
    return token.text.isdigit() and any(t.ent_type_ == "DATE" and t.is_title and t.is_alpha for t in near)


def _numeral(token: Token) -> bool:
    return token.like_num or token.lower_ in _SCALES and token.lower_ not in ("k", "m")


def quantities(doc: Doc) -> list[Quantity]:
    """The counts in ``doc``, in order; years and other dates are left out."""
    out: list[Quantity] = []
    seen: set[int] = set()
    for token in doc:
        if token.lower_ in _VAGUE and token.i not in seen:
            low, high = _VAGUE[token.lower_]
            counted = next((g for c in token.children if c.dep_ == "prep" and c.lower_ == "of"
                            for g in c.children if g.dep_ == "pobj"), None)
            head = counted.lemma_.lower() if counted is not None else None
            out.append(Quantity(low, high, token.text, head, _outcome(counted or token)))
            continue
        if token.ent_type_ == "ORDINAL" and token.i not in seen:
            rank = _rank(token)
            if rank is not None:
                noun = next((a for a in (token, *token.ancestors) if a.pos_ in ("NOUN", "PROPN")), None)
                out.append(Quantity(rank, rank, token.text, noun.lemma_.lower() if noun is not None else None, None,
                                    ordinal=True))
            continue
        if token.i in seen or not _numeral(token) or token.ent_type_ == "TIME" or _calendar(token):
            continue
        if token.lower_ in ("one", "a") and token.dep_ not in ("nummod", "nsubj", "dobj", "nsubjpass"):
            continue  # "one of the", pronoun-like uses
        run = [token]
        while run[-1].i + 1 < len(doc) and _numeral(doc[run[-1].i + 1]) or (
                run[-1].i + 2 < len(doc) and doc[run[-1].i + 1].text == "-" and _numeral(doc[run[-1].i + 2])):
            run.append(doc[run[-1].i + 1])
        seen.update(t.i for t in run)
        value = _value(run)
        if value is None:
            continue
        last = run[-1]
        head = last.head if last.dep_ in ("nummod", "quantmod", "compound") and last.head.pos_ in ("NOUN", "PROPN") \
            else None
        counted = head or last
        lemma = head.lemma_.lower() if head is not None else None
        if lemma in _UNITS:
            lemma, factor = _UNITS[lemma]
            value *= factor
        out.append(Quantity(value, value, doc[run[0].i : last.i + 1].text, lemma, _outcome(counted)))
    return out


def same_amount(a: Quantity, b: Quantity) -> bool:
    """The two can be one amount: equal values, or ranges that overlap (an exact number inside a vague one)."""
    slack = 1e-9 * max(1.0, abs(a.value))
    return a.value - slack <= b.high and b.value - slack <= a.high


def _outcome(counted: Token) -> str | None:
    """The outcome reported for the counted thing.

    Its own adjective or verb, the verb it is subject or object of, or an object complement ("left twelve soldiers
    dead").
    """
    candidates = [counted, *counted.children]
    governor = counted.head
    if counted.dep_ in ("nsubj", "nsubjpass", "dobj", "attr", "pobj", "appos") or counted.dep_ == "nummod":
        candidates += [governor, *(c for c in governor.children if c.dep_ in ("oprd", "acomp", "ccomp", "xcomp"))]
        if governor.dep_ == "prep":
            candidates.append(governor.head)
    for token in candidates:
        group = OUTCOMES.get(token.lemma_.lower()) or OUTCOMES.get(token.lower_)
        if group:
            return group
    return None
