"""The model's bounded queue: in order, 503 with Retry-After at once beyond the bound, places freed by clients leaving."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from api.app import create_app
from api.queue import DeadlineExceeded, ModelQueue, QueueFull, Ticket, WaitTooLong
from rag.answer.pipeline import AnswerCancelled, Answerer
from rag.models.embed import Embedder
from rag.models.llm import Message
from rag.services import Services
from rag.settings import Settings
from rag.testing.llm import FunctionModel
from tests.api.errors import error_message
from tests.api.fakes import reader
from tests.api.gated import GatedModel, serving_gated, wait_for_queue
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
        with queue.slot(ticket):  # type: ignore[arg-type]
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
    queue = ModelQueue(max_waiting=1, expected_s={"answer": 0.1})
    with queue.slot():
        withdrawn = queue.reserve()
        withdrawn.withdraw()
        assert queue.status().waiting == 0
        with pytest.raises(AnswerCancelled):
            with queue.slot(withdrawn):
                pass
        started = time.monotonic()
        with pytest.raises(WaitTooLong):  # it would fit by the estimate, but the running answer never ends
            with queue.slot(within_s=0.5):
                pass
        assert 0.35 < time.monotonic() - started < 2  # it left when there was no longer time for its own answer
        with pytest.raises(AnswerCancelled):
            with queue.slot(cancelled=lambda: True):
                pass
        assert queue.status().waiting == 0
    with queue.slot():  # the model was given back: the next one runs at once
        assert queue.status().running == 1


def test_a_request_the_work_ahead_would_keep_past_its_deadline_is_refused_at_once_with_when_to_retry() -> None:
    now = [0.0]
    queue = ModelQueue(max_waiting=10, expected_s={"answer": 40.0}, clock=lambda: now[0])
    with queue.slot(queue.reserve("answer", 120.0)):  # nothing ahead: admitted whatever the estimate
        assert queue.reserve("answer", 120.0)  # starts in 40 s, done in 80
        assert queue.reserve("answer", 120.0)  # starts in 80 s, done in 120: just in time
        with pytest.raises(WaitTooLong) as refused:
            queue.reserve("answer", 120.0)  # would be done in 160 s
        assert refused.value.retry_after == 40 and str(refused.value) == (
            "the model is busy: the 3 requests ahead of this one need about 120 s and this one about 40 s more, over "
            "the 120 s this server allows; try again in 40 s")
        assert queue.status().expected_wait_s == 120.0
        now[0] = 30.0  # the running answer is 30 s in: 10 s left, by its mean
        with pytest.raises(WaitTooLong) as later:
            queue.reserve("answer", 120.0)
        assert later.value.retry_after == 10
        now[0] = 45.0  # it has overrun its mean: nothing more is counted for it
        assert queue.reserve("answer", 120.0)
    status = queue.status()
    assert (status.rejected, status.mean_run_s) == (2, 45.0)  # the first timing replaced the 40 s prior


def test_the_mean_answer_time_follows_recent_answers_and_each_kind_of_work_has_its_own() -> None:
    now = [0.0]
    queue = ModelQueue(max_waiting=5, expected_s={"answer": 10.0, "briefing": 300.0}, clock=lambda: now[0])
    for seconds in (20.0, 40.0):
        with queue.slot(queue.reserve("answer")):
            now[0] += seconds
    assert queue.status().mean_run_s == 26.0  # 20, then 0.7 × 20 + 0.3 × 40
    with queue.slot(queue.reserve("briefing", 900.0)):
        with pytest.raises(WaitTooLong):
            queue.reserve("answer", 120.0)  # behind a briefing: 300 s + 26 s
        assert queue.reserve("briefing", 900.0)  # 300 s + 300 s fits a briefing's 900
        now[0] += 120.0
    assert queue.status().mean_run_s == 26.0  # the briefing's time is not an answer's


def test_a_waiting_request_leaves_as_soon_as_it_could_no_longer_be_done_in_time() -> None:
    now = [0.0]
    queue = ModelQueue(max_waiting=5, expected_s={"answer": 10.0}, clock=lambda: now[0])
    told: list[tuple[int, float]] = []
    outcome: list[BaseException] = []

    def wait(ticket: Ticket) -> None:
        try:
            with queue.slot(ticket, on_wait=lambda ahead, seconds: told.append((ahead, seconds))):
                pass
        except BaseException as exc:  # the test looks at what it was
            outcome.append(exc)

    with queue.slot(first := queue.reserve("answer", 60.0)):
        second, third = queue.reserve("answer", 60.0), queue.reserve("answer", 60.0)
        thread = threading.Thread(target=wait, args=(third,))
        thread.start()
        time.sleep(0.3)
        assert told == [(2, 20.0)] and outcome == []  # two ahead of it; it would be done at 30 s of its 60
        now[0] = 41.0  # the running answer overran: the third would start at 51 s and be done at 61, a drift
        time.sleep(0.3)  # within a quarter of its own 10 s: it stays
        assert outcome == []
        now[0] = 43.0  # done at 63 at the soonest: it is told now, not at its turn
        thread.join(5)
        assert isinstance(outcome[0], WaitTooLong) and outcome[0].retry_after >= 1
        assert "did not become free in time to do this within the 60 s" in str(outcome[0])
        assert second.state == "waiting"  # it could still start at once
        assert isinstance(second.late(), WaitTooLong)  # a deadline before its turn would be a 503
        assert isinstance(first.late(), DeadlineExceeded)  # one after it started: 504


@pytest.fixture
def gated() -> GatedModel:
    return GatedModel()


@pytest.fixture
def queue_url(api_settings: Settings, real_embedder: Embedder, gated: GatedModel) -> Iterator[str]:
    settings = api_settings.model_copy(update={"max_waiting": 1, "rate_limit_per_minute": 0})
    with serving_gated(settings, real_embedder, gated) as url:
        yield url  # before the server stops: nothing is left holding the model


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


def test_a_waiting_chat_hears_its_place_in_the_line_then_each_stage_of_its_answer(queue_url: str,
                                                                                 gated: GatedModel) -> None:
    with httpx.Client(base_url=queue_url, timeout=60) as http, ThreadPoolExecutor(1) as pool:
        holder = pool.submit(http.post, "/v1/ask", json={"question": ASIF})
        wait_for_queue(http, running=1)
        with httpx.stream("POST", f"{queue_url}/v1/chat", json={"question": ASIF}, timeout=60) as response:
            assert response.status_code == 200
            events = parse_events(response.iter_lines())
            assert next(events)[0] == "conversation"
            kind, queued = next(events)
            assert kind == "stage" and queued["stage"] == "queued" and queued["ahead"] == 1
            assert 0 < queued["expected_wait_s"] <= 30  # what is left of the running answer, by the prior
            gated.gate.set()
            rest = list(events)
        assert [data["stage"] for kind, data in rest if kind == "stage"] == ["retrieving", "selecting", "writing",
                                                                             "verifying"]
        assert rest[-1][0] == "answer" and holder.result(timeout=30).status_code == 200


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


ANSWER_S = 4.0
"""How long the slow fake holds the model per answer: long beside the rest of the pipeline (up to 1 s on a loaded
machine), so that whether two or three answers fit in :data:`SLOW_DEADLINE_S` does not hang on the machine's load."""


def reader_taking(seconds: float) -> FunctionModel:
    """The fake reader, holding the model ``seconds`` per answer."""
    def answer(messages: Sequence[Message]) -> str:
        time.sleep(seconds)
        return reader(messages)
    return FunctionModel(answer)


KNOWN_PRIOR_S = 2.0
"""What the known-speed service assumes an answer takes before one is timed: two fit in its 5 s, a third not."""
KNOWN_ANSWER_S = 1.0
"""What its fake model really takes: two answers end well inside 5 s even on a loaded machine."""


@pytest.fixture
def known_speed_url(api_settings: Settings, real_embedder: Embedder) -> Iterator[str]:
    """Answers assumed to take 2 s (they take 1 s and a little), 5 s allowed per request."""
    settings = api_settings.model_copy(update={"request_deadline_s": 5.0, "expected_answer_s": KNOWN_PRIOR_S,
                                               "max_waiting": 8, "rate_limit_per_minute": 0})
    services = Services(settings, embedder_override=real_embedder, chat_override=reader_taking(KNOWN_ANSWER_S))
    with serving_in_thread(create_app(settings, services=services)) as url:
        warm_up(services, ASIF)
        yield url


def warm_up(services: Services, question: str) -> None:
    """Do the pipeline's first-use loading (the verifier's language models) with a fast fake, outside the queue.

    Otherwise it is counted into the first timed answer, and the first answer's overrun can push the second past
    its deadline: the 1 s margin these tests leave is for the pipeline's own work, not for loading.
    """
    Answerer(services.retriever, services.embedder, FunctionModel(reader), services.verifier).ask(question)


def test_requests_that_could_not_be_answered_by_their_deadline_get_503_at_once_and_the_others_are_answered(
        known_speed_url: str) -> None:
    results = ask_at_once(known_speed_url, 5, ASIF)  # by the prior: done at 2 s, at 4 s, the third at 6 s > 5 s
    answered = [took for response, took in results if response.status_code == 200]
    refused = [(response, took) for response, took in results if response.status_code == 503]
    assert len(answered) == 2 and len(refused) == 3, [r.status_code for r, _ in results]  # no 504: none overran
    for response, took in refused:
        assert took < 1.0  # at once, not after waiting out the deadline
        assert int(response.headers["retry-after"]) >= 1
        assert error_message(response).startswith("the model is busy: the 2 requests ahead of this one need about")
    assert max(answered) < 5.0
    with httpx.Client(base_url=known_speed_url, timeout=30) as http:
        status = http.get("/v1/queue").json()
    assert status["rejected"] == 3 and status["peak_waiting"] == 1
    assert KNOWN_ANSWER_S <= status["mean_run_s"] < KNOWN_PRIOR_S  # measured, no longer the prior


@pytest.fixture
def slow_queue_url(api_settings: Settings, real_embedder: Embedder, gated: GatedModel) -> Iterator[str]:
    """Answers assumed to take 20 s, 30 s allowed (a briefing: 200 s, 100 s allowed): nothing can wait behind one."""
    settings = api_settings.model_copy(update={"request_deadline_s": 30.0, "expected_answer_s": 20.0,
                                               "briefing_deadline_s": 100.0, "max_waiting": 8,
                                               "rate_limit_per_minute": 0})
    with serving_gated(settings, real_embedder, gated) as url:
        yield url


def test_every_route_that_queues_for_the_model_refuses_a_wait_it_could_not_survive(
        slow_queue_url: str, gated: GatedModel) -> None:
    completion = {"model": "m", "messages": [{"role": "user", "content": ASIF}]}
    with httpx.Client(base_url=slow_queue_url, timeout=60) as http, ThreadPoolExecutor(1) as pool:
        running = pool.submit(http.post, "/v1/ask", json={"question": ASIF})
        wait_for_queue(http, running=1)
        for method, path, body in (("POST", "/v1/ask", {"question": ASIF}), ("POST", "/v1/chat", {"question": ASIF}),
                                   ("POST", "/v1/chat/completions", completion),
                                   ("POST", "/v1/chat/completions", {**completion, "stream": True}),
                                   ("POST", "/v1/check", {"claim": "Khwaja Asif declared open war."})):
            started = time.monotonic()
            refused = http.request(method, path, json=body)
            assert time.monotonic() - started < 3, path
            assert refused.status_code == 503, path
            assert int(refused.headers["retry-after"]) >= 1
            assert "this one about 20 s more, over the 30 s this server allows" in error_message(refused)
            if path == "/v1/chat/completions":  # OpenAI's shape, with a code of its own
                assert refused.json()["error"]["code"] == "queue_wait_too_long"
                assert refused.json()["error"]["type"] == "server_error"
        assert http.get("/v1/conversations").json() == []  # the refused chat started no conversation
        started = time.monotonic()
        briefing = http.post("/v1/briefings", json={"topic": "harbour talks"})
        assert time.monotonic() - started < 3 and briefing.status_code == 503
        assert int(briefing.headers["retry-after"]) >= 1
        assert "this one about 200 s more, over the 100 s this server allows" in error_message(briefing)
        gated.gate.set()
        assert running.result(timeout=30).status_code == 200
        assert wait_for_queue(http, running=0, waiting=0)["rejected"] == 6
        assert http.get("/v1/briefings").json() == []  # the refused briefing was never written


def test_once_answers_are_timed_a_request_they_would_keep_past_its_deadline_is_refused_at_once() -> None:
    now = [0.0]
    queue = ModelQueue(max_waiting=10, expected_s={"answer": 5.0}, clock=lambda: now[0])
    with queue.slot(queue.reserve("answer", 120.0)):
        now[0] += 39.0  # the first answer takes 39 s: the measured time replaces the 5 s prior
    assert queue.status().mean_run_s == 39.0
    with queue.slot(queue.reserve("answer", 120.0)):  # the first of six at once: nothing ahead, it runs
        assert queue.reserve("answer", 120.0) and queue.reserve("answer", 120.0)  # done at 78 s and at 117 s
        for _ in range(3):  # the fourth, fifth and sixth would be done at 156 s at the soonest: 4 × 39 > 120
            with pytest.raises(WaitTooLong) as refused:
                queue.reserve("answer", 120.0)
            assert refused.value.retry_after == 36  # 156 − 120: the refused never join the line
        assert queue.status().waiting == 2
    assert queue.status().rejected == 3


SLOW_DEADLINE_S = 10.0
"""The deadline against the 4 s fake (a little slower with the rest of the pipeline): two answers fit, a third not."""
BRASK = "What did Teodor Brask say about the pause in shelling?"
VELMORA = {"id": "velmora-harbour-talks", "title": "Harbour talks in Velmora resume", "outlet": "Northwind Gazette",
           "published_at": "2026-03-02",
           "body": "Mediators from the Corvain Council met in Velmora on Monday to restart talks over the harbour. "
                   "Council envoy Teodor Brask said both delegations had agreed to a 72-hour pause in shelling. "
                   "The pause began at dawn on Tuesday, according to the envoy's office."}
"""An invented article, so that the questions below reach the (slow) model."""


def slow_service(settings: Settings, embedder: Embedder, prior_s: float) -> Iterator[str]:
    """The 4 s fake reader on real HTTP with a 10 s deadline, ``prior_s`` assumed per answer until one is timed.

    The pipeline's first-use loading is done beforehand (:func:`warm_up`), so it is not counted into the first answer.
    """
    settings = settings.model_copy(update={"request_deadline_s": SLOW_DEADLINE_S, "expected_answer_s": prior_s,
                                           "max_waiting": 8, "rate_limit_per_minute": 0})
    services = Services(settings, embedder_override=embedder, chat_override=reader_taking(ANSWER_S))
    with serving_in_thread(create_app(settings, services=services)) as url:
        assert httpx.post(f"{url}/v1/articles", json=VELMORA, timeout=60).status_code == 200
        warm_up(services, BRASK)
        yield url


def ask_at_once(url: str, users: int, question: str = BRASK) -> list[tuple[httpx.Response, float]]:
    """``users`` clients asking ``question`` at the same moment; each response with the seconds it took."""
    start = threading.Barrier(users)

    def ask() -> tuple[httpx.Response, float]:
        with httpx.Client(base_url=url, timeout=30) as http:
            start.wait()
            began = time.monotonic()
            response = http.post("/v1/ask", json={"question": question})
            return response, time.monotonic() - began

    with ThreadPoolExecutor(users) as pool:
        return list(pool.map(lambda _: ask(), range(users)))


def test_six_questions_at_once_behind_a_measured_answer_time_are_answered_or_refused_at_once_never_504(
        api_settings: Settings, real_embedder: Embedder) -> None:
    for url in slow_service(api_settings, real_embedder, prior_s=30.0):  # the default prior, far from the truth
        with httpx.Client(base_url=url, timeout=30) as http:
            first = http.post("/v1/ask", json={"question": BRASK})
            assert first.status_code == 200 and "Teodor Brask said" in first.json()["text"]  # the model answered
            mean = http.get("/v1/queue").json()["mean_run_s"]
        assert ANSWER_S <= mean < SLOW_DEADLINE_S / 2  # measured: the 30 s prior would have let one in, not two
        results = ask_at_once(url, 6)
        statuses = sorted(response.status_code for response, _ in results)
        assert statuses == [200, 200, 503, 503, 503, 503], statuses  # the third would be done at 3 × mean > 10 s
        for response, took in results:
            if response.status_code == 200:
                assert took < SLOW_DEADLINE_S
                continue
            assert took < 1.0  # at once, not after waiting for the deadline
            retry_after = int(response.headers["retry-after"])
            assert abs(retry_after - math.ceil(3 * mean - SLOW_DEADLINE_S)) <= 1  # when a third would fit
            assert error_message(response).startswith("the model is busy: the 2 requests ahead of this one need")
        with httpx.Client(base_url=url, timeout=30) as http:
            assert wait_for_queue(http, running=0, waiting=0)["rejected"] == 4


def test_before_an_answer_is_timed_requests_are_admitted_and_leave_with_503_once_the_first_timing_rules_them_out(
        api_settings: Settings, real_embedder: Embedder) -> None:
    for url in slow_service(api_settings, real_embedder, prior_s=0.5):  # a prior eight times too hopeful
        results = ask_at_once(url, 6)  # by the prior all six are done in 3 s of their 10: all are admitted
        statuses = sorted(response.status_code for response, _ in results)
        assert statuses == [200, 200, 503, 503, 503, 503], statuses  # no 504: none started that could not finish
        for response, took in results:
            if response.status_code == 503:
                # Told when the first answer was timed (4 s in, 3 × its time > 10 s), not at their turn or deadline.
                assert ANSWER_S * 0.9 < took < SLOW_DEADLINE_S - 2, took
                assert int(response.headers["retry-after"]) >= 1
                assert error_message(response).startswith("the model did not become free in time to do this within")
        with httpx.Client(base_url=url, timeout=30) as http:
            status = wait_for_queue(http, running=0, waiting=0)
        assert (status["peak_waiting"], status["rejected"]) == (5, 4)  # all six were let in
        assert ANSWER_S <= status["mean_run_s"] < ANSWER_S + 1


def test_a_queue_with_several_slots_runs_that_many_at_once_and_estimates_waits_per_slot() -> None:
    now = [0.0]
    queue = ModelQueue(max_waiting=2, expected_s={"answer": 10.0}, clock=lambda: now[0], slots=3)
    inside = threading.Barrier(4, timeout=5)  # three holders and this thread
    release = threading.Event()

    def hold() -> None:
        with queue.slot():
            inside.wait()
            release.wait(5)

    holders = [threading.Thread(target=hold) for _ in range(3)]
    for thread in holders:
        thread.start()
    inside.wait()  # all three hold the model at the same time
    assert (queue.status().running, queue.status().slots, queue.status().waiting) == (3, 3, 0)
    assert queue.status().expected_wait_s == 10.0  # the first slot frees when a running answer ends

    first, second = queue.reserve(), queue.reserve()
    assert queue.status().waiting == 2
    with pytest.raises(QueueFull):
        queue.reserve()
    # Behind the two in line: they take the first two slots to free (at 10 s); the third slot frees at 10 s too.
    assert queue.status().expected_wait_s == 10.0
    now[0] = 4.0
    assert queue.status().expected_wait_s == 6.0
    first.withdraw()
    second.withdraw()
    release.set()
    for thread in holders:
        thread.join(5)
    assert queue.status().running == 0


def test_one_slot_still_serves_one_at_a_time_and_four_slots_wait_in_turn() -> None:
    one = ModelQueue(max_waiting=4, expected_s={"answer": 10.0}, clock=lambda: 0.0)
    four = ModelQueue(max_waiting=4, expected_s={"answer": 10.0}, clock=lambda: 0.0, slots=4)
    for queue in (one, four):
        for _ in range(5):
            queue._line.append(Ticket(queue, "answer", 0.0, None))  # five admitted, none started
    assert one.status().expected_wait_s == 50.0  # one after another
    assert four.status().expected_wait_s == 10.0  # four at once; at 10 s the fifth and this one take freed slots
    with pytest.raises(ValueError):
        ModelQueue(max_waiting=1, slots=0)


def test_with_a_served_model_the_service_answers_max_concurrent_requests_at_once(
        api_settings: Settings, real_embedder: Embedder, gated: GatedModel) -> None:
    settings = api_settings.model_copy(update={"backend": "openai", "max_concurrent": 3, "max_waiting": 2,
                                               "rate_limit_per_minute": 0})
    with serving_gated(settings, real_embedder, gated) as url, httpx.Client(base_url=url, timeout=60) as http, \
            ThreadPoolExecutor(4) as pool:
        asked = [pool.submit(http.post, "/v1/ask", json={"question": ASIF}) for _ in range(4)]
        status = wait_for_queue(http, running=3, waiting=1)
        assert status["slots"] == 3
        gated.gate.set()
        assert [a.result(timeout=30).status_code for a in asked] == [200] * 4
        assert wait_for_queue(http, running=0, waiting=0)["rejected"] == 0


def test_the_in_process_model_keeps_one_slot_whatever_max_concurrent_says(api_settings: Settings) -> None:
    from api.app import model_queue

    assert model_queue(api_settings.model_copy(update={"max_concurrent": 8})).slots == 1
    assert model_queue(api_settings.model_copy(update={"backend": "openai", "max_concurrent": 8})).slots == 8
