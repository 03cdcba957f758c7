"""Ingest: read sources, skip unchanged articles, record reprints, chunk, embed in batches, write."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from rag.chunking import chunk_article, search_text
from rag.corpus import read_sources
from rag.dedupe import DuplicateIndex, decode_signature, encode_signature, signature
from rag.embed import Embedder
from rag.settings import Settings
from rag.store import Store
from rag.types import Article, IngestReport, ItemError

Progress = Callable[[str], None]


def ingest_paths(
    paths: Sequence[Path],
    store: Store,
    embedder: Embedder,
    settings: Settings,
    progress: Progress | None = None,
) -> IngestReport:
    """Ingest every article under ``paths``; bad items are reported, never fatal to the batch."""
    return ingest_items(read_sources(paths), store, embedder, settings, progress)


def ingest_items(
    items: Iterable[Article | ItemError],
    store: Store,
    embedder: Embedder,
    settings: Settings,
    progress: Progress | None = None,
) -> IngestReport:
    report = IngestReport()
    with store.write_lock():
        duplicates = DuplicateIndex(settings.duplicate_threshold)
        for article_id, encoded in store.article_signatures().items():
            duplicates.add(article_id, decode_signature(encoded))
        seen: set[str] = set()
        for item in items:
            if isinstance(item, ItemError):
                report.failed.append(item)
            elif item.id in seen:
                report.failed.append(
                    ItemError(source=item.id, reason="the same article id appears twice in this batch")
                )
            else:
                seen.add(item.id)
                _ingest_one(item, store, embedder, settings, duplicates, report)
            if progress:
                progress(item.source if isinstance(item, ItemError) else item.id)
    return report


def _ingest_one(
    article: Article,
    store: Store,
    embedder: Embedder,
    settings: Settings,
    duplicates: DuplicateIndex,
    report: IngestReport,
) -> None:
    existing = store.get_article(article.id)
    if (
        existing is not None
        and existing.content_hash == article.content_hash
        and _same_metadata(existing, article)
    ):
        report.unchanged.append(article.id)
        return
    sketch = signature(article.body)
    article = article.model_copy(update={"ingested_at": dt.datetime.now(dt.UTC)})
    original = duplicates.find(sketch, exclude=article.id) if settings.detect_reprints else None
    try:
        if original is not None:
            _record_reprint(article, original, store, embedder, sketch_text=encode_signature(sketch))
            duplicates.remove(article.id)
            report.duplicates[article.id] = original
            return
        written = _index_article(article, store, embedder, settings, encode_signature(sketch))
    except Exception as exc:  # an embedding or store failure loses this article only
        report.failed.append(ItemError(source=article.id, reason=f"could not index: {exc}"))
        return
    duplicates.add(article.id, sketch)
    report.chunks_written += written
    (report.updated if existing is not None else report.added).append(article.id)


def _index_article(
    article: Article, store: Store, embedder: Embedder, settings: Settings, minhash: str
) -> int:
    """Embed the new chunks first; only then replace the old ones, so a failure keeps the old index."""
    chunks = chunk_article(article.id, article.body, settings.chunk_size, settings.chunk_overlap)
    texts = [search_text(article.title, c.text) for c in chunks]
    embeddings: list[list[float]] = []
    for start in range(0, len(texts), settings.embed_batch_size):
        embeddings.extend(embedder.embed(texts[start : start + settings.embed_batch_size]))
    store.replace_chunks(article, chunks, embeddings)
    store.put_article(article, _mean(embeddings), minhash)
    return len(chunks)


def _record_reprint(
    article: Article, original: str, store: Store, embedder: Embedder, sketch_text: str
) -> None:
    """Keep the reprint's metadata (its outlet stays known) but index no chunks of its own."""
    reprint = article.model_copy(update={"duplicate_of": original})
    store.replace_chunks(reprint, [], [])
    store.put_article(reprint, embedder.embed([article.title])[0], sketch_text)


def _same_metadata(old: Article, new: Article) -> bool:
    return (old.title, old.outlet, old.published_at, old.url) == (
        new.title,
        new.outlet,
        new.published_at,
        new.url,
    )


def _mean(vectors: list[list[float]]) -> list[float]:
    if not vectors:
        raise ValueError("no chunks to embed")
    size = len(vectors[0])
    return [sum(v[i] for v in vectors) / len(vectors) for i in range(size)]
