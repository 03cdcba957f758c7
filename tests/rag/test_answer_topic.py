"""A quote is on the question's topic by meaning as well as by words (the real MiniLM embedder)."""

from __future__ import annotations

import pytest

from rag.answer.answertype import answers, covers_topic
from rag.answer.topic import TOPIC_SIMILARITY, TopicSimilarity
from rag.models.embed import Embedder

GAP = "How narrow is the gap between Cuba and Florida?"
APART = "Cuba lies less than 100 miles from Florida."


def test_a_paraphrase_without_the_questions_words_is_on_topic_by_meaning(real_embedder: Embedder) -> None:
    related = TopicSimilarity(real_embedder)
    assert not covers_topic(GAP, APART)  # neither "narrow" nor "gap" is in the quote
    assert related.similarity(GAP, APART) >= TOPIC_SIMILARITY
    assert not answers(GAP, APART, APART) and answers(GAP, APART, APART, related)


def test_a_quote_about_something_else_in_the_same_story_is_not_on_topic(real_embedder: Embedder) -> None:
    related = TopicSimilarity(real_embedder)
    other = "The ferry company said ticket prices would rise by a fifth from next month."
    assert related.similarity(GAP, other) < TOPIC_SIMILARITY
    assert not answers(GAP, other, other, related)


def test_the_meaning_test_takes_the_closest_sentence_and_can_be_turned_off(real_embedder: Embedder) -> None:
    quotes = f"The ferry company said ticket prices would rise. {APART}"
    closest = TopicSimilarity(real_embedder).similarity(GAP, APART)
    assert TopicSimilarity(real_embedder).similarity(GAP, quotes) == pytest.approx(closest, abs=1e-3)
    assert not TopicSimilarity(real_embedder, threshold=1.0)(GAP, APART)
    assert TopicSimilarity(real_embedder).similarity(GAP, "   ") == 0.0


def test_meaning_does_not_overrule_a_typed_questions_answer_span(real_embedder: Embedder) -> None:
    """On topic by meaning, but "How many" still needs a number that counts what is asked."""
    question = "How many ferries cross the strait each day?"
    quote = "Ferries cross the strait every day."
    related = TopicSimilarity(real_embedder)
    assert related(question, quote)
    assert not answers(question, quote, quote, related)


def test_the_meaning_test_is_opt_in(seed_index) -> None:
    from rag.answer.pipeline import Answerer
    from rag.testing.llm import QueueModel

    by_default = Answerer(seed_index, seed_index.embedder, QueueModel([])).check
    assert by_default.keywords["related"] is None  # type: ignore[attr-defined]
    opted = Answerer(seed_index, seed_index.embedder, QueueModel([]), topic_similarity=0.72).check
    related = opted.keywords["related"]  # type: ignore[attr-defined]
    assert isinstance(related, TopicSimilarity) and related.threshold == 0.72
