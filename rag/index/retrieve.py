"""Hybrid retrieval: dense (Chroma) and BM25 (bm25s) rankings fused by reciprocal rank fusion."""

from __future__ import annotations

from collections.abc import Sequence

from rag.index.bm25 import Bm25Index
from rag.index.chunking import article_of
from rag.index.store import Metadata, Store, chroma_where
from rag.models.embed import Embedder
from rag.types import SearchFilters, SearchHit

RRF_K = 60
"""The constant of reciprocal rank fusion (Cormack et al. 2009): score = Σ 1 / (RRF_K + rank)."""
CANDIDATES_PER_RETRIEVER = 4
"""Each retriever proposes ``k × this`` candidates before fusion and the per-article cap."""


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
    """Searches the store with both retrievers; the BM25 side is a persisted index kept in step with the store."""

    def __init__(self, store: Store, embedder: Embedder, max_per_article: int = 3) -> None:
        self.store = store
        self.embedder = embedder
        self.max_per_article = max_per_article
        self.bm25 = Bm25Index(store)

    def search(self, query: str, k: int = 6, filters: SearchFilters | None = None) -> list[SearchHit]:
        """The ``k`` best chunks, at most ``max_per_article`` from one article.

        Both retrievers rank chunk ids only; text and metadata are read for the ``k`` kept, from BM25's
        memory-mapped corpus (the same chunks, synced just before) or, for a chunk it does not hold yet, from
        Chroma. Asking Chroma for the candidates' documents and metadata was half its query time at 100k chunks.
        When the cap discards so many candidates that fewer than ``k`` remain, the candidate pool
        grows until it covers the whole collection.
        """
        filters = filters or SearchFilters()
        embedding = self.embedder.embed([query])[0]
        self.bm25.sync()
        pool = k * CANDIDATES_PER_RETRIEVER
        total = self.bm25.size  # the store's chunk count once synced, without asking Chroma again
        while True:
            fused = rrf_fuse({"dense": self._dense(embedding, pool, filters),
                              "bm25": self.bm25.ranked(query, pool, filters)})
            kept = _cap_fused(fused, self.max_per_article, k)
            if len(kept) >= k or pool >= total:
                break
            pool *= 2
        found = self._rows([chunk for chunk, _, _ in kept])
        return [_hit(chunk, score, ranks, *found[chunk]) for chunk, score, ranks in kept if chunk in found]

    def _dense(self, embedding: Sequence[float], n: int, filters: SearchFilters) -> list[str]:
        """Ids of the nearest chunks from Chroma, in one round trip.

        Chroma returns fewer than ``n`` when fewer match, so the chunk count is not asked for first (that second call
        was a third of a query's time at 5k chunks).
        """
        result = self.store.chunks.query(
            query_embeddings=[list(embedding)], n_results=n, where=chroma_where(filters), include=[],
        )
        return list(result["ids"][0])

    def _rows(self, chunk_ids: list[str]) -> dict[str, tuple[str, Metadata]]:
        """Text and metadata of the kept chunks: BM25's copy, else Chroma's (a chunk deleted meanwhile is absent)."""
        found = self.bm25.rows(chunk_ids)
        missing = [chunk for chunk in chunk_ids if chunk not in found]
        if missing:
            result = self.store.chunks.get(ids=missing, include=["documents", "metadatas"])
            found.update(zip(result["ids"], zip(result["documents"], result["metadatas"], strict=True), strict=True))
        return found


def _cap_fused(fused: Sequence[tuple[str, float, dict[str, int]]], limit: int, k: int) -> list[tuple[str, float, dict[str, int]]]:
    """:func:`cap_per_article` on fused chunk ids (the article is in the id), stopping at ``k``."""
    kept: list[tuple[str, float, dict[str, int]]] = []
    per_article: dict[str, int] = {}
    for item in fused:
        article = article_of(item[0])
        if per_article.get(article, 0) < limit:
            kept.append(item)
            per_article[article] = per_article.get(article, 0) + 1
            if len(kept) == k:
                break
    return kept


def _hit(chunk_id: str, score: float, ranks: dict[str, int], text: str, meta: Metadata) -> SearchHit:
    return SearchHit(
        chunk_id=chunk_id,
        article_id=meta["article_id"],
        title=str(meta.get("title", meta["article_id"])),
        outlet=meta.get("outlet"),
        published_at=meta.get("published_at"),
        url=meta.get("url"),
        text=text,
        start=int(meta["start"]),
        end=int(meta["end"]),
        score=score,
        retrievers=[name for name in ("dense", "bm25") if name in ranks],
        dense_rank=ranks.get("dense"),
        bm25_rank=ranks.get("bm25"),
    )
