"""Helpers for tests that start a real server process on 127.0.0.1."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until_up(process: subprocess.Popen[bytes], url: str, timeout_s: float, name: str) -> None:
    """Poll ``url`` until it answers 200; fail the test if the process dies or the time runs out."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert process.poll() is None, f"{name} exited early"
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    pytest.fail(f"{name} did not start within {timeout_s:.0f}s")


@contextlib.contextmanager
def running_server(command: list[str], health_url: str, timeout_s: float, name: str, log: Path) -> Iterator[None]:
    """Start ``command``, wait until ``health_url`` answers, and stop the process afterwards."""
    with log.open("w") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
        try:
            wait_until_up(process, health_url, timeout_s, name)
            yield
        finally:
            process.terminate()
            process.wait(timeout=30)


@contextlib.contextmanager
def serving_in_thread(app: object, timeout_s: float = 30) -> Iterator[str]:
    """A real uvicorn server for ``app`` on 127.0.0.1 in a thread of this process; yields its base URL.

    For tests that need real HTTP (chunked bodies, concurrent clients, disconnects) with fakes injected.
    ``log_config=None`` leaves logging alone, so uvicorn's own lines reach ``caplog``.
    """
    import threading

    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="on",
                                           timeout_graceful_shutdown=5))  # type: ignore[arg-type]
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout_s
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
