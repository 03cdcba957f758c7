"""Does a quote answer the question? The reader's phrase, checked against the parse: verbatim, new, of the asked type.

With a model that can read (:mod:`rag.answer.reader`), a sentence answers when the quotes it cites hold the phrase
the reader copied as the answer, with a score at or above ``READ_THRESHOLD``, and that phrase

- is not already in the question ("Who condemned the strikes?" is not answered by "the strikes");
- has the type the question's wh-word asks for, by the quote's named entities (``expected_labels``): a person,
  body or country for *who*, a place for *where*, a date or time for *when*, a number for *how many*;
- is what the written sentence says (one of its content words, or the same number, is in the sentence);

and the quote does not reverse the question's actor and target (a veto from the parse). An open question (no
asked type) is also answered when the rule checks of :mod:`rag.answer.answertype` pass: on the tune halves the
reader said NONE to a third of the gold quotes of open questions and to none of the distractors' passages, while
for typed questions it accepted 19 of 21 gold quotes against the rules' 16. Opt-in (``RAG_ANSWER_CHECK=reader``):
by default, and without a judge (``verifier_judge = "off"``), the rule checks decide alone.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from spacy.tokens import Doc, Span, Token

from rag.answer.answertype import answers
from rag.answer.reader import AnswerReader, Reading
from rag.nlp.numbers import quantities, same_amount
from rag.nlp.parse import parse
from rag.text import dates_in, numbers_in
from rag.verify.rules import roles_reversed

READ_THRESHOLD = 0.5
"""The reader's P(not NONE) at or above which its phrase is taken as the answer (chosen on the tune split)."""

_AGENTS = frozenset({"PERSON", "ORG", "NORP", "GPE"})
_PLACES = frozenset({"GPE", "LOC", "FAC"})
_TIMES = frozenset({"DATE", "TIME"})
_AMOUNTS = frozenset({"CARDINAL", "QUANTITY", "MONEY", "PERCENT"})
_TIME_NOUNS = frozenset({"year", "day", "date", "month", "week", "time", "hour", "weekday"})
"""Nouns after *what*/*which* that ask for a date or time ("which day", "what year")."""


def expected_labels(question: str) -> frozenset[str] | None:
    """The named-entity labels an answer must carry, from the question's wh-word; ``None``: any phrase will do."""
    doc = parse(question)
    for token in doc:
        if token.tag_ not in ("WP", "WP$", "WRB", "WDT"):
            continue
        word = token.lower_
        if word in ("who", "whom", "whose"):
            return _AGENTS
        if word == "where":
            return _PLACES
        if word == "when":
            return _TIMES
        if word == "how":
            following = token.nbor(1).lower_ if token.i + 1 < len(doc) else ""
            if following in ("many", "much"):
                return _AMOUNTS
            if following in ("long", "often"):
                return _AMOUNTS | _TIMES
            return None
        if word in ("what", "which"):
            head = _asked_noun(token)
            if head is not None and head.lemma_.lower() in _TIME_NOUNS:
                return _TIMES
            return None
    return None


def _asked_noun(wh: Token) -> Token | None:
    """The noun a *what*/*which* determiner asks about ("which day" → day), or ``None``."""
    if wh.dep_ == "det" and wh.head.pos_ in ("NOUN", "PROPN"):
        return wh.head
    nxt = wh.doc[wh.i + 1] if wh.i + 1 < len(wh.doc) else None
    return nxt if nxt is not None and nxt.pos_ == "NOUN" else None


def _content(span: Span) -> list[Token]:
    """Words that carry content: not punctuation, and not stop words unless numbers (spaCy lists "twelve")."""
    return [t for t in span if not (t.is_punct or t.is_space) and (t.like_num or not t.is_stop)]


def _in_question(span: Span, question: Doc) -> bool:
    """Every content word of the phrase is already in the question (by form or lemma)."""
    asked = {t.lower_ for t in question} | {t.lemma_.lower() for t in question}
    words = _content(span)
    return not words or all(t.lower_ in asked or t.lemma_.lower() in asked for t in words)


def _typed(span: Span, labels: frozenset[str]) -> bool:
    """The phrase overlaps a named entity of one of ``labels``, or holds a number when amounts are asked.

    The small pipeline's entity labels are often wrong between names ("Ana Costa" as a place), so for *who* and
    *where* a proper noun outside any date or number entity counts as a name too; a date never answers *who*.
    """
    overlapping = [e for e in span.doc.ents if e.start < span.end and span.start < e.end]
    if any(e.label_ in labels for e in overlapping):
        return True
    if labels & _AMOUNTS:
        return any(t.like_num for t in span)
    if labels & _TIMES:
        return False
    not_names = {i for e in overlapping if e.label_ in _TIMES | _AMOUNTS | {"ORDINAL"} for i in range(e.start, e.end)}
    return any(t.pos_ == "PROPN" and t.i not in not_names for t in span)


def _said(span: Span, sentence: str) -> bool:
    """The written sentence states the phrase: one of its content words, or one of its numbers, is there."""
    said = parse(sentence)
    forms = {t.lower_ for t in said} | {t.lemma_.lower() for t in said}
    if any(t.lower_ in forms or t.lemma_.lower() in forms for t in _content(span)):
        return True
    return bool(numbers_in(span.text) & numbers_in(sentence))


def phrase_span(reading: Reading, quotes: str) -> Span | None:
    """The reader's phrase as a span of the parsed quotes (token-aligned), or ``None``."""
    if reading.phrase is None:
        return None
    return parse(quotes).char_span(reading.start, reading.start + len(reading.phrase), alignment_mode="expand")


def answer_phrase(question: str, quotes: str, reader: AnswerReader, threshold: float = READ_THRESHOLD) -> Span | None:
    """The phrase of ``quotes`` that answers ``question`` (read, verbatim, new, of the asked type), or ``None``."""
    if not quotes.strip() or roles_reversed(question, quotes):
        return None
    reading = reader.read(question, quotes)
    span = phrase_span(reading, quotes)
    if span is None or reading.score < threshold or _in_question(span, parse(question)):
        return None
    labels = expected_labels(question)
    if labels is not None and not _typed(span, labels):
        return None
    return span


def reads_as_answer(question: str, sentence: str, quotes: str, reader: AnswerReader,
                    threshold: float = READ_THRESHOLD, related: Callable[[str, str], bool] | None = None) -> bool:
    """Whether ``sentence``, backed by ``quotes``, answers ``question`` (see the module's checks).

    A question that asks for a name, place, date or number is answered only by what the reader finds; an open one
    ("what did X say", "how did Y respond", yes/no) by the reader's phrase or, where the 1.5B reader says NONE to a
    quote that does answer (a third of such gold quotes on the tune halves), by the rule checks' topic test.
    """
    span = answer_phrase(question, quotes, reader, threshold)
    if span is not None and (sentence == quotes or _said(span, sentence)):
        return True
    return expected_labels(question) is None and answers(question, sentence, quotes, related)


def _years(text: str) -> set[str]:
    return set(re.findall(r"\b(?:1[89]|20)\d\d\b", text))


def _named(span: Span) -> set[str]:
    """The names in a phrase: proper nouns and words of named entities that are not dates or numbers."""
    names = {t.lower_ for t in span if t.pos_ == "PROPN" and not t.like_num}
    for ent in span.doc.ents:
        if ent.start < span.end and span.start < ent.end and ent.label_ not in _TIMES | _AMOUNTS | {"ORDINAL"}:
            names |= {t.lower_ for t in ent if not (t.is_stop or t.is_punct)}
    return names


def different_answers(a: Span, b: Span) -> bool:
    """Two answer phrases that cannot both be the answer: numbers, or names, on both sides and none shared.

    "Facebook" and "Apple", "19 billion" and "22 billion", "2014" and "2016" differ; "Facebook" and "Facebook Inc.",
    "2014" and "February 2014", or two phrases without a name or number (paraphrase, not disagreement) do not.
    """
    amounts_a, amounts_b = quantities(parse(a.text)), quantities(parse(b.text))
    if amounts_a and amounts_b:
        return not any(same_amount(x, y) for x in amounts_a for y in amounts_b)
    for found in (_years, dates_in):
        dates_a, dates_b = found(a.text), found(b.text)
        if dates_a and dates_b:
            return not dates_a & dates_b
    names_a, names_b = _named(a), _named(b)
    return bool(names_a and names_b) and not names_a & names_b
