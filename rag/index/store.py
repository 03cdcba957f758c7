"""The store: the article record (SQL, :mod:`rag.index.record`) and the chunk index derived from it (Chroma).

Chroma is on disk by default (``PersistentClient`` in the data directory) or a server (``RAG_CHROMA_URL``,
``chroma run``); it holds chunks and their vectors only. Articles live in the record, in the service database. Writers
take turns through the record's write transaction (:meth:`Store.write_lock`); the indexer
(:mod:`rag.index.indexer`) writes Chroma inside such a transaction too, so on-disk Chroma has one writer at a time.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import urlparse

from filelock import FileLock

from rag.index.record import ArticleRecord, OutboxEntry
from rag.index.record import StoreBusyError as StoreBusyError
from rag.settings import Settings
from rag.types import Article, Chunk, SearchFilters

LOCK_TIMEOUT_S = 60.0
SQLITE_FILES = ("chroma.sqlite3", "chroma.sqlite3-wal")
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
    """The article record and the Chroma chunks, with the metadata filters and citations need."""

    def __init__(self, settings: Settings, client: Any | None = None) -> None:
        self.settings = settings
        self.record = ArticleRecord(settings.resolved_database_url)
        with _opening(settings):
            self.client = client if client is not None else make_client(settings)
            self.chunks = self.client.get_or_create_collection(
                f"{settings.collection}_chunks", metadata={"hnsw:space": "cosine"}, embedding_function=None
            )
        self._held = threading.local()
        """How deep this thread is in :meth:`write_lock` (per thread: the service's request threads share a Store)."""

    def disk_probe(self) -> list[list[int]] | None:
        """Size and mtime of the files every index change touches; ``None`` when there are none to watch.

        Chroma's SQLite files (every chunk write) and the record's SQLite files (every commit, among them the
        indexer's: its chunks are written before it commits, so a probe taken in between must differ from one taken
        after). ``None`` on a Chroma server or with the record on a database server: BM25 then re-reads the
        fingerprint every ``SERVER_RECHECK_S``.
        """
        record_files = self.record.files()
        if self.settings.chroma_url or record_files is None:
            return None
        probe: list[list[int]] = []
        for path in [*(self.settings.chroma_dir / name for name in SQLITE_FILES), *record_files]:
            try:
                stat = path.stat()
            except FileNotFoundError:
                continue
            probe.append([stat.st_size, stat.st_mtime_ns])
        return probe

    def change_marker(self) -> object:
        """A value that differs once another writer has changed the record (its generation)."""
        return self.record.generation()

    @contextlib.contextmanager
    def write_lock(self) -> Iterator[None]:
        """Hold the store's write lock: one record transaction, committed when the outermost block ends.

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
        where = self.settings.database_url and "the article record" or str(self.settings.data_dir)
        with self.record.transaction(LOCK_TIMEOUT_S, where):
            self._held.depth = 1
            try:
                yield
            finally:
                self._held.depth = 0
        self._wrote()  # the commit is a write too (the kill trials stop right after it)

    def _wrote(self) -> None:
        """Called after every write (the hook kill trials wrap, :mod:`rag.testing.faults`)."""

    # Record ------------------------------------------------------------------------------------

    def pending(self) -> list[OutboxEntry]:
        """Index operations the record holds and the indexes have not yet applied, oldest first."""
        return self.record.outbox()

    def pending_ids(self) -> set[str]:
        return {entry.article_id for entry in self.record.outbox()}

    def get_article(self, article_id: str) -> Article | None:
        stored = self.record.get(article_id)
        return stored.article if stored is not None else None

    def get_articles(self, article_ids: Sequence[str]) -> dict[str, Article]:
        """The stored articles among ``article_ids``, in one round trip."""
        return {i: s.article for i, s in self.record.get_many(article_ids).items()}

    def list_articles(self) -> list[Article]:
        return [stored.article for stored in self.record.all()]

    def article_signatures(self) -> dict[str, str]:
        """Encoded MinHash signature of every stored article that is not itself a reprint."""
        return {s.article.id: s.minhash for s in self.record.all(with_body=False)
                if s.minhash and not s.article.duplicate_of}

    def fingerprint(self) -> tuple[tuple[str, str], ...]:
        """(id, indexed version) of every article the chunk index holds: changes whenever the indexed text changes."""
        return self.record.indexed_versions()

    def record_metadata(self, article_id: str) -> Metadata | None:
        """One article's record as a dict (``chunks``: how many chunks it was last indexed with)."""
        stored = self.record.get(article_id)
        return stored.metadata() if stored is not None else None

    def all_records(self) -> dict[str, Metadata]:
        return {s.article.id: s.metadata() for s in self.record.all(with_body=False)}

    def reprints_of(self, article_id: str) -> list[Article]:
        """Articles that name ``article_id`` as their original, oldest first."""
        return [stored.article for stored in self.record.reprints_of(article_id)]

    # Chunks ---------------------------------------------------------------------------------

    def replace_chunks(
        self, article: Article, chunks: Sequence[Chunk], embeddings: Sequence[Sequence[float]]
    ) -> None:
        """Write an article's new chunks, then delete the old ones that the new set no longer has."""
        old_ids = set(self.chunk_ids(article.id))
        if chunks:
            base = _clearing_absent(article_metadata(article))
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

    def drop_legacy_collections(self) -> list[str]:
        """Delete the collections older layouts kept (sentence vectors, article records, journal and lease).

        Call with the write lock held, after :mod:`rag.index.upgrade` has taken what they held into the record.
        """
        present = {getattr(c, "name", c) for c in self.client.list_collections()}
        dropped = [f"{self.settings.collection}_{kind}" for kind in ("sentences", "articles", "meta")]
        dropped = [name for name in dropped if name in present]
        for name in dropped:
            self.client.delete_collection(name)
            self._wrote()
        return dropped

    def legacy_collection(self, kind: str) -> Any | None:
        """An older layout's ``<collection>_<kind>`` collection, when the Chroma store still has it."""
        name = f"{self.settings.collection}_{kind}"
        if name not in {getattr(c, "name", c) for c in self.client.list_collections()}:
            return None
        return self.client.get_collection(name, embedding_function=None)

    def counts(self) -> dict[str, int]:
        return {"articles": self.record.count(), "chunks": self.chunks.count()}


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
