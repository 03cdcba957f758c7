"""What a sentence says someone *is*: descriptions tied to a named noun phrase, from the dependency parse.

A description is an apposition ("X, a senior analyst with W") or a copula's complement ("X is a senior analyst
with W", "X became the first Y"): its head noun ("analyst") and the names inside it ("W") belong to the phrase it
describes (its *holder*, "X"). A link is any such tie in a sentence, and also a verb's subject tied to the
name that heads its direct object or a preposition's object ("X works for W", "X hosts W").

A quote that gives a description to one named party does not say it of another: "X spoke to Z, an analyst with
W" says nothing of X working for W (see :func:`moved`).
"""

from __future__ import annotations

from dataclasses import dataclass

from spacy.tokens import Doc, Token

from rag.nlp.frames import frames, verb_subject
from rag.nlp.names import Name, names, names_same

_COPULAS = frozenset({"be", "become", "remain"})
_NOT_DESCRIPTION = frozenset({"relcl", "acl", "advcl", "ccomp", "conj", "cc"})


@dataclass(frozen=True)
class Description:
    holder: tuple[Name, ...]
    """The names of the phrase described ("Tomas Brandt" in "Tomas Brandt, a senior analyst")."""
    noun: str
    """The description's head lemma ("analyst"); empty for a verb's link."""
    named: tuple[Name, ...]
    """The names inside the description, or a verb's objects."""
    tokens: frozenset[int]
    """The description's token offsets."""


def _phrase(head: Token, skip: frozenset[str]) -> set[int]:
    out = {head.i}
    for child in head.children:
        if child.dep_ not in skip:
            out |= _phrase(child, skip)
    return out


def _holder(head: Token, found: list[Name]) -> tuple[Name, ...]:
    """The name ``head`` is part of, or that stands beside it ("the host, L. Varga").

    A description of "X's acquisition" is the acquisition's, not X's. A conjunct stands with its coordination ("X
    and Y, analysts with W": both hold the description).
    """
    while head.dep_ == "conj" and head.head is not head:
        head = head.head
    heads = {head.i} | {c.i for c in head.children if c.dep_ == "conj"}
    if head.pos_ == "NOUN":  # "the host, Lena Varga, …": the name beside a title stands for it
        heads |= {c.i for c in head.children if c.dep_ == "appos" and c.pos_ == "PROPN"}
    return tuple(n for n in found if any(n.start <= i < n.end for i in heads))


def _described(head: Token, found: list[Name], holder: tuple[Name, ...]) -> Description | None:
    if not holder:
        return None
    span = _phrase(head, _NOT_DESCRIPTION)
    named = tuple(n for n in found if n.start in span and n not in holder)
    return Description(holder, head.lemma_.lower(), named, frozenset(span))


def descriptions(doc: Doc) -> list[Description]:
    """Appositions and copula complements of named phrases, in order."""
    found = names(doc)
    out: list[Description] = []
    for token in doc:
        if token.dep_ == "appos" and token.pos_ == "PROPN" and token.head.pos_ == "NOUN":
            # "Russia's foreign minister, Sergei Lavrov": the name is described by the phrase it stands beside
            head = token.head
            span = _phrase(head, _NOT_DESCRIPTION | {"appos"})
            holder = tuple(n for n in found if n.start <= token.i < n.end)
            named = tuple(n for n in found if n.start in span)
            described = Description(holder, head.lemma_.lower(), named, frozenset(span)) if holder else None
        elif token.dep_ == "appos" and token.pos_ in ("NOUN", "PROPN"):
            described = _described(token, found, _holder(token.head, found))
        elif token.dep_ in ("attr", "oprd") and token.pos_ == "NOUN" and token.head.lemma_.lower() in _COPULAS:
            subject = next((c for c in token.head.children if c.dep_ in ("nsubj", "nsubjpass")), None)
            described = _described(token, found, _holder(subject, found)) if subject is not None else None
        else:
            continue
        if described is not None:
            out.append(described)
    return out


def links(doc: Doc) -> list[Description]:
    """Everything ``doc`` ties to a named phrase: its descriptions, and each verb's subject to its objects' names."""
    found = names(doc)
    out = descriptions(doc)
    for frame in frames(doc):
        verb = doc[frame.index]
        if frame.nominal or frame.passive or verb.pos_ != "VERB":
            continue
        subject = verb_subject(verb)[0]
        holder = _holder(subject, found) if subject is not None else ()
        if not holder:
            continue
        objects = [c for c in verb.children if c.dep_ in ("dobj", "dative")]
        objects += [g for p in verb.children if p.dep_ == "prep" for g in p.children if g.dep_ == "pobj"]
        objects += [c for o in objects for c in o.children if c.dep_ == "conj"]
        # the object's own name, not its modifiers: "spoke with Ukraine's president" ties no one to Ukraine
        named = tuple(n for o in objects for n in found if n.start <= o.i < n.end and n not in holder)
        if named:
            out.append(Description(holder, "", named, frozenset()))
    return out


def moved(sentence: Doc, quote: Doc) -> str | None:
    """A description the sentence ties to one named party that the quote gives only to another, or None.

    The sentence's party must be named in the quote outside that description, and every mention in the quote of
    what the sentence ties to it (a name, or a description's head noun) must lie in descriptions of other named
    parties. Then the quote does not say it of that party: "X spoke to Z, an analyst with W" does not say "X works
    for W" nor "X is an analyst".
    """
    theirs = descriptions(quote)
    if not theirs:
        return None
    quote_names = names(quote)
    for link in links(sentence):
        owned = [d for d in theirs if not _same(d.holder, link.holder)]
        if not owned:
            continue
        # a description nested in one the party holds is the party's too ("X, the director of Y, a film by Z")
        own = frozenset().union(*(d.tokens for d in theirs if _same(d.holder, link.holder)))
        inside = frozenset().union(*(d.tokens for d in owned)) - own
        if not any(_same((n,), link.holder) and not set(range(n.start, n.end)) & inside for n in quote_names):
            continue  # the sentence's party is not named in the quote apart from others' descriptions
        for name in link.named:
            mentions = [n for n in quote_names if names_same(n.text, name.text)]
            if mentions and all(set(range(n.start, n.end)) <= inside for n in mentions):
                other = next(d for d in owned if mentions[0].start in d.tokens - own)
                return (f"in the quote, {name.text} describes {other.holder[0].text}, "
                        f"not {link.holder[0].text}")
        if link.noun:
            mentions = [t.i for t in quote if t.lemma_.lower() == link.noun]
            if mentions and all(i in inside for i in mentions):
                other = next(d for d in owned if mentions[0] in d.tokens - own)
                return f"in the quote, '{link.noun}' describes {other.holder[0].text}, not {link.holder[0].text}"
    return None


def _same(a: tuple[Name, ...], b: tuple[Name, ...]) -> bool:
    return any(names_same(x.text, y.text) for x in a for y in b)
