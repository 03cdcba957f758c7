"""The real embedder and its query cache used from many request threads at once, as a service worker does."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np

from rag.models.embed import Embedder, QueryCache

TEXTS = [
    "Officials closed the harbour after a cholera outbreak.",
    "The talks resumed in the capital on Sunday.",
    "Short.",
    "A much longer sentence about a ceasefire that was agreed by both governments after weeks of mediation.",
] * 6


def test_concurrent_queries_get_the_vectors_one_thread_gets(real_embedder: Embedder) -> None:
    expected = {t: np.asarray(real_embedder.embed([t])[0]) for t in set(TEXTS)}
    cache = QueryCache(real_embedder, size=2)  # small: entries are evicted while other threads read
    with ThreadPoolExecutor(max_workers=8) as pool:
        direct = list(pool.map(lambda t: real_embedder.embed([t])[0], TEXTS))
        cached = list(pool.map(lambda t: cache.embed([t])[0], TEXTS))
    for text, a, b in zip(TEXTS, direct, cached, strict=True):
        assert np.allclose(a, expected[text], atol=1e-5) and np.allclose(b, expected[text], atol=1e-5), text
    assert len(cache._vectors) <= 2
