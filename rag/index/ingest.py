"""Ingest and delete: read sources, skip unchanged articles, record reprints, mask boilerplate, embed, record, index.

The record (:mod:`rag.index.record`) is the truth and Chroma is derived from it. An ingest reads up to
:data:`WINDOW_PAGES` items ahead; their cross-page repeats are counted with the stored pages of the same sites and
masked as boilerplate (:mod:`rag.index.boilerplate`); the texts of consecutive articles are chunked and embedded
together in calls of about :data:`GROUP_TEXTS`, outside any lock. Then :data:`WRITE_BATCH` articles at a time are
written to the record in one transaction (each with an outbox entry), and the indexer
(:mod:`rag.index.indexer`) applies those entries to Chroma with the vectors already computed. A kill at any moment
leaves the record whole (the last batch's transaction either committed or did not) and the outbox naming what Chroma
still lacks; the next writer or ``rag doctor --repair`` applies it. What was planned before another writer changed the
record is planned again before it is written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rag.index.boilerplate import (
    SiteCounts,
    cleaned_title,
    decode_fingerprint,
    encode_fingerprint,
    keyed_segments,
    mask,
    opening_words,
    repeated_spans,
    site_key,
)
from rag.index.chunking import chunk_id, split_sentences
from rag.index.corpus import read_sources
from rag.index.dedupe import DuplicateIndex, decode_signature, encode_signature, signature
from rag.index.indexer import BATCH_ARTICLES, Applied, Prepared, apply_outbox, prepare_article
from rag.index.store import Store
from rag.index.upgrade import upgrade_store
from rag.models.embed import Embedder
from rag.settings import Settings
from rag.types import Article, DroppedText, IngestReport, ItemError, ItemWarning, Span

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
    settled_s: float | None = None,
) -> IngestReport:
    """Ingest ``items`` window by window: count cross-page repeats, mask boilerplate, embed across articles, write.

    Articles are recorded :data:`WRITE_BATCH` at a time, in input order, one transaction each batch, then indexed; a
    crash leaves the record whole and the outbox naming what the index still lacks. The write lock is held only to
    write: reading, planning and embedding happen outside it, so another writer (``POST /v1/articles``, a second ``rag ingest``)
    waits for one group's writes, not for this run's embedding. When someone else wrote meanwhile, what is left
    of the window is planned again against the store as it now is (:func:`_replan`) before anything is written.
    """
    report = IngestReport()
    upgrade_store(store)
    applied = apply_outbox(store, embedder, settings, settled_s=settled_s)  # what a killed writer left: caught up first
    report.recovered, report.pending = list(dict.fromkeys(applied.done)), applied.failed
    state = _Batch.from_store(store, settings)
    seen_at = store.change_marker()
    for window in _windows(items, WINDOW_PAGES):
        state.sketches.clear()  # kept for one window: a plan made again reuses them
        remaining = _plan(_screen(window, store, state, report, progress), state, settings)
        while remaining:
            group, remaining = _split_group(remaining, GROUP_TEXTS)
            _embed_group(group, embedder, settings)  # outside the lock: the slow part
            while group:
                with store.write_lock():
                    if store.change_marker() != seen_at:  # another writer wrote since this run last did
                        state, group, remaining = _catch_up(store, state, group, remaining, settings)
                    batch, group = group[:WRITE_BATCH], group[WRITE_BATCH:]
                    recorded = [plan for plan in batch if _record(plan, store, state, report)]
                    seen_at = store.change_marker()
                _index(recorded, store, embedder, settings, report)
                if progress:
                    for plan in batch:
                        progress(plan.article.id)
    return report


def _index(recorded: list[_Plan], store: Store, embedder: Embedder, settings: Settings, report: IngestReport) -> None:
    """Apply the outbox entries of the articles just recorded, with the vectors already computed for them."""
    if not recorded:
        return
    ready = {plan.article.id: plan.prepared for plan in recorded if plan.prepared is not None}
    applied: Applied = apply_outbox(store, embedder, settings, ready, only=[plan.article.id for plan in recorded])
    report.chunks_written += sum(applied.chunks.values())
    report.pending += applied.failed


def _catch_up(store: Store, state: _Batch, group: list[_Plan], remaining: list[_Plan],
              settings: Settings) -> tuple[_Batch, list[_Plan], list[_Plan]]:
    """After another writer: re-read the record and plan the rest of the window again (under the lock)."""
    fresh = _Batch.from_store(store, settings)
    fresh.seen, fresh.failed, fresh.sketches = state.seen, state.failed, state.sketches
    replanned = _replan([*group, *remaining], store, fresh, settings)
    return fresh, replanned[: len(group)], replanned[len(group) :]


def _replan(plans: list[_Plan], store: Store, state: _Batch, settings: Settings) -> list[_Plan]:
    """Plan ``plans``' articles again (reprints, boilerplate, new or edited); keep vectors where nothing changed.

    A plan whose stored form changed (its original was deleted, another writer stored a near-copy first, its site's
    repeats moved) is embedded again when written, under the lock: rare, and correct.
    """
    again = _plan([(p.source, store.get_article(p.source.id) is not None) for p in plans], state, settings)
    for new, old in zip(again, plans, strict=True):
        if (old.prepared is not None and old.prepared.vectors and new.error is None
                and new.article.body == old.article.body and new.article.duplicate_of == old.article.duplicate_of):
            old.prepared.article = new.article
            new.prepared = old.prepared
    return again


def _split_group(plans: list[_Plan], size: int) -> tuple[list[_Plan], list[_Plan]]:
    """The first group of about ``size`` texts, and the plans after it."""
    group = next(_groups(plans, size), [])
    return group, plans[len(group) :]


def delete_article(article_id: str, store: Store, embedder: Embedder, settings: Settings,
                   settled_s: float | None = None) -> bool:
    """Remove an article from the record and the indexes; its reprints survive, the oldest indexed in its place.

    ``settled_s``: catch up only with what other writers queued that long ago (:func:`rag.index.indexer.apply_outbox`).
    """
    upgrade_store(store)
    apply_outbox(store, embedder, settings, settled_s=settled_s)
    with store.write_lock():
        before = store.record.last_seq()
        removed = store.record.remove_promoting(article_id)
    if removed:  # its own entries: the article's, and the reprint promoted in its place
        apply_outbox(store, embedder, settings, only={e.article_id for e in store.record.outbox() if e.seq > before})
    return removed


def is_intact(article_id: str, store: Store) -> bool:
    """Whether the indexes hold the article as the record has it, with nothing pending for it.

    An original: its chunks, cut from its current text; a reprint: its original exists and it has no chunks.
    """
    meta = store.record_metadata(article_id)
    if meta is None or article_id in store.pending_ids():
        return False
    original_id = meta.get("duplicate_of")
    if original_id:
        original = store.record_metadata(str(original_id))
        return original is not None and not original.get("duplicate_of") and not store.chunk_ids(article_id)
    return meta.get("indexed_hash") == meta.get("content_hash") and chunks_match(
        article_id, meta, store.chunk_hashes(article_id))


def chunks_match(article_id: str, meta: dict[str, object], chunks: dict[str, str]) -> bool:
    """Whether ``chunks`` (id → content hash) are exactly the chunks the record ``meta`` was indexed with."""
    if not chunks or any(content != meta.get("content_hash") for content in chunks.values()):
        return False
    expected = meta.get("chunks")
    count = expected if isinstance(expected, int) and expected > 0 else len(chunks)
    return set(chunks) == {chunk_id(article_id, position) for position in range(count)}


WINDOW_PAGES = 2000
"""Items read ahead: their repeats are counted together (with the stored pages of their sites) before any is
written. Bounds what an ingest holds in memory; a later window counts the earlier ones through the store."""
WRITE_BATCH = BATCH_ARTICLES
"""Articles recorded per transaction, then indexed: another writer waits for at most these."""
GROUP_TEXTS = 2048
"""Chunk texts embedded in one call across consecutive articles: the model sorts them by length,
so batches carry little padding, and an article of five sentences no longer makes a batch of five."""


@dataclass
class _Plan:
    """One article on its way into the store."""

    article: Article
    """As it will be stored: boilerplate masked, ``ingested_at`` and ``duplicate_of`` set."""
    existed: bool
    minhash: str
    segments: str
    site: str | None
    dropped: DroppedText | None
    source: Article
    """The article as read, before masking: what a later plan starts from again."""
    prepared: Prepared | None = None
    error: str | None = None


@dataclass
class _Batch:
    """What an ingest run keeps across windows: the reprint index and every stored original's site and segments."""

    duplicates: DuplicateIndex
    pages: dict[str, tuple[str | None, str | None]]
    """Article id → (site, encoded segment fingerprint or ``None`` if stored without one), originals only."""
    seen: set[str] = field(default_factory=set)
    failed: set[str] = field(default_factory=set)
    sketches: dict[tuple[str, str], tuple[Any, list[tuple[Span, bytes]]]] = field(default_factory=dict)
    """(id, content hash) → MinHash signature and keyed segments of the window's pages: the slow part of a plan."""

    @classmethod
    def from_store(cls, store: Store, settings: Settings) -> _Batch:
        duplicates = DuplicateIndex(settings.duplicate_threshold)
        pages: dict[str, tuple[str | None, str | None]] = {}
        for article_id, meta in store.all_records().items():
            if meta.get("duplicate_of"):
                continue
            if meta.get("minhash"):
                duplicates.add(article_id, decode_signature(str(meta["minhash"])))
            outlet, url, segments = meta.get("outlet"), meta.get("url"), meta.get("segments")
            pages[article_id] = (site_key(str(outlet) if outlet else None, str(url) if url else None),
                                 str(segments) if segments else None)
        return cls(duplicates, pages)

    def site_counts(self, fresh: dict[str, tuple[str | None, set[bytes], bool]]) -> SiteCounts:
        """Repeats over the fresh pages (id → site, segment keys, counted) and the stored pages not being replaced.

        A stored page adds only the keys the fresh pages of its site have: nothing else can matter here.
        """
        counts = SiteCounts()
        wanted: dict[str, set[bytes]] = {}
        for site, keys, counted in fresh.values():
            if site is not None and counted:
                counts.add(site, keys)
                wanted.setdefault(site, set()).update(keys)
        for article_id, (site, encoded) in self.pages.items():
            if site in wanted and encoded and article_id not in fresh:
                counts.add(site, decode_fingerprint(encoded) & wanted[site])
        return counts


def _windows(items: Iterable[Article | ItemError | ItemWarning], size: int) -> Iterator[list[Article | ItemError | ItemWarning]]:
    window: list[Article | ItemError | ItemWarning] = []
    for item in items:
        window.append(item)
        if len(window) >= size:
            yield window
            window = []
    if window:
        yield window


def _screen(window: list[Article | ItemError | ItemWarning], store: Store, state: _Batch, report: IngestReport,
            progress: Progress | None) -> list[tuple[Article, bool]]:
    """Report errors, warnings, repeated ids and unchanged articles; the rest, with whether each exists, go on."""
    fresh: list[tuple[Article, bool]] = []
    for item in window:
        if isinstance(item, ItemWarning):
            report.warnings.append(item)
            continue
        if isinstance(item, ItemError):
            report.failed.append(item)
        elif item.id in state.seen:
            report.failed.append(ItemError(source=item.id, reason="the same article id appears twice in this batch"))
        else:
            state.seen.add(item.id)
            existing = store.get_article(item.id)
            if not (existing is not None and existing.content_hash == item.content_hash
                    and _same_metadata(existing, item) and is_intact(item.id, store)):
                fresh.append((item, existing is not None))
                continue
            report.unchanged.append(item.id)
        if progress:
            progress(item.source if isinstance(item, ItemError) else item.id)
    return fresh


def _plan(fresh: list[tuple[Article, bool]], state: _Batch, settings: Settings) -> list[_Plan]:
    """Find reprints, count every page's segments for its site, then mask what its site repeats."""
    found: list[tuple[Article, bool, str, str | None, list[tuple[Span, bytes]], str | None]] = []
    pages: dict[str, tuple[str | None, set[bytes], bool]] = {}
    sites = {article_id: site for article_id, (site, _) in state.pages.items()}
    for article, existed in fresh:
        key = (article.id, article.content_hash)
        if key not in state.sketches:
            state.sketches[key] = (signature(article.body), keyed_segments(article.body))
        sketch, keyed = state.sketches[key]
        match = state.duplicates.find(sketch, exclude=article.id)
        original = match if settings.detect_reprints else None
        if original is None:
            state.duplicates.add(article.id, sketch)
        site = site_key(article.outlet, article.url)
        sites[article.id] = site
        # A near-copy of a page of the same site already counted is the same page, not another one.
        pages[article.id] = (site, {key for _, key in keyed}, match is None or sites.get(match) != site)
        found.append((article, existed, encode_signature(sketch), site, keyed, original))
    counts = state.site_counts(pages)
    plans = []
    for article, existed, minhash, site, keyed, original in found:
        spans = repeated_spans(keyed, site, counts)
        body = mask(article.body, spans) if spans else article.body
        title = cleaned_title(article.title, article.body, body)
        stored = article.model_copy(update={"body": body, "title": title, "ingested_at": _now(),
                                            "duplicate_of": original})
        dropped = DroppedText(lines=len(spans), chars=sum(s.end - s.start for s in spans)) if spans else None
        plan = _Plan(stored, existed, minhash, encode_fingerprint(pages[article.id][1]), site, dropped, article)
        if original is None and not split_sentences(body):
            plan.error = f"every line of it repeats on other pages of {site}: no text of its own to index"
        plans.append(plan)
    return plans


def _groups(plans: list[_Plan], size: int) -> Iterator[list[_Plan]]:
    group: list[_Plan] = []
    texts = 0
    for plan in plans:
        group.append(plan)
        texts += 1 if plan.article.duplicate_of else 2 + len(plan.article.body) // 80
        if texts >= size:
            yield group
            group, texts = [], 0
    if group:
        yield group


def _embed_group(group: list[_Plan], embedder: Embedder, settings: Settings) -> None:
    """Prepare every article of ``group`` and embed all their texts in one call; on failure, article by article."""
    ready: list[Prepared] = []
    for plan in group:
        if plan.error is not None:
            continue
        try:
            plan.prepared = prepare_article(plan.article, settings)
        except Exception as exc:
            plan.error = f"could not index: {exc}"
            continue
        ready.append(plan.prepared)
    texts = [text for prepared in ready for text in prepared.texts]
    try:
        vectors = embedder.embed(texts) if texts else []
        if len(vectors) != len(texts):
            raise ValueError(f"the embedder returned {len(vectors)} vectors for {len(texts)} texts")
    except Exception:  # find the articles the embedder fails on; the others are still indexed
        for plan in group:
            if plan.prepared is not None and plan.error is None:
                try:
                    plan.prepared.vectors = embedder.embed(plan.prepared.texts)
                except Exception as exc:
                    plan.error = f"could not index: {exc}"
        return
    cursor = 0
    for prepared in ready:
        prepared.vectors = vectors[cursor : cursor + len(prepared.texts)]
        cursor += len(prepared.texts)


def _record(plan: _Plan, store: Store, state: _Batch, report: IngestReport) -> bool:
    """Write one planned article to the record (inside the batch's transaction); whether it was written."""
    article = plan.article
    if plan.error is not None:
        report.failed.append(ItemError(source=article.id, reason=plan.error))
        state.failed.add(article.id)
        state.duplicates.remove(article.id)
        return False
    if article.duplicate_of in state.failed:  # its original could not be indexed: it is the original now
        article = plan.article = article.model_copy(update={"duplicate_of": None})
        plan.prepared = None
    store.record.put(article, plan.minhash, plan.segments)
    if plan.dropped is not None:
        report.boilerplate[article.id] = plan.dropped
    if article.duplicate_of:
        for reprint in store.record.reprints_of(article.id):  # its own reprints now follow its original
            store.record.repoint(reprint.article.id, article.duplicate_of)
        state.duplicates.remove(article.id)
        state.pages.pop(article.id, None)
        report.duplicates[article.id] = article.duplicate_of
        return True
    state.duplicates.add(article.id, decode_signature(plan.minhash))
    state.pages[article.id] = (plan.site, plan.segments)
    (report.updated if plan.existed else report.added).append(article.id)
    return True


def _same_metadata(old: Article, new: Article) -> bool:
    """Same outlet, date and URL, and the same title or one that only repeats the (unchanged) body's opening.

    The stored title of the second kind may have been cleaned with the body (:func:`rag.index.boilerplate.cleaned_title`).
    """
    same_title = old.title == new.title or opening_words(new.title, new.body) is not None
    return same_title and (old.outlet, old.published_at, old.url) == (new.outlet, new.published_at, new.url)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
