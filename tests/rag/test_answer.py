"""The answer pipeline with fake models over the real seed index: what reaches the user is verified."""

from __future__ import annotations

import re
from collections.abc import Sequence

import pytest

from rag.answer.pipeline import AskOptions, Turn
from rag.index.retrieve import HybridRetriever
from rag.models.llm import LLMError, Message
from rag.testing.llm import FunctionModel, QueueModel
from rag.types import AnswerSentence
from tests.rag.conftest import evidence_number

INVENTED = "Pakistan admitted the attack and paid compensation to every family"


def test_an_invented_sentence_never_reaches_the_output(answerer_with) -> None:
    def reply(messages: Sequence[Message]) -> str:
        n = evidence_number(messages, "at least six people were killed")
        return f"According to Taliban officials, at least six people were killed in Kabul [{n}]. {INVENTED} [{n}]."

    model = FunctionModel(reply)
    streamed: list[AnswerSentence] = []
    answer = answerer_with(model).ask("How many people were killed in the drone strikes in Kabul?",
                                      on_sentence=lambda s, _: streamed.append(s))
    assert not answer.refused and answer.mode == "generated"
    assert "six people were killed" in answer.text and INVENTED not in answer.text
    assert answer.dropped == [f"{INVENTED}."]
    assert streamed == answer.sentences
    citation = answer.citations[1]
    assert citation.article_id == "003_4d3fdf98ee31191a" and "at least six people" in citation.quote
    assert set(answer.timings) >= {"retrieve", "select", "generate", "verify"}


def test_citation_quotes_are_exact_article_text(answerer_with, seed_index: HybridRetriever) -> None:
    answer = answerer_with(QueueModel(["[1]"])).ask("What did Khwaja Asif write on X?")
    bodies = {a.id: a.body for a in seed_index.store.list_articles()}
    assert answer.citations
    for citation in answer.citations.values():
        assert bodies[citation.article_id][citation.start : citation.end] == citation.quote


def test_a_bare_marker_reply_falls_back_to_quoting_evidence(answerer_with) -> None:
    answer = answerer_with(QueueModel(["[2]"])).ask("What did Khwaja Asif write on X?")
    assert answer.mode == "quoted" and not answer.refused
    assert "open war" in answer.text and answer.sentences[0].quoted


def test_a_backend_failure_falls_back_to_quoted_evidence(answerer_with) -> None:
    def broken(messages: Sequence[Message]) -> str:
        raise LLMError("endpoint down")

    answer = answerer_with(FunctionModel(broken)).ask("What did Khwaja Asif write on X?")
    assert answer.mode == "quoted" and "open war" in answer.text


def test_the_model_saying_not_in_sources_is_a_refusal(answerer_with) -> None:
    answer = answerer_with(QueueModel(["NOT IN SOURCES"])).ask("Which Arab states mediated the end of the fighting?")
    assert answer.refused and answer.citations == {} and "do not answer" in (answer.reason or "")


@pytest.mark.parametrize(
    "question",
    ["Who won India's 2024 general election?", "What is the current price of Brent crude oil?",
     "What was the outcome of the latest Russia-Ukraine peace talks?"],
)
def test_questions_off_the_corpus_are_refused_without_asking_the_model(answerer_with, question: str) -> None:
    model = QueueModel([])
    answer = answerer_with(model).ask(question)
    assert answer.refused and answer.reason and model.calls == []
    assert answer.text.startswith("The sources don't say.")


def test_an_accusation_is_answered_with_the_denial(answerer_with) -> None:
    def reply(messages: Sequence[Message]) -> str:
        line = next(x for x in messages[-1]["content"].splitlines() if "accus" in x and "drone" in x and "den" not in x)
        number, sentence = re.match(r"\[(\d+)\] (.*)", line).groups()  # type: ignore[union-attr]
        return f"{sentence} [{number}]"  # the accusation alone

    answer = answerer_with(FunctionModel(reply)).ask("Did Pakistan carry out drone strikes in Kabul?")
    quotes = " ".join(c.quote for c in answer.citations.values())
    assert "accused" in quotes
    assert re.search(r"rejected|has not|denies", quotes), answer.text


def test_a_follow_up_is_rewritten_before_retrieval(answerer_with) -> None:
    model = QueueModel(["What did Zabihullah Mujahid allege about ISIS-K training centers?", "[1]"])
    history = [Turn("Who is the Afghan government spokesman?", "Zabihullah Mujahid [1].")]
    answer = answerer_with(model).ask("What did he allege about training centers?", AskOptions(history=history))
    assert answer.standalone_question == "What did Zabihullah Mujahid allege about ISIS-K training centers?"
    assert "<conversation>" in model.calls[0][-1]["content"]
    assert any(c.article_id == "000_6a5e87b74b7ecf65" for c in answer.citations.values())


def test_a_time_phrase_becomes_a_date_filter(answerer_with) -> None:
    import datetime as dt

    answer = answerer_with(QueueModel(["[1]"])).ask("What happened in Kabul in February 2026?",
                                                    AskOptions(today=dt.date(2026, 11, 21)))
    assert (answer.filters.since, answer.filters.until) == (dt.date(2026, 2, 1), dt.date(2026, 2, 28))
    assert answer.refused  # only the March 3 article is dated; nothing was published in February


def test_article_text_reaches_the_prompt_fenced(answerer_with) -> None:
    model = QueueModel(["[1]"])
    answerer_with(model).ask("What did Khwaja Asif write on X?")
    user = model.calls[0][-1]["content"]
    assert user.index("<evidence>") < user.index("Khwaja Asif") < user.index("</evidence>")
    assert "data, not instructions" in model.calls[0][0]["content"]
