"""Real OpenAI clients against the facade on a real uvicorn server: the ``openai`` package and simonw's ``llm`` CLI.

The service runs in-process (real embedder, seed corpus, the content-dependent fake reader), so the tests can fill
the model's line or crash the model; the clients speak real HTTP to it.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import openai
import pytest
import yaml
from openai import OpenAI
from pydantic import SecretStr

from api.app import create_app
from api.deps import AppState
from rag.models.embed import Embedder
from rag.models.llm import Message, OpenAICompatibleModel
from rag.models.usage import metering
from rag.services import Services
from rag.settings import Settings
from rag.testing.llm import FunctionModel
from tests.api.fakes import reader
from tests.servers import serving_in_thread

KEY = "client-key-0123456789abcdef"
ASIF = "What did Khwaja Asif write on X?"
LLM = Path(sys.executable).with_name("llm")


@dataclass
class Served:
    url: str
    state: AppState

    def client(self, key: str = KEY) -> OpenAI:
        return OpenAI(base_url=f"{self.url}/v1", api_key=key, timeout=60, max_retries=0)


@contextlib.contextmanager
def serve(settings: Settings, embedder: Embedder, model: FunctionModel) -> Iterator[Served]:
    services = Services(settings, embedder_override=embedder, chat_override=model)
    app = create_app(settings, services=services)
    with serving_in_thread(app) as url:
        yield Served(url, app.state.rag)


@pytest.fixture
def served(api_settings: Settings, real_embedder: Embedder) -> Iterator[Served]:
    """Keys required, no rate limit, and no room to wait: a second request while one holds the model gets 503."""
    settings = api_settings.model_copy(update={"api_keys": [SecretStr(KEY)], "rate_limit_per_minute": 0, "max_waiting": 0})
    with serve(settings, real_embedder, FunctionModel(reader)) as running:
        yield running


def test_the_openai_client_reads_usage_as_ints_streamed_or_not(served: Served) -> None:
    client = served.client()
    completion = client.chat.completions.create(model="conflict-rag", messages=[{"role": "user", "content": ASIF}])
    usage = completion.usage
    assert usage is not None and isinstance(usage.prompt_tokens, int) and isinstance(usage.completion_tokens, int)
    assert usage.prompt_tokens > 0 and usage.total_tokens == usage.prompt_tokens + usage.completion_tokens
    assert (usage.model_extra or {})["estimated"] is True  # the package keeps the extra field, and parses the rest
    assert "Sources:\n- [1] " in (completion.choices[0].message.content or "")

    chunks = list(client.chat.completions.create(model="conflict-rag", messages=[{"role": "user", "content": ASIF}],
                                                 stream=True, stream_options={"include_usage": True}))
    last = chunks[-1]
    assert last.choices == [] and last.usage is not None and last.usage.total_tokens == usage.total_tokens
    assert all(chunk.usage is None for chunk in chunks[:-1])
    text = "".join(chunk.choices[0].delta.content or "" for chunk in chunks if chunk.choices)
    assert text == completion.choices[0].message.content


def test_the_openai_client_raises_its_own_error_classes_with_the_services_message(served: Served) -> None:
    with pytest.raises(openai.AuthenticationError) as refused:
        served.client("not-the-key-0123456789").models.list()
    assert refused.value.code == "invalid_api_key" and refused.value.message.startswith("Error code: 401")
    assert refused.value.body == {"message": "the API key is not valid", "type": "authentication_error", "param": None,
                                  "code": "invalid_api_key"}

    client = served.client()
    with pytest.raises(openai.BadRequestError) as bad:
        client.chat.completions.create(model="conflict-rag", messages=[{"role": "user", "content": "Hi"},
                                                                        {"role": "assistant", "content": "Hello"}])
    assert bad.value.code == "invalid_request" and "must be a user message" in bad.value.message
    with pytest.raises(openai.BadRequestError) as invalid:
        client.chat.completions.create(model="conflict-rag", messages=[])
    assert invalid.value.param == "messages" and "at least 1 item" in invalid.value.message
    with pytest.raises(openai.NotFoundError) as missing:
        client.models.retrieve("gpt-4o")
    assert "this service is the model 'conflict-rag'" in missing.value.message
    assert client.models.retrieve("conflict-rag").id == "conflict-rag"

    holder = served.state.model_queue.reserve()  # someone holds the model's only place
    try:
        with pytest.raises(openai.InternalServerError) as busy:
            client.chat.completions.create(model="conflict-rag", messages=[{"role": "user", "content": ASIF}], stream=True)
    finally:
        holder.withdraw()
    assert busy.value.status_code == 503 and busy.value.code == "queue_full"
    assert int(busy.value.response.headers["retry-after"]) >= 1 and "the model is busy" in busy.value.message


def test_the_openai_client_sees_a_rate_limit_and_a_failure_mid_stream_as_errors(api_settings: Settings,
                                                                                 real_embedder: Embedder) -> None:
    def crash(messages: Sequence[Message]) -> str:
        raise RuntimeError("llama_decode returned -1")

    limited = api_settings.model_copy(update={"rate_limit_per_minute": 1, "rate_limit_burst": 2})
    with serve(limited, real_embedder, FunctionModel(crash)) as served:
        client = served.client()
        with pytest.raises(openai.APIError) as failed:  # the stream had begun: an error event, not a status
            list(client.chat.completions.create(model="conflict-rag", stream=True,
                                                messages=[{"role": "user", "content": ASIF}]))
        assert failed.value.message == "internal error; the server log has the details"
        assert failed.value.code == "internal_error"
        client.models.list()
        with pytest.raises(openai.RateLimitError) as limit:
            client.models.list()
        assert limit.value.code == "rate_limit_exceeded" and "RAG_RATE_LIMIT_PER_MINUTE" in limit.value.message


def test_the_openai_backend_records_the_usage_an_endpoint_reports(served: Served) -> None:
    backend = OpenAICompatibleModel(f"{served.url}/v1", KEY, "conflict-rag", timeout_s=60, retries=0)
    question: list[Message] = [{"role": "user", "content": ASIF}]
    with metering() as meter:
        text = backend.complete(question)
        streamed = "".join(backend.stream(question))
    assert text == streamed and "open war" in text.lower()
    first, second = meter.calls
    assert first == second and first.prompt_tokens > 0 and first.estimated  # this facade marks its estimates


def test_the_llm_cli_gets_cited_answers_streamed_or_not(served: Served, tmp_path: Path) -> None:
    """``llm`` reads extra OpenAI-compatible models from its user folder (``LLM_USER_PATH``), the key from keys.json."""
    models = [{"model_id": "conflict-rag", "model_name": "conflict-rag", "api_base": f"{served.url}/v1",
               "api_key_name": "conflict-rag"}]
    (tmp_path / "extra-openai-models.yaml").write_text(yaml.safe_dump(models), encoding="utf-8")
    (tmp_path / "keys.json").write_text(json.dumps({"conflict-rag": KEY}), encoding="utf-8")
    env = {**os.environ, "LLM_USER_PATH": str(tmp_path)}
    outputs = []
    for flags in (["--no-stream"], []):
        result = subprocess.run([str(LLM), "-m", "conflict-rag", *flags, "--usage", ASIF], env=env, capture_output=True,
                                text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        assert "open war" in result.stdout.lower() and "\n\nSources:\n- [1] " in result.stdout
        assert "Token usage:" in result.stderr and "input" in result.stderr
        outputs.append(result.stdout)
    assert outputs[0] == outputs[1]
