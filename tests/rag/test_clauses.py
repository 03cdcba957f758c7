"""Complete statements by the parse: a verb with its own subject, closed as a sentence (real spaCy pipeline)."""

from __future__ import annotations

import pytest

from rag.nlp.clauses import ends_as_sentence, is_complete_sentence
from rag.nlp.parse import parse


@pytest.mark.parametrize("text", [
    "Militias shelled the river port overnight.",
    "The port was shelled overnight, officials said.",
    "“We will not give up the port,” the mayor said.",
    "Is the ceasefire holding?",
    "There were fierce clashes last Thursday.",
    "The council is concerned.",
])
def test_statements_are_complete(text: str) -> None:
    assert is_complete_sentence(parse(text))


@pytest.mark.parametrize("text", [
    "31 killed",                                                  # a headline: no full stop
    "12 dead, dozens injured.",                                   # a bare participle is a headline
    "2015 documentary.",                                          # no verb
    "Check the score based on the company's fundamentals…",       # a call to action, cut off
    "Leadership | Entrepreneurship People | Culture.",            # a menu line
    "Founded in 1949 by the river council.",                      # no subject of its own
    "Sign up for our newsletter.",                                # an imperative: nobody does it
])
def test_fragments_headlines_and_page_furniture_are_not(text: str) -> None:
    assert not is_complete_sentence(parse(text))


def test_an_ellipsis_is_a_cut_not_an_end() -> None:
    assert ends_as_sentence("He said so.”") and not ends_as_sentence("He said so...") and not ends_as_sentence("So…")
