"""Fault injection for kill trials: the process SIGKILLs itself right after its Nth store write.

Installed only by :mod:`rag.testing.cli` (the ``rag`` command line with test seams) from environment variables, so
a subprocess can be killed at every point of an ingest, update or delete.
"""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Iterator

from rag.index.store import Store

KILL_AFTER_WRITES_ENV = "RAG_TEST_KILL_AFTER_WRITES"


def kill_after_writes(limit: int) -> None:
    """Wrap :meth:`Store._wrote` so that the process dies right after its ``limit``-th write."""
    original = Store._wrote
    count = 0

    def wrote(self: Store) -> None:
        nonlocal count
        original(self)
        count += 1
        if count >= limit:
            os.kill(os.getpid(), signal.SIGKILL)

    Store._wrote = wrote  # type: ignore[method-assign]


@contextlib.contextmanager
def counting_writes() -> Iterator[list[int]]:
    """Count the store writes made inside the block (``count[0]`` after it)."""
    original = Store._wrote
    count = [0]

    def wrote(self: Store) -> None:
        original(self)
        count[0] += 1

    Store._wrote = wrote  # type: ignore[method-assign]
    try:
        yield count
    finally:
        Store._wrote = original  # type: ignore[method-assign]
