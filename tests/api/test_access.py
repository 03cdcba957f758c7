"""API keys over real HTTP: which routes need one, both ways of sending it, 401s that say why, keys never logged."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from typer.testing import CliRunner

from api.app import create_app
from api.auth import OVER_RATE, RefusalLog
from rag.cli import app as cli
from rag.cli.serve import is_loopback
from rag.models.embed import Embedder
from rag.services import Services
from rag.settings import Settings
from rag.testing.llm import FunctionModel
from tests.api.errors import error_message
from tests.api.fakes import reader
from tests.conftest import make_settings
from tests.servers import serving_in_thread

KEY = "k3y-for-the-tests-0123456789"
OTHER = "another-key-abcdefghijklmnop"
NEAR_MISS = KEY[:-1] + "X"
ASIF = "What did Khwaja Asif write on X?"
PROTECTED = [("GET", "/v1/articles"), ("GET", "/v1/models"), ("POST", "/v1/chat/completions"), ("POST", "/v1/ask"),
             ("POST", "/v1/chat"), ("GET", "/v1/conversations"), ("GET", "/v1/briefings"), ("GET", "/v1/queue"),
             ("GET", "/readyz"), ("GET", "/openapi.json"), ("GET", "/docs"), ("GET", "/no-such-page")]


@pytest.fixture
def keyed_url(api_settings: Settings, real_embedder: Embedder) -> Iterator[str]:
    settings = api_settings.model_copy(update={"api_keys": [SecretStr(KEY), SecretStr(OTHER)]})
    services = Services(settings, embedder_override=real_embedder, chat_override=FunctionModel(reader))
    with serving_in_thread(create_app(settings, services=services)) as url:
        yield url


def test_with_keys_set_every_route_but_health_and_the_page_files_needs_one(keyed_url: str) -> None:
    with httpx.Client(base_url=keyed_url, timeout=60) as http:
        for path in ("/healthz", "/", "/app.js", "/app.css", "/index.html", "/favicon.svg", "/favicon.ico"):
            assert http.get(path).status_code == 200, path
        for method, path in PROTECTED:
            response = http.request(method, path, json={"question": ASIF})
            assert response.status_code == 401, (method, path, response.status_code)
            assert response.headers["www-authenticate"].startswith("Bearer")
            assert error_message(response) == ("this API needs a key: send it as 'Authorization: Bearer KEY' or "
                                               "'X-API-Key: KEY'"), path
        wrong = http.get("/v1/models", headers={"Authorization": f"Bearer {NEAR_MISS}"})
        assert wrong.status_code == 401 and wrong.json()["error"]["message"] == "the API key is not valid"
        assert wrong.json()["error"]["code"] == "invalid_api_key"
        assert 'error="invalid_token"' in wrong.headers["www-authenticate"]
        assert http.get("/v1/models", headers={"X-API-Key": NEAR_MISS}).status_code == 401

        assert http.get("/v1/models", headers={"Authorization": f"Bearer {KEY}"}).json()["data"][0]["id"] == "conflict-rag"
        assert http.get("/v1/articles", headers={"X-API-Key": OTHER}).status_code == 200
        answer = http.post("/v1/ask", json={"question": ASIF}, headers={"authorization": f"bearer {KEY}"})
        assert answer.status_code == 200 and "open war" in answer.json()["text"].lower()
        schema = http.get("/openapi.json", headers={"X-API-Key": KEY}).json()
        assert set(schema["components"]["securitySchemes"]) == {"bearer", "apiKey"}
        assert schema["paths"]["/healthz"]["get"]["security"] == []


def test_an_api_key_never_reaches_a_log_line_or_a_response(keyed_url: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with httpx.Client(base_url=keyed_url, timeout=60) as http:
        bodies = [http.get("/v1/articles", headers={"Authorization": f"Bearer {NEAR_MISS}"}).text,
                  http.get("/v1/articles", headers={"X-API-Key": KEY}).text,
                  http.post("/v1/ask", json={"question": "x" * 3000}, headers={"X-API-Key": KEY}).text,
                  http.get("/v1/conversations/nope", headers={"Authorization": f"Bearer {OTHER}"}).text]
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "refused GET /v1/articles from 127.0.0.1: wrong API key" in logged  # the refusal is logged, the key is not
    assert "GET /v1/articles HTTP/1.1" in logged  # uvicorn's access log ran
    for secret in (KEY, NEAR_MISS):
        assert secret not in logged
        assert secret not in "".join(bodies)


def test_rag_serve_refuses_every_interface_without_keys_and_says_how_to_set_them(monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[dict[str, object]] = []
    monkeypatch.setattr("uvicorn.run", lambda *args, **kwargs: started.append(kwargs))
    monkeypatch.delenv("RAG_API_KEYS", raising=False)
    runner = CliRunner()
    refused = runner.invoke(cli, ["serve", "--host", "0.0.0.0"])
    assert refused.exit_code == 2 and started == []
    message = " ".join(refused.output.split())
    assert "refusing to listen on 0.0.0.0 without API keys" in message and "Set RAG_API_KEYS" in message
    assert "Traceback" not in refused.output

    short = runner.invoke(cli, ["serve", "--host", "0.0.0.0"], env={"RAG_API_KEYS": "tiny-key"})
    assert short.exit_code == 2 and "tiny-key" not in short.output
    assert "RAG_API_KEYS: each API key needs at least 16 characters" in " ".join(short.output.split())

    assert runner.invoke(cli, ["serve", "--host", "0.0.0.0"], env={"RAG_API_KEYS": KEY}).exit_code == 0
    assert runner.invoke(cli, ["serve"]).exit_code == 0  # 127.0.0.1 without keys is fine
    assert [call["host"] for call in started] == ["0.0.0.0", "127.0.0.1"]


def test_rag_serve_refuses_several_workers_on_the_on_disk_index_and_allows_them_on_a_chroma_server(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    started: list[dict[str, object]] = []
    monkeypatch.setattr("uvicorn.run", lambda *args, **kwargs: started.append(kwargs))
    monkeypatch.delenv("RAG_CHROMA_URL", raising=False)
    runner = CliRunner()
    refused = runner.invoke(cli, ["serve", "--workers", "3", "--data-dir", str(tmp_path)])
    assert refused.exit_code == 2 and started == []
    message = " ".join(refused.output.split())
    assert "refusing to start 3 workers on the on-disk index" in message and "RAG_CHROMA_URL" in message
    assert "Traceback" not in refused.output

    assert runner.invoke(cli, ["serve", "--workers", "1", "--data-dir", str(tmp_path)]).exit_code == 0
    served = runner.invoke(cli, ["serve", "--workers", "3", "--data-dir", str(tmp_path)],
                           env={"RAG_CHROMA_URL": "http://127.0.0.1:9"})
    assert served.exit_code == 0
    assert [call["workers"] for call in started] == [1, 3]


@pytest.mark.parametrize(("host", "loopback"), [("127.0.0.1", True), ("localhost", True), ("::1", True),
                                                ("127.0.0.2", True), ("0.0.0.0", False), ("::", False),
                                                ("192.168.1.10", False), ("example.org", False)])
def test_which_hosts_count_as_this_machine_only(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_keys_come_comma_separated_from_the_environment_as_secrets(monkeypatch: pytest.MonkeyPatch,
                                                                    tmp_path: Path) -> None:
    monkeypatch.setenv("RAG_API_KEYS", f" {KEY} ,{OTHER},")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert [key.get_secret_value() for key in settings.api_keys] == [KEY, OTHER]
    assert KEY not in repr(settings) and KEY not in str(settings.model_dump())
    monkeypatch.delenv("RAG_API_KEYS")
    assert make_settings(tmp_path / "data").api_keys == []


def test_refusals_from_one_address_are_logged_once_then_counted_into_one_line_a_minute(
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="api.auth")
    timers: list[tuple[float, Callable[[], None]]] = []
    refusals = RefusalLog(schedule=lambda delay, callback: timers.append((delay, callback)))
    guesser: dict[str, Any] = {"method": "GET", "path": "/v1/articles", "client": ("10.0.0.7", 5120)}
    for _ in range(40):
        refusals.refused(guesser, "wrong API key")
    for _ in range(12):
        refusals.refused(guesser, OVER_RATE)
    refusals.refused({**guesser, "client": ("10.0.0.8", 5121), "path": "/v1/ask"}, "no API key")

    def lines() -> list[str]:
        return [record.getMessage() for record in caplog.records if record.name == "api.auth"]

    assert lines() == ["refused GET /v1/articles from 10.0.0.7: wrong API key",
                       "refused GET /v1/ask from 10.0.0.8: no API key"]  # each address's first, at once
    assert [delay for delay, _ in timers] == [60.0, 60.0]
    caplog.clear()
    for _, close in timers[:]:  # a minute later
        close()
    assert lines() == ["refused 51 more requests from 10.0.0.7 in the last 60 s (39 wrong API key, 12 over the rate "
                       "limit after refused keys); one line a minute per address while it goes on"]
    caplog.clear()
    timers[-1][1]()  # a quiet minute for 10.0.0.7: nothing to say, and its next refusal is logged at once again
    refusals.refused(guesser, "wrong API key")
    assert lines() == ["refused GET /v1/articles from 10.0.0.7: wrong API key"]
