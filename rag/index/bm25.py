"""The BM25 side of retrieval, kept on disk and brought up to date incrementally.

The index lives in ``<data_dir>/bm25/<collection>/`` as generations: each is a bm25s index (saved with
``BM25.save``, loaded with ``mmap=True``), the chunks' text and metadata as a memory-mapped JSONL corpus,
the chunks' token ids (so a later update re-tokenises nothing it already has), filter columns as numpy
arrays, and the store fingerprint (article id → indexed version) it was built from. ``CURRENT`` names the live
generation and the on-disk probe it was last checked against.

A process that finds the store unchanged loads the live generation without asking Chroma for anything.
When the fingerprint differs, only the chunks of added or edited articles are read from Chroma and
tokenised; chunks of deleted or edited articles are dropped; the BM25 weights are recomputed from the
stored token ids (IDF and average length are corpus-wide, so every weight can change) and saved as a new
generation, which replaces ``CURRENT`` atomically.

Change detection: for an on-disk Chroma with the record in SQLite, the size and mtime of both SQLite files (every
Chroma write and every record commit touches them); for a Chroma server or a record on a database server, the
fingerprint itself, at most every :data:`SERVER_RECHECK_S`.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import bm25s
import numpy as np
from filelock import FileLock

from rag.index.chunking import search_text
from rag.index.store import Metadata, Store, date_number
from rag.text import tokenize
from rag.types import SearchFilters

INDEX_VERSION = 1
SERVER_RECHECK_S = 2.0
"""With a Chroma server (or a record on a database server) there is no file to watch: the fingerprint is re-read at
most this often."""
FETCH_BATCH = 200
"""Articles per Chroma ``get`` when reading the chunks of changed articles."""
PAGE = 5000
"""Chunks per Chroma ``get`` when reading the whole collection."""

Probe = list[list[int]]
Match = tuple[str, str, Metadata]


@dataclass
class SyncReport:
    """What the last :meth:`Bm25Index.sync` did (for tests and ``rag bench``)."""

    action: str = "none"
    """``cached`` (nothing changed), ``loaded`` (read from disk), ``updated`` or ``built`` (written)."""
    tokenized_chunks: int = 0
    dropped_chunks: int = 0
    seconds: float = 0.0


@dataclass
class _Generation:
    name: str
    fingerprint: dict[str, str]
    model: Any
    corpus: Any
    """bm25s ``JsonlCorpus`` of ``{"id", "text", "meta"}`` rows, memory-mapped."""
    vocab: dict[str, int]
    tokens: np.ndarray
    offsets: np.ndarray
    published: np.ndarray
    """YYYYMMDD per chunk, 0 when unknown."""
    outlet_codes: np.ndarray
    outlets: list[str]
    article_codes: np.ndarray
    articles: list[str]
    ids: list[str]
    """Chunk id per row, so a search ranks and ties by id without reading the corpus."""
    _positions: dict[str, int] | None = None

    @property
    def size(self) -> int:
        return len(self.offsets) - 1

    def position(self, chunk_id: str) -> int | None:
        """The row holding ``chunk_id``, or ``None`` when this generation does not hold it."""
        if self._positions is None:
            self._positions = {chunk: row for row, chunk in enumerate(self.ids)}
        return self._positions.get(chunk_id)


@dataclass
class Bm25Index:
    """BM25 over the store's chunks, persisted under the data directory and shared by processes."""

    store: Store
    directory: Path | None = None
    last_sync: SyncReport = field(default_factory=SyncReport)
    _live: _Generation | None = field(default=None, repr=False)
    _probe_seen: Probe | None = field(default=None, repr=False)
    _checked_at: float = field(default=-1e9, repr=False)
    _mutex: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        if self.directory is None:
            self.directory = self.store.settings.data_dir / "bm25" / self.store.settings.collection

    @property
    def size(self) -> int:
        """Chunks in the live generation (after :meth:`sync`, the store's chunk count)."""
        return self._live.size if self._live is not None else 0

    # Keeping up with the store ------------------------------------------------------------------

    def sync(self) -> SyncReport:
        """Bring the index up to date with the store, as cheaply as the evidence of change allows."""
        started = time.perf_counter()
        with self._mutex:  # one thread syncs; the others then find it done
            report = self._sync()
        report.seconds = time.perf_counter() - started
        self.last_sync = report
        return report

    def _sync(self) -> SyncReport:
        probe = self.store.disk_probe()
        if self._live is not None and probe is not None and probe == self._probe_seen:
            return SyncReport("cached")
        if self._live is not None and probe is None and time.monotonic() - self._checked_at < SERVER_RECHECK_S:
            return SyncReport("cached")
        current = self._read_current()
        loaded = False
        if current is not None and (self._live is None or self._live.name != current["generation"]):
            try:
                self._live, loaded = self._load(current["generation"]), True
            except (OSError, ValueError):  # replaced and removed by another process meanwhile: decide under the lock
                current = None
        if current is not None and probe is not None and current.get("probe") == probe:
            self._probe_seen = probe
            return SyncReport("loaded" if loaded else "cached")
        fingerprint = dict(self.store.fingerprint())  # taken after the probe: a later write re-triggers
        self._checked_at = time.monotonic()
        with FileLock(str(self._dir / "lock")):
            current = self._read_current()
            if current is not None and (self._live is None or self._live.name != current["generation"]):
                self._live, loaded = self._load(current["generation"]), True
            if self._live is not None and self._live.fingerprint == fingerprint:
                self._write_current(self._live.name, probe)
                self._probe_seen = probe
                return SyncReport("loaded" if loaded else "cached")
            report = SyncReport("built" if self._live is None else "updated")
            self._live = self._update(self._live, fingerprint, report)
            self._write_current(self._live.name, probe)
            self._probe_seen = probe
            self._remove_old_generations()
        return report

    def _update(self, old: _Generation | None, fingerprint: dict[str, str], report: SyncReport) -> _Generation:
        old_fingerprint = old.fingerprint if old is not None else {}
        changed = sorted(a for a, content in fingerprint.items() if old_fingerprint.get(a) != content)
        gone = set(changed) | (set(old_fingerprint) - set(fingerprint))
        vocab = dict(old.vocab) if old is not None else {}
        token_lists: list[np.ndarray] = []
        rows: list[dict[str, Any]] = []
        if old is not None:
            keep = np.flatnonzero(~np.isin(old.article_codes, [i for i, a in enumerate(old.articles) if a in gone]))
            report.dropped_chunks = old.size - len(keep)
            for position in keep.tolist():
                token_lists.append(np.asarray(old.tokens[old.offsets[position] : old.offsets[position + 1]]))
                rows.append(old.corpus[position])
        for chunk_id, text, meta in self._fetch(changed, everything=old is None or len(changed) > len(fingerprint) // 2):
            words = tokenize(search_text(str(meta.get("title", "")), text))
            token_lists.append(np.fromiter((vocab.setdefault(w, len(vocab)) for w in words), dtype=np.int32))
            rows.append({"id": chunk_id, "text": text, "meta": meta})
            report.tokenized_chunks += 1
        return self._save(fingerprint, vocab, token_lists, rows)

    def _fetch(self, article_ids: Sequence[str], everything: bool) -> Iterable[Match]:
        """Chunks of ``article_ids`` from Chroma: all at once when most articles changed, else in batches."""
        if not article_ids:
            return
        wanted = set(article_ids)
        if everything:  # page through the collection: one unbounded get fails past ~30k chunks (SQL variable limit)
            offset = 0
            while True:
                page = self.store.chunks.get(include=["documents", "metadatas"], limit=PAGE, offset=offset)
                rows = zip(page["ids"], page["documents"], page["metadatas"], strict=True)
                yield from ((i, t, m) for i, t, m in rows if m.get("article_id") in wanted)
                if len(page["ids"]) < PAGE:
                    return
                offset += PAGE
        for start in range(0, len(article_ids), FETCH_BATCH):
            batch = list(article_ids[start : start + FETCH_BATCH])
            found = self.store.chunks.get(where={"article_id": {"$in": batch}}, include=["documents", "metadatas"])
            yield from zip(found["ids"], found["documents"], found["metadatas"], strict=True)

    # Files -----------------------------------------------------------------------------------

    @property
    def _dir(self) -> Path:
        assert self.directory is not None
        self.directory.mkdir(parents=True, exist_ok=True)
        return self.directory

    def _read_current(self) -> dict[str, Any] | None:
        try:
            current: dict[str, Any] = json.loads((self._dir / "CURRENT").read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return None
        if current.get("version") != INDEX_VERSION or not (self._dir / str(current.get("generation"))).is_dir():
            return None
        return current

    def _write_current(self, generation: str, probe: Probe | None) -> None:
        temporary = self._dir / f"CURRENT.{os.getpid()}.tmp"
        temporary.write_text(json.dumps({"version": INDEX_VERSION, "generation": generation, "probe": probe}))
        os.replace(temporary, self._dir / "CURRENT")

    def _remove_old_generations(self) -> None:
        """Earlier generations go; a process that still maps one keeps reading it until it reloads."""
        live = self._live.name if self._live is not None else None
        for path in self._dir.glob("g-*"):
            if path.name != live:
                shutil.rmtree(path, ignore_errors=True)

    def _save(
        self, fingerprint: dict[str, str], vocab: dict[str, int], token_lists: list[np.ndarray], rows: list[dict[str, Any]]
    ) -> _Generation:
        name = f"g-{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}"
        path = self._dir / name
        path.mkdir()
        offsets = np.zeros(len(token_lists) + 1, dtype=np.int64)
        offsets[1:] = np.cumsum([len(t) for t in token_lists]) if token_lists else []
        tokens = np.concatenate(token_lists) if token_lists else np.zeros(0, dtype=np.int32)
        outlets = sorted({str(r["meta"]["outlet"]) for r in rows if r["meta"].get("outlet")})
        articles = sorted(fingerprint)
        article_index = {a: i for i, a in enumerate(articles)}
        outlet_index = {o: i for i, o in enumerate(outlets)}
        columns = {
            "tokens": tokens.astype(np.int32),
            "offsets": offsets,
            "published": np.array([int(r["meta"].get("published_num", 0)) for r in rows], dtype=np.int32),
            "outlet_codes": np.array([outlet_index.get(str(r["meta"].get("outlet")), -1) for r in rows], dtype=np.int32),
            "article_codes": np.array([article_index.get(str(r["meta"].get("article_id")), -1) for r in rows], dtype=np.int32),
        }
        for column, values in columns.items():
            np.save(path / f"{column}.npy", values)
        (path / "ids.json").write_text(json.dumps([r["id"] for r in rows], ensure_ascii=False))
        (path / "manifest.json").write_text(
            json.dumps({"fingerprint": fingerprint, "outlets": outlets, "articles": articles}, ensure_ascii=False)
        )
        if rows:
            model = bm25s.BM25()
            model.scores = bm25_weights(columns["tokens"], offsets, len(vocab), model.k1, model.b)
            model.vocab_dict, model.nonoccurrence_array = vocab, None
            model.save(str(path / "bm25"), corpus=rows, show_progress=False)
        return self._load(name)

    def _load(self, name: str) -> _Generation:
        path = self._dir / name
        manifest = json.loads((path / "manifest.json").read_text())
        model, corpus, vocab = None, [], {}
        if (path / "bm25").is_dir():
            model = bm25s.BM25.load(str(path / "bm25"), load_corpus=True, mmap=True, show_progress=False)
            corpus, vocab = model.corpus, dict(model.vocab_dict)
        arrays = {c: np.load(path / f"{c}.npy", mmap_mode="r") for c in
                  ("tokens", "offsets", "published", "outlet_codes", "article_codes")}
        try:
            ids = json.loads((path / "ids.json").read_text())
        except FileNotFoundError:  # a generation written before ids were kept: read them from the corpus once
            ids = [corpus[row]["id"] for row in range(len(arrays["offsets"]) - 1)]
        return _Generation(name=name, fingerprint=manifest["fingerprint"], model=model, corpus=corpus, vocab=vocab,
                           outlets=manifest["outlets"], articles=manifest["articles"], ids=ids, **arrays)

    # Searching --------------------------------------------------------------------------------

    def search(self, query: str, n: int, filters: SearchFilters | None = None) -> list[Match]:
        """The ``n`` best-scoring chunks for ``query`` that pass ``filters``, best first (ties by id), with text.

        Call :meth:`sync` first; ``search`` reads the live generation as it is.
        """
        found = self.rows(ranked := self.ranked(query, n, filters))
        return [(chunk, *found[chunk]) for chunk in ranked]

    def ranked(self, query: str, n: int, filters: SearchFilters | None = None) -> list[str]:
        """The ids of :meth:`search`'s chunks, without reading their text (retrieval reads only the ones it keeps)."""
        live = self._live
        if live is None or live.model is None or n <= 0:
            return []
        token_ids = [live.vocab[t] for t in tokenize(query) if t in live.vocab]
        if not token_ids:
            return []
        scores = np.asarray(live.model.get_scores_from_ids(token_ids))
        mask = _filter_mask(live, filters or SearchFilters())
        candidates = np.flatnonzero(scores > 0 if mask is None else (scores > 0) & mask)
        if len(candidates) > n:
            candidates = candidates[np.argpartition(-scores[candidates], n - 1)[:n]]
        ranked = sorted(zip(scores[candidates].tolist(), candidates.tolist(), strict=True),
                        key=lambda item: (-item[0], live.ids[item[1]]))
        return [live.ids[row] for _, row in ranked]

    def rows(self, chunk_ids: Iterable[str]) -> dict[str, tuple[str, Metadata]]:
        """Text and metadata of those of ``chunk_ids`` the live generation holds, from its memory-mapped corpus."""
        live = self._live
        found: dict[str, tuple[str, Metadata]] = {}
        if live is None:
            return found
        for chunk in chunk_ids:
            row = live.position(chunk)
            if row is not None:
                stored = live.corpus[row]
                found[chunk] = (stored["text"], stored["meta"])
        return found


def bm25_weights(tokens: np.ndarray, offsets: np.ndarray, vocabulary: int, k1: float, b: float) -> dict[str, Any]:
    """The bm25s score matrix (Lucene BM25, term-major CSC) computed from flat token ids in a few array passes.

    bm25s's own ``index`` walks the documents in Python, which took most of a 100k-chunk update; this is the
    same arithmetic (``idf = ln(1 + (N - df + 0.5) / (df + 0.5))``, ``tf / (k1 (1 - b + b dl / avgdl) + tf)``)
    over all documents at once.
    """
    lengths = np.diff(offsets)
    documents = len(lengths)
    owner = np.repeat(np.arange(documents, dtype=np.int64), lengths)
    pairs, tf = np.unique(tokens.astype(np.int64) * documents + owner, return_counts=True)
    terms, docs = pairs // documents, pairs % documents
    df = np.bincount(terms, minlength=vocabulary).astype(np.float32)
    idf = np.log(1 + (documents - df + 0.5) / (df + 0.5)).astype(np.float32)
    tf = tf.astype(np.float32)
    norm = np.float32(k1) * ((1 - np.float32(b)) + np.float32(b) * lengths[docs].astype(np.float32)
                             / np.float32(lengths.mean() if documents else 1.0))
    indptr = np.zeros(vocabulary + 1, dtype=np.int64)
    indptr[1:] = np.cumsum(np.bincount(terms, minlength=vocabulary))
    return {"data": (idf[terms] * (tf / (norm + tf))).astype(np.float32), "indices": docs.astype(np.int32),
            "indptr": indptr, "num_docs": documents}


def _filter_mask(live: _Generation, filters: SearchFilters) -> np.ndarray | None:
    """The same filter as :func:`rag.index.store.chroma_where`, over the index's columns; ``None`` when unfiltered."""
    mask: np.ndarray | None = None

    def both(condition: np.ndarray) -> None:
        nonlocal mask
        mask = condition if mask is None else mask & condition

    if filters.since:
        both(live.published >= date_number(filters.since))
    if filters.until:
        both((live.published > 0) & (live.published <= date_number(filters.until)))
    if filters.outlets:
        both(np.isin(live.outlet_codes, [i for i, o in enumerate(live.outlets) if o in set(filters.outlets)]))
    if filters.article_ids:
        wanted = set(filters.article_ids)
        both(np.isin(live.article_codes, [i for i, a in enumerate(live.articles) if a in wanted]))
    return mask
