"""Does a verified sentence answer the question? Expected answer type, the short answer span, the question's topic.

A sentence can be true to its quote and still not answer: "How many homes were destroyed in Kandahar?" is not
answered by "at least 15 homes were damaged" in Kabul. Three checks, all against the cited quotes:

- every name in the question is mentioned (demonyms count: "Chinese" ↔ "China");
- at least ``TOPIC_SHARE`` of the question's other content words are there (the thing asked about), or, where
  the caller gives a meaning test (:class:`rag.answer.topic.TopicSimilarity`), a quote sentence is close to the
  question in meaning; and a verb the question shares with the quote has the same actor and target;
- for how many / when / who / where questions, the sentence has a short answer span of that type (a number, a
  date or time, a name) that is not already in the question and occurs verbatim in a cited quote.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Literal

from rag.nlp.frames import described_speakers
from rag.nlp.parse import parse
from rag.text import (
    MONTHS,
    NUMBER_WORDS,
    STOPWORDS,
    WEEKDAYS,
    dates_in,
    has_word,
    is_place_name,
    mentions,
    names_in,
    normalize,
    numbers_in,
    stem,
)
from rag.verify.rules import roles_reversed

AnswerType = Literal["number", "date", "name", "any"]

TOPIC_SHARE = 1 / 3
"""Share of the question's non-name content words (at least one) the cited quotes must contain."""
_QUANTITIES = ("dozens", "hundreds", "thousands", "millions", "several", "many", "few", "dozen")
_TIMES = re.compile(
    r"\b(\d{1,2}(:\d\d)?\s*(a\.m\.|p\.m\.|am|pm)|overnight|morning|evening|night|nighttime|afternoon|weekend|"
    r"yesterday|today|last (week|month|year|night)|(19|20)\d\d|\d{4}s)(?!\w)", re.I)
_PERSON = re.compile(r"^\s*(who|whom|whose)\b|\bwhich (\w+ ){0,2}(person|official|minister|leader|analyst|spokesman|"
                     r"spokesperson|commander|expert)\b|\b(the )?name of\b|^\s*name\b", re.I)
_ASKS_NAME = re.compile(r"\bname\b", re.I)
_SECOND_QUESTION = re.compile(r"\band\s+(who|whom|whose|what|which|when|where|how|around what|in what)\b", re.I)
_GENERIC = frozenset(stem(w) for w in (
    "article articles source sources report reports reported according say said says tell told describe "
    "described mention mentioned give list name compare explain summarize summarise happen happened "
    "accord kind kinds sort type types role part detail details specific specifically exactly also other "
    "one two both each many much number data information news latest recent recently take place happen occur "
    "event events situation matter thing things way time day days year years today current currently".split()))


def expected_type(question: str) -> AnswerType:
    q = normalize(question).lower()
    # "When the army strikes, who does it say it targets?": the leading clause sets a scene; the main one asks.
    q = re.sub(r"^\s*(when|if|as|after|while|once)\b[^,?]*,\s*(?=(who|whom|whose|what|which|where|how)\b)", "", q)
    if re.search(r"\bhow (many|much)\b|\bnumber of\b|\bwhat (number|percentage|share)\b|\bhow long\b|\bhow far\b", q):
        return "number"
    if re.search(r"^\s*when\b|\bwhat (day|date|year|month|time)\b|\bon what day\b|\bwhich (day|date|year|month)\b|"
                 r"\bwhen did\b|\bwhen was\b", q):
        return "date"
    if _PERSON.search(q) or re.search(r"\bwhich\b|^\s*where\b", q):  # "which X": a named one of them
        return "name"
    return "any"


def answer_spans(question: str, sentence: str, kind: AnswerType) -> list[str]:
    """Pieces of ``sentence`` of the expected type that the question does not already hold."""
    if kind == "number":
        spans = sorted(numbers_in(sentence) - numbers_in(question))
        spans += [w for w in _QUANTITIES if has_word(sentence, w) and not has_word(question, w)]
        counted = counted_things(question)
        return [n for n in spans if not counted or _counts(sentence, n, counted)]
    if kind == "date":
        spans = sorted(dates_in(sentence) - dates_in(question))
        spans += [m.group(0) for m in _TIMES.finditer(sentence) if m.group(0).lower() not in question.lower()]
        return spans
    if kind == "name":
        person = bool(_PERSON.search(normalize(question)))  # a person is not a country, capital or demonym
        spans = sorted(n for n in names_in(sentence) if not mentions(question, n)
                       and not (person and is_place_name(n)))
        if person and not _ASKS_NAME.search(normalize(question)):  # "Who said X?" — "a senior official" answers
            spans += described_answers(question, sentence)
        return spans
    return []


def described_answers(question: str, sentence: str) -> list[str]:
    """Who does the question's verb in the sentence, when described and not named.

    "Who said X?" is answered by "…,” said a senior official" (the subject of "say"), not by an official the
    sentence mentions doing anything else, nor by "a senior official" when the question asks which official.
    """
    asked = parse(normalize(question))
    verbs = {t.lemma_.lower() for t in asked if t.pos_ == "VERB"}
    words = {t.lemma_.lower() for t in asked} | {t.lower_ for t in asked}
    return [actor.text for actor in described_speakers(parse(normalize(sentence)), verbs)
            if actor.root.lemma_.lower() not in words and actor.root.lower_ not in words]


_HOW_MANY = re.compile(r"\bhow (?:many|much)\s+((?:[\w’'-]+\s+){0,3}?)(?:were|was|are|is|did|do|does|have|has|had|"
                       r"took|take|will|would|could|can)\b", re.I)
_COUNT_WINDOW = 5
"""A number answers "how many X" when a word for X follows it within this many words ("15 homes", "five decades of")."""


def counted_things(question: str) -> set[str]:
    """Stems of what a "how many X" question counts ("How many Taliban troops took part" → taliban, troop)."""
    question = normalize(question)
    match = _HOW_MANY.search(question) or re.search(r"\bhow (?:many|much)\s+(\w+)", question, re.I)
    if not match:
        return set()
    return {stem(w) for w in re.findall(r"\w+", match.group(1).lower()) if w not in STOPWORDS}


def _counts(sentence: str, number: str, counted: set[str]) -> bool:
    tokens = re.findall(r"[\w.]+", normalize(sentence).lower())
    values = {number.lower()} | {w for w, v in NUMBER_WORDS.items() if str(v) == number}
    for i, token in enumerate(tokens):
        if token.rstrip(".") in values or numbers_in(token) & {number}:
            if {stem(w.rstrip(".")) for w in tokens[i + 1 : i + 1 + _COUNT_WINDOW]} & counted:
                return True
    return False


def span_in_quote(span: str, quotes: str) -> bool:
    if span.startswith("month:"):
        return span in dates_in(quotes)
    if span.lower() in WEEKDAYS or span.lower() in MONTHS:
        return has_word(quotes, span)
    if span.isdigit() or re.fullmatch(r"[\d.]+", span):
        return span in numbers_in(quotes)
    return has_word(quotes, span)


def is_multipart(question: str) -> bool:
    """Whether the question asks two things ("Who called for X, and who mediated?")."""
    return bool(_SECOND_QUESTION.search(normalize(question)))


def question_names(question: str) -> list[str]:
    return sorted(names_in(question))


def topic_words(question: str) -> set[str]:
    """The question's content stems that are neither names nor generic question words."""
    lowered_names = {n.lower() for n in names_in(question)}
    out = set()
    for word in re.findall(r"\w+", normalize(question).lower()):
        if word in STOPWORDS or word in lowered_names or word.isdigit() or len(word) < 3:
            continue
        s = stem(word)
        if s not in _GENERIC:
            out.add(s)
    return out


def covers_topic(question: str, quotes: str) -> bool:
    """A share of the question's topic words, and every regular past-tense verb it asks about ("visited")."""
    wanted = topic_words(question)
    if not wanted:
        return True
    have = {stem(w) for w in re.findall(r"\w+", normalize(quotes).lower())}
    actions = {stem(w) for w in re.findall(r"\b(?<!the )(?<!an )(?<!a )(?<!its )(?<!their )([a-z]{3,}ed)\b",
                                            normalize(question).lower())} & wanted
    return actions <= have and len(wanted & have) >= max(1, round(len(wanted) * TOPIC_SHARE))


_SITE = re.compile(r"(?<![\w@.-])((?:[a-z0-9-]+\.)+[a-z]{2,})(?![\w.-])", re.I)
_NAME_RUN = re.compile(r"\b(?:[Tt]he\s+)?[A-Z][\w’'&-]*(?:\s+(?:of\s+|and\s+|&\s+)?[A-Z][\w’'&-]*)*")
_MIN_SITE = 4
"""Letters a site's name needs to be matched (a two- or three-letter label is a country code or "co")."""


def _letters(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", re.sub(r"[’']s\b", "", text.lower()))


def site_names(question: str, texts: str) -> set[str]:
    """Names in the question that name a site the texts hold ("the Indian Express" ↔ indianexpress.com).

    A source's outlet is often asked about by name ("according to the Nation's appeal", "what did the Indian
    Express op-ed say"), while the article's text never writes it. A run of capitalised words (with "of" or "and"
    inside, and "the" before it) names a site when its letters are one of the labels of a domain in ``texts``
    (the outlet the caller adds to each text: "thenation.com", "economictimes.indiatimes.com").
    """
    labels = {_letters(label) for site in _SITE.findall(texts) for label in site.lower().split(".")[:-1]
              if len(label) >= _MIN_SITE and label != "www"}
    found: set[str] = set()
    for run in _NAME_RUN.finditer(normalize(question)):
        words = run.group(0).split()
        bare = words[1:] if words[0].lower() == "the" else words
        if bare and {_letters(" ".join(words)), _letters(" ".join(bare))} & labels:
            found |= names_in(" ".join(bare))
    return found


def missing_question_names(question: str, texts: Iterable[str]) -> list[str]:
    """Names in the question that none of ``texts`` mentions (demonyms and hyphenated parts understood).

    A name that, with the capitalised words beside it, spells a site a text holds (its outlet) is mentioned.
    """
    joined = " ".join(texts)
    missing = [n for n in question_names(question) if not mentions(joined, n)]
    return [n for n in missing if n not in site_names(question, joined)] if missing else missing


def answers(question: str, sentence: str, quotes: str, related: Callable[[str, str], bool] | None = None) -> bool:
    """Whether a sentence backed by ``quotes`` answers ``question``.

    The topic is covered (by the question's words, or by meaning when ``related`` says the quotes are about the
    question), a shared verb has the question's actor and target, and an answer span is in the quote.
    """
    on_topic = covers_topic(question, quotes) or (related is not None and related(question, quotes))
    if not on_topic or roles_reversed(question, quotes):
        return False
    kind = expected_type(question)
    if kind == "any":
        return True
    return any(span_in_quote(span, quotes) for span in answer_spans(question, sentence, kind))
