"""A fake reader that holds the model until a test opens its gate, and a service around it on real HTTP."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import httpx

from api.app import create_app
from rag.models.embed import Embedder
from rag.models.llm import Message
from rag.services import Services
from rag.settings import Settings
from tests.api.fakes import reader
from tests.servers import serving_in_thread


class GatedModel:
    """Streams empty pieces every 20 ms while the gate is shut (so cancellation is seen), then the fake answer."""

    name = "gated-fake"

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.calls = 0

    def complete(self, messages: Sequence[Message], max_tokens: int = 256) -> str:
        return "".join(self.stream(messages, max_tokens))

    def stream(self, messages: Sequence[Message], max_tokens: int = 256) -> Iterator[str]:
        self.calls += 1
        while not self.gate.is_set():
            time.sleep(0.02)
            yield ""
        yield reader(messages)


def wait_for_queue(http: httpx.Client, timeout_s: float = 20, **expected: int) -> dict[str, float]:
    """Poll ``GET /v1/queue`` until every field in ``expected`` has its value; the status when it does."""
    deadline = time.monotonic() + timeout_s
    while True:
        status: dict[str, float] = http.get("/v1/queue").json()
        if all(status[name] == value for name, value in expected.items()):
            return status
        assert time.monotonic() < deadline, f"queue never reached {expected}: {status}"
        time.sleep(0.05)


@contextmanager
def serving_gated(settings: Settings, embedder: Embedder, model: GatedModel) -> Iterator[str]:
    """The service on real HTTP with ``model`` as its reader; the gate is opened on the way out, so nothing hangs."""
    services = Services(settings, embedder_override=embedder, chat_override=model)
    with serving_in_thread(create_app(settings, services=services)) as url:
        try:
            yield url
        finally:
            model.gate.set()
