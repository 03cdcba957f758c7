"""Streaming chat over stored conversations, through the ASGI app with the fake reader."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from rag.models.embed import Embedder
from rag.models.llm import Message
from rag.services import Services
from rag.settings import Settings
from rag.testing.llm import FunctionModel
from tests.api.fakes import reader
from tests.api.sse import parse_events

FIRST = "Which Afghan government spokesman spoke at a press conference in Kabul on Sunday?"
FOLLOW_UP = "In which province did he claim Islamabad had established training centers for the group?"


@pytest.fixture
def database_url(db_url: str) -> str:
    """Every test here runs on SQLite and on PostgreSQL."""
    return db_url


def chat(client: TestClient, question: str, conversation_id: str | None = None) -> list[tuple[str, Any]]:
    body: dict[str, Any] = {"question": question}
    if conversation_id:
        body["conversation_id"] = conversation_id
    with client.stream("POST", "/v1/chat", json=body) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        return list(parse_events(response.iter_lines()))


def test_chat_streams_sentences_then_the_whole_answer_and_stores_the_turn(client: TestClient) -> None:
    events = chat(client, "What did Khwaja Asif write on X?")
    kinds = [kind for kind, _ in events]
    assert kinds[0] == "conversation" and kinds[-1] == "answer" and "sentence" in kinds
    conversation_id = events[0][1]["conversation_id"]
    sentence = next(data for kind, data in events if kind == "sentence")
    number = sentence["citations"][0]
    assert "open war" in sentence["sources"][str(number)]["quote"].lower()
    final = events[-1][1]
    assert final["conversation_id"] == conversation_id and final["position"] == 0
    answer = final["answer"]
    assert not answer["refused"] and answer["citations"] and "timings" in answer
    streamed = [data["text"] for kind, data in events if kind == "sentence"]
    assert streamed == [s["text"] for s in answer["sentences"]]

    stored = client.get(f"/v1/conversations/{conversation_id}").json()
    assert stored["title"] == "What did Khwaja Asif write on X?"
    assert [t["question"] for t in stored["turns"]] == ["What did Khwaja Asif write on X?"]
    assert stored["turns"][0]["answer"]["text"] == answer["text"]


def test_a_follow_up_is_rewritten_from_the_stored_history(client: TestClient, fake_model: FunctionModel) -> None:
    first = chat(client, FIRST)
    conversation_id = first[0][1]["conversation_id"]
    assert "Mujahid" in first[-1][1]["answer"]["text"]
    second = chat(client, FOLLOW_UP, conversation_id)
    answer = second[-1][1]["answer"]
    assert second[-1][1]["position"] == 1
    assert answer["standalone_question"] and "Zabihullah Mujahid" in answer["standalone_question"]
    assert "Khyber Pakhtunkhwa" in answer["text"]
    rewrite_prompt = next(call[-1]["content"] for call in fake_model.calls if "Follow-up question:" in call[-1]["content"])
    assert FIRST in rewrite_prompt  # the history came from the database
    listed = client.get("/v1/conversations").json()
    assert [(c["id"], c["turn_count"]) for c in listed] == [(conversation_id, 2)]


def test_the_stream_says_what_stage_the_answer_is_in_before_its_sentences(client: TestClient) -> None:
    first = chat(client, FIRST)
    kinds = [kind for kind, _ in first]
    stages = [data for kind, data in first if kind == "stage"]
    assert stages == [{"stage": "retrieving"}, {"stage": "selecting"}, {"stage": "writing"}, {"stage": "verifying"}]
    assert kinds.index("stage") == 1 and kinds.index("sentence") > kinds.index("stage") + 2  # writing precedes them
    follow_up = chat(client, FOLLOW_UP, first[0][1]["conversation_id"])
    assert [data["stage"] for kind, data in follow_up if kind == "stage"][:2] == ["rewriting", "retrieving"]


def test_conversations_survive_a_restart_and_can_be_deleted(services: Services, api_settings: Settings,
                                                             real_embedder: Embedder) -> None:
    with TestClient(create_app(api_settings, services=services)) as client:
        conversation_id = chat(client, FIRST)[0][1]["conversation_id"]
    restarted = Services(api_settings, embedder_override=real_embedder, chat_override=FunctionModel(reader))
    with TestClient(create_app(api_settings, services=restarted)) as client:
        stored = client.get(f"/v1/conversations/{conversation_id}").json()
        assert [t["question"] for t in stored["turns"]] == [FIRST]
        answer = chat(client, FOLLOW_UP, conversation_id)[-1][1]["answer"]
        assert "Khyber Pakhtunkhwa" in answer["text"]
        assert client.delete(f"/v1/conversations/{conversation_id}").json() == {"id": conversation_id, "deleted": True}
        assert client.get(f"/v1/conversations/{conversation_id}").status_code == 404
        assert client.delete(f"/v1/conversations/{conversation_id}").status_code == 404


def test_unknown_conversation_and_empty_question_are_client_errors(client: TestClient) -> None:
    unknown = client.post("/v1/chat", json={"question": "And then?", "conversation_id": "nope"})
    assert unknown.status_code == 404 and "nope" in unknown.json()["detail"]
    empty = client.post("/v1/chat", json={"question": ""})
    assert empty.status_code == 422
    assert client.get("/v1/conversations").json() == []


class SlowModel:
    """Streams a long reply one word per 50 ms and counts the words it was asked for."""

    name = "slow-fake"

    def __init__(self) -> None:
        self.pieces = 0
        self.finished = threading.Event()

    def complete(self, messages: Sequence[Message], max_tokens: int = 256) -> str:
        return "".join(self.stream(messages, max_tokens))

    def stream(self, messages: Sequence[Message], max_tokens: int = 256) -> Iterator[str]:
        try:
            for n in range(200):
                self.pieces += 1
                time.sleep(0.05)
                yield f"word{n} "
        finally:
            self.finished.set()


def test_a_client_that_disconnects_stops_generation_and_nothing_is_stored(api_settings: Settings,
                                                                          real_embedder: Embedder) -> None:
    model = SlowModel()
    services = Services(api_settings, embedder_override=real_embedder, chat_override=model)
    with TestClient(create_app(api_settings, services=services)) as client:
        with client.stream("POST", "/v1/chat", json={"question": "What did Khwaja Asif write on X?"}) as response:
            lines = response.iter_lines()
            assert next(lines).startswith("event: conversation")
            deadline = time.monotonic() + 20
            while model.pieces < 5 and time.monotonic() < deadline:
                time.sleep(0.05)
        # The response is closed: generation stops at the next piece, far short of 200.
        assert model.finished.wait(10)
        assert model.pieces < 60
        deadline = time.monotonic() + 5
        while client.get("/v1/conversations").json() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert client.get("/v1/conversations").json() == []
