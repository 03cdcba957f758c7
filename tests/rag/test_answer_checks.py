"""Answers that answer: streamed markers, sentences held until the answer stands, refusals with related passages."""

from __future__ import annotations

import re
from collections.abc import Sequence

import pytest

from rag.answer.answertype import (
    answer_spans,
    answers,
    described_answers,
    expected_type,
    is_multipart,
    missing_question_names,
    site_names,
)
from rag.answer.pipeline import AnswerCancelled, AskOptions, second_passage
from rag.models.llm import Message
from rag.testing.llm import FunctionModel, QueueModel
from rag.types import Evidence
from tests.rag.conftest import evidence_number


def test_markers_that_open_the_next_streamed_sentence_keep_their_citation(answerer_with) -> None:
    def reply(messages: Sequence[Message]) -> str:
        n = evidence_number(messages, "at least six people were killed")
        return f"According to Taliban officials, at least six people were killed in Kabul. [{n}] Nothing else."

    seen: list[tuple[str, list[int]]] = []
    answer = answerer_with(FunctionModel(reply)).ask(
        "How many people were killed in the alleged drone strikes in Kabul?",
        on_sentence=lambda s, _: seen.append((s.text, s.citations)))
    assert not answer.refused
    assert seen[0][0].startswith("According to Taliban officials") and seen[0][1] == [1]
    assert "six people were killed" in answer.citations[1].quote


def test_nothing_is_streamed_when_the_answer_ends_in_a_refusal(answerer_with) -> None:
    def reply(messages: Sequence[Message]) -> str:
        n = evidence_number(messages, "homes were damaged")
        return f"Local NGOs report that at least 15 homes were damaged. [{n}]"

    seen: list[str] = []
    answer = answerer_with(FunctionModel(reply)).ask("How many homes were destroyed in Kandahar?",
                                                     on_sentence=lambda s, _: seen.append(s.text))
    assert answer.refused and seen == [] and answer.citations == {}
    assert answer.related and all(c.quote for c in answer.related)  # shown apart, never as the answer


@pytest.mark.parametrize(
    "question",
    ["What is the capital of Khyber Pakhtunkhwa?", "Which UN official visited Kabul?",
     "How many homes were destroyed in Kandahar?"],
)
def test_a_related_passage_is_not_an_answer(answerer_with, question: str) -> None:
    answer = answerer_with(QueueModel(["[1]"])).ask(question)  # a bare marker: only the quoted fallback could answer
    assert answer.refused, answer.text
    assert answer.text.startswith("The sources don't say.") and answer.related


def test_a_demonym_in_the_question_is_not_a_missing_name(answerer_with) -> None:
    assert missing_question_names("What did Chinese and Iranian officials warn about?", ["China and Iran echoed"]) == []
    assert missing_question_names("What happened on the Afghanistan-Pakistan border on Sunday?",
                                  ["Afghanistan and Pakistan clashed"]) == []
    assert missing_question_names("Name the Iraqi officials who spoke.", ["Iran"]) == ["Iraqi"]


def test_an_imperative_opener_and_weekday_are_not_names() -> None:
    assert missing_question_names("Compare what Kabul said on Sunday in March.", ["Kabul"]) == []


@pytest.mark.parametrize(
    ("question", "kind"),
    [("How many people were killed?", "number"), ("When did the clashes happen?", "date"),
     ("Who condemned the strikes?", "name"), ("Where did Mujahid speak?", "name"), ("What did Asif write?", "any"),
     ("What is the name of the official who spoke?", "name"), ("At around what time did he hear it?", "date")],
)
def test_expected_answer_type(question: str, kind: str) -> None:
    assert expected_type(question) == kind


def test_the_answer_span_must_be_of_the_asked_type_and_in_the_quote() -> None:
    quote = "Local NGOs report that at least 15 homes were damaged, and hundreds of families have been displaced."
    assert answers("How many homes were damaged?", "At least 15 homes were damaged.", quote)
    assert not answers("How many homes were damaged?", "Homes were damaged.", quote)
    assert not answers("When were homes damaged?", "At least 15 homes were damaged.", quote)


def test_a_clock_time_is_a_time_answer() -> None:
    quote = "It was around 3 a.m. that we heard a loud boom and sounds of explosions here in Kabul ."
    assert answer_spans("At around what time did Bahiss hear the explosions?", quote, "date") == ["3 a.m."]


def test_a_person_question_is_not_answered_by_a_country() -> None:
    quote = "“We are committed to working with Afghanistan for regional peace,” said a senior Pakistani official."
    question = "What is the name of the senior Pakistani official who spoke?"
    assert not answers(question, quote, quote)
    assert answers(question, "Khwaja Asif spoke.", "Pakistan's Defense Minister Khwaja Asif spoke on Friday.")
    assert answers("Who said they were committed to regional peace?", quote, quote)  # an unnamed speaker answers "who"


def test_an_unnamed_speaker_answers_who_said_it_only_as_the_one_who_said_it() -> None:
    quote = "On Monday, aid officials warned that the fighting could spread to the north."
    assert answers("Who warned that the fighting could spread?", quote, quote)
    assert described_answers("Who warned that the fighting could spread?", quote) == ["aid officials"]
    # An official the sentence mentions doing something else is not who did what the question asks.
    other = "The ministry’s officials said drones carried out the strikes on the depot."
    assert not answers("Who carried out the strikes on the depot?", other, other)
    # Nor is a described speaker the answer when the question asks which of them it was.
    assert not answers("Which officials warned that the fighting could spread?", quote, quote)


def test_a_sentence_with_the_question_s_actor_and_target_reversed_does_not_answer() -> None:
    question = "Which militant group did Afghanistan accuse Pakistan of harboring and supporting?"
    reversed_ = "Islamabad accuses the Taliban of harboring TTP militants, while Kabul insists otherwise."
    right = "Afghanistan has accused Pakistan of harboring and supporting the Islamic State’s Khorasan branch, ISIS-K."
    assert not answers(question, reversed_, reversed_)
    assert answers(question, right, right)


def test_which_role_questions_ask_for_a_person_not_a_nationality() -> None:
    question = "Which Taliban commander led the Feb. 27 assault on the Pakistani border positions?"
    quote = "On Feb. 27, Afghan Taliban troops stormed dozens of Pakistani border positions."
    assert expected_type(question) == "name" and not answers(question, quote, quote)
    assert answers(question, "Commander Hafiz Gul led it.", "Commander Hafiz Gul led the Feb. 27 assault on the "
                   "Pakistani border positions.")


def test_two_part_questions_are_recognised() -> None:
    assert is_multipart("Who called for restraint, and who mediated to end the fighting?")
    assert not is_multipart("What is the name of the official who said Pakistan was not involved?")
    assert not is_multipart("According to Saira Khan, how might Afghanistan retaliate?")


def test_a_number_from_a_passage_about_something_else_does_not_answer(answerer_with) -> None:
    """The Kerman bombing is named in one passage; a death toll from a passage about Kabul is not its answer."""
    def reply(messages: Sequence[Message]) -> str:
        kerman = evidence_number(messages, "Kerman")
        kabul = evidence_number(messages, "at least six people were killed")
        return (f"Mujahid said attacks including the January 2024 bombing in Kerman, Iran, were planned there. "
                f"[{kerman}] According to Taliban officials, at least six people were killed. [{kabul}]")

    answer = answerer_with(FunctionModel(reply)).ask("How many people were killed in the January 2024 Kerman bombing?")
    assert answer.refused, answer.text


def test_the_quoted_fallback_quotes_the_passage_the_model_pointed_at(answerer_with) -> None:
    """"[n] Name" names the answer: that passage is quoted even when the ranking put another one first."""
    question = "Who said something about the drone strikes in Kabul?"
    chosen: list[str] = []

    def reply(messages: Sequence[Message]) -> str:
        lines = re.findall(r"^\[(\d+)\] (.*)$", messages[-1]["content"], re.M)
        number, text, name = next((n, t, spans[0]) for n, t in reversed(lines)
                                  if n != "1" and (spans := answer_spans(question, t, "name")) and answers(question, t, t))
        chosen.append(text)
        return f"[{number}] {name}"

    answer = answerer_with(FunctionModel(reply)).ask(question)
    assert answer.mode == "quoted" and [c.quote for c in answer.citations.values()] == chosen


def test_cancelling_stops_generation(answerer_with) -> None:
    with pytest.raises(AnswerCancelled):
        answerer_with(QueueModel(["Six people were killed in Kabul. [1] More text follows here."])).ask(
            "How many people were killed in Kabul?", AskOptions(cancelled=lambda: True))


def test_max_tokens_reaches_the_model(answerer_with) -> None:
    asked: list[int] = []

    class Recording(QueueModel):
        def stream(self, messages, max_tokens=256):  # type: ignore[no-untyped-def]
            asked.append(max_tokens)
            return super().stream(messages, max_tokens)

    answerer_with(Recording(["[1]"])).ask("How many people were killed in Kabul?", AskOptions(max_tokens=77))
    assert asked == [77]


def _evidence(number: int, text: str, relevance: float) -> Evidence:
    return Evidence(number=number, text=text, article_id="a", chunk_id="a:0", title="Kabul strikes", outlet=None,
                    published_at=None, url=None, start=0, end=len(text), relevance=relevance)


def test_a_nearly_as_relevant_passage_that_also_answers_is_quoted_beside_the_answer() -> None:
    question = "How many homes were damaged in Kabul?"
    cited = _evidence(1, "Local NGOs report that at least 15 homes were damaged in Kabul.", 0.80)
    other = "Officials said 20 homes were damaged in Kabul's Bagrami district."
    background = _evidence(3, "The strikes came after weeks of border clashes.", 0.78)
    assert second_passage(question, [cited, _evidence(2, other, 0.75), background], {1}) == _evidence(2, other, 0.75)
    assert second_passage(question, [cited, _evidence(2, other, 0.60), background], {1}) is None  # far less relevant
    assert second_passage(question, [cited, background], {1}) is None  # relevant, but gives no number
    assert second_passage(question, [cited, _evidence(2, other, 0.75)], set()) is None  # nothing written to back


@pytest.mark.parametrize(("question", "site", "covered"), [
    ("What did the Harbour Herald op-ed say about the port?", "harbourherald.example", {"Harbour", "Herald"}),
    ("When does the treaty lapse, according to the Ledger's appeal?", "theledger.example", {"Ledger"}),
    ("What did the Times of Halvik report?", "news.timesofhalvik.example", {"Times", "Halvik"}),
    ("What did Halvik say about the port?", "news.timesofhalvik.example", set()),  # a word inside a site's name
    ("What did the Harbour Herald say?", "harbour.example", set()),
])
def test_a_question_may_name_the_outlet_by_its_site(question: str, site: str, covered: set[str]) -> None:
    assert site_names(question, f"{site} The port reopened.") == covered


def test_an_outlet_named_in_the_question_is_not_a_missing_name() -> None:
    question = "When does the treaty lapse, according to the Ledger's appeal?"
    assert missing_question_names(question, ["The treaty lapses in February."]) == ["Ledger"]
    assert missing_question_names(question, ["theledger.example The treaty lapses in February."]) == []
