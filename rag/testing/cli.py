"""The ``rag`` command line with test seams, for subprocess tests: ``python -m rag.testing.cli ARGS``.

``RAG_TEST_KILL_AFTER_WRITES=N`` kills the process after its Nth store write (:mod:`rag.testing.faults`);
``RAG_EMBEDDING_MODEL=hashing-fake`` embeds with :class:`rag.testing.embed.HashingEmbedder` (no model to load).
"""

from __future__ import annotations

import os

from rag.cli import app
from rag.testing.embed import serve_hashing_model
from rag.testing.faults import KILL_AFTER_WRITES_ENV, kill_after_writes


def install_seams() -> None:
    if limit := os.environ.get(KILL_AFTER_WRITES_ENV):
        kill_after_writes(int(limit))
    serve_hashing_model()


if __name__ == "__main__":
    install_seams()
    app()
