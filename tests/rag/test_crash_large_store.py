"""A store of more than 10,000 chunks, closed and reopened: every chunk is there, found, and BM25 agrees."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from chromadb.api.shared_system_client import SharedSystemClient

from rag.index.chunking import chunk_article
from rag.index.corpus import make_article
from rag.index.doctor import examine
from rag.index.ingest import ingest_items
from rag.index.retrieve import HybridRetriever
from rag.index.store import Store
from rag.testing.embed import HashingEmbedder
from rag.types import Article
from tests.conftest import make_settings

pytestmark = pytest.mark.slow  # subprocesses killed at every write, or a large store: minutes

ARTICLES = 40
SENTENCES = 1400


VOCABULARY = [f"{a}{b}" for a in ("bar", "kel", "mon", "tri", "zas", "ul", "ven", "dor") for b in
              ("ak", "em", "is", "ot", "un", "ra", "li", "so", "pe", "ga", "ni", "fu")]


def article(number: int) -> Article:
    """Every sentence has a token found nowhere else (``k<article>q<sentence>``), so each chunk can be named.

    The other words are drawn at random, so chunks are not near-identical vectors (on which approximate
    nearest-neighbour search is poor, and no corpus looks like that). One sentence per line, like paragraphs:
    the sentence splitter's cost grows with the length of a line.
    """
    pick = random.Random(number).sample
    sentences = [f"Report k{number}q{i} on {' '.join(pick(VOCABULARY, 8))}." for i in range(SENTENCES)]
    return make_article(f"a{number:03d}", "\n".join(sentences), title=f"Dispatch {number}", outlet="Synthetic Wire")


def test_more_than_ten_thousand_chunks_survive_a_reopen(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data")
    articles = [article(n) for n in range(ARTICLES)]
    expected = {c.id: c.text for a in articles for c in chunk_article(a.id, a.body, settings.chunk_size, settings.chunk_overlap)}
    assert len(expected) > 10_000
    report = ingest_items(articles, Store(settings), HashingEmbedder(), settings)
    assert len(report.added) == ARTICLES and report.chunks_written == len(expected)

    before = self_query(Store(settings))
    SharedSystemClient.clear_system_cache()  # close: the next Store opens the files afresh
    store = Store(settings)
    assert store.counts() == {"articles": ARTICLES, "chunks": len(expected)}
    ids, texts, _ = store.all_chunks()
    assert dict(zip(ids, texts, strict=True)) == expected
    assert examine(store).ok
    # Dense: each chunk's own vector finds it first (HNSW is approximate: a handful in 10,000 rank lower, on
    # these hashed vectors), and the reopened index answers exactly as it did before it was closed.
    after = self_query(store)
    assert after == before
    assert sum(chunk_id == best for chunk_id, best in after.items()) >= 0.995 * len(expected)

    # BM25: the index covers every chunk, and a chunk's own token ranks it first (a sample of 1,000 chunks).
    retriever = HybridRetriever(store, HashingEmbedder())
    sample = sorted(expected)[:: len(expected) // 1000]
    for chunk_id in sample:
        token = next(w for w in expected[chunk_id].split() if w.startswith("k") and _only_in(w, chunk_id, expected))
        ranks = {hit.chunk_id: hit.bm25_rank for hit in retriever.search(token, k=2)}  # ties with dense's best
        assert ranks.get(chunk_id) == 1, token


def _only_in(token: str, chunk_id: str, chunks: dict[str, str]) -> bool:
    article_id, position = chunk_id.rsplit(":", 1)
    neighbours = (f"{article_id}:{int(position) - 1}", f"{article_id}:{int(position) + 1}")
    return not any(token in chunks.get(other, "").split() for other in neighbours)


def self_query(store: Store) -> dict[str, str]:
    """Chunk id → the id of the nearest chunk to its own stored vector."""
    found = store.chunks.get(include=["embeddings"])
    nearest: dict[str, str] = {}
    for start in range(0, len(found["ids"]), 1000):
        result = store.chunks.query(query_embeddings=found["embeddings"][start : start + 1000], n_results=1, include=[])
        nearest.update(zip(found["ids"][start : start + 1000], (best[0] for best in result["ids"]), strict=True))
    return nearest
