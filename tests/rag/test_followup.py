"""Follow-ups resolved from the previous question's parse: pronouns to what it asked about, fragments filled in."""

from __future__ import annotations

import pytest

from rag.answer.followup import lacks_verb, resolve
from rag.answer.pipeline import Answerer, Turn
from rag.testing.llm import QueueModel

RESOLVED = [
    # the issue's case: the answer names someone else, the pronoun is still the person asked about
    ("Who is Amara Diallo?", "Which organization does he work for?", "Which organization does Amara Diallo work for?"),
    ("Who is Fatou Ndiaye?", "What did she say about the election?", "What did Fatou Ndiaye say about the election?"),
    ("Who is Fatou Ndiaye?", "Who met her in Bamako?", "Who met Fatou Ndiaye in Bamako?"),
    ("Who is Amara Diallo?", "Does the Sahel Monitoring Group employ him?",
     "Does the Sahel Monitoring Group employ Amara Diallo?"),
    ("Who is Amara Diallo?", "What is his title?", "What is Amara Diallo's title?"),
    ("Who is Fatou Ndiaye?", "What is her role?", "What is Fatou Ndiaye's role?"),
    ("Who leads the Sahel Monitoring Group?", "When was it founded?", "When was the Sahel Monitoring Group founded?"),
    ("Who leads the Sahel Monitoring Group?", "Where are they based?", "Where are the Sahel Monitoring Group based?"),
    ("What did Malians say about the Sahel Monitoring Group?", "What do they want?", "What do Malians want?"),
    ("Did Amara Diallo meet Kofi Mensah in Bamako?", "What did he say afterwards?",
     "What did Amara Diallo say afterwards?"),
    ("Who is Amara Diallo?", "Is it true that he resigned?", "Is it true that Amara Diallo resigned?"),
    ("What happened in Bamako last week?", "What about Gao?", "What happened in Gao last week?"),
    ("What did the Sahel Monitoring Group say about the attack?", "And the Liptako Relief Network?",
     "What did the Liptako Relief Network say about the attack?"),
    ("What is Amara Diallo's role?", "And Kofi Mensah?", "What is Kofi Mensah's role?"),
    ("What happened in Bamako?", "How about in March?", "What happened in Bamako in March?"),
    ("What happened in Gao last week?", "And in March?", "What happened in Gao in March?"),
]

UNRESOLVED = [
    ("What did the Sahel Monitoring Group report?", "Is it true that the army withdrew?"),  # a placeholder "it"
    ("What happened in Bamako?", "When did it start raining?"),
    ("Who is Amara Diallo?", "Which organization does Kofi Mensah work for?"),  # names its own subject
    ("Who is Amara Diallo?", "What did Kofi Mensah say about his work?"),
    ("Who is Amara Diallo?", "When was it founded?"),  # "it" is not a person
    ("Who leads the Sahel Monitoring Group?", "When did he take over?"),  # "he" is in the answer, not the question
    ("Who is Amara Diallo?", "Did he meet her?"),  # two people
    ("Who is Amara Diallo?", "What did he say about that?"),  # "that" is still open
    ("What did the Sahel Monitoring Group say about the attack?", "When did it happen?"),  # the group or the attack
    ("Which Malian officials met the Sahel Monitoring Group?", "What did they decide?"),
    ("What happened in Bamako?", "What about the casualties?"),  # not a name or a date
    ("What happened?", "What about Gao?"),  # nothing to swap
]


@pytest.mark.parametrize(("previous", "question", "expected"), RESOLVED)
def test_a_follow_up_resolves_to_what_the_previous_question_asked_about(previous: str, question: str,
                                                                         expected: str) -> None:
    assert resolve(question, previous) == expected


@pytest.mark.parametrize(("previous", "question"), UNRESOLVED)
def test_a_follow_up_the_parse_does_not_settle_is_left_to_the_model(previous: str, question: str) -> None:
    assert resolve(question, previous) is None


def test_a_question_without_a_verb_counts_as_a_fragment() -> None:
    assert lacks_verb("What about Gao?") and lacks_verb("And in March?")
    assert not lacks_verb("Which organization does he work for?")


def _answerer(model: QueueModel) -> Answerer:
    return Answerer(None, None, model)  # type: ignore[arg-type]  # rewrite needs neither index nor embedder


ISSUE_HISTORY = [Turn("Who is Amara Diallo?", "Amara Diallo is an adviser; Kofi Mensah leads the mission [1].")]


def test_rewrite_does_not_ask_the_model_when_the_parse_resolves_the_pronoun() -> None:
    model = QueueModel(["What organization does Kofi Mensah work for?"])
    rewritten = _answerer(model).rewrite("Which organization does he work for?", ISSUE_HISTORY)
    assert rewritten == "Which organization does Amara Diallo work for?"
    assert model.calls == []


def test_rewrite_asks_the_model_when_the_parse_cannot_decide() -> None:
    model = QueueModel(["Who succeeded Kofi Mensah at the Sahel Monitoring Group?"])
    history = [Turn("Who leads the Sahel Monitoring Group?", "Kofi Mensah leads it [1].")]
    rewritten = _answerer(model).rewrite("When did he take over?", history)
    assert rewritten == "Who succeeded Kofi Mensah at the Sahel Monitoring Group?"
    assert len(model.calls) == 1 and "<conversation>" in model.calls[0][-1]["content"]


def test_rewrite_resolves_against_the_previous_standalone_question() -> None:
    model = QueueModel([])
    history = [Turn("Who is Amara Diallo?", "An adviser [1]."),
               Turn("What about Fatou Ndiaye?", "A minister [1].", standalone="Who is Fatou Ndiaye?")]
    assert _answerer(model).rewrite("Where was she born?", history) == "Where was Fatou Ndiaye born?"
    assert model.calls == []


def test_rewrite_treats_a_verbless_question_as_a_follow_up() -> None:
    model = QueueModel([])
    history = [Turn("What happened in Bamako last week?", "Protests [1].")]
    assert _answerer(model).rewrite("What about Gao?", history) == "What happened in Gao last week?"
    assert model.calls == []
