"""Generated requests from the OpenAPI schema (schemathesis): no input makes the API answer with a server error."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings

from api.app import create_app
from rag.services import Services

EXAMPLES = 25
SKIPPED = {("POST", "/v1/briefings"), ("POST", "/v1/chat")}
"""Generating a briefing runs the whole pipeline per example; chat streams (its bad input is in test_chat)."""


def test_no_generated_request_gets_a_server_error(services: Services) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(services.settings, services=services))
    tried: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) in SKIPPED:
            continue
        tried.append(f"{operation.method.upper()} {operation.path}")

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def call(case: schemathesis.Case) -> None:
            response = case.call()
            assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.status_code} " \
                                               f"{response.text[:300]} for {case.body!r}"
            assert "Traceback" not in response.text

        call()
    assert {"POST /v1/ask", "POST /v1/articles", "POST /v1/chat/completions", "GET /v1/briefings/{briefing_id}"} <= set(tried)
