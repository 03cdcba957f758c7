"""The Chroma index: one collection of chunks (with embeddings) and one of article records.

On disk by default (``PersistentClient`` in the data directory, writes serialised by a file lock);
``RAG_CHROMA_URL`` points it at a Chroma server instead (``chroma run``), which serialises writes itself.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import urlparse

from filelock import FileLock, Timeout

from rag.settings import Settings
from rag.types import Article, Chunk, SearchFilters

LOCK_TIMEOUT_S = 60.0
Metadata = dict[str, Any]


class StoreBusyError(RuntimeError):
    """Another process is writing to the same on-disk store."""


def date_number(day: dt.date) -> int:
    """A date as the integer YYYYMMDD, so Chroma can filter on ranges."""
    return day.year * 10000 + day.month * 100 + day.day


def make_client(settings: Settings) -> Any:
    """A Chroma client for the configured location; telemetry off, since nothing here reaches out."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_url:
        url = urlparse(settings.chroma_url)
        return chromadb.HttpClient(
            host=url.hostname or "127.0.0.1",
            port=url.port or 8000,
            ssl=url.scheme == "https",
            settings=chroma_settings,
        )
    settings.chroma_dir.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(settings.chroma_dir), settings=chroma_settings)


class Store:
    """Chunks and article records in Chroma, with the metadata filters and citations need."""

    def __init__(self, settings: Settings, client: Any | None = None) -> None:
        self.settings = settings
        self.client = client if client is not None else make_client(settings)
        self.chunks = self.client.get_or_create_collection(
            f"{settings.collection}_chunks", metadata={"hnsw:space": "cosine"}, embedding_function=None
        )
        self.articles = self.client.get_or_create_collection(
            f"{settings.collection}_articles", metadata={"hnsw:space": "cosine"}, embedding_function=None
        )

    @contextlib.contextmanager
    def write_lock(self) -> Iterator[None]:
        """Serialise writers to an on-disk store; a Chroma server does that itself."""
        if self.settings.chroma_url:
            yield
            return
        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(self.settings.lock_path), timeout=LOCK_TIMEOUT_S)
        try:
            with lock:
                yield
        except Timeout as exc:
            raise StoreBusyError(
                f"another process has been writing to {self.settings.data_dir} for over "
                f"{LOCK_TIMEOUT_S:.0f}s; try again when it finishes"
            ) from exc

    # Articles -------------------------------------------------------------------------------

    def get_article(self, article_id: str) -> Article | None:
        found = self.articles.get(ids=[article_id], include=["documents", "metadatas"])
        if not found["ids"]:
            return None
        return article_from_record(article_id, found["documents"][0], found["metadatas"][0])

    def list_articles(self) -> list[Article]:
        found = self.articles.get(include=["documents", "metadatas"])
        articles = [
            article_from_record(i, d, m)
            for i, d, m in zip(found["ids"], found["documents"], found["metadatas"], strict=True)
        ]
        return sorted(articles, key=lambda a: a.id)

    def article_signatures(self) -> dict[str, str]:
        """Encoded MinHash signature of every indexed article that is not itself a reprint."""
        found = self.articles.get(include=["metadatas"])
        return {
            i: m["minhash"]
            for i, m in zip(found["ids"], found["metadatas"], strict=True)
            if m.get("minhash") and not m.get("duplicate_of")
        }

    def fingerprint(self) -> tuple[tuple[str, str], ...]:
        """(id, content hash) of every article: changes whenever the indexed text changes."""
        found = self.articles.get(include=["metadatas"])
        return tuple(
            sorted((i, str(m.get("content_hash", ""))) for i, m in zip(found["ids"], found["metadatas"]))
        )

    def put_article(self, article: Article, embedding: Sequence[float], minhash: str) -> None:
        self.articles.upsert(
            ids=[article.id],
            documents=[article.body],
            embeddings=[list(embedding)],
            metadatas=[article_metadata(article) | {"minhash": minhash}],
        )

    # Chunks ---------------------------------------------------------------------------------

    def replace_chunks(
        self, article: Article, chunks: Sequence[Chunk], embeddings: Sequence[Sequence[float]]
    ) -> None:
        """Write an article's new chunks, then delete the old ones that the new set no longer has."""
        old_ids = set(self.chunk_ids(article.id))
        if chunks:
            base = article_metadata(article)
            self.chunks.upsert(
                ids=[c.id for c in chunks],
                embeddings=[list(e) for e in embeddings],
                documents=[c.text for c in chunks],
                metadatas=[base | {"position": c.position, "start": c.start, "end": c.end} for c in chunks],
            )
        stale = sorted(old_ids - {c.id for c in chunks})
        if stale:
            self.chunks.delete(ids=stale)

    def chunk_ids(self, article_id: str) -> list[str]:
        return list(self.chunks.get(where={"article_id": article_id}, include=[])["ids"])

    def delete_article(self, article_id: str) -> bool:
        """Remove an article, its chunks, and any reprint records pointing at it."""
        if self.get_article(article_id) is None:
            return False
        ids = self.chunk_ids(article_id)
        if ids:
            self.chunks.delete(ids=ids)
        self.articles.delete(ids=[article_id])
        return True

    def all_chunks(self) -> tuple[list[str], list[str], list[Metadata]]:
        found = self.chunks.get(include=["documents", "metadatas"])
        return list(found["ids"]), list(found["documents"]), list(found["metadatas"])

    def dense_query(
        self, embedding: Sequence[float], n_results: int, filters: SearchFilters
    ) -> list[tuple[str, str, Metadata, float]]:
        """Nearest chunks as (id, text, metadata, cosine distance), filtered in Chroma."""
        total = self.chunks.count()
        if total == 0:
            return []
        result = self.chunks.query(
            query_embeddings=[list(embedding)],
            n_results=min(n_results, total),
            where=chroma_where(filters),
            include=["documents", "metadatas", "distances"],
        )
        return list(
            zip(
                result["ids"][0],
                result["documents"][0],
                result["metadatas"][0],
                result["distances"][0],
                strict=True,
            )
        )

    def counts(self) -> dict[str, int]:
        return {"articles": self.articles.count(), "chunks": self.chunks.count()}


def article_metadata(article: Article) -> Metadata:
    """Scalar metadata Chroma can store and filter on (it has no null, so absent keys mean unknown)."""
    meta: Metadata = {
        "article_id": article.id,
        "title": article.title,
        "content_hash": article.content_hash,
        "ingested_at": (article.ingested_at or dt.datetime.now(dt.UTC)).isoformat(),
    }
    if article.outlet:
        meta["outlet"] = article.outlet
    if article.published_at:
        meta["published_at"] = article.published_at.isoformat()
        meta["published_num"] = date_number(article.published_at)
    if article.url:
        meta["url"] = article.url
    if article.duplicate_of:
        meta["duplicate_of"] = article.duplicate_of
    return meta


def article_from_record(article_id: str, body: str, meta: Metadata) -> Article:
    return Article(
        id=article_id,
        title=meta.get("title", article_id),
        outlet=meta.get("outlet"),
        published_at=meta.get("published_at"),
        url=meta.get("url"),
        body=body,
        content_hash=meta.get("content_hash", ""),
        ingested_at=meta.get("ingested_at"),
        duplicate_of=meta.get("duplicate_of"),
    )


def chroma_where(filters: SearchFilters) -> dict[str, Any] | None:
    """Translate filters into a Chroma ``where`` clause (``None`` when there are none)."""
    clauses: list[dict[str, Any]] = []
    if filters.since:
        clauses.append({"published_num": {"$gte": date_number(filters.since)}})
    if filters.until:
        clauses.append({"published_num": {"$lte": date_number(filters.until)}})
    if filters.outlets:
        clauses.append({"outlet": {"$in": list(filters.outlets)}})
    if filters.article_ids:
        clauses.append({"article_id": {"$in": list(filters.article_ids)}})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def matches_filters(meta: Metadata, filters: SearchFilters) -> bool:
    """The same filter as :func:`chroma_where`, evaluated in Python (for the BM25 side)."""
    number = meta.get("published_num")
    if filters.since and (number is None or number < date_number(filters.since)):
        return False
    if filters.until and (number is None or number > date_number(filters.until)):
        return False
    if filters.outlets and meta.get("outlet") not in filters.outlets:
        return False
    return not (filters.article_ids and meta.get("article_id") not in filters.article_ids)
