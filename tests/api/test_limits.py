"""Request limits over real HTTP: body size (declared or chunked), text lengths, and the rate per key or address."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator

import httpx
import pytest
from pydantic import SecretStr

from api.app import create_app
from api.errors import speaks_openai
from api.limits import TokenBuckets
from rag.models.embed import Embedder
from rag.services import Services
from rag.settings import Settings
from rag.testing.llm import FunctionModel
from tests.api.errors import error_message
from tests.api.fakes import reader
from tests.servers import serving_in_thread

ASIF = "What did Khwaja Asif write on X?"
KEY, OTHER = "first-key-0123456789abcdef", "second-key-0123456789abcdef"


def served(settings: Settings, embedder: Embedder) -> Iterator[str]:
    services = Services(settings, embedder_override=embedder, chat_override=FunctionModel(reader))
    with serving_in_thread(create_app(settings, services=services)) as url:
        yield url


@pytest.fixture
def small_limits_url(api_settings: Settings, real_embedder: Embedder) -> Iterator[str]:
    settings = api_settings.model_copy(update={"max_request_bytes": 2048, "max_question_chars": 60,
                                               "max_article_chars": 500, "rate_limit_per_minute": 0})
    yield from served(settings, real_embedder)


def test_a_body_over_the_limit_is_413_whether_declared_or_chunked(small_limits_url: str) -> None:
    search = {"query": "Khwaja Asif open war", "k": 2}
    padded = json.dumps({**search, "outlets": ["x" * 100] * 30}).encode()  # ~3 KiB, valid JSON
    assert len(padded) > 2048

    def chunked(body: bytes) -> Iterator[bytes]:  # a generator: httpx sends it chunked, with no Content-Length
        for start in range(0, len(body), 100):
            yield body[start:start + 100]

    with httpx.Client(base_url=small_limits_url, timeout=60) as http:
        declared = http.post("/v1/search", content=padded, headers={"content-type": "application/json"})
        assert declared.status_code == 413
        assert declared.json() == {"detail": "the request body is over the limit of 2,048 bytes (RAG_MAX_REQUEST_BYTES)"}

        request = http.build_request("POST", "/v1/search", content=chunked(padded),
                                     headers={"content-type": "application/json"})
        assert "content-length" not in request.headers and request.headers["transfer-encoding"] == "chunked"
        streamed = http.send(request)
        assert streamed.status_code == 413 and "2,048 bytes" in streamed.json()["detail"]

    with httpx.Client(base_url=small_limits_url, timeout=60) as http:  # a fresh connection: the last one was closed
        within = http.post("/v1/search", content=chunked(json.dumps(search).encode()),
                           headers={"content-type": "application/json"})
        assert within.status_code == 200 and within.json()["hits"][0]["article_id"] == "004_fce48783007ea49c"


def test_questions_and_articles_over_their_limits_are_422_naming_the_limit(small_limits_url: str) -> None:
    long = "Which " + "very " * 20 + "long question?"
    limit = "the limit is 60 (RAG_MAX_QUESTION_CHARS)"
    with httpx.Client(base_url=small_limits_url, timeout=60) as http:
        for path, body, what in (("/v1/ask", {"question": long}, "question"),
                                 ("/v1/chat", {"question": long}, "question"),
                                 ("/v1/check", {"claim": long}, "claim"),
                                 ("/v1/search", {"query": long}, "query"),
                                 ("/v1/chat/completions", {"model": "m", "messages": [{"role": "user", "content": long}]},
                                  "question")):
            response = http.post(path, json=body)
            assert response.status_code == (400 if speaks_openai(path) else 422), path  # OpenAI answers bad input 400
            assert error_message(response) == f"the {what} is {len(long)} characters long; {limit}", path
        assert http.get("/v1/conversations").json() == []  # the refused chat started no conversation

        article = {"id": "long-1", "body": "Talks resumed in Doha. " * 30}
        refused = http.post("/v1/articles", json=article)
        assert refused.status_code == 422
        failure = refused.json()["report"]["failed"][0]
        assert failure == {"source": "long-1", "reason": "the article body is 690 characters long; the limit is 500 "
                                                         "(RAG_MAX_ARTICLE_CHARS)"}
        assert http.post("/v1/ask", json={"question": ASIF}).status_code == 200  # within the limits


@pytest.fixture
def rate_limited_url(api_settings: Settings, real_embedder: Embedder) -> Iterator[str]:
    settings = api_settings.model_copy(update={"rate_limit_per_minute": 60, "rate_limit_burst": 3,
                                               "api_keys": [SecretStr(KEY), SecretStr(OTHER)]})
    yield from served(settings, real_embedder)


def test_each_key_has_its_own_rate_and_the_429_says_when_to_retry(rate_limited_url: str) -> None:
    with httpx.Client(base_url=rate_limited_url, timeout=60) as http:
        first = {"X-API-Key": KEY}
        assert [http.get("/v1/articles", headers=first).status_code for _ in range(3)] == [200, 200, 200]
        limited = http.get("/v1/articles", headers=first)
        assert limited.status_code == 429 and limited.headers["retry-after"] == "1"
        assert limited.json()["detail"] == ("too many requests: this server allows 60 a minute per client "
                                            "(RAG_RATE_LIMIT_PER_MINUTE); try again in 1 s")
        assert http.get("/v1/articles", headers={"Authorization": f"Bearer {OTHER}"}).status_code == 200
        assert [http.get("/healthz").status_code for _ in range(10)] == [200] * 10  # health is never limited
        assert http.get("/v1/articles").status_code == 401  # no key: refused before it can spend anyone's budget


def test_wrong_keys_count_against_the_address_so_guessing_meets_the_rate_limit(
        api_settings: Settings, real_embedder: Embedder, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="api.auth")
    settings = api_settings.model_copy(update={"api_keys": [SecretStr(KEY)]})  # the default 120 a minute, burst 60
    for url in served(settings, real_embedder):
        with httpx.Client(base_url=url, timeout=60) as http:
            guesses = [http.get("/v1/articles", headers={"X-API-Key": f"guess-{n:04d}-0123456789"}) for n in range(75)]
            refusals = [r.getMessage() for r in caplog.records if r.name == "api.auth"]
            assert refusals == ["refused GET /v1/articles from 127.0.0.1: wrong API key"]  # one line, not 75
            statuses = [response.status_code for response in guesses]
            assert statuses[:60] == [401] * 60  # the burst
            assert statuses[-1] == 429 and statuses.count(429) >= 10, statuses  # then refused before the key is read
            assert set(statuses[60:]) <= {401, 429}  # a 401 only for a token refilled meanwhile (2 a second)
            limited = next(response for response in guesses if response.status_code == 429)
            assert int(limited.headers["retry-after"]) >= 1 and "RAG_RATE_LIMIT_PER_MINUTE" in limited.json()["detail"]
            time.sleep(int(limited.headers["retry-after"]))
            assert http.get("/v1/articles", headers={"X-API-Key": KEY}).status_code == 200  # the key's own budget


def test_after_its_refused_keys_an_address_gets_429_and_a_right_key_from_another_address_still_works(
        api_settings: Settings, real_embedder: Embedder) -> None:
    settings = api_settings.model_copy(update={"rate_limit_per_minute": 6, "rate_limit_burst": 3,
                                               "api_keys": [SecretStr(KEY)]})
    guess = {"X-API-Key": "guess-by-vantor-0123456789"}
    for url in served(settings, real_embedder):
        neighbour = httpx.HTTPTransport(local_address="127.0.0.2")  # another client address on this machine
        with httpx.Client(base_url=url, timeout=60) as http, \
                httpx.Client(base_url=url, timeout=60, transport=neighbour) as other:
            statuses = [http.get("/v1/articles", headers=guess).status_code for _ in range(5)]
            assert statuses == [401, 401, 401, 429, 429]  # the burst of 3, then the rate limit, not another 401
            limited = http.get("/v1/articles", headers=guess)
            assert limited.status_code == 429 and limited.headers["retry-after"] == "10"  # 6 a minute
            assert "too many requests" in limited.json()["detail"]
            assert http.get("/v1/articles", headers={"X-API-Key": KEY}).status_code == 429  # this address waits
            assert other.get("/v1/articles", headers={"X-API-Key": KEY}).status_code == 200
            assert other.get("/v1/articles", headers=guess).status_code == 401  # its own budget
            wrong_openai = http.get("/v1/models", headers={"Authorization": "Bearer guess-by-vantor-0123456789"})
            assert wrong_openai.status_code == 429 and wrong_openai.json()["error"]["type"] == "rate_limit_error"
            assert int(wrong_openai.headers["retry-after"]) >= 1


def test_without_keys_the_rate_is_per_client_address(api_settings: Settings, real_embedder: Embedder) -> None:
    settings = api_settings.model_copy(update={"rate_limit_per_minute": 6, "rate_limit_burst": 2})
    for url in served(settings, real_embedder):
        with httpx.Client(base_url=url, timeout=60) as http:
            statuses = [http.get("/v1/conversations").status_code for _ in range(3)]
            assert statuses == [200, 200, 429]
            assert http.get("/v1/conversations").headers["retry-after"] == "10"  # 6 a minute: a token every 10 s


def test_a_token_bucket_allows_a_burst_then_refills_at_its_rate() -> None:
    now = [0.0]
    buckets = TokenBuckets(per_minute=60, burst=2, clock=lambda: now[0])
    assert [buckets.take("a"), buckets.take("a")] == [0.0, 0.0]
    assert buckets.take("a") == pytest.approx(1.0)
    assert buckets.take("b") == 0.0  # another client is counted apart
    now[0] = 0.5
    assert buckets.take("a") == pytest.approx(0.5)
    now[0] = 1.0
    assert buckets.take("a") == 0.0
    now[0] = 100.0
    assert [buckets.take("a"), buckets.take("a"), buckets.take("a") > 0] == [0.0, 0.0, True]  # never over the burst
