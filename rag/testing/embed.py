"""Fake embedders (the seam is :class:`rag.models.embed.Embedder`).

Word-hash vectors, one that fails on a trigger, one that holds its caller until released.
"""

from __future__ import annotations

import hashlib
import math
import re
import threading
from collections.abc import Sequence

import rag.services
from rag.models.embed import Embedder

HASHING_MODEL = "hashing-fake"
"""``RAG_EMBEDDING_MODEL=hashing-fake`` under :mod:`rag.testing.cli` selects :class:`HashingEmbedder`."""


class HashingEmbedder:
    """Fake for unit tests: a bag of word hashes, so texts sharing words get similar vectors.

    Unlike a constant vector, it makes "the chunk about X ranks first for a question about X" a real
    assertion, without loading a model.
    """

    name = "hashing-fake"

    def __init__(self, dimensions: int = 256) -> None:
        self.dimensions = dimensions
        self.calls: list[list[str]] = []

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        self.calls.append(list(texts))
        return [self._vector(text) for text in texts]

    def _vector(self, text: str) -> list[float]:
        vector = [0.0] * self.dimensions
        for word in re.findall(r"\w+", text.lower()):
            digest = hashlib.blake2b(word.encode(), digest_size=4).digest()
            vector[int.from_bytes(digest, "big") % self.dimensions] += 1.0
        norm = math.sqrt(sum(x * x for x in vector)) or 1.0
        return [x / norm for x in vector]


class FailingEmbedder(HashingEmbedder):
    """Fake that fails on any text containing ``trigger``, to test that failed writes lose nothing."""

    name = "failing-fake"

    def __init__(self, trigger: str) -> None:
        super().__init__()
        self.trigger = trigger

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        if any(self.trigger in text for text in texts):
            raise RuntimeError("embedding backend failed")
        return super().embed(texts)


class GatedEmbedder(HashingEmbedder):
    """Fake that holds its caller inside ``embed`` until ``release`` is set: a writer caught in its embedding step."""

    name = "gated-fake"

    def __init__(self, wait_s: float = 20.0) -> None:
        super().__init__()
        self.entered = threading.Event()
        self.release = threading.Event()
        self.wait_s = wait_s

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        self.entered.set()
        if not self.release.wait(self.wait_s):
            raise RuntimeError("the gated embedder was never released")
        return super().embed(texts)


def serve_hashing_model() -> None:
    """Make :data:`HASHING_MODEL` a model name :class:`rag.services.Services` can load (tests and subprocess tests)."""
    real = getattr(rag.services.load_embedder, "real", rag.services.load_embedder)

    def load(model: str, batch_size: int = 32) -> Embedder:
        return HashingEmbedder() if model == HASHING_MODEL else real(model, batch_size)

    load.real = real  # type: ignore[attr-defined]
    rag.services.load_embedder = load  # type: ignore[assignment]
