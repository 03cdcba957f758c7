"""The parties a corpus names, and which of its names mean the same party.

Names are grouped only by what a maintained source or the corpus itself says: ``countryinfo`` maps a country's
names, capital and demonym to the country ("Caracas", "Venezuelan" → Venezuela); an article that writes
"Long Name (LN)" defines its acronym; a person or body written with a country's name in its own noun phrase
("the Ruritanian defence minister", "the government in Caracas") or in apposition speaks for that country;
an organisation does so only as the governing body ("the X government in C"). A surname alone is the person
the corpus names in full.
Everything else is a party of its own, under the name the text uses.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from spacy.tokens import Doc, Span, Token

from rag.nlp.countries import country_names
from rag.nlp.speech import PARTY_LABELS, core_tokens

GOVERNING_LEMMAS = frozenset({"government", "administration", "regime", "authority", "ministry", "cabinet"})
"""Nouns for a body that governs: "the X government in C" makes X speak for C (English, not names)."""



def clean_name(span: Span) -> str:
    """The name without a leading article or a trailing possessive ("the TTP’s" → "TTP")."""
    tokens = [t for t in span if not (t.i == span.start and t.lower_ in ("the", "a", "an")) and t.tag_ != "POS"
              and t.text not in ("’s", "'s")]
    text = "".join(t.text_with_ws for t in tokens).strip()
    for suffix in ("’s", "'s", "’", "'"):
        text = text.removesuffix(suffix)
    return text


def _initials_match(acronym: str, long_form: str) -> bool:
    letters = [c for c in acronym.upper() if c.isalpha()]
    initials = [w[0].upper() for w in long_form.replace("-", " ").split() if w[0].isalpha()]
    position = 0
    for initial in initials:
        if position < len(letters) and initial == letters[position]:
            position += 1
    return len(letters) >= 2 and position == len(letters) and initials[0] == letters[0]


class Parties:
    """Which party each name in a corpus stands for, learned from the corpus's parsed sentences."""

    def __init__(self, docs: Sequence[Doc]) -> None:
        self.acronyms: dict[str, str] = {}
        """Acronym → the long form its article defines ("NLF" → "Northern Liberation Front")."""
        self.short: dict[str, str] = {}
        """Long form → its acronym (what labels show)."""
        for doc in docs:
            self._learn_acronyms(doc)
        people = {clean_name(e) for doc in docs for e in doc.ents if e.label_ == "PERSON" and len(e) > 1}
        surnames = Counter(name.split()[-1] for name in people)
        self.surnames: dict[str, str] = {n.split()[-1]: n for n in people if surnames[n.split()[-1]] == 1}
        """A surname → the one full name the corpus gives it ("Rassendyll" → "Rudolf Rassendyll")."""
        votes: dict[str, Counter[str]] = {}
        people: set[str] = set()
        for doc in docs:
            for entity in doc.ents:
                if entity.label_ in PARTY_LABELS and self._country(entity) is None:
                    if entity.label_ == "PERSON":
                        people.add(self.name(entity))
                    for party in self._stated_parties(entity):
                        votes.setdefault(self.name(entity), Counter())[party] += 1
        self.affiliation: dict[str, str] = {}
        """A name → the party the corpus most often writes it with (ties: none); bodies first, then people."""
        for name in sorted(votes, key=lambda n: n in people):
            counter = Counter[str]()
            for party, count in votes[name].items():
                counter[self.affiliation.get(party, party)] += count
            ranked = counter.most_common(2)
            if ranked[0][0] != name and (len(ranked) == 1 or ranked[0][1] > ranked[1][1]):
                self.affiliation[name] = ranked[0][0]

    def _learn_acronyms(self, doc: Doc) -> None:
        for token in doc[2:-1]:
            if token.nbor(-1).text == "(" and token.nbor(1).text == ")" and token.text.isupper():
                before = [e for e in doc.ents if e.end == token.i - 1]
                chunks = [c for c in doc.noun_chunks if c.end == token.i - 1]
                for span in (*before, *chunks):
                    long_form = clean_name(span)
                    if _initials_match(token.text, long_form):
                        self.acronyms[token.text] = long_form
                        self.short[long_form] = token.text
                        break

    def name(self, span: Span) -> str:
        """The name a mention stands for: its long form when the corpus defines it as an acronym."""
        text = clean_name(span)
        return self.acronyms.get(text, self.surnames.get(text, text))

    def label(self, name: str) -> str:
        """How a name is shown: its acronym when it has one."""
        return self.short.get(name, name)

    def _country(self, span: Span) -> str | None:
        return country_names().get(clean_name(span).lower())

    def _stated_parties(self, entity: Span) -> list[str]:
        """Who the text says the entity speaks for.

        For a person, the country (else the body) in its noun phrase or apposition ("Ruritanian spokesman Ali Khan",
        "Ali Khan, the Ruritanian envoy"); for a body, the country of the government it names ("the X government
        in C", "the X ministry").
        """
        head = entity.root
        while head.dep_ in ("compound", "amod", "poss", "nmod") and head.head is not head:
            head = head.head
        inner = entity.root if entity.root.lemma_.lower() in GOVERNING_LEMMAS else None
        if entity.label_ != "PERSON":
            if inner is not None:
                return [self.name(m) for m in entity.doc.ents
                        if m.start >= entity.start and m.end <= entity.end and m != entity]
            return self._countries_in([head]) if head.lemma_.lower() in GOVERNING_LEMMAS else []
        phrases = [head, *(c for c in head.children if c.dep_ == "appos")]
        if head.dep_ == "appos":
            phrases.append(head.head)
        return self._countries_in(phrases, exclude=entity) or [
            self.name(o) for o in self._entities_in(phrases, entity) if o.label_ == "ORG"]

    def _entities_in(self, phrases: Sequence[Token], exclude: Span | None = None) -> list[Span]:
        doc = phrases[0].doc
        core = {t.i for phrase in phrases for t in core_tokens(phrase)}
        return [o for o in doc.ents if o != exclude and any(t.i in core for t in o)]

    def _countries_in(self, phrases: Sequence[Token], exclude: Span | None = None) -> list[str]:
        countries = (self._country(o) for o in self._entities_in(phrases, exclude))
        return [c for c in countries if c is not None]

    def is_country(self, span: Span) -> bool:
        return self._country(span) is not None

    def party(self, span: Span) -> str:
        """The party a mention belongs to: its country, the country the corpus gives it, or its own name."""
        country = self._country(span)
        if country is not None:
            return country
        name = self.name(span)
        return self.affiliation.get(name, name)
