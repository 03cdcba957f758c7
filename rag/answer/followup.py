"""Follow-up questions made to stand alone from the previous question's parse, before any model is asked.

A pronoun stands for what the previous question asked about: its first name that fits the pronoun, never a name the
answer happened to mention ("Who is Amara Diallo?" then "Which organization does he work for?" is about Amara Diallo,
whoever else the answer named). A follow-up without a verb ("What about Gao?", "And in March?") is the previous
question with its name or its date swapped for the new one. Where the parse does not settle it, :func:`resolve` says
``None`` and the caller asks the model instead.
"""

from __future__ import annotations

from functools import lru_cache

from spacy.tokens import Doc, Span, Token

from rag.nlp.names import Name, names
from rag.nlp.parse import load_pipeline, parse

_PERSONAL = {"he": "he", "him": "he", "his": "he", "she": "she", "her": "she", "hers": "she",
             "it": "it", "its": "it", "they": "they", "them": "they", "their": "they", "theirs": "they"}
"""Third-person pronouns (closed class) → the referent they agree with: a man, a woman, a thing, several or a body."""
_POSSESSIVE = frozenset({"his", "hers", "its", "their", "theirs"})
_DEMONSTRATIVE = frozenset({"this", "that", "these", "those"})
_CLAUSAL = frozenset({"ccomp", "xcomp", "csubj"})
"""A subject "it" whose verb or adjective takes a clause is a placeholder for it ("Is it true that …")."""
_IMPERSONAL = frozenset({"rain", "snow", "hail", "drizzle", "thunder"})
"""Verbs whose subject "it" stands for nothing ("Did it rain …")."""
_MODIFIER_DEPS = frozenset({"amod", "compound", "nmod"})
_TIME_LABELS = frozenset({"DATE", "TIME"})
_FRAME_POS = frozenset({"CCONJ", "ADP", "DET", "PUNCT", "PRON", "SCONJ", "ADV", "INTJ", "PART", "SPACE"})
"""What a verbless follow-up may hold besides its one name or date: "What about", "And", "How about … then"."""


def resolve(question: str, previous_question: str) -> str | None:
    """``question`` rewritten to stand alone from ``previous_question``, or ``None`` when the parse does not settle it.

    Pronouns become the previous question's focus (possessives "Name's"); a verbless follow-up swaps the previous
    question's name or date for its own. A question with nothing to resolve is ``None`` too: the caller decides.
    """
    doc, before = parse(question), parse(previous_question)
    if lacks_verb(question):
        return _elided(doc, before)
    return _pronouns_replaced(doc, before)


def lacks_verb(question: str) -> bool:
    """Whether the parse of ``question`` has no verb and no auxiliary ("What about Gao?")."""
    return not any(t.pos_ in ("VERB", "AUX") for t in parse(question))


def _pronouns_replaced(doc: Doc, before: Doc) -> str | None:
    pronouns = [t for t in doc if t.lower_ in _PERSONAL and t.pos_ == "PRON" and not _pleonastic(t)]
    kinds = {_PERSONAL[t.lower_] for t in pronouns}
    if len(kinds) != 1 or _unresolved_reference(doc):
        return None  # nothing to resolve, two referents ("Did he meet her?"), or "that"/"there" left over
    kind = kinds.pop()
    local = [n for n in names(doc) if n.start < pronouns[0].i and _fits(kind, n, doc)]
    focus = _focus(kind, before)
    if local or focus is None:
        return None  # the follow-up names its own antecedent, or the previous question names nothing that fits
    phrase = _phrase(before, focus)
    replaced = {t.i for t in pronouns}
    pieces: list[str] = []
    for token in doc:
        if token.i in replaced:
            text = f"{phrase}'s" if _is_possessive(token) else phrase
            pieces.append(_capitalised(text) if token.i == 0 else text)
            pieces.append(token.whitespace_)
        else:
            pieces.append(token.text_with_ws)
    return "".join(pieces)


def _elided(doc: Doc, before: Doc) -> str | None:
    if lacks_verb(before.text):
        return None  # the previous question is itself a fragment: nothing whole to fill in
    new_names = names(doc)
    dates = [e for e in doc.ents if e.label_ in _TIME_LABELS]
    if len(new_names) + len(dates) != 1:
        return None
    if dates:
        start, end = _with_preposition(dates[0])
        if not _only_frame(doc, start, end):
            return None
        return _date_swapped(doc[start:end], before)
    new = new_names[0]
    start, end = _extent(doc, new)
    if not _only_frame(doc, start, end):
        return None
    old = _replaced_name(new, doc, before)
    if old is None:
        return None
    old_start, old_end = _extent(before, old)
    text = doc[start:end].text
    return _spliced(before, old_start, old_end, _capitalised(text) if old_start == 0 else _lowered_article(text))


def _date_swapped(date: Span, before: Doc) -> str | None:
    """The previous question with its date replaced by ``date`` or, when it has none, with ``date`` added."""
    old = next((e for e in before.ents if e.label_ in _TIME_LABELS), None)
    has_preposition = date[0].pos_ == "ADP"
    if old is None:
        if not has_preposition and date[0].pos_ in ("PROPN", "NUM"):
            return None  # "And March?" after a question with no date: "in", "on" or "during" is a guess
        end = len(before)
        while end > 0 and before[end - 1].is_punct:
            end -= 1
        tail = before[end:].text
        return f"{before[:end].text} {date.text}{tail}"
    start, end = _with_preposition(old) if has_preposition else (old.start, old.end)
    return _spliced(before, start, end, date.text)


def _replaced_name(new: Name, doc: Doc, before: Doc) -> Name | None:
    """The previous question's name the new one stands in for: its only name, else its first of the same sort."""
    candidates = [n for n in names(before) if not _is_modifier(n, before)]
    if len(candidates) == 1:
        return candidates[0]
    sort = _sort(new, doc)
    same = [n for n in candidates if _sort(n, before) == sort]
    return same[0] if same else None


def _focus(kind: str, before: Doc) -> Name | None:
    """The first name in the previous question the pronoun can stand for; for "they", bodies and peoples first.

    "it" and "they" may as well stand for a thing the previous question asks about ("the attack", "the
    officials"): when it has a common noun of that number, there is no telling, and nothing is the focus.
    """
    found = names(before)
    inside = {i for n in found for i in range(n.start, n.end)}
    if any(t.i not in inside and (kind == "it" and t.pos_ == "NOUN" or kind == "they" and t.tag_ == "NNS")
           for t in before):
        return None
    fitting = [n for n in found if not _is_modifier(n, before) and _fits(kind, n, before)]
    if kind == "they":
        groups = [n for n in fitting if n.label in ("ORG", "NORP", "GPE") and not _is_person(n, before)]
        fitting = groups or fitting
    return fitting[0] if fitting else None


def _fits(kind: str, name: Name, doc: Doc) -> bool:
    if kind in ("he", "she"):
        return _is_person(name, doc)
    if kind == "it":
        return name.label != "NORP" and not _is_person(name, doc)
    return True


def _is_person(name: Name, doc: Doc) -> bool:
    """A person's name, as far as the parse can tell.

    The small pipeline labels unfamiliar people as organisations or leaves them unlabelled ("Who is Amara Diallo?"
    gives ORG). Such a name is taken for a person when it is two or more capitalised words, has no article and
    does not end in a common noun: a body's name ends in what it is (Group, Ministry, Network).
    """
    if name.kind == "place":
        return False
    if name.label == "PERSON":
        return True
    words = [t for t in doc[name.start : name.end] if t.tag_ != "POS"]
    if name.label not in ("ORG", "PROPN") or len(words) < 2 or any(t.pos_ == "DET" for t in words):
        return False
    return all(t.is_title for t in words) and not _common_noun(words[-1].lower_)


def _sort(name: Name, doc: Doc) -> str:
    if _is_person(name, doc):
        return "person"
    return "place" if name.kind == "place" or name.label == "GPE" else "other"


def _pleonastic(token: Token) -> bool:
    """A placeholder "it" ("Is it true that …", "When did it start raining?", "Did it rain …")."""
    if token.lower_ != "it":
        return False
    if token.dep_ == "expl":
        return True
    head = token.head
    return token.dep_ in ("nsubj", "nsubjpass") and (
        head.lemma_ in _IMPERSONAL or any(c.dep_ in _CLAUSAL for c in head.children))


def _unresolved_reference(doc: Doc) -> bool:
    """A demonstrative standing alone ("about that") or a "there" pointing at a place: still not standalone."""
    return any(t.lower_ in _DEMONSTRATIVE and t.pos_ == "PRON" or t.lower_ == "there" and t.dep_ != "expl"
               for t in doc)


def _is_possessive(token: Token) -> bool:
    return token.lower_ in _POSSESSIVE or token.lower_ == "her" and (token.tag_ == "PRP$" or token.dep_ == "poss")


def _is_modifier(name: Name, doc: Doc) -> bool:
    """The name only describes another noun ("Malian officials", "the Sahel Monitoring Group office")."""
    root = doc[name.start : name.end].root
    return root.dep_ in _MODIFIER_DEPS and not name.start <= root.head.i < name.end


def _extent(doc: Doc, name: Name) -> tuple[int, int]:
    """The name's tokens with an article that belongs to it and without a possessive ending."""
    start, end = name.start, name.end
    while end > start + 1 and doc[end - 1].tag_ == "POS":
        end -= 1
    if start > 0 and doc[start - 1].lower_ == "the" and start <= doc[start - 1].head.i < end:
        start -= 1
    return start, end


def _phrase(doc: Doc, name: Name) -> str:
    start, end = _extent(doc, name)
    return _lowered_article(doc[start:end].text)


def _with_preposition(span: Span) -> tuple[int, int]:
    """The date's tokens with the preposition that introduces it ("in March")."""
    start = span.start
    if start > 0 and span.doc[start - 1].pos_ == "ADP":
        start -= 1
    return start, span.end


def _only_frame(doc: Doc, start: int, end: int) -> bool:
    """Everything outside ``start:end`` is a function word: the follow-up is only its name or date."""
    return all(t.pos_ in _FRAME_POS for t in doc if not start <= t.i < end)


def _spliced(doc: Doc, start: int, end: int, text: str) -> str:
    return f"{doc[:start].text_with_ws if start else ''}{text}{doc[end - 1].whitespace_}{doc[end:].text_with_ws}"


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def _lowered_article(text: str) -> str:
    return f"the{text[3:]}" if text.startswith("The ") else text


@lru_cache(maxsize=1)
def _common_nouns() -> frozenset[str]:
    """Common nouns the pipeline's lemmatizer knows (its WordNet-derived index)."""
    table = load_pipeline().get_pipe("lemmatizer").lookups.get_table("lemma_index")  # type: ignore[attr-defined]
    return frozenset(table.get("noun", []))


def _common_noun(word: str) -> bool:
    nouns = _common_nouns()
    return word in nouns or word.endswith("s") and word[:-1] in nouns
