"""The answer reader with the real 1.5B judge model, on other-domain passages (no seed text)."""

from __future__ import annotations

import pytest

from rag.answer.answerable import answer_phrase, reads_as_answer
from rag.answer.reader import AnswerReader
from rag.verify.verifier import build_judge
from tests.conftest import make_settings

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def reader(tmp_path_factory: pytest.TempPathFactory) -> AnswerReader:
    settings = make_settings(tmp_path_factory.mktemp("reader") / "data")
    return AnswerReader(build_judge(settings))  # the default judge: Qwen2.5-Coder-1.5B in llama.cpp


def test_the_model_copies_the_answer_and_says_none_when_there_is_none(reader: AnswerReader) -> None:
    raid = "The raid left twelve soldiers dead, officials in Kharkiv said."
    reading = reader.read("How many soldiers were killed in the raid?", raid)
    assert reading.phrase is not None and "twelve" in reading.phrase.lower() and reading.score > 0.5
    assert reads_as_answer("How many soldiers were killed in the raid?", raid, raid, reader)

    unrelated = "Fighting continued in the north, residents said."
    assert not reads_as_answer("When did the ceasefire begin?", unrelated, unrelated, reader)


def test_the_model_reads_roles_a_bag_of_words_would_miss(reader: AnswerReader) -> None:
    film = "The film was directed by Ana Costa and written by Rui Lopes."
    directed = answer_phrase("Who directed the film?", film, reader)
    written = answer_phrase("Who wrote the film?", film, reader)
    assert directed is not None and "Costa" in directed.text
    assert written is not None and "Lopes" in written.text
    shelled = "Donetsk was shelled overnight, officials said."
    assert not reads_as_answer("Who shelled Donetsk?", shelled, shelled, reader)  # no agent named


def test_a_distractor_of_the_asked_type_is_not_read_as_the_answer(reader: AnswerReader) -> None:
    aid = ("The UN agency warned that continued violence could worsen the humanitarian crisis in Sudan, where "
           "over 25 million people rely on aid.")
    assert not reads_as_answer("How much aid has Norway pledged to Sudan?", aid, aid, reader)
    assert reads_as_answer("How many people rely on aid in Sudan?", aid, aid, reader)

