"""The model's bounded queue: in order, 503 with Retry-After at once beyond the bound, places freed by clients leaving."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from api.app import create_app
from api.queue import DeadlineExceeded, ModelQueue, QueueFull
from rag.answer import AnswerCancelled
from rag.embed import Embedder
from rag.services import Services
from rag.settings import Settings
from tests.api.errors import error_message
from tests.api.gated import GatedModel, wait_for_queue
from tests.api.sse import parse_events
from tests.servers import serving_in_thread

ASIF = "What did Khwaja Asif write on X?"


def test_the_queue_serves_in_arrival_order_and_turns_away_beyond_its_bound() -> None:
    queue = ModelQueue(max_waiting=2)
    order: list[int] = []
    first = queue.reserve()
    tickets = [queue.reserve(), queue.reserve()]
    with pytest.raises(QueueFull) as full:
        queue.reserve()
    assert full.value.retry_after >= 1 and "2 requests are already waiting" in str(full.value)

    def run(number: int, ticket: object) -> None:
        with queue.slot(ticket, time.monotonic() + 10):  # type: ignore[arg-type]
            order.append(number)
            time.sleep(0.05)

    threads = [threading.Thread(target=run, args=(n, t)) for n, t in reversed(list(enumerate(tickets, 1)))]
    with queue.slot(first):
        for thread in threads:  # started last-first: the line, not the thread start, decides the order
            thread.start()
        time.sleep(0.2)
        assert queue.status().waiting == 2 and queue.status().running == 1
        order.append(0)
    for thread in threads:
        thread.join(5)
    assert order == [0, 1, 2]
    status = queue.status()
    assert (status.running, status.waiting, status.peak_waiting, status.rejected) == (0, 0, 2, 1)


def test_a_waiting_request_leaves_the_line_when_withdrawn_cancelled_or_out_of_time() -> None:
    queue = ModelQueue(max_waiting=1)
    with queue.slot():
        withdrawn = queue.reserve()
        withdrawn.withdraw()
        assert queue.status().waiting == 0
        with pytest.raises(AnswerCancelled):
            with queue.slot(withdrawn):
                pass
        started = time.monotonic()
        with pytest.raises(DeadlineExceeded):
            with queue.slot(deadline=time.monotonic() + 0.3):
                pass
        assert 0.25 < time.monotonic() - started < 2
        with pytest.raises(AnswerCancelled):
            with queue.slot(cancelled=lambda: True):
                pass
        assert queue.status().waiting == 0
    with queue.slot():  # the model was given back: the next one runs at once
        assert queue.status().running == 1


@pytest.fixture
def gated() -> GatedModel:
    return GatedModel()


@pytest.fixture
def queue_url(api_settings: Settings, real_embedder: Embedder, gated: GatedModel) -> Iterator[str]:
    settings = api_settings.model_copy(update={"max_waiting": 1, "rate_limit_per_minute": 0})
    services = Services(settings, embedder_override=real_embedder, chat_override=gated)
    with serving_in_thread(create_app(settings, services=services)) as url:
        try:
            yield url
        finally:
            gated.gate.set()  # before the server stops: nothing is left holding the model


def test_beyond_the_bound_requests_get_503_with_retry_after_at_once_and_the_rest_are_answered(
        queue_url: str, gated: GatedModel) -> None:
    with httpx.Client(base_url=queue_url, timeout=60) as http, ThreadPoolExecutor(4) as pool:
        def chat() -> list[tuple[str, object]]:
            with httpx.stream("POST", f"{queue_url}/v1/chat", json={"question": ASIF}, timeout=60) as response:
                assert response.status_code == 200
                return list(parse_events(response.iter_lines()))

        running = pool.submit(chat)
        wait_for_queue(http, running=1)
        waiting = pool.submit(http.post, "/v1/ask", json={"question": ASIF})
        wait_for_queue(http, running=1, waiting=1)

        for method, path, body in (("POST", "/v1/ask", {"question": ASIF}), ("POST", "/v1/chat", {"question": ASIF}),
                                   ("POST", "/v1/chat/completions", {"model": "m", "stream": True,
                                                                     "messages": [{"role": "user", "content": ASIF}]}),
                                   ("POST", "/v1/check", {"claim": "Khwaja Asif declared open war."})):
            started = time.monotonic()
            turned_away = http.request(method, path, json=body)
            assert time.monotonic() - started < 3, path  # at once, not after the queue moved
            assert turned_away.status_code == 503, path
            assert int(turned_away.headers["retry-after"]) >= 1
            assert "the model is busy and 1 requests are already waiting" in error_message(turned_away)
        assert [c["turn_count"] for c in http.get("/v1/conversations").json()] == [0]  # only the running chat's

        gated.gate.set()
        assert running.result(timeout=30)[-1][0] == "answer"
        assert waiting.result(timeout=30).status_code == 200
        status = wait_for_queue(http, running=0, waiting=0)
        assert status["peak_waiting"] == 1 and status["rejected"] == 4


def test_a_client_that_leaves_gives_back_its_place_in_the_line_or_the_model(queue_url: str, gated: GatedModel) -> None:
    with httpx.Client(base_url=queue_url, timeout=60) as http, ThreadPoolExecutor(2) as pool:
        holder = pool.submit(http.post, "/v1/ask", json={"question": ASIF})
        wait_for_queue(http, running=1)
        with httpx.stream("POST", f"{queue_url}/v1/chat", json={"question": ASIF}, timeout=60) as leaving:
            assert leaving.status_code == 200
            lines = leaving.iter_lines()  # kept: dropping the iterator would close the connection
            assert next(lines).startswith("event: conversation")
            wait_for_queue(http, running=1, waiting=1)
            time.sleep(0.5)
            assert wait_for_queue(http)["waiting"] == 1  # still waiting while its client is there
        wait_for_queue(http, running=1, waiting=0)  # gone from the line without ever holding the model
        admitted = pool.submit(http.post, "/v1/ask", json={"question": ASIF})  # the freed place takes it
        wait_for_queue(http, waiting=1)
        gated.gate.set()
        assert holder.result(timeout=30).status_code == 200 and admitted.result(timeout=30).status_code == 200
        assert http.get("/v1/conversations").json() == []  # the left chat stored nothing

        gated.gate.clear()
        with httpx.stream("POST", f"{queue_url}/v1/chat", json={"question": ASIF}, timeout=60) as answering:
            lines = answering.iter_lines()
            next(lines)
            wait_for_queue(http, running=1)
            time.sleep(0.5)
            assert wait_for_queue(http)["running"] == 1
        wait_for_queue(http, running=0, timeout_s=10)  # the model is given back when its client leaves
        assert wait_for_queue(http)["rejected"] == 0
