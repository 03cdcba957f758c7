"""Generated requests from the OpenAPI schema (schemathesis) with API keys on: no 5xx, and no way in without the key.

The schema declares both ways of sending a key, so schemathesis also invents credentials: each must get a 401.
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from pydantic import SecretStr

from api.app import create_app
from rag.models.embed import Embedder
from rag.services import Services
from rag.settings import Settings
from rag.testing.llm import FunctionModel

EXAMPLES = 25
KEY = "fuzzing-key-0123456789abcdef"
SKIPPED = {("POST", "/v1/briefings"), ("POST", "/v1/chat")}
"""Generating a briefing runs the whole pipeline per example; chat streams (its bad input is in test_chat)."""
OPEN = {("GET", "/healthz")}


def test_no_generated_request_gets_a_server_error_and_none_gets_in_without_the_key(
        api_settings: Settings, real_embedder: Embedder, fake_model: FunctionModel) -> None:
    keyed = api_settings.model_copy(update={"api_keys": [SecretStr(KEY)], "rate_limit_per_minute": 0})
    services = Services(keyed, embedder_override=real_embedder, chat_override=fake_model)
    app = create_app(keyed, services=services)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app, headers={"X-API-Key": KEY})
    tried: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        name = (operation.method.upper(), operation.path)
        if name in SKIPPED:
            continue
        tried.append(" ".join(name))

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def call(case: schemathesis.Case) -> None:
            invented = case.call()  # no key, or one schemathesis made up
            if (case.method.upper(), case.operation.path) in OPEN:
                assert invented.status_code < 500
            else:
                assert invented.status_code == 401, f"{case.method} {case.formatted_path} answered without the key"
            response = case.call(headers={"Authorization": f"Bearer {KEY}", "X-API-Key": KEY})
            assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.status_code} " \
                                               f"{response.text[:300]} for {case.body!r}"
            assert response.status_code != 401
            assert "Traceback" not in response.text and KEY not in response.text

        call()
    assert {"POST /v1/ask", "POST /v1/articles", "POST /v1/chat/completions", "GET /v1/briefings/{briefing_id}",
            "GET /v1/queue", "GET /healthz"} <= set(tried)
