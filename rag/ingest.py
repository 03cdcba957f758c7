"""Ingest and delete: read sources, skip unchanged articles, record reprints, chunk, embed, write, journaled.

Every change to one article is a journaled operation (:mod:`rag.journal`): the entry is written before
the first write to the chunks or records and removed after the last, and each writer replays what an
interrupted one left pending before it starts. So after any crash the store converges on whole articles:
an interrupted write is finished (from the article kept in its entry), an interrupted delete is finished,
and reprints of a deleted original are re-pointed to the oldest of them, which is indexed in its place.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from rag.chunking import chunk_article, search_text, split_sentences
from rag.corpus import read_sources
from rag.dedupe import DuplicateIndex, decode_signature, encode_signature, signature
from rag.embed import Embedder
from rag.journal import JournalEntry
from rag.settings import Settings
from rag.store import Store
from rag.types import Article, Chunk, IngestReport, ItemError, ItemWarning, Span

Progress = Callable[[str], None]


class LazyEmbedder:
    """An embedder loaded only when something needs embedding (a delete rarely does: only to promote a reprint)."""

    def __init__(self, factory: Callable[[], Embedder]) -> None:
        self._factory = factory
        self._embedder: Embedder | None = None
        self.name = "not loaded"

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        if self._embedder is None:
            self._embedder = self._factory()
            self.name = self._embedder.name
        return self._embedder.embed(texts)


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
    items: Iterable[Article | ItemError | ItemWarning],
    store: Store,
    embedder: Embedder,
    settings: Settings,
    progress: Progress | None = None,
) -> IngestReport:
    report = IngestReport()
    with store.write_lock():
        report.recovered = recover(store, embedder, settings)
        duplicates = DuplicateIndex(settings.duplicate_threshold)
        for article_id, encoded in store.article_signatures().items():
            duplicates.add(article_id, decode_signature(encoded))
        seen: set[str] = set()
        for item in items:
            if isinstance(item, ItemWarning):
                report.warnings.append(item)
                continue
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


def delete_article(article_id: str, store: Store, embedder: Embedder, settings: Settings) -> bool:
    """Remove an article and its chunks; its reprints survive, the oldest indexed in its place."""
    with store.write_lock():
        recover(store, embedder, settings)
        if store.get_article(article_id) is None:
            return False
        _delete(article_id, store, embedder, settings)
        return True


def recover(store: Store, embedder: Embedder, settings: Settings) -> list[str]:
    """Finish every operation a killed writer left pending; returns the article ids it touched.

    Call with the write lock held. Writes are replayed before deletes, so a reprint being promoted when
    its original's delete was interrupted ends up indexed, not promoted twice.
    """
    entries = store.pending()
    for entry in sorted(entries, key=lambda e: e.op != "index"):
        if entry.op == "index" and entry.article is not None:
            try:
                write_article(entry.article, entry.minhash or "", store, embedder, settings)
            except Exception:  # cannot finish it (e.g. the embedder fails): leave no half of it behind
                remove_article(entry.article_id, store)
                store.finish(entry.article_id)
        else:
            _delete(entry.article_id, store, embedder, settings)
    return [e.article_id for e in entries]


def is_intact(article_id: str, store: Store) -> bool:
    """Whether the stored article is whole: its chunks from its current text and its sentence vectors.

    A reprint is whole when its original exists. A store written before sentence vectors existed is
    upgraded by re-running ingest.
    """
    meta = store.record_metadata(article_id)
    if meta is None:
        return False
    original_id = meta.get("duplicate_of")
    if original_id:
        original = store.record_metadata(str(original_id))
        return original is not None and not original.get("duplicate_of") and not store.chunk_ids(article_id)
    return chunks_match(article_id, meta, store.chunk_hashes(article_id)) and store.has_sentences(article_id)


def chunks_match(article_id: str, meta: dict[str, object], chunks: dict[str, str]) -> bool:
    """Whether ``chunks`` (id → content hash) are exactly the chunks the record ``meta`` was written with."""
    if not chunks or any(content != meta.get("content_hash") for content in chunks.values()):
        return False
    expected = meta.get("chunks")
    count = expected if isinstance(expected, int) and expected > 0 else len(chunks)
    return set(chunks) == {f"{article_id}:{position}" for position in range(count)}


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
        and is_intact(article.id, store)
    ):
        report.unchanged.append(article.id)
        return
    sketch = signature(article.body)
    article = article.model_copy(update={"ingested_at": dt.datetime.now(dt.UTC)})
    original = duplicates.find(sketch, exclude=article.id) if settings.detect_reprints else None
    if original is not None:
        article = article.model_copy(update={"duplicate_of": original})
    try:
        written = write_article(article, encode_signature(sketch), store, embedder, settings)
    except Exception as exc:  # an embedding or store failure loses this article only
        report.failed.append(ItemError(source=article.id, reason=f"could not index: {exc}"))
        return
    if original is not None:
        duplicates.remove(article.id)
        report.duplicates[article.id] = original
        return
    duplicates.add(article.id, sketch)
    report.chunks_written += written
    (report.updated if existing is not None else report.added).append(article.id)


def write_article(article: Article, minhash: str, store: Store, embedder: Embedder, settings: Settings) -> int:
    """Write one article as a journaled operation; returns how many chunks it has.

    Everything that can fail slowly (chunking, embedding) happens before the first write, so a failure
    there leaves the old version intact. A reprint keeps its record (its outlet stays known) and no chunks.
    """
    chunks: list[Chunk] = []
    embeddings: list[list[float]] = []
    sentences: list[Span] = []
    sentence_embeddings: list[list[float]] = []
    if article.duplicate_of:
        record_vector = embedder.embed([article.title])[0]
    else:
        chunks = chunk_article(article.id, article.body, settings.chunk_size, settings.chunk_overlap)
        embeddings = _embed_batched(embedder, [search_text(article.title, c.text) for c in chunks], settings)
        record_vector = _mean(embeddings)
        # Each sentence once (chunks overlap), as the evidence step embeds it: no title, so vectors match.
        sentences = split_sentences(article.body)
        sentence_embeddings = _embed_batched(embedder, [s.text for s in sentences], settings)
    store.begin(JournalEntry(op="index", article_id=article.id, started_at=_now(), article=article, minhash=minhash))
    store.replace_chunks(article, chunks, embeddings)
    store.replace_sentences(article.id, sentences, sentence_embeddings)
    store.put_article(article, record_vector, minhash, chunk_count=len(chunks))
    if article.duplicate_of:  # its own reprints now follow its original
        for reprint in store.reprints_of(article.id):
            store.repoint_reprint(reprint.id, article.duplicate_of)
    store.finish(article.id)
    return len(chunks)


def _delete(article_id: str, store: Store, embedder: Embedder, settings: Settings) -> None:
    store.begin(JournalEntry(op="delete", article_id=article_id, started_at=_now()))
    remove_article(article_id, store)
    promote_reprints(article_id, store, embedder, settings)
    store.finish(article_id)


def remove_article(article_id: str, store: Store) -> None:
    chunk_ids = store.chunk_ids(article_id)
    if chunk_ids:
        store.delete_chunks(chunk_ids)
    if store.has_sentences(article_id):
        store.delete_sentences(article_id)
    if store.record_metadata(article_id) is not None:
        store.delete_record(article_id)


def promote_reprints(original_id: str, store: Store, embedder: Embedder, settings: Settings) -> str | None:
    """Reprints of a vanished original: the oldest becomes the original (indexed), the rest point at it."""
    reprints = store.reprints_of(original_id)
    if not reprints:
        return None
    heir, *others = reprints
    for reprint in others:
        store.repoint_reprint(reprint.id, heir.id)
    minhash = str((store.record_metadata(heir.id) or {}).get("minhash") or encode_signature(signature(heir.body)))
    write_article(heir.model_copy(update={"duplicate_of": None}), minhash, store, embedder, settings)
    return heir.id


def _same_metadata(old: Article, new: Article) -> bool:
    return (old.title, old.outlet, old.published_at, old.url) == (
        new.title,
        new.outlet,
        new.published_at,
        new.url,
    )


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _embed_batched(embedder: Embedder, texts: list[str], settings: Settings) -> list[list[float]]:
    vectors: list[list[float]] = []
    for start in range(0, len(texts), settings.embed_batch_size):
        vectors.extend(embedder.embed(texts[start : start + settings.embed_batch_size]))
    return vectors


def _mean(vectors: list[list[float]]) -> list[float]:
    if not vectors:
        raise ValueError("no chunks to embed")
    size = len(vectors[0])
    return [sum(v[i] for v in vectors) / len(vectors) for i in range(size)]
