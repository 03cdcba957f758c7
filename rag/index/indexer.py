"""The indexer: applies the record's outbox to Chroma, idempotently, in batches.

Applying an entry makes Chroma match the record for that article, whatever happened before: an original gets the
chunks of its current text (stale ones deleted), a reprint or a removed article gets none. So applying an entry twice,
or after a kill halfway, gives the same index. Texts are chunked and embedded *outside* the write lock (vectors an
ingest has already computed are reused); the lock is held only to check the record has not moved on, write Chroma and
mark the entries done. An entry that fails (the embedder cannot load, say) stays in the outbox with its attempts and
the reason; its article stays in the record, shown as pending, and the next writer or ``rag doctor --repair`` retries.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from rag.index.chunking import chunk_article, search_text
from rag.index.record import OutboxEntry
from rag.index.store import Store
from rag.models.embed import Embedder
from rag.settings import Settings
from rag.types import Article, Chunk, ItemError

BATCH_ARTICLES = 16
"""Articles applied per hold of the write lock: another writer waits for at most these."""
SETTLED_S = 60.0
"""An outbox entry older than this was left by a writer that died (a live one applies its batch within seconds)."""


@dataclass
class Prepared:
    """An article cut up for the index: its chunks, their search texts, then their vectors."""

    article: Article
    chunks: list[Chunk]
    texts: list[str]
    vectors: list[list[float]] = field(default_factory=list)


def prepare_article(article: Article, settings: Settings) -> Prepared:
    """Chunk ``article`` (a reprint has nothing to index); raises if an original has nothing to index."""
    if article.duplicate_of:
        return Prepared(article, [], [])
    chunks = chunk_article(article.id, article.body, settings.chunk_size, settings.chunk_overlap)
    if not chunks:
        raise ValueError("no chunks to embed")
    return Prepared(article, chunks, [search_text(article.title, c.text) for c in chunks])


@dataclass
class Applied:
    """What one run of the indexer did."""

    done: list[str] = field(default_factory=list)
    failed: list[ItemError] = field(default_factory=list)
    chunks: dict[str, int] = field(default_factory=dict)
    """Chunks written per article indexed."""


def apply_outbox(store: Store, embedder: Embedder, settings: Settings, ready: Mapping[str, Prepared] | None = None,
                 only: Iterable[str] | None = None, settled_s: float | None = None) -> Applied:
    """Apply the outbox entries queued before this call (those of ``only``'s articles, or all) until none is left.

    ``ready``: articles already chunked and embedded, by id, used when the record still holds that text.
    ``settled_s``: only entries queued at least this long ago: what a writer that is still running queued, it
    applies itself within seconds, so a request that merely catches up (``POST /v1/articles``) leaves it alone
    instead of embedding another writer's batch. Entries queued meanwhile are left to their own writers.
    """
    wanted = set(only) if only is not None else None
    upto = store.record.last_seq()
    before = None if settled_s is None else dt.datetime.now(dt.UTC) - dt.timedelta(seconds=settled_s)
    result = Applied()
    given_up: set[str] = set()
    while True:
        entries = [e for e in store.record.outbox(upto_seq=upto, before=before) if e.article_id not in given_up
                   and (wanted is None or e.article_id in wanted)]
        latest: dict[str, OutboxEntry] = {}
        for entry in entries:
            if entry.article_id in latest or len(latest) < BATCH_ARTICLES:
                latest[entry.article_id] = entry
        if not latest:
            return result
        prepared, errors = _prepare(store, embedder, settings, list(latest), ready or {})
        with store.write_lock():
            for article_id, entry in latest.items():
                if article_id in errors:
                    store.record.mark_failed(article_id, entry.seq, errors[article_id])
                    given_up.add(article_id)
                    result.failed.append(ItemError(source=article_id, reason=f"its indexing is still pending: "
                                                   f"{errors[article_id]}"))
                    continue
                stored = store.record.get(article_id)
                if stored is None or stored.article.duplicate_of:
                    stale = store.chunk_ids(article_id)
                    if stale:
                        store.delete_chunks(stale)
                    store.record.mark_indexed(article_id, entry.seq, None, 0)
                    result.done.append(article_id)
                    continue
                ready_one = prepared.get(article_id)
                if ready_one is None or ready_one.article.body != stored.article.body:
                    continue  # the record moved on since it was read: a newer entry says so, applied next round
                store.replace_chunks(stored.article, ready_one.chunks, ready_one.vectors)
                store.record.mark_indexed(article_id, entry.seq, stored.article.content_hash, len(ready_one.chunks))
                result.done.append(article_id)
                result.chunks[article_id] = len(ready_one.chunks)


def _prepare(store: Store, embedder: Embedder, settings: Settings, article_ids: list[str],
             ready: Mapping[str, Prepared]) -> tuple[dict[str, Prepared], dict[str, str]]:
    """Chunk and embed the originals among ``article_ids`` (reusing ``ready``); failures by id, with the reason."""
    prepared: dict[str, Prepared] = {}
    errors: dict[str, str] = {}
    todo: list[Prepared] = []
    for article_id, stored in store.record.get_many(article_ids).items():
        article = stored.article
        if article.duplicate_of:
            continue
        given = ready.get(article_id)
        if given is not None and given.vectors and given.article.body == article.body:
            prepared[article_id] = Prepared(article, given.chunks, given.texts, given.vectors)
            continue
        try:
            prepared[article_id] = one = prepare_article(article, settings)
        except Exception as exc:  # noqa: BLE001  # reported and kept pending
            errors[article_id] = f"{type(exc).__name__}: {exc}"
            continue
        todo.append(one)
    texts = [text for one in todo for text in one.texts]
    try:
        vectors = embedder.embed(texts) if texts else []
        if len(vectors) != len(texts):
            raise ValueError(f"the embedder returned {len(vectors)} vectors for {len(texts)} texts")
    except Exception:  # noqa: BLE001  # find the articles it fails on; the others are still indexed
        for one in todo:
            try:
                one.vectors = embedder.embed(one.texts)
            except Exception as exc:  # noqa: BLE001
                errors[one.article.id] = f"{type(exc).__name__}: {exc}"
                prepared.pop(one.article.id, None)
        return prepared, errors
    cursor = 0
    for one in todo:
        one.vectors = vectors[cursor : cursor + len(one.texts)]
        cursor += len(one.texts)
    return prepared, errors
