"""The real service under uvicorn with the real local model: SSE chat, a restart, and the real ``openai`` client."""

from __future__ import annotations

import shutil
from pathlib import Path

import httpx
import pytest
from openai import OpenAI

from tests.api.live import LiveServer, serving
from tests.api.sse import parse_events

pytestmark = pytest.mark.model

ASIF = "What did Khwaja Asif write on X?"


def test_sse_chat_over_a_real_server_and_conversations_survive_a_restart(tmp_path: Path, seeded_dir: Path,
                                                                          gguf_path: Path) -> None:
    data_dir = tmp_path / "data"
    shutil.copytree(seeded_dir, data_dir)
    log = tmp_path / "server.log"
    with serving(data_dir, gguf_path, log) as url:
        with httpx.stream("POST", f"{url}/v1/chat", json={"question": ASIF}, timeout=180) as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            events = list(parse_events(response.iter_lines()))
        kinds = [kind for kind, _ in events]
        assert kinds[0] == "conversation" and kinds[-1] == "answer" and "sentence" in kinds
        conversation_id = events[0][1]["conversation_id"]
        answer = events[-1][1]["answer"]
        assert not answer["refused"] and "open war" in answer["text"].lower()
        assert any(c["article_id"] == "004_fce48783007ea49c" for c in answer["citations"].values())
    assert (data_dir / "rag.db").exists()

    with serving(data_dir, gguf_path, log) as url:  # a new process over the same data directory
        listed = httpx.get(f"{url}/v1/conversations").json()
        assert [(c["id"], c["turn_count"]) for c in listed] == [(conversation_id, 1)]
        stored = httpx.get(f"{url}/v1/conversations/{conversation_id}").json()
        assert stored["turns"][0]["question"] == ASIF and stored["turns"][0]["answer"]["text"] == answer["text"]


def test_the_openai_client_lists_the_model_and_gets_cited_answers(live: LiveServer) -> None:
    client = OpenAI(base_url=f"{live.url}/v1", api_key="not-needed", timeout=180, max_retries=0)
    assert [m.id for m in client.models.list()] == ["conflict-rag"]

    completion = client.chat.completions.create(
        model="conflict-rag", messages=[{"role": "system", "content": "Answer without citations."},
                                        {"role": "user", "content": ASIF}])
    content = completion.choices[0].message.content or ""
    assert "[1]" in content and "Sources:" in content and "open war" in content.lower()
    citations = (completion.model_extra or {})["citations"]
    assert citations[0]["number"] == 1 and citations[0]["article_id"] == "004_fce48783007ea49c"
    assert citations[0]["quote"] in content  # the sources list quotes it

    stream = client.chat.completions.create(
        model="conflict-rag", stream=True,
        messages=[{"role": "user", "content": "How many people were killed in the drone strikes in Kabul?"}])
    chunks = list(stream)
    text = "".join(chunk.choices[0].delta.content or "" for chunk in chunks if chunk.choices)
    assert "[1]" in text and "six" in text
    last = chunks[-1]
    assert last.choices[0].finish_reason == "stop"
    streamed_citations = (last.model_extra or {})["citations"]
    assert any("at least six people were killed" in c["quote"] for c in streamed_citations)
