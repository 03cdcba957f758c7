"""Upgrade a store written by the older layout: article records, a journal and a lease kept in Chroma collections.

The older layout held each article's record in a ``<collection>_articles`` collection and unfinished operations in
``<collection>_meta``. Every writer calls :func:`upgrade_store` first: it copies those records into the SQL record
(with their index state: an article whose chunks are whole counts as indexed, any other is queued for the indexer),
turns each unfinished journal entry into a record change with its outbox entry, commits, and only then drops the old
collections. A kill before the drop repeats the copy next time, which skips what the record already holds.
"""

from __future__ import annotations

import json
from typing import Any

from rag.index.chunking import chunk_id
from rag.index.record import StoredArticle
from rag.index.store import Store, article_from_record
from rag.types import Article

PAGE = 2000


def upgrade_store(store: Store) -> list[str]:
    """Bring the older layout's articles and unfinished operations into the record; the collections dropped."""
    records = store.legacy_collection("articles")
    journal = store.legacy_collection("meta")
    if records is None and journal is None and store.legacy_collection("sentences") is None:
        return []
    with store.write_lock():
        imported = _import_records(store, records) if records is not None else []
        if journal is not None:
            _replay_journal(store, journal)
    with store.write_lock():
        store.drop_legacy_collections()
    return imported


def _import_records(store: Store, collection: Any) -> list[str]:
    known = {s.article.id for s in store.record.all(with_body=False)}
    owners: dict[str, dict[str, str]] = {}
    for chunk, (article_id, content) in store.chunk_owners().items():
        owners.setdefault(article_id, {})[chunk] = content
    imported: list[str] = []
    offset = 0
    while True:
        found = collection.get(include=["documents", "metadatas"], limit=PAGE, offset=offset)
        for article_id, body, meta in zip(found["ids"], found["documents"], found["metadatas"], strict=True):
            if article_id in known:
                continue
            article = article_from_record(article_id, body, meta)
            chunks = owners.get(article_id, {})
            expected = meta.get("chunks")
            whole = (not article.duplicate_of and bool(chunks) and isinstance(expected, int)
                     and set(chunks) == {chunk_id(article_id, i) for i in range(expected)}
                     and all(c == article.content_hash for c in chunks.values()))
            store.record.import_article(StoredArticle(
                article=article, minhash=meta.get("minhash"), segments=meta.get("segments"),
                indexed_hash=article.content_hash if whole else None, chunk_count=len(chunks) if whole else 0))
            if not whole:
                store.record.queue(article_id)
            imported.append(article_id)
        if len(found["ids"]) < PAGE:
            return imported
        offset += PAGE


def _replay_journal(store: Store, collection: Any) -> None:
    """Unfinished operations of the older layout become record changes (writes before deletes, as it replayed them)."""
    found = collection.get(where={"kind": "journal"}, include=["documents"])
    entries = [json.loads(doc) for doc in found["documents"]]
    for entry in sorted(entries, key=lambda e: (e.get("op") != "index", e.get("started_at", ""), e.get("article_id"))):
        if entry.get("op") == "index" and entry.get("article"):
            article = Article.model_validate(entry["article"])
            store.record.put(article, entry.get("minhash"))
        elif entry.get("op") == "delete":
            store.record.remove_promoting(str(entry.get("article_id")))

