"""Read an error response in whichever shape its route gives: OpenAI's on the OpenAI-compatible routes, ours elsewhere."""

from __future__ import annotations

import httpx

from api.errors import speaks_openai


def error_message(response: httpx.Response) -> str:
    """The sentence of an error, after checking the body has exactly the shape its route promises."""
    body = response.json()
    if speaks_openai(response.request.url.path):
        assert set(body) == {"error"} and set(body["error"]) == {"message", "type", "param", "code"}, body
        message: str = body["error"]["message"]
        return message
    assert set(body) == {"detail"}, body
    detail: str = body["detail"]
    return detail
