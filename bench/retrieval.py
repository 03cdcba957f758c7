"""The retrieval curve: our hybrid search against a raw ``collection.query`` on the same collection, 1k→100k chunks.

Embedding 100k chunks with the real model would take hours on two cores, so the curve's collection is
filled directly with synthetic chunks (from :mod:`evals.synthetic`, chunked as ingest chunks them) and cheap
content-dependent vectors of the real model's width (384); queries are embedded the same way. Both sides of
each ratio embed their query with that embedder and ask for the same number of candidates.
"""

from __future__ import annotations

import functools
import hashlib
import shutil
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np
from pydantic import BaseModel

from bench.measure import PeakMemory, percentile_ms
from evals.synthetic import PEOPLE, PLACES, generate_articles
from rag.index.bm25 import Bm25Index
from rag.index.chunking import chunk_article, search_text
from rag.index.corpus import article_from_row
from rag.index.record import StoredArticle
from rag.index.retrieve import CANDIDATES_PER_RETRIEVER, HybridRetriever
from rag.index.store import Store, article_metadata
from rag.settings import Settings
from rag.testing.embed import HashingEmbedder

DIMENSIONS = 384
"""The width of all-MiniLM-L6-v2's vectors, so the HNSW graph does the same work per comparison."""
INSERT_BATCH = 2000
Tick = Callable[[str], None]


class CurvePoint(BaseModel):
    """Retrieval at one collection size."""

    chunks: int
    articles: int
    ours_p50_ms: float
    ours_p95_ms: float
    raw_p50_ms: float
    raw_p95_ms: float
    p50_ratio: float
    p95_ratio: float
    bm25_update_s: float
    """Bringing the persisted BM25 index up to date after the collection grew from the previous size."""
    bm25_add_1pct_s: float
    """The first search's BM25 update after 1% more chunks were added (the daily-ingest case)."""
    bm25_load_ms: float
    """A fresh process opening the persisted index (memory-mapped) with the store unchanged."""
    bm25_rebuild_s: float
    """Building the BM25 index from scratch (reading every chunk from Chroma): what every new process paid before
    the index was persisted."""
    peak_rss_mib: float


class FastHashingEmbedder(HashingEmbedder):
    """:class:`HashingEmbedder` with each word's bucket cached: the same vectors, fast enough for 100k chunks."""

    name = "hashing-384"

    def __init__(self, dimensions: int = DIMENSIONS) -> None:
        super().__init__(dimensions)

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        return [self._vector(text) for text in texts]

    def _vector(self, text: str) -> list[float]:
        vector = np.zeros(self.dimensions, dtype=np.float32)
        for word in text.lower().split():
            vector[_bucket(word.strip(".,“”\"'?!:;()"), self.dimensions)] += 1.0
        norm = float(np.linalg.norm(vector)) or 1.0
        return [float(x) for x in vector / norm]


@functools.lru_cache(maxsize=200_000)
def _bucket(word: str, dimensions: int) -> int:
    return int.from_bytes(hashlib.blake2b(word.encode(), digest_size=4).digest(), "big") % dimensions


def bench_queries(count: int) -> list[str]:
    """Questions an analyst might ask of the synthetic corpus (deterministic)."""
    shapes = ("What did {person} say about {place}?", "How many people were killed in {place}?",
              "Who was accused of the attack near {place}?", "{person} ceasefire talks {place}")
    return [
        shapes[i % len(shapes)].format(person=PEOPLE[i % len(PEOPLE)][0], place=PLACES[(i * 7) % len(PLACES)])
        for i in range(count)
    ]


def _synthetic_chunks(settings: Settings, seed: int) -> Iterator[tuple[Any, list[Any]]]:
    """Articles of the synthetic corpus (originals only: every one is indexed) with their chunks."""
    for row in generate_articles(10**9, seed):
        if row.reprint_of:
            continue
        article = article_from_row(row.model_dump(), default_id=row.id)
        yield article, chunk_article(article.id, article.body, settings.chunk_size, settings.chunk_overlap)


def _grow(store: Store, source: Iterator[tuple[Any, list[Any]]], embedder: FastHashingEmbedder, target: int) -> int:
    """Add synthetic articles straight into the chunks and the record (as indexed) until ``target`` chunks.

    Returns the articles added.
    """
    added, have = 0, store.chunks.count()
    pending: dict[str, list[Any]] = {"ids": [], "embeddings": [], "documents": [], "metadatas": []}
    records: list[StoredArticle] = []

    def flush() -> None:
        if pending["ids"]:
            store.chunks.add(**pending)
            with store.write_lock():
                for record in records:
                    store.record.import_article(record)
        for values in pending.values():
            values.clear()
        records.clear()

    while have < target:
        article, chunks = next(source)
        vectors = embedder.embed([search_text(article.title, c.text) for c in chunks])
        base = article_metadata(article)
        pending["ids"] += [c.id for c in chunks]
        pending["embeddings"] += vectors
        pending["documents"] += [c.text for c in chunks]
        pending["metadatas"] += [base | {"position": c.position, "start": c.start, "end": c.end} for c in chunks]
        records.append(StoredArticle(article=article, minhash="", indexed_hash=article.content_hash,
                                     chunk_count=len(chunks)))
        have += len(chunks)
        added += 1
        if len(pending["ids"]) >= INSERT_BATCH:
            flush()
    flush()
    return added


def measure_curve(settings: Settings, sizes: list[int], queries: int, repeats: int, tick: Tick,
                  on_point: Callable[[CurvePoint], None] | None = None) -> list[CurvePoint]:
    """Grow one collection through ``sizes`` (chunks) and time both searches at each size."""
    embedder = FastHashingEmbedder()
    store = Store(settings)
    retriever = HybridRetriever(store, embedder, settings.max_chunks_per_article)
    source = _synthetic_chunks(settings, seed=1)
    questions = bench_queries(queries)
    pool = settings.top_k * CANDIDATES_PER_RETRIEVER
    points: list[CurvePoint] = []
    articles = 0
    for size in sorted(sizes):
        tick(f"curve: filling {size:,} chunks")
        articles += _grow(store, source, embedder, size)
        started = time.perf_counter()
        retriever.bm25.sync()
        bm25_update = time.perf_counter() - started
        started = time.perf_counter()
        Bm25Index(store).sync()
        bm25_load = time.perf_counter() - started
        rebuild_dir = settings.data_dir / "bm25-rebuild"
        started = time.perf_counter()
        Bm25Index(store, directory=rebuild_dir).sync()
        bm25_rebuild = time.perf_counter() - started
        shutil.rmtree(rebuild_dir, ignore_errors=True)
        tick(f"curve: querying {size:,} chunks")

        def raw(question: str) -> object:
            vector = embedder.embed([question])[0]
            return store.chunks.query(query_embeddings=[vector], n_results=pool,
                                      include=["documents", "metadatas", "distances"])

        for question in questions[:3]:  # warm both paths
            retriever.search(question, k=settings.top_k)
            raw(question)
        ours: list[float] = []
        bare: list[float] = []
        with PeakMemory() as memory:
            for _ in range(repeats):
                for question in questions:  # interleaved, so both sides see the same machine load
                    started = time.perf_counter()
                    retriever.search(question, k=settings.top_k)
                    ours.append(time.perf_counter() - started)
                    started = time.perf_counter()
                    raw(question)
                    bare.append(time.perf_counter() - started)
        measured, measured_articles = store.chunks.count(), articles
        articles += _grow(store, source, embedder, measured + max(size // 100, 5))
        started = time.perf_counter()
        retriever.bm25.sync()
        add_1pct = time.perf_counter() - started
        point = CurvePoint(
            chunks=measured, articles=measured_articles,
            ours_p50_ms=percentile_ms(ours, 50), ours_p95_ms=percentile_ms(ours, 95),
            raw_p50_ms=percentile_ms(bare, 50), raw_p95_ms=percentile_ms(bare, 95),
            p50_ratio=percentile_ms(ours, 50) / percentile_ms(bare, 50),
            p95_ratio=percentile_ms(ours, 95) / percentile_ms(bare, 95),
            bm25_update_s=round(bm25_update, 3), bm25_load_ms=round(bm25_load * 1000, 1),
            bm25_rebuild_s=round(bm25_rebuild, 3), bm25_add_1pct_s=round(add_1pct, 3),
            peak_rss_mib=round(memory.peak / 2**20, 1),
        )
        points.append(point)
        if on_point is not None:
            on_point(point)
        tick(f"curve: {size:,} chunks done")
    return points
