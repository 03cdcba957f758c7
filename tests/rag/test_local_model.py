"""The real local model (Qwen2.5-Coder-0.5B GGUF through llama.cpp) on the seed corpus."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.answer.pipeline import Answerer
from rag.index.retrieve import HybridRetriever
from rag.models.files import MODELS, ModelFileError, verify_model
from rag.models.llm import LlamaCppModel, Message
from rag.models.usage import Usage, metering

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def answerer(seed_index: HybridRetriever, gguf_path: Path) -> Answerer:
    return Answerer(seed_index, seed_index.embedder, LlamaCppModel(gguf_path, threads=2, context=4096))


@pytest.mark.parametrize(
    ("question", "article"),
    [
        ("Which two international terrorist attacks did Mujahid say were planned from ISIS-K bases in Pakistan?",
         "000_6a5e87b74b7ecf65"),
        ("What did UN Secretary-General António Guterres urge both countries to engage in?", "003_4d3fdf98ee31191a"),
        ("Who wrote on X: \"Our cup of patience has overflowed. Now it is open war between us and you.\"?",
         "004_fce48783007ea49c"),
    ],
)
def test_questions_about_each_article_are_answered_with_citations_to_it(answerer: Answerer, question: str,
                                                                       article: str) -> None:
    answer = answerer.ask(question)
    assert not answer.refused, answer.reason
    assert answer.sentences and all(s.citations for s in answer.sentences)
    assert article in {c.article_id for c in answer.citations.values()}
    assert answer.model.startswith("qwen2.5-coder-0.5b")


@pytest.mark.parametrize(
    "question",
    [
        "Who won India's 2024 general election?",
        "What is the current price of Brent crude oil?",
        "How many Afghan refugees has Pakistan deported to Afghanistan this year?",
    ],
)
def test_questions_the_corpus_cannot_answer_are_refused(answerer: Answerer, question: str) -> None:
    answer = answerer.ask(question)
    assert answer.refused and answer.citations == {}


def test_the_assembled_model_matches_its_published_hash(gguf_path: Path) -> None:
    verify_model(gguf_path, MODELS["qwen2.5-coder-0.5b"])


def test_a_corrupted_model_file_is_a_clear_error(tmp_path: Path, gguf_path: Path) -> None:
    spec = MODELS["qwen2.5-coder-0.5b"]
    bad = tmp_path / spec.filename
    with gguf_path.open("rb") as source, bad.open("wb") as target:
        target.write(source.read(spec.size - 1) + b"\x00")
    with pytest.raises(ModelFileError, match="sha256"):
        verify_model(bad, spec)


def test_each_call_records_its_tokens_counted_with_the_models_tokenizer(gguf_path: Path) -> None:
    model = LlamaCppModel(gguf_path, threads=2, context=512)
    messages: list[Message] = [{"role": "user", "content": "Say hello."}]
    with metering() as meter:
        text = model.complete(messages, max_tokens=8)
        pieces = model.stream(messages, max_tokens=8)
        next(pieces)
        pieces.close()  # type: ignore[attr-defined]  # a client that left: what was generated still counts
    first, second = meter.calls
    assert first == Usage(prompt_tokens=model.count_tokens("Say hello."), completion_tokens=model.count_tokens(text),
                          estimated=True)
    assert second.prompt_tokens == first.prompt_tokens and 1 <= second.completion_tokens <= first.completion_tokens
