"""What a question asks for: the named-entity labels its answer must carry, from the parse and WordNet.

The wh-word says most of it: *who* asks for a person, body, nationality or country, *where* for a place, *when* for
a date or time, *how many* / *how much* for an amount. *Which* and *what* ask for a kind of thing, and the noun they
ask about says which kind: WordNet's class of its most frequent sense (:mod:`rag.nlp.wordnet`), with those of
senses about as frequent ("office": a building, and a body), maps to the entity labels of that kind ("which
official" → a person, "which province" → a place, "which ministry" → a body, "what year" → a date). A noun of
another class ("what kind", "which deal") sets no label: any phrase will do; so does *what* with a man-made thing
("What weapons…" is answered by "drones"), where *which* asks for particular, named ones ("which air bases").
"""

from __future__ import annotations

import re

from spacy.tokens import Doc, Token

from rag.nlp.names import NAME_LABELS
from rag.nlp.parse import parse
from rag.nlp.wordnet import noun_classes

AGENTS = frozenset({"PERSON", "ORG", "NORP", "GPE"})
PLACES = frozenset({"GPE", "LOC", "FAC"})
TIMES = frozenset({"DATE", "TIME"})
AMOUNTS = frozenset({"CARDINAL", "QUANTITY", "MONEY", "PERCENT"})
NAMES = frozenset(NAME_LABELS)

CLASS_LABELS: dict[str, frozenset[str]] = {
    "person": frozenset({"PERSON"}),
    "group": frozenset({"ORG", "NORP", "GPE"}),
    "location": PLACES,
    "artifact": frozenset({"FAC", "GPE", "LOC", "PRODUCT"}),
    "time": TIMES,
    "quantity": AMOUNTS,
}
"""WordNet's noun classes that name a kind of entity, and the entity labels (OntoNotes, spaCy's) of that kind.

An artifact asked about by name is a structure, a site or a product ("which air bases", "which hospital"): a
facility, place or product to the pipeline, or a name holding such a noun ("… Air Base", "… Hospital", which the
small pipeline often labels an organisation)."""
_TIME_NOUNS = frozenset({"year", "day", "date", "month", "week", "time", "hour", "weekday"})
"""Nouns after *what*/*which* that ask for a date or time ("which day", "what time": WordNet files *time*'s most
frequent sense as an event)."""
_NOMINAL = ("NOUN", "PROPN", "ADJ", "NUM")


_LEADING_CLAUSE = re.compile(r"^\s*(when|if|as|after|while|once)\b[^,?]*,\s*(?=(who|whom|whose|what|which|where|how)\b)",
                             re.IGNORECASE)


def main_question(question: str) -> str:
    """The question without a leading clause that only sets the scene ("When the army strikes, who…" → "who…")."""
    return _LEADING_CLAUSE.sub("", question)


def asked_noun(wh: Token) -> Token | None:
    """The noun a *what*/*which* determiner asks about: "which day" → day, "which Pakistani air bases" → bases.

    A pronoun *what* ("List what residents said…") asks about no noun.
    """
    if wh.dep_ == "det" and wh.head.pos_ in ("NOUN", "PROPN") and wh.head.i > wh.i:
        return wh.head
    if wh.tag_ != "WDT":
        return None
    noun = None
    for token in wh.doc[wh.i + 1:]:
        if token.pos_ not in _NOMINAL and not (token.text in ("-", "–") and noun is not None):
            break
        if token.pos_ == "NOUN":
            noun = token
    return noun


def _named_thing(doc: Doc) -> Token | None | bool:
    """For "the name of X" / "Name the X": X; ``True`` when a name is asked for without saying of what."""
    for token in doc:
        if token.lemma_.lower() != "name" or token.pos_ not in ("NOUN", "VERB"):
            continue
        if token.pos_ == "VERB":
            if token.i != next(t.i for t in doc if not t.is_punct):
                continue  # "Who was named commander?": only an imperative "Name the…" asks for a name
            obj = next((c for c in token.children if c.dep_ == "dobj"), None)
            return obj if obj is not None else True
        of = next((c for c in token.children if c.dep_ == "prep" and c.lower_ == "of"), None)
        thing = next((c for c in of.children if c.dep_ == "pobj"), None) if of is not None else None
        return thing if thing is not None else True
    return None


def noun_labels(noun: Token) -> frozenset[str] | None:
    """The entity labels of the kind ``noun`` names (its compound first: "air bases"), or ``None`` for another kind.

    The word as written goes to WordNet first (its own lemmatiser knows "bases" → base, where spaCy says basis).
    """
    compounds = [c for c in noun.lefts if c.dep_ == "compound" and c.pos_ == "NOUN"]
    heads = [noun.lower_, noun.lemma_.lower()]
    words = [f"{compounds[-1].lower_}_{h}" for h in heads] if compounds else []
    for word in [*words, *heads]:
        found = noun_classes(word)
        if found:
            if found[0] not in CLASS_LABELS:
                return None  # first of all an idea, an act, a message…: not a kind of named thing
            return frozenset().union(*(CLASS_LABELS.get(kind, frozenset()) for kind in found))
    return None


def expected_labels(question: str) -> frozenset[str] | None:
    """The named-entity labels an answer must carry; ``None``: any phrase will do (see the module)."""
    doc = parse(main_question(question))
    named = _named_thing(doc)
    if named is True:
        return NAMES
    if named is not None and not isinstance(named, bool):
        return noun_labels(named) or NAMES
    for token in doc:
        if token.tag_ not in ("WP", "WP$", "WRB", "WDT"):
            continue
        word = token.lower_
        if word in ("who", "whom", "whose"):
            return AGENTS
        if word == "where":
            return PLACES
        if word == "when":
            return TIMES
        if word == "how":
            following = token.nbor(1).lower_ if token.i + 1 < len(doc) else ""
            if following in ("many", "much"):
                return AMOUNTS
            if following in ("long", "often"):
                return AMOUNTS | TIMES
            return None
        if word in ("what", "which"):
            noun = asked_noun(token)
            if noun is not None and noun.lemma_.lower() in _TIME_NOUNS:
                return TIMES
            labels = noun_labels(noun) if noun is not None else None
            if word == "what" and labels == CLASS_LABELS["artifact"]:
                return None  # "What weapons…" is answered by "drones"; "which air bases…" asks for particular ones
            return labels
    return None


def asks_name(question: str) -> bool:
    """Whether the question asks for a name as such ("What is the name of…", "Name the…"): a role does not answer."""
    return _named_thing(parse(question)) is not None
