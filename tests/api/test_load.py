"""``rag load`` against a real uvicorn service (fake reader, real embedder).

The queue bound turns the surplus away with 503s instead of letting it hang, and nothing else fails.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence

from pydantic import SecretStr
from typer.testing import CliRunner

from api.app import create_app
from bench.load import LoadResult, render
from rag.cli import app as cli
from rag.models.embed import Embedder
from rag.models.llm import Message
from rag.services import Services
from rag.settings import Settings
from rag.testing.llm import FunctionModel
from tests.api.fakes import reader
from tests.servers import serving_in_thread

KEY = "load-test-key-0123456789abcdef"
QUESTIONS = ["What did Khwaja Asif write on X?", "How many people were killed in the drone strikes in Kabul?",
             "Which Afghan government spokesman spoke at a press conference in Kabul on Sunday?"]


def slow_reader(messages: Sequence[Message]) -> str:
    time.sleep(0.3)  # long enough for 20 users to fill a line of 3
    return reader(messages)


def test_twenty_users_get_answers_or_an_immediate_503_and_no_unexpected_server_error(
        api_settings: Settings, real_embedder: Embedder) -> None:
    settings = api_settings.model_copy(update={"api_keys": [SecretStr(KEY)], "max_waiting": 3, "rate_limit_per_minute": 0})
    services = Services(settings, embedder_override=real_embedder, chat_override=FunctionModel(slow_reader))
    with serving_in_thread(create_app(settings, services=services)) as url:
        started = time.monotonic()
        questions = [arg for q in QUESTIONS for arg in ("--question", q)]
        run = CliRunner().invoke(cli, ["load", "--url", url, "--users", "20", "--duration", "4", "--key", KEY,
                                       *questions, "--json"])
        took = time.monotonic() - started
    assert run.exit_code == 0, run.output
    result = LoadResult.model_validate(json.loads(run.stdout))
    assert took < 15  # bounded: open requests were cancelled at the end, nothing hung
    assert result.users == 20 and 4 <= result.duration_s < 8
    assert result.unexpected_5xx == 0 and result.connection_errors == 0 and result.deadline_504 == 0
    assert result.answered >= 3 and result.latency_p50_ms is not None and result.latency_p95_ms is not None
    assert result.latency_p50_ms <= result.latency_p95_ms <= (result.latency_max_ms or 0)
    assert result.statuses.get("503", 0) >= 10 and result.rejected == result.statuses["503"]  # all with Retry-After
    assert set(result.statuses) <= {"200", "503"}
    assert 0 < result.rejected_share < 1
    assert result.queue_bound == 3 and result.queue_peak_server == 3 and (result.queue_peak_seen or 0) <= 3
    assert result.unfinished <= 4  # at most the running answer and the three waiting
    text = render(result)
    assert "answer latency p50" in text and "unexpected 5xx 0" in text and "bound 3" in text
