"""Hybrid retrieval: dense (Chroma) and BM25 (bm25s) rankings fused by reciprocal rank fusion."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import bm25s
import numpy as np

from rag.chunking import search_text
from rag.embed import Embedder
from rag.store import Metadata, Store, matches_filters
from rag.text import tokenize
from rag.types import SearchFilters, SearchHit

RRF_K = 60
"""The constant of reciprocal rank fusion (Cormack et al. 2009): score = Σ 1 / (RRF_K + rank)."""
CANDIDATES_PER_RETRIEVER = 4
"""Each retriever proposes ``k × this`` candidates before fusion and the per-article cap."""


@dataclass
class _Bm25Index:
    fingerprint: tuple[tuple[str, str], ...]
    ids: list[str]
    texts: list[str]
    metadatas: list[Metadata]
    model: Any = field(repr=False)


def rrf_fuse(rankings: dict[str, Sequence[str]]) -> list[tuple[str, float, dict[str, int]]]:
    """Fuse named rankings into (id, score, {retriever: 1-based rank}), best first, ties by id."""
    scores: dict[str, float] = {}
    ranks: dict[str, dict[str, int]] = {}
    for name, ranking in rankings.items():
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + 1.0 / (RRF_K + rank)
            ranks.setdefault(item, {})[name] = rank
    ordered = sorted(scores, key=lambda item: (-scores[item], item))
    return [(item, scores[item], ranks[item]) for item in ordered]


def cap_per_article(hits: Sequence[SearchHit], limit: int) -> list[SearchHit]:
    """Keep at most ``limit`` hits per article, preserving order."""
    kept: list[SearchHit] = []
    per_article: dict[str, int] = {}
    for hit in hits:
        if per_article.get(hit.article_id, 0) < limit:
            kept.append(hit)
            per_article[hit.article_id] = per_article.get(hit.article_id, 0) + 1
    return kept


class HybridRetriever:
    """Searches the store with both retrievers; the BM25 index is rebuilt when the corpus changes."""

    def __init__(self, store: Store, embedder: Embedder, max_per_article: int = 3) -> None:
        self.store = store
        self.embedder = embedder
        self.max_per_article = max_per_article
        self._bm25: _Bm25Index | None = None

    def search(self, query: str, k: int = 6, filters: SearchFilters | None = None) -> list[SearchHit]:
        """The ``k`` best chunks, at most ``max_per_article`` from one article.

        When the cap discards so many candidates that fewer than ``k`` remain, the candidate pool
        grows until it covers the whole collection.
        """
        filters = filters or SearchFilters()
        embedding = self.embedder.embed([query])[0]
        pool = k * CANDIDATES_PER_RETRIEVER
        total = self.store.counts()["chunks"]
        while True:
            dense = self.store.dense_query(embedding, pool, filters)
            sparse = self._bm25_search(query, pool, filters)
            found: dict[str, tuple[str, Metadata]] = {cid: (text, meta) for cid, text, meta, _ in dense}
            found.update({cid: (text, meta) for cid, text, meta in sparse})
            fused = rrf_fuse({"dense": [d[0] for d in dense], "bm25": [s[0] for s in sparse]})
            hits = cap_per_article(
                [_hit(cid, score, ranks, *found[cid]) for cid, score, ranks in fused], self.max_per_article
            )
            if len(hits) >= k or pool >= total:
                return hits[:k]
            pool *= 2

    def _bm25_search(self, query: str, n: int, filters: SearchFilters) -> list[tuple[str, str, Metadata]]:
        index = self._bm25_index()
        tokens = tokenize(query)
        if index is None or not tokens:
            return []
        scores = np.asarray(index.model.get_scores(tokens))
        order = np.argsort(-scores, kind="stable")
        results: list[tuple[str, str, Metadata]] = []
        for position in order:
            if scores[position] <= 0 or len(results) >= n:
                break
            meta = index.metadatas[position]
            if matches_filters(meta, filters):
                results.append((index.ids[position], index.texts[position], meta))
        return results

    def _bm25_index(self) -> _Bm25Index | None:
        fingerprint = self.store.fingerprint()
        if self._bm25 is None or self._bm25.fingerprint != fingerprint:
            ids, texts, metadatas = self.store.all_chunks()
            if not ids:
                return None
            model = bm25s.BM25()
            corpus = [
                tokenize(search_text(m.get("title", ""), t)) or ["<empty>"] for t, m in zip(texts, metadatas)
            ]
            model.index(corpus, show_progress=False)
            self._bm25 = _Bm25Index(fingerprint, ids, texts, metadatas, model)
        return self._bm25


def _hit(chunk_id: str, score: float, ranks: dict[str, int], text: str, meta: Metadata) -> SearchHit:
    return SearchHit(
        chunk_id=chunk_id,
        article_id=meta["article_id"],
        title=meta.get("title", meta["article_id"]),
        outlet=meta.get("outlet"),
        published_at=meta.get("published_at"),
        url=meta.get("url"),
        text=text,
        start=int(meta["start"]),
        end=int(meta["end"]),
        score=score,
        retrievers=[name for name in ("dense", "bm25") if name in ranks],  # type: ignore[misc]
        dense_rank=ranks.get("dense"),
        bm25_rank=ranks.get("bm25"),
    )
