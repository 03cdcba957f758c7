"""The OpenAI-compatible backend against a real server on 127.0.0.1 (``python -m llama_cpp.server``)."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from rag.answer.pipeline import Answerer
from rag.index.retrieve import HybridRetriever
from rag.models.llm import LLMError, OpenAICompatibleModel
from tests.servers import free_port

pytestmark = pytest.mark.model


@pytest.fixture
def model(server_url: str) -> OpenAICompatibleModel:
    return OpenAICompatibleModel(server_url, "not-needed", "qwen-0.5b", timeout_s=120, retries=1)


def test_complete_and_stream_through_the_openai_client(model: OpenAICompatibleModel) -> None:
    messages = [{"role": "user", "content": "Reply with the single word: Kabul"}]
    assert "kabul" in model.complete(messages, max_tokens=8).lower()  # type: ignore[arg-type]
    pieces = list(model.stream(messages, max_tokens=8))  # type: ignore[arg-type]
    assert len(pieces) >= 1 and "kabul" in "".join(pieces).lower()


def test_a_cited_answer_end_to_end_over_the_server(model: OpenAICompatibleModel, seed_index: HybridRetriever) -> None:
    answer = Answerer(seed_index, seed_index.embedder, model).ask(
        "What did UN Secretary-General António Guterres urge both countries to engage in?")
    assert not answer.refused and answer.model == "qwen-0.5b"
    assert "003_4d3fdf98ee31191a" in {c.article_id for c in answer.citations.values()}


def test_an_endpoint_that_is_down_fails_clearly_and_fast() -> None:
    model = OpenAICompatibleModel(f"http://127.0.0.1:{free_port()}/v1", "k", "m", timeout_s=2, retries=1)
    started = time.monotonic()
    with pytest.raises(LLMError, match="did not answer"):
        model.complete([{"role": "user", "content": "hi"}])
    assert time.monotonic() - started < 10


def test_an_endpoint_that_never_replies_fails_within_the_deadline() -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    accepted: list[socket.socket] = []
    threading.Thread(target=lambda: [accepted.append(listener.accept()[0]) for _ in range(4)], daemon=True).start()
    model = OpenAICompatibleModel(f"http://127.0.0.1:{listener.getsockname()[1]}/v1", "k", "m", timeout_s=1.5,
                                  retries=1)
    started = time.monotonic()
    try:
        with pytest.raises(LLMError, match="did not answer"):
            model.complete([{"role": "user", "content": "hi"}])
        assert time.monotonic() - started < 3 * 1.5 + 3
    finally:
        listener.close()
        for conn in accepted:
            conn.close()


def test_the_judge_reads_log_probabilities_from_the_server(server_url: str) -> None:
    import openai

    from rag.verify.judge import OpenAIJudge

    judge = OpenAIJudge(openai.OpenAI(base_url=server_url, api_key="not-needed", timeout=120), "qwen-0.5b")
    p = judge.p_yes("Hospitals appealed for blood donations.",
                    "Hospitals have appealed for blood donations and medical supplies to treat the wounded.")
    assert 0.0 < p < 1.0 and judge.calls == 1  # a probability from logprobs, not a bare yes/no reply
