"""Names in a parsed text and when two names stand for the same thing.

Names are the pipeline's entities (people, organisations, places, nationalities, events, works) and runs of proper
nouns it did not label. Two names match when they fold to the same words (case, accents, a leading article and a
possessive aside), when one's words are a part of the other's ("Maduro" and "Nicolás Maduro"), when one is the other's
acronym ("UN", "United Nations"; "U.S." and "United States"), or when countryinfo gives them one country
("Venezuelan", "Caracas", "Venezuela").
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from spacy.tokens import Doc

from rag.nlp.countries import country_names

NAME_LABELS = frozenset({"PERSON", "ORG", "GPE", "NORP", "LOC", "FAC", "EVENT", "PRODUCT", "WORK_OF_ART", "LAW"})
_FUNCTION = frozenset({"of", "the", "for", "and", "in", "on", "at", "to", "de", "e", "i", "al", "el", "la", "du"})


@dataclass(frozen=True)
class Name:
    text: str
    label: str
    """The entity label, ``PROPN`` for a proper-noun run the pipeline left unlabelled."""
    start: int
    """Token offsets in the parsed text."""
    end: int

    @property
    def kind(self) -> str:
        """``place`` (countryinfo knows it, or a location), ``person``, ``org``, or ``other`` (label untrusted).

        The small pipeline labels some given names as places ("Bianca" as a GPE): only countryinfo's say is a place.
        """
        if country_of(self.text) or self.label in ("LOC", "FAC"):
            return "place"
        return {"PERSON": "person", "ORG": "org"}.get(self.label, "other")


def fold(text: str) -> str:
    """Lower case, accents and dots dropped, a leading article and a trailing possessive removed."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower().replace(".", "")
    text = re.sub(r"[’']s?$", "", re.sub(r"[’']s\b", "", text.strip()))
    return re.sub(r"^(the|a|an)\s+", "", re.sub(r"[\s\-]+", " ", text)).strip()


def fold_text(text: str) -> str:
    """A whole text folded word by word (possessives and punctuation to spaces), for phrase lookups."""
    text = re.sub(r"[’']s\b", " ", text)
    return " ".join(fold(w) for w in re.findall(r"[\w.\-]+", text) if fold(w))


def names(doc: Doc) -> list[Name]:
    """The names in ``doc``: entities first, then proper-noun runs outside any entity."""
    found = [Name(_clean(e.text), e.label_, e.start, e.end) for e in doc.ents if e.label_ in NAME_LABELS]
    inside = {i for n in found for i in range(n.start, n.end)}
    run: list[int] = []
    for token in [*doc, None]:
        if token is not None and token.pos_ == "PROPN" and token.i not in inside and token.is_alpha and (
                not token.ent_type_):  # a weekday or a month is a date, not a name
            run.append(token.i)
            continue
        if run:
            found.append(Name(_clean(doc[run[0] : run[-1] + 1].text), "PROPN", run[0], run[-1] + 1))
        run = []
    return [n for n in _joined(doc, sorted(found, key=lambda n: n.start)) if fold(n.text)]


def _joined(doc: Doc, found: list[Name]) -> list[Name]:
    """Pieces of one name the pipeline split, joined again: names that touch, or meet across a hyphen."""
    out: list[Name] = []
    for name in found:
        last = out[-1] if out else None
        if last is not None and (name.start == last.end or name.start <= last.end + 2 and all(
                t.text in ("-", "–") or t.is_lower and len(t) <= 2 for t in doc[last.end : name.start])) and (
                name.start == last.end or doc[last.end].text in ("-", "–") or doc[last.end - 1].text.endswith("-")):
            label = last.label if last.label != "PROPN" else name.label
            out[-1] = Name(_clean(doc[last.start : name.end].text), label, last.start, name.end)
            continue
        out.append(name)
    return out


def _clean(text: str) -> str:
    text = re.sub(r"^(the|The|THE)\s+", "", text.strip())
    return re.sub(r"[’']s?$", "", text).strip()


@lru_cache(maxsize=65536)
def country_of(name: str) -> str | None:
    """The country a name, capital or demonym stands for (countryinfo), or None."""
    key = fold(name)
    found = country_names().get(key) or country_names().get(key.rstrip("s"))
    return found.lower() if found else None


def is_acronym(short: str, long: str) -> bool:
    """``short`` is the initials of ``long``'s words, function words optional ("UN", "United Nations")."""
    letters = [c for c in short if c.isalpha()]
    if not 2 <= len(letters) <= 8 or not "".join(letters).isupper():
        return False
    words = [w for w in re.split(r"[\s\-]+", unicodedata.normalize("NFKD", long)) if w and w[0].isalpha()]
    if len(words) < 2:
        return False
    everything = "".join(w[0] for w in words).upper()
    content = "".join(w[0] for w in words if w.lower() not in _FUNCTION).upper()
    return "".join(letters).upper() in (everything, content)


def names_same(a: str, b: str) -> bool:
    """Whether two names stand for the same person, body or place."""
    fa, fb = fold(a), fold(b)
    if not fa or not fb:
        return False
    if fa == fb:
        return True
    if is_acronym(a.replace(".", ""), b) or is_acronym(b.replace(".", ""), a):
        return True
    ca, cb = country_of(a), country_of(b)
    if (ca is None) != (cb is None):
        return False  # a country is not a body named after it ("Chad", "the Chad Basin Commission")
    wa, wb = set(fa.split()) - _FUNCTION, set(fb.split()) - _FUNCTION
    if wa and wb and (wa <= wb or wb <= wa):
        return True
    return ca is not None and ca == cb


def mentioned(name: str, doc: Doc) -> bool:
    """``doc`` names ``name`` or something that stands for the same (see :func:`names_same`)."""
    folded = f" {fold_text(doc.text)} "
    if f" {fold(name)} " in folded:
        return True
    country = country_of(name)
    if country is not None and any(country_of(w) == country for w in folded.split()):
        return True  # "Afghan-Pakistani border" names both countries
    return any(names_same(name, other.text) for other in names(doc))
