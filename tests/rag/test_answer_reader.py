"""The answer reader and the checks on its phrase: verbatim, new to the question, of the asked type, said.

The reader is a fake whose reply is computed from the question and passage it is shown (the seam is
:class:`rag.verify.judge.ShortReader`); the parse is the real spaCy pipeline. Other-domain text throughout.
"""

from __future__ import annotations

import pytest

from rag.answer.answerable import READ_THRESHOLD, expected_labels, reads_as_answer
from rag.answer.reader import AnswerReader, locate
from rag.models.llm import LLMError
from rag.testing.judge import FunctionReader
from tests.rag.conftest import evidence_number


def copying(*candidates: str):
    """A fake reader that copies the first candidate phrase the passage holds, else says NONE."""
    def reply(question: str, passage: str) -> str:
        return next((c for c in candidates if c.lower() in passage.lower()), "NONE")
    return reply


def reader_of(*candidates: str, p_none: float | None = None) -> AnswerReader:
    return AnswerReader(FunctionReader(copying(*candidates), p_none=p_none))


@pytest.mark.parametrize(("question", "wanted"), [
    ("Who shelled Donetsk overnight?", "PERSON"),
    ("Whose forces entered the town?", "ORG"),
    ("Where did the convoy stop?", "GPE"),
    ("When did the ceasefire begin?", "DATE"),
    ("How many soldiers were killed in the raid?", "CARDINAL"),
    ("How much did the company pay for the startup?", "MONEY"),
    ("In which year was the treaty signed?", "DATE"),
    ("What day did the talks resume?", "DATE"),
])
def test_the_wh_word_sets_the_entity_labels_an_answer_needs(question: str, wanted: str) -> None:
    labels = expected_labels(question)
    assert labels is not None and wanted in labels


@pytest.mark.parametrize("question", ["What did the minister say about the talks?", "Why did the convoy stop?",
                                      "Which company bought the startup?"])
def test_other_questions_take_any_phrase(question: str) -> None:
    assert expected_labels(question) is None


def test_a_number_that_counts_the_dead_answers_how_many_were_killed() -> None:
    quote = "The raid left twelve soldiers dead, officials in Kharkiv said."
    assert reads_as_answer("How many soldiers were killed in the raid?", quote, quote, reader_of("twelve soldiers"))


def test_a_passive_without_an_agent_does_not_answer_who() -> None:
    quote = "Donetsk was shelled overnight, officials said."
    assert not reads_as_answer("Who shelled Donetsk?", quote, quote, reader_of("officials"))


def test_a_named_agent_answers_who() -> None:
    quote = "Donetsk was shelled overnight by Russian artillery units, Ukrainian officials said."
    assert reads_as_answer("Who shelled Donetsk?", quote, quote, reader_of("Russian artillery units"))


def test_none_is_no_answer() -> None:
    quote = "The company reported record profits in the third quarter."
    assert not reads_as_answer("How much aid has Norway pledged to Sudan?", quote, quote, reader_of())


def test_a_phrase_the_passage_does_not_hold_is_no_answer() -> None:
    quote = "The company reported record profits in the third quarter."
    made_up = AnswerReader(FunctionReader(lambda q, p: "4.2 billion dollars"))
    assert not reads_as_answer("How much profit did the company make?", quote, quote, made_up)


def test_a_phrase_already_in_the_question_is_no_answer() -> None:
    quote = "The strikes on the port were condemned by Chile in a statement on Tuesday."
    assert not reads_as_answer("Who condemned the strikes on the port?", quote, quote, reader_of("the strikes"))
    assert reads_as_answer("Who condemned the strikes on the port?", quote, quote, reader_of("Chile"))


def test_a_low_score_is_no_answer() -> None:
    quote = "Lisbon hosted the summit in 2019."
    assert not reads_as_answer("Where was the summit held?", quote, quote, reader_of("Lisbon", p_none=0.9))
    assert READ_THRESHOLD <= 1 - 0.1
    assert reads_as_answer("Where was the summit held?", quote, quote, reader_of("Lisbon", p_none=0.1))


def test_a_reply_of_the_wrong_type_is_no_answer() -> None:
    quote = "The ceasefire was announced by the mediators after a long night of talks."
    assert not reads_as_answer("When was the ceasefire announced?", quote, quote, reader_of("the mediators"))


def test_reversed_roles_veto_the_reading() -> None:
    quote = "Brazil accused Argentina of blocking the trade deal."
    assert not reads_as_answer("Which deal did Argentina accuse Brazil of blocking?", quote, quote,
                               reader_of("the trade deal"))
    assert reads_as_answer("Which deal did Brazil accuse Argentina of blocking?", quote, quote,
                           reader_of("the trade deal"))


def test_a_written_sentence_must_state_the_phrase() -> None:
    quote = "The film was directed by Ana Costa and written by Rui Lopes."
    reader = reader_of("Ana Costa")
    assert reads_as_answer("Who directed the film?", "Ana Costa directed the film. [1]", quote, reader)
    assert not reads_as_answer("Who directed the film?", "The film had a director. [1]", quote, reader)


def test_readings_are_cached_and_the_reader_fails_closed() -> None:
    fake = FunctionReader(copying("Lisbon"))
    reader = AnswerReader(fake)
    reader.read("Where was the summit held?", "Lisbon hosted the summit.")
    reader.read("Where was the summit held?", "Lisbon hosted the summit.")
    assert fake.calls == 1 and fake.read == [("Where was the summit held?", "Lisbon hosted the summit.")]

    def broken(question: str, passage: str) -> str:
        raise LLMError("the judge endpoint failed")
    failed = AnswerReader(FunctionReader(broken)).read("Where was the summit held?", "Lisbon hosted the summit.")
    assert failed.phrase is None and failed.score == 0.0


def test_the_phrase_is_located_whatever_its_case_spacing_and_end_punctuation() -> None:
    passage = "Officials said  at least 40 people\nwere evacuated."
    start, end = locate("At least 40 people were evacuated.", passage)  # type: ignore[misc]
    assert passage[start:end] == "at least 40 people\nwere evacuated"
    assert locate("40 people were rescued", passage) is None
    assert locate("east", "Beast of the East") == (13, 17)  # whole words only


def names_then_number(question: str, passage: str) -> str:
    """A reader fake that reads the text: the first number, if the passage names what the question names.

    Every capitalised word of the question past its first must be in the passage; else the reply is NONE.
    """
    import re

    asked = [w for w in re.findall(r"\b[A-Z]\w+", question)[1:]]
    if any(w not in passage for w in asked):
        return "NONE"
    number = re.search(r"\d[\d,.]*(?: million| billion)?", passage)
    return number.group(0) if number else "NONE"


def test_the_answerer_asks_the_reader_and_refuses_a_distractor_it_does_not_answer(seed_index) -> None:
    from rag.answer.pipeline import Answerer
    from rag.testing.llm import FunctionModel
    from rag.verify import Verifier
    from tests.rag.conftest import evidence_number

    def reply(messages) -> str:  # the weak model's habit: a number of the asked type, about something else
        n = evidence_number(messages, "over 23 million people rely on aid")
        return f"Over 23 million people rely on aid. [{n}]"

    question = "How much aid has China pledged to Afghanistan?"
    fake = FunctionReader(names_then_number)
    answer = Answerer(seed_index, seed_index.embedder, FunctionModel(reply), Verifier(fake),
                      read_answers=True).ask(question)
    assert answer.refused and fake.read, answer.text
    assert any("23 million" in passage for _, passage in fake.read)

    asked = "How many people rely on aid in Afghanistan, according to OCHA?"
    answered = Answerer(seed_index, seed_index.embedder, FunctionModel(reply), Verifier(fake),
                        read_answers=True).ask(asked)
    assert not answered.refused and "23 million" in answered.text


def test_without_a_reader_the_rule_checks_decide(seed_index) -> None:
    from rag.answer.answertype import answers
    from rag.answer.pipeline import Answerer
    from rag.testing.llm import QueueModel
    from rag.verify import Verifier

    no_judge = Answerer(seed_index, seed_index.embedder, QueueModel([]), read_answers=True).check
    assert no_judge.func is answers  # type: ignore[attr-defined]
    by_default = Answerer(seed_index, seed_index.embedder, QueueModel([]), Verifier(FunctionReader(copying())))
    assert by_default.check.func is answers  # type: ignore[attr-defined]  # the reader is opt-in
    reading = Answerer(seed_index, seed_index.embedder, QueueModel([]), Verifier(FunctionReader(copying())),
                       read_answers=True)
    assert reading.check.func is reads_as_answer  # type: ignore[attr-defined]


@pytest.mark.parametrize(("a", "b", "differ"), [
    (("Facebook acquired WhatsApp in 2014.", "Facebook"), ("Apple acquired WhatsApp in 2016.", "Apple"), True),
    (("The deal was worth 19 billion dollars.", "19 billion dollars"),
     ("The deal was worth 22 billion dollars.", "22 billion dollars"), True),
    (("Facebook acquired WhatsApp.", "Facebook"), ("Facebook Inc. acquired WhatsApp.", "Facebook Inc."), False),
    (("The truce began in February 2014.", "February 2014"), ("The truce began in 2014.", "2014"), False),
    (("The talks were productive.", "productive"), ("The talks were useful.", "useful"), False),
])
def test_two_answers_differ_only_by_names_or_numbers_neither_shares(a, b, differ: bool) -> None:
    from rag.answer.answerable import different_answers
    from rag.nlp.parse import parse

    def phrase(text: str, words: str):
        start = text.index(words)
        return parse(text).char_span(start, start + len(words))

    assert different_answers(phrase(*a), phrase(*b)) is differ


@pytest.fixture(scope="module")
def buyers_index(tmp_path_factory, real_embedder):
    """Two short articles that name different buyers for the same company, in a real Chroma with the real embedder."""
    from rag.index.ingest import ingest_paths
    from rag.index.retrieve import HybridRetriever
    from rag.index.store import Store
    from tests.conftest import make_settings

    folder = tmp_path_factory.mktemp("buyers")
    (folder / "one.md").write_text("---\ntitle: Messaging deal\noutlet: Wire One\ndate: 2014-02-20\n---\n"
                                   "Facebook acquired the messaging app WhatsApp for 19 billion dollars. "
                                   "The founders will stay on.\n")
    (folder / "two.md").write_text("---\ntitle: Messaging takeover\noutlet: Wire Two\ndate: 2014-02-21\n---\n"
                                   "Apple acquired the messaging app WhatsApp in a surprise deal. "
                                   "Analysts were divided.\n")
    settings = make_settings(tmp_path_factory.mktemp("buyers-data") / "data")
    store = Store(settings)
    assert len(ingest_paths([folder], store, real_embedder, settings).added) == 2
    return HybridRetriever(store, real_embedder, settings.max_chunks_per_article)


def test_passages_that_name_different_answers_are_both_quoted(buyers_index) -> None:
    from rag.answer.pipeline import DISAGREE, Answerer
    from rag.testing.llm import FunctionModel
    from rag.verify import Verifier

    def reply(messages) -> str:  # the model picks one side
        n = evidence_number(messages, "Apple acquired")
        return f"Apple acquired WhatsApp. [{n}]"

    def first_capitalised_subject(question: str, passage: str) -> str:  # reads the buyer off the passage
        return passage.split()[0] if " acquired " in passage else "NONE"

    fake = FunctionReader(first_capitalised_subject)
    answer = Answerer(buyers_index, buyers_index.embedder, FunctionModel(reply), Verifier(fake), read_answers=True,
                      disagree=True).ask("Which company acquired WhatsApp?")
    assert answer.disagree and answer.text.startswith(DISAGREE), answer.text
    quotes = " ".join(c.quote for c in answer.citations.values())
    assert "Facebook acquired" in quotes and "Apple acquired" in quotes

    agreeing = FunctionReader(lambda q, p: "WhatsApp" if "WhatsApp" in p else "NONE")
    answer = Answerer(buyers_index, buyers_index.embedder, FunctionModel(reply), Verifier(agreeing),
                      read_answers=True, disagree=True).ask("What did Apple acquire?")
    assert not answer.disagree and not answer.text.startswith(DISAGREE)

    unasked = Answerer(buyers_index, buyers_index.embedder, FunctionModel(reply), Verifier(fake),
                       read_answers=True).ask("Which company acquired WhatsApp?")
    assert not unasked.disagree and not unasked.text.startswith(DISAGREE)  # the note is opt-in (answer_disagreement)


def test_an_open_question_falls_back_to_the_topic_check_a_typed_one_does_not() -> None:
    from rag.answer.answertype import answers

    quote = "The ministry said the port would reopen once the mines were cleared, officials in Odesa said on Monday."
    silent = reader_of()  # the reader says NONE to everything
    open_question = "What did the ministry say about reopening the port?"
    assert answers(open_question, quote, quote) and reads_as_answer(open_question, quote, quote, silent)
    typed = "When will the port reopen?"
    assert not reads_as_answer(typed, quote, quote, silent)
