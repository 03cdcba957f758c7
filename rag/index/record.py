"""The article record: articles, their index state and the outbox of index operations, in the SQL database.

The record is the truth; Chroma's chunks and the BM25 index are derived from it (:mod:`rag.index.indexer`). Every
change to an article is one database transaction that writes the article row *and* an outbox entry naming it, so a
kill at any moment leaves either the old record or the new one, never half of one, and the outbox says which articles
the indexes still have to catch up with. Writers take turns through the database itself: ``BEGIN IMMEDIATE`` on
SQLite (the file's one write lock), a transaction-scoped advisory lock on PostgreSQL. Nothing here embeds: the slow
work is done before a write transaction starts.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Connection, Engine, create_engine, delete, event, func, insert, select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from rag.db.models import ArticleRow, OutboxRow, RecordStateRow
from rag.db.repository import Database, as_utc, storable
from rag.types import Article

PG_WRITE_LOCK = 0x7261_6777_7200
"""Key of the PostgreSQL advisory lock writers of the record take for the length of a transaction."""


class StoreBusyError(RuntimeError):
    """Another process is writing to the same store."""


class OutboxEntry(BaseModel):
    """An index operation committed to the record and not yet applied to the indexes."""

    seq: int
    article_id: str
    op: str
    """``index`` (build the article's chunks from the record) or ``delete`` (remove them)."""
    created_at: dt.datetime
    attempts: int = 0
    last_error: str | None = None


class StoredArticle(BaseModel):
    """An article with what the record keeps beside it."""

    article: Article
    minhash: str | None = None
    segments: str | None = None
    indexed_hash: str | None = None
    chunk_count: int = 0

    def metadata(self) -> dict[str, Any]:
        """The record as a flat dict (the keys the consistency checks and the reprint index read)."""
        a = self.article
        meta: dict[str, Any] = {"title": a.title, "content_hash": a.content_hash, "chunks": self.chunk_count,
                                "indexed_hash": self.indexed_hash}
        for key, value in (("outlet", a.outlet), ("url", a.url), ("duplicate_of", a.duplicate_of),
                           ("published_at", a.published_at.isoformat() if a.published_at else None),
                           ("ingested_at", a.ingested_at.isoformat() if a.ingested_at else None),
                           ("minhash", self.minhash), ("segments", self.segments)):
            if value:
                meta[key] = value
        return meta


class ArticleRecord:
    """The record at a SQLAlchemy URL (the service database: SQLite file by default, PostgreSQL when shared)."""

    def __init__(self, url: str) -> None:
        Database(url).close()  # migrated to the newest schema (Alembic), which holds the record's tables
        parsed = make_url(url)
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        connect_args = {"check_same_thread": False, "timeout": 30} if self.is_sqlite else {}
        self.engine: Engine = create_engine(url, connect_args=connect_args, pool_pre_ping=not self.is_sqlite)
        if self.is_sqlite:
            event.listen(self.engine, "connect", _sqlite_explicit_transactions)
        self._local = threading.local()

    def close(self) -> None:
        self.engine.dispose()

    def files(self) -> list[Path] | None:
        """The SQLite file and its write-ahead log (a commit touches them); ``None`` for a database server."""
        database = self.engine.url.database
        if not self.is_sqlite or not database or database == ":memory:":
            return None
        return [Path(database), Path(f"{database}-wal")]

    # -- transactions --------------------------------------------------------------------------------------

    @contextmanager
    def transaction(self, timeout_s: float, where: str) -> Iterator[None]:
        """Hold the record's write lock for one transaction, committed when the block ends (rolled back on error).

        Waits up to ``timeout_s`` for another writer; then :class:`StoreBusyError`, one sentence naming ``where``.
        """
        with self.engine.connect() as connection:
            try:
                if self.is_sqlite:
                    connection.exec_driver_sql(f"PRAGMA busy_timeout = {int(timeout_s * 1000)}")
                    connection.exec_driver_sql("BEGIN IMMEDIATE")
                else:
                    connection.execute(text(f"SET LOCAL lock_timeout = '{int(timeout_s * 1000)}ms'"))
                    connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_WRITE_LOCK})
            except OperationalError as exc:
                connection.rollback()
                raise StoreBusyError(f"another process has been writing to {where} for over {timeout_s:g}s; "
                                     "try again when it finishes") from exc
            self._local.connection = connection
            try:
                yield
                connection.commit()
            except BaseException:
                connection.rollback()
                raise
            finally:
                self._local.connection = None

    @contextmanager
    def _reading(self) -> Iterator[Connection]:
        held = getattr(self._local, "connection", None)
        if held is not None:
            yield held
            return
        with self.engine.connect() as connection:
            yield connection

    def _writing(self) -> Connection:
        held = getattr(self._local, "connection", None)
        if held is None:
            raise RuntimeError("a record write outside Store.write_lock()")
        return held

    # -- reads -----------------------------------------------------------------------------------------------

    def generation(self) -> int:
        """Raised by every change to the record: a writer that planned at one generation re-plans at another."""
        with self._reading() as connection:
            return int(connection.scalar(select(RecordStateRow.generation).where(RecordStateRow.id == 1)) or 0)

    def get(self, article_id: str) -> StoredArticle | None:
        found = self.get_many([article_id])
        return found.get(article_id)

    def get_many(self, article_ids: Sequence[str]) -> dict[str, StoredArticle]:
        ids = list(dict.fromkeys(article_ids))
        found: dict[str, StoredArticle] = {}
        with self._reading() as connection:
            for start in range(0, len(ids), 500):
                rows = connection.execute(select(ArticleRow.__table__).where(ArticleRow.id.in_(ids[start : start + 500])))
                found.update((row.id, _stored(row)) for row in rows)
        return found

    def all(self, with_body: bool = True) -> list[StoredArticle]:
        """Every article, by id (without bodies when ``with_body`` is false: they read as empty)."""
        table = ArticleRow.__table__
        columns = [c for c in table.c if with_body or c.name != "body"]
        with self._reading() as connection:
            return [_stored(row) for row in connection.execute(select(*columns).order_by(table.c.id))]

    def indexed_versions(self) -> tuple[tuple[str, str], ...]:
        """(id, indexed hash, chunk count and generation indexed at) of every original the chunk index holds, by id."""
        table = ArticleRow.__table__
        query = (select(table.c.id, table.c.indexed_hash, table.c.chunk_count, table.c.indexed_generation)
                 .where(table.c.duplicate_of.is_(None), table.c.indexed_hash.is_not(None)).order_by(table.c.id))
        with self._reading() as connection:
            return tuple((row.id, f"{row.indexed_hash}:{row.chunk_count}:{row.indexed_generation or 0}")
                         for row in connection.execute(query))

    def reprints_of(self, article_id: str) -> list[StoredArticle]:
        """Articles that name ``article_id`` as their original, oldest first."""
        table = ArticleRow.__table__
        with self._reading() as connection:
            rows = connection.execute(select(table).where(table.c.duplicate_of == article_id))
            found = [_stored(row) for row in rows]
        oldest = dt.datetime.min.replace(tzinfo=dt.UTC)
        return sorted(found, key=lambda s: (s.article.ingested_at or oldest, s.article.id))

    def outbox(self, limit: int | None = None, upto_seq: int | None = None,
               before: dt.datetime | None = None) -> list[OutboxEntry]:
        """Operations not yet applied to the indexes, oldest first (up to ``upto_seq``, queued ``before``)."""
        query = select(OutboxRow.__table__).order_by(OutboxRow.seq)
        if upto_seq is not None:
            query = query.where(OutboxRow.seq <= upto_seq)
        if before is not None:
            query = query.where(OutboxRow.created_at < before)
        if limit is not None:
            query = query.limit(limit)
        with self._reading() as connection:
            return [OutboxEntry(seq=r.seq, article_id=r.article_id, op=r.op, created_at=as_utc(r.created_at),
                                attempts=r.attempts, last_error=r.last_error) for r in connection.execute(query)]

    def last_seq(self) -> int:
        """The newest outbox entry's number (0 when the outbox is empty)."""
        with self._reading() as connection:
            return int(connection.scalar(select(func.max(OutboxRow.seq))) or 0)

    def count(self) -> int:
        with self._reading() as connection:
            return int(connection.scalar(select(func.count()).select_from(ArticleRow)) or 0)

    # -- writes (inside :meth:`transaction`) -----------------------------------------------------------------

    def put(self, article: Article, minhash: str | None, segments: str | None = None) -> None:
        """Insert or replace an article (its index state kept), and queue its indexing.

        ``segments`` ``None`` keeps a stored fingerprint as it was.
        """
        connection = self._writing()
        values = _values(article) | {"minhash": minhash}
        if segments is not None:
            values["segments"] = segments
        exists = connection.scalar(select(ArticleRow.id).where(ArticleRow.id == article.id))
        if exists:
            connection.execute(update(ArticleRow).where(ArticleRow.id == article.id).values(**values))
        else:
            connection.execute(insert(ArticleRow).values(id=article.id, chunk_count=0, **values))
        self._queue(article.id, "index")

    def remove(self, article_id: str) -> bool:
        """Delete an article from the record and queue the removal of its index entries."""
        connection = self._writing()
        gone = connection.execute(delete(ArticleRow).where(ArticleRow.id == article_id)).rowcount  # type: ignore[attr-defined]
        if gone:
            self._queue(article_id, "delete")
        return bool(gone)

    def remove_promoting(self, article_id: str) -> bool:
        """Remove an article; its oldest reprint becomes the original (queued for indexing), the others follow it."""
        reprints = self.reprints_of(article_id)
        if not self.remove(article_id):
            return False
        if reprints:
            heir, *others = reprints
            self.repoint(heir.article.id, None)
            for other in others:
                self.repoint(other.article.id, heir.article.id)
        return True

    def repoint(self, reprint_id: str, original_id: str | None) -> None:
        """Make a reprint name another original (``None``: it is an original now, queued for indexing)."""
        connection = self._writing()
        connection.execute(update(ArticleRow).where(ArticleRow.id == reprint_id).values(duplicate_of=original_id))
        self._queue(reprint_id, "index")

    def queue(self, article_id: str, op: str = "index") -> None:
        """Queue an article for the indexer (``rag doctor --repair`` re-derives what it found wrong)."""
        self._writing()
        self._queue(article_id, op)

    def mark_indexed(self, article_id: str, upto_seq: int, indexed_hash: str | None, chunk_count: int) -> None:
        """The indexes now match the record for ``article_id``: its outbox entries up to ``upto_seq`` are done."""
        connection = self._writing()
        connection.execute(delete(OutboxRow).where(OutboxRow.article_id == article_id, OutboxRow.seq <= upto_seq))
        generation = select(RecordStateRow.generation).where(RecordStateRow.id == 1).scalar_subquery()
        connection.execute(update(ArticleRow).where(ArticleRow.id == article_id)
                           .values(indexed_hash=indexed_hash, chunk_count=chunk_count, indexed_generation=generation))

    def mark_failed(self, article_id: str, upto_seq: int, error: str) -> None:
        """Applying the article's entries failed: they stay queued, with one more attempt and the reason."""
        self._writing().execute(update(OutboxRow).where(OutboxRow.article_id == article_id, OutboxRow.seq <= upto_seq)
                                .values(attempts=OutboxRow.attempts + 1, last_error=error[:2000]))

    def import_article(self, stored: StoredArticle) -> None:
        """Insert an article as an older layout held it, with its index state (the upgrade path); no outbox entry."""
        connection = self._writing()
        values = _values(stored.article) | {"minhash": stored.minhash, "segments": stored.segments,
                                            "indexed_hash": stored.indexed_hash, "chunk_count": stored.chunk_count}
        connection.execute(insert(ArticleRow).values(id=stored.article.id, **values))
        self._bump()

    def _queue(self, article_id: str, op: str) -> None:
        self._writing().execute(insert(OutboxRow).values(article_id=article_id, op=op, created_at=_now(), attempts=0))
        self._bump()

    def _bump(self) -> None:
        self._writing().execute(update(RecordStateRow).where(RecordStateRow.id == 1)
                                .values(generation=RecordStateRow.generation + 1))


def _values(article: Article) -> dict[str, Any]:
    return {"title": storable(article.title), "outlet": _maybe(article.outlet), "published_at": article.published_at,
            "url": _maybe(article.url), "body": storable(article.body), "content_hash": article.content_hash,
            "ingested_at": article.ingested_at or _now(), "duplicate_of": article.duplicate_of}


def _stored(row: Any) -> StoredArticle:
    fields = row._mapping
    article = Article(id=row.id, title=row.title, outlet=row.outlet, published_at=row.published_at, url=row.url,
                      body=fields.get("body", ""), content_hash=row.content_hash,
                      ingested_at=as_utc(row.ingested_at) if row.ingested_at else None, duplicate_of=row.duplicate_of)
    return StoredArticle(article=article, minhash=row.minhash, segments=row.segments, indexed_hash=row.indexed_hash,
                         chunk_count=row.chunk_count or 0)


def _maybe(value: str | None) -> str | None:
    return None if value is None else storable(value)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _sqlite_explicit_transactions(dbapi_connection: Any, _record: Any) -> None:
    """WAL (readers never wait for the writer), and transactions begun only where :meth:`transaction` says so."""
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()
