"""The Chroma index: chunks (with embeddings), article records, journal and lease.

On disk by default (``PersistentClient`` in the data directory, writers serialised by a file lock);
``RAG_CHROMA_URL`` points it at a Chroma server instead (``chroma run``), where writers on any machine are
serialised by a lease record in Chroma itself (:mod:`rag.index.journal`). Operations that touch both chunks and
records are journaled by :mod:`rag.index.ingest`; this module only offers the single-collection steps.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import urlparse

from filelock import FileLock, Timeout

from rag.index.journal import ChromaLease, Journal, JournalEntry
from rag.index.journal import StoreBusyError as StoreBusyError
from rag.settings import Settings
from rag.types import Article, Chunk, SearchFilters

LOCK_TIMEOUT_S = 60.0
SQLITE_FILES = ("chroma.sqlite3", "chroma.sqlite3-wal")
"""Fault injection for the crash tests: the process SIGKILLs itself right after this many store writes."""
Metadata = dict[str, Any]


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


@contextlib.contextmanager
def _opening(settings: Settings) -> Iterator[None]:
    """Two processes opening a fresh on-disk store at once would both create its tables: one at a time."""
    if settings.chroma_url:
        yield
        return
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with FileLock(str(settings.data_dir / "open.lock"), timeout=LOCK_TIMEOUT_S):
        yield


class Store:
    """Chunks and article records in Chroma, with the metadata filters and citations need."""

    def __init__(self, settings: Settings, client: Any | None = None) -> None:
        self.settings = settings
        with _opening(settings):
            self.client = client if client is not None else make_client(settings)
            self.chunks = self.client.get_or_create_collection(
                f"{settings.collection}_chunks", metadata={"hnsw:space": "cosine"}, embedding_function=None
            )
            self.articles = self.client.get_or_create_collection(
                f"{settings.collection}_articles", metadata={"hnsw:space": "cosine"}, embedding_function=None
            )
            self.meta = self.client.get_or_create_collection(f"{settings.collection}_meta", embedding_function=None)
        self.journal = Journal(self.meta)
        self._lease: ChromaLease | None = None
        self._held = threading.local()
        """How deep this thread is in :meth:`write_lock` (per thread: the service's request threads share a Store)."""
        self._segments: dict[str, str] = {}

    def disk_probe(self) -> list[list[int]] | None:
        """Size and mtime of the on-disk store's SQLite files (every Chroma write touches them); ``None`` on a server."""
        if self.settings.chroma_url:
            return None
        probe: list[list[int]] = []
        for name in SQLITE_FILES:
            try:
                stat = (self.settings.chroma_dir / name).stat()
            except FileNotFoundError:
                continue
            probe.append([stat.st_size, stat.st_mtime_ns])
        return probe

    def change_marker(self) -> object:
        """A value that differs once another writer has written.

        The disk probe; on a server, every record's id, content hash and original (one metadata read).
        """
        probe = self.disk_probe()
        if probe is not None:
            return probe
        return frozenset((article_id, str(meta.get("content_hash", "")), str(meta.get("duplicate_of") or ""))
                         for article_id, meta in self.all_records().items())

    @contextlib.contextmanager
    def write_lock(self) -> Iterator[None]:
        """Hold the store's write lock: a file lock on disk, a lease in Chroma on a server.

        Re-entrant within a thread; another thread of the same process waits like another process would.
        """
        depth = getattr(self._held, "depth", 0)
        if depth:
            self._held.depth = depth + 1
            try:
                yield
            finally:
                self._held.depth = depth
            return
        with self._acquire():
            self._held.depth = 1
            try:
                yield
            finally:
                self._held.depth = 0

    @contextlib.contextmanager
    def _acquire(self) -> Iterator[None]:
        if self.settings.chroma_url:
            lease = ChromaLease(self.meta, wait_s=LOCK_TIMEOUT_S)
            lease.acquire()
            self._lease = lease
            try:
                yield
            finally:
                self._lease = None
                lease.release()
            return
        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(self.settings.lock_path), timeout=LOCK_TIMEOUT_S)
        try:
            lock.acquire()
        except Timeout as exc:
            raise StoreBusyError(
                f"another process has been writing to {self.settings.data_dir} for over "
                f"{LOCK_TIMEOUT_S:g}s; try again when it finishes"
            ) from exc
        try:
            yield
        finally:
            lock.release()

    def _wrote(self) -> None:
        """Called after every write (the hook kill trials wrap, :mod:`rag.testing.faults`): checks the lease is still ours."""
        if self._lease is not None:
            self._lease.check()

    def _before_write(self) -> None:
        if self._lease is not None:
            self._lease.check()

    # Journal ---------------------------------------------------------------------------------

    def begin(self, entry: JournalEntry) -> None:
        """Record that an operation on ``entry.article_id`` has started (before any of its writes)."""
        self._before_write()
        self.journal.begin(entry)
        self._wrote()

    def finish(self, article_id: str) -> None:
        """Record that the operation on ``article_id`` is complete (after all of its writes)."""
        self._before_write()
        self.journal.done(article_id)
        self._wrote()

    def pending(self) -> list[JournalEntry]:
        return self.journal.pending()

    # Articles -------------------------------------------------------------------------------

    def get_article(self, article_id: str) -> Article | None:
        found = self.articles.get(ids=[article_id], include=["documents", "metadatas"])
        if not found["ids"]:
            return None
        return article_from_record(article_id, found["documents"][0], found["metadatas"][0])

    def get_articles(self, article_ids: Sequence[str]) -> dict[str, Article]:
        """The stored articles among ``article_ids``, in one round trip."""
        if not article_ids:
            return {}
        found = self.articles.get(ids=list(dict.fromkeys(article_ids)), include=["documents", "metadatas"])
        return {i: article_from_record(i, d, m) for i, d, m in zip(found["ids"], found["documents"], found["metadatas"],
                                                                   strict=True)}

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

    def record_metadata(self, article_id: str) -> Metadata | None:
        """The stored metadata of one article record (``chunks`` says how many chunks it was written with)."""
        found = self.articles.get(ids=[article_id], include=["metadatas"])
        return dict(found["metadatas"][0]) if found["ids"] else None

    def all_records(self) -> dict[str, Metadata]:
        found = self.articles.get(include=["metadatas"])
        return {i: dict(m) for i, m in zip(found["ids"], found["metadatas"], strict=True)}

    def reprints_of(self, article_id: str) -> list[Article]:
        """Reprint records that name ``article_id`` as their original, oldest first."""
        found = self.articles.get(where={"duplicate_of": article_id}, include=["documents", "metadatas"])
        reprints = [
            article_from_record(i, d, m) for i, d, m in zip(found["ids"], found["documents"], found["metadatas"], strict=True)
        ]
        return sorted(reprints, key=lambda a: (a.ingested_at or dt.datetime.min.replace(tzinfo=dt.UTC), a.id))

    def note_segments(self, article_id: str, segments: str) -> None:
        """Keep a page's segment fingerprint for its next record write (no write by itself).

        The fingerprint (:func:`rag.index.boilerplate.encode_fingerprint`) lets later ingests count this page's repeats.
        """
        self._segments[article_id] = segments

    def put_article(self, article: Article, embedding: Sequence[float], minhash: str, chunk_count: int = 0) -> None:
        """Write the article record; ``chunk_count`` is what a consistency check expects to find.

        A fingerprint noted with :meth:`note_segments` goes with it; without one, a stored one stays as it was.
        """
        meta = _clearing_absent(article_metadata(article)) | {"minhash": minhash, "chunks": chunk_count}
        segments = self._segments.pop(article.id, None)
        if segments is not None:
            meta["segments"] = segments
        self._before_write()
        self.articles.upsert(ids=[article.id], documents=[article.body], embeddings=[list(embedding)], metadatas=[meta])
        self._wrote()

    def repoint_reprint(self, reprint_id: str, original_id: str) -> None:
        """Make an existing reprint record name a different original."""
        self._before_write()
        self.articles.update(ids=[reprint_id], metadatas=[{"duplicate_of": original_id}])
        self._wrote()

    def delete_record(self, article_id: str) -> None:
        self._before_write()
        self.articles.delete(ids=[article_id])
        self._wrote()

    # Chunks ---------------------------------------------------------------------------------

    def replace_chunks(
        self, article: Article, chunks: Sequence[Chunk], embeddings: Sequence[Sequence[float]]
    ) -> None:
        """Write an article's new chunks, then delete the old ones that the new set no longer has."""
        old_ids = set(self.chunk_ids(article.id))
        if chunks:
            base = _clearing_absent(article_metadata(article))
            self._before_write()
            self.chunks.upsert(
                ids=[c.id for c in chunks],
                embeddings=[list(e) for e in embeddings],
                documents=[c.text for c in chunks],
                metadatas=[base | {"position": c.position, "start": c.start, "end": c.end} for c in chunks],
            )
            self._wrote()
        stale = sorted(old_ids - {c.id for c in chunks})
        if stale:
            self.delete_chunks(stale)

    def delete_chunks(self, chunk_ids: Sequence[str]) -> None:
        self._before_write()
        self.chunks.delete(ids=list(chunk_ids))
        self._wrote()

    def chunk_ids(self, article_id: str) -> list[str]:
        return list(self.chunks.get(where={"article_id": article_id}, include=[])["ids"])

    def chunk_hashes(self, article_id: str) -> dict[str, str]:
        """Chunk id → the content hash of the article version it was cut from."""
        found = self.chunks.get(where={"article_id": article_id}, include=["metadatas"])
        return {i: str(m.get("content_hash", "")) for i, m in zip(found["ids"], found["metadatas"], strict=True)}

    def chunk_owners(self) -> dict[str, tuple[str, str]]:
        """Every chunk id → (article id, content hash), read in pages so a large store stays cheap."""
        owners: dict[str, tuple[str, str]] = {}
        page = 5000
        offset = 0
        while True:
            found = self.chunks.get(include=["metadatas"], limit=page, offset=offset)
            for chunk_id, meta in zip(found["ids"], found["metadatas"], strict=True):
                owners[chunk_id] = (str(meta.get("article_id", "")), str(meta.get("content_hash", "")))
            if len(found["ids"]) < page:
                return owners
            offset += page

    def delete_article(self, article_id: str) -> bool:
        """Low-level: remove one article's chunks and record (no journal, no reprints).

        Callers want :func:`rag.index.ingest.delete_article`, which journals the removal and promotes reprints.
        """
        if self.get_article(article_id) is None:
            return False
        ids = self.chunk_ids(article_id)
        if ids:
            self.delete_chunks(ids)
        self.delete_record(article_id)
        return True

    def all_chunks(self, page: int = 5000) -> tuple[list[str], list[str], list[Metadata]]:
        """Every chunk as (ids, texts, metadatas), read in pages: one ``get`` of ~100k ids exceeds SQLite's limits."""
        ids: list[str] = []
        texts: list[str] = []
        metas: list[Metadata] = []
        offset = 0
        while True:
            found = self.chunks.get(include=["documents", "metadatas"], limit=page, offset=offset)
            ids.extend(found["ids"])
            texts.extend(found["documents"])
            metas.extend(found["metadatas"])
            if len(found["ids"]) < page:
                return ids, texts, metas
            offset += page

    def drop_sentence_vectors(self) -> bool:
        """Delete the sentence-vector collection older versions wrote at ingest (now embedded at question time).

        Call with the write lock held; returns whether there was one.
        """
        name = f"{self.settings.collection}_sentences"
        if name not in {getattr(c, "name", c) for c in self.client.list_collections()}:
            return False
        self._before_write()
        self.client.delete_collection(name)
        self._wrote()
        return True

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


_OPTIONAL_KEYS = ("outlet", "published_at", "published_num", "url", "duplicate_of")


def _clearing_absent(meta: Metadata) -> Metadata:
    """Chroma merges metadata on upsert; ``None`` removes a key, so an edit that drops the outlet drops it."""
    return {key: None for key in _OPTIONAL_KEYS} | meta


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
