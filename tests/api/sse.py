"""Read Server-Sent Events from an HTTP response body (httpx or TestClient)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from rag.sse_events import EventDecoder


def parse_events(lines: Iterable[str]) -> Iterator[tuple[str, Any]]:
    """``(event, data)`` pairs; ``data`` is parsed JSON, or the raw text when it is not JSON (``[DONE]``)."""
    decoder = EventDecoder()
    for raw in lines:
        if (event := decoder.feed(raw)) is not None:
            yield event
