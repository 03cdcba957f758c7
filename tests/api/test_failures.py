"""Failures as clients see them: 504 past the deadline, 503 when the model is down, and no server internals leaked."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from api.answering import run_with_model
from api.app import create_app
from api.deps import AppState
from api.errors import BACKEND_DOWN, scrub_paths
from api.queue import DeadlineExceeded, ModelQueue
from rag.models.embed import Embedder
from rag.models.llm import Message
from rag.services import Services
from rag.settings import Settings
from rag.testing.llm import FunctionModel
from tests.api.errors import error_message
from tests.api.gated import GatedModel, serving_gated, wait_for_queue
from tests.api.sse import parse_events
from tests.conftest import ROOT
from tests.servers import serving_in_thread

ASIF = "What did Khwaja Asif write on X?"
DEADLINE = "the answer took longer than the 1 s this server allows; try again later"
COMPLETION = {"model": "m", "messages": [{"role": "user", "content": ASIF}]}


def assert_no_internals(text: str, *paths: Path) -> None:
    for leak in ("Traceback", ".py", "/work", str(ROOT), *map(str, paths)):
        assert leak not in text, f"{leak!r} leaked in {text[:300]!r}"


@pytest.fixture
def stuck_url(api_settings: Settings, real_embedder: Embedder) -> Iterator[str]:
    """A service whose model never finishes by itself, with a one-second deadline and room for one waiting."""
    model = GatedModel()
    settings = api_settings.model_copy(update={"request_deadline_s": 1.0, "max_waiting": 1, "rate_limit_per_minute": 0})
    with serving_gated(settings, real_embedder, model) as url:
        yield url


def test_model_work_past_the_deadline_is_a_504_with_a_message_and_the_model_is_given_back(stuck_url: str) -> None:
    with httpx.Client(base_url=stuck_url, timeout=30) as http:
        started = time.monotonic()
        ask = http.post("/v1/ask", json={"question": ASIF})
        assert ask.status_code == 504 and ask.json() == {"detail": DEADLINE}
        assert time.monotonic() - started < 5
        wait_for_queue(http, running=0, waiting=0, timeout_s=5)  # the worker stopped at its next model piece

        completion = http.post("/v1/chat/completions", json=COMPLETION)
        assert completion.status_code == 504 and completion.json()["error"]["message"] == DEADLINE
        assert completion.json()["error"]["code"] == "timeout"
        wait_for_queue(http, running=0, waiting=0, timeout_s=5)  # else the chat would be refused at once (503)

        with http.stream("POST", "/v1/chat", json={"question": ASIF}) as response:  # the stream began: an error event
            assert response.status_code == 200
            events = list(parse_events(response.iter_lines()))
        assert [kind for kind, _ in events if kind != "stage"] == ["conversation", "error"]
        assert [data["stage"] for kind, data in events if kind == "stage"] == ["retrieving", "selecting", "writing"]
        assert events[-1][1] == {"status": 504, "detail": DEADLINE}  # it started: the deadline is a 504
        wait_for_queue(http, running=0, waiting=0, timeout_s=5)
        assert http.get("/v1/conversations").json() == []  # the unanswered conversation was not kept


def test_a_request_that_cannot_get_the_model_in_time_is_a_503_with_retry_after_never_a_504(stuck_url: str) -> None:
    with httpx.Client(base_url=stuck_url, timeout=30) as http, httpx.Client(base_url=stuck_url, timeout=30) as other:
        holder: list[httpx.Response] = []
        thread = threading.Thread(target=lambda: holder.append(other.post("/v1/ask", json={"question": ASIF})))
        thread.start()
        wait_for_queue(http, running=1)
        started = time.monotonic()
        refused = http.post("/v1/ask", json={"question": "How many people were killed in Kabul?"})
        assert time.monotonic() - started < 0.5  # at once: an answer is assumed to take 30 s, 1 s is allowed
        thread.join(10)
        assert refused.status_code == 503 and int(refused.headers["retry-after"]) >= 1
        assert holder[0].status_code == 504  # the one that started and overran
        assert wait_for_queue(http, running=0, waiting=0, timeout_s=5)["rejected"] == 1


def test_a_request_admitted_on_a_hopeful_estimate_leaves_with_a_503_once_it_cannot_be_done_in_time(
        api_settings: Settings, real_embedder: Embedder) -> None:
    model = GatedModel()
    settings = api_settings.model_copy(update={"request_deadline_s": 1.0, "expected_answer_s": 0.1, "max_waiting": 1,
                                               "rate_limit_per_minute": 0})
    services = Services(settings, embedder_override=real_embedder, chat_override=model)
    app = create_app(settings, services=services)
    release = threading.Event()

    def hold() -> None:  # work with no deadline of its own holds the model (a request would hit its own 1 s first)
        with app.state.rag.model_queue.slot():
            release.wait(30)
    with serving_in_thread(app) as url, httpx.Client(base_url=url, timeout=30) as http:
        holder = threading.Thread(target=hold)
        holder.start()
        try:
            wait_for_queue(http, running=1)
            with http.stream("POST", "/v1/chat", json={"question": ASIF}) as response:  # admitted: 0.1 s + 0.1 s fit
                assert response.status_code == 200
                events = list(parse_events(response.iter_lines()))
            assert [kind for kind, _ in events] == ["conversation", "stage", "error"]
            assert events[1][1]["stage"] == "queued" and events[1][1]["ahead"] == 1 and events[1][1]["expected_wait_s"] <= 0.1
            error = events[-1][1]
            assert error["status"] == 503 and error["retry_after"] >= 1
            assert error["detail"].startswith("the model did not become free in time to do this within the 1 s")
            assert model.calls == 0  # it never reached the model
        finally:
            release.set()
            holder.join(10)


def test_a_model_that_cannot_load_is_a_503_whose_body_names_no_server_path(api_settings: Settings,
                                                                            real_embedder: Embedder) -> None:
    missing = api_settings.data_dir / "models" / "missing.gguf"
    broken = api_settings.model_copy(update={"model_path": missing})
    services = Services(broken, embedder_override=real_embedder)
    with TestClient(create_app(broken, services=services), raise_server_exceptions=False) as client:
        for response in (client.post("/v1/ask", json={"question": ASIF}),
                         client.post("/v1/chat", json={"question": ASIF}),
                         client.post("/v1/chat/completions", json={**COMPLETION, "stream": True}),
                         client.post("/v1/check", json={"claim": "Khwaja Asif declared open war."})):
            assert response.status_code == 503
            assert error_message(response) == BACKEND_DOWN
            assert_no_internals(response.text, missing, api_settings.data_dir)
        ready = client.get("/readyz")
        assert ready.status_code == 503 and "missing.gguf" in ready.json()["checks"]["model"]
        assert_no_internals(ready.text, missing.parent)


def test_a_crashing_model_gets_a_generic_500_in_the_body_and_in_the_stream(api_settings: Settings,
                                                                           real_embedder: Embedder) -> None:
    def crash(messages: Sequence[Message]) -> str:
        raise RuntimeError(f"llama_decode returned -1 in {ROOT / 'rag' / 'llm.py'} with key sk-secret")

    services = Services(api_settings, embedder_override=real_embedder, chat_override=FunctionModel(crash))
    with TestClient(create_app(api_settings, services=services), raise_server_exceptions=False) as client:
        ask = client.post("/v1/ask", json={"question": ASIF})
        assert ask.status_code == 500 and ask.json() == {"detail": "internal error; the server log has the details"}
        with client.stream("POST", "/v1/chat", json={"question": ASIF}) as response:
            events = list(parse_events(response.iter_lines()))
        assert events[-1] == ("error", {"status": 500, "detail": "internal error; the server log has the details"})
        for text in (ask.text, str(events)):
            assert_no_internals(text)
            assert "sk-secret" not in text


@pytest.mark.parametrize(("message", "shown"), [
    ("another process has been writing to /srv/rag/data for over 60s", "another process has been writing to data for over 60s"),
    ("no model file at '/home/me/.rag/models/x.gguf'", "no model file at 'x.gguf'"),
    (r"cannot open C:\Users\me\rag\x.gguf", "cannot open x.gguf"),
    ("endpoint http://10.0.0.1/v1 refused the connection", "endpoint http://10.0.0.1/v1 refused the connection"),
    ("no article with id 'a/b'", "no article with id 'a/b'"),
])
def test_server_paths_are_cut_to_their_last_part_in_client_messages(message: str, shown: str) -> None:
    assert scrub_paths(message) == shown


def test_work_that_cannot_be_interrupted_gets_its_504_at_the_deadline_and_then_gives_the_model_back(
        services: Services) -> None:
    state = AppState(services=services, model_queue=ModelQueue(max_waiting=1))

    def slow() -> str:
        time.sleep(1.0)
        return "done"

    def timing_out() -> str:
        raise TimeoutError("the work's own timeout, not the request's deadline")

    async def scenario() -> None:
        started = time.monotonic()
        with pytest.raises(DeadlineExceeded, match="the 0.3 s"):
            await run_with_model(state, slow, 0.3)
        assert time.monotonic() - started < 0.9  # the client is answered at the deadline
        assert state.model_queue.status().running == 1  # while the work finishes, holding the model
        await asyncio.sleep(1.0)
        assert state.model_queue.status().running == 0
        assert await run_with_model(state, lambda: "quick", 5) == "quick"
        with pytest.raises(TimeoutError, match="own timeout"):
            await run_with_model(state, timing_out, 5)

    asyncio.run(scenario())
