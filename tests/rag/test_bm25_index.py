"""The persisted BM25 index: opened without Chroma when nothing changed, updated for exactly what changed."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from rag.index.bm25 import Bm25Index
from rag.index.ingest import delete_article, ingest_paths
from rag.index.store import Store, matches_filters
from rag.settings import Settings
from rag.testing.embed import HashingEmbedder
from rag.types import SearchFilters
from tests.conftest import SEED_DIR, make_settings

NEW_ARTICLE = """---
title: Quarantine of Zorvath harbour
outlet: Test Wire
published_at: 2026-04-02
---
Officials closed the Zorvath harbour on Tuesday after a cholera outbreak was confirmed.

Ships were turned away from Zorvath for the rest of the week, the port authority said.
"""


class CountingStore:
    """The real store, counting fingerprints and reads of chunk text."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self.fingerprints = 0
        self.full_reads = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    def fingerprint(self) -> tuple[tuple[str, str], ...]:
        self.fingerprints += 1
        return self._store.fingerprint()

    @property
    def chunks(self) -> Any:
        store = self

        class Chunks:
            def __getattr__(self, name: str) -> Any:
                return getattr(store._store.chunks, name)

            def get(self, *args: Any, **kwargs: Any) -> Any:
                store.full_reads += 1
                return store._store.chunks.get(*args, **kwargs)

        return Chunks()


@pytest.fixture
def seeded(settings: Settings, store: Store, fake_embedder: HashingEmbedder) -> Store:
    ingest_paths([SEED_DIR], store, fake_embedder, settings)
    return store


def _write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_the_first_search_builds_and_saves_the_index_under_the_data_dir(seeded: Store, settings: Settings) -> None:
    index = Bm25Index(seeded)
    report = index.sync()
    assert report.action == "built" and report.tokenized_chunks == seeded.counts()["chunks"] == index.size
    folder = settings.data_dir / "bm25" / settings.collection
    assert (folder / "CURRENT").is_file() and len(list(folder.glob("g-*"))) == 1


def test_a_new_process_opens_the_saved_index_without_reading_the_corpus(seeded: Store, settings: Settings) -> None:
    Bm25Index(seeded).sync()
    counting = CountingStore(Store(settings))
    index = Bm25Index(counting)  # type: ignore[arg-type]
    assert index.sync().action == "loaded"
    assert counting.fingerprints == 0 and counting.full_reads == 0
    assert index.search("Crocus City Hall massacre", 3)[0][0].startswith("000_6a5e87b74b7ecf65:")
    assert index.sync().action == "cached" and counting.fingerprints == 0


def test_adding_an_article_tokenizes_only_its_chunks(
    seeded: Store, settings: Settings, fake_embedder: HashingEmbedder, tmp_path: Path
) -> None:
    index = Bm25Index(seeded)
    index.sync()
    before = index.size
    ingest_paths([_write(tmp_path / "new", "zorvath.md", NEW_ARTICLE)], seeded, fake_embedder, settings)
    report = index.sync()
    added = len(seeded.chunk_ids("zorvath"))
    assert report.action == "updated" and report.tokenized_chunks == added and report.dropped_chunks == 0
    assert index.size == before + added
    assert [hit[0].split(":")[0] for hit in index.search("cholera Zorvath harbour", 5)] == ["zorvath"] * added


def test_editing_an_article_replaces_its_chunks_and_deleting_removes_them(
    seeded: Store, settings: Settings, fake_embedder: HashingEmbedder, tmp_path: Path
) -> None:
    ingest_paths([_write(tmp_path / "v1", "zorvath.md", NEW_ARTICLE)], seeded, fake_embedder, settings)
    index = Bm25Index(seeded)
    index.sync()
    edited = NEW_ARTICLE.replace("cholera", "typhoid")
    ingest_paths([_write(tmp_path / "v2", "zorvath.md", edited)], seeded, fake_embedder, settings)
    report = index.sync()
    assert report.dropped_chunks == report.tokenized_chunks == len(seeded.chunk_ids("zorvath"))
    assert index.search("cholera", 5) == []
    assert index.search("typhoid", 5)[0][0].startswith("zorvath:")
    assert delete_article("zorvath", seeded, fake_embedder, settings)
    index.sync()
    assert index.search("typhoid Zorvath", 5) == []
    assert index.size == seeded.counts()["chunks"]


def test_an_index_updated_step_by_step_scores_like_one_built_at_once(
    seeded: Store, settings: Settings, fake_embedder: HashingEmbedder, tmp_path: Path
) -> None:
    stepwise = Bm25Index(seeded)
    stepwise.sync()
    ingest_paths([_write(tmp_path / "new", "zorvath.md", NEW_ARTICLE)], seeded, fake_embedder, settings)
    stepwise.sync()
    delete_article("003_4d3fdf98ee31191a", seeded, fake_embedder, settings)
    stepwise.sync()
    at_once = Bm25Index(seeded, directory=tmp_path / "fresh")
    assert at_once.sync().action == "built"
    for query in ("Pakistan accuses Afghanistan", "harbour closed Tuesday", "Khwaja Asif open war", "ISIS-K Kabul"):
        mine, theirs = stepwise.search(query, 10), at_once.search(query, 10)
        assert [m[0] for m in mine] == [t[0] for t in theirs], query
    assert not any(m[0].startswith("003_") for m in stepwise.search("Taliban drone strikes Kabul", 50))


def test_a_write_through_another_store_object_is_picked_up(
    seeded: Store, settings: Settings, fake_embedder: HashingEmbedder, tmp_path: Path
) -> None:
    index = Bm25Index(seeded)
    index.sync()
    other = Store(make_settings(settings.data_dir))
    ingest_paths([_write(tmp_path / "new", "zorvath.md", NEW_ARTICLE)], other, fake_embedder, settings)
    assert index.sync().action == "updated"
    assert index.search("Zorvath", 1)[0][0].startswith("zorvath:")


@pytest.mark.parametrize(
    "filters",
    [
        SearchFilters(since=dt.date(2026, 3, 1)),
        SearchFilters(until=dt.date(2026, 3, 2)),
        SearchFilters(outlets=["The World"]),
        SearchFilters(outlets=["Nobody"]),
        SearchFilters(article_ids=["003_4d3fdf98ee31191a"]),
        SearchFilters(since=dt.date(2026, 3, 1), outlets=["Test Wire"]),
    ],
)
def test_filters_keep_exactly_the_chunks_the_store_filter_keeps(
    seeded: Store, settings: Settings, fake_embedder: HashingEmbedder, tmp_path: Path, filters: SearchFilters
) -> None:
    ingest_paths([_write(tmp_path / "new", "zorvath.md", NEW_ARTICLE)], seeded, fake_embedder, settings)
    index = Bm25Index(seeded)
    index.sync()
    query = "Pakistan Afghanistan Kabul harbour Zorvath strikes"
    everything = index.search(query, 10_000)
    expected = [hit[0] for hit in everything if matches_filters(hit[2], filters)]
    assert [hit[0] for hit in index.search(query, 10_000, filters)] == expected


def test_an_empty_store_and_unknown_words_find_nothing(store: Store, tmp_path: Path) -> None:
    index = Bm25Index(store)
    index.sync()
    assert index.size == 0 and index.search("anything", 5) == []


def test_results_are_best_first_with_ties_broken_by_id(seeded: Store) -> None:
    index = Bm25Index(seeded)
    index.sync()
    hits = index.search("Pakistan", 40)
    assert len(hits) == 40 and index.search("zzzunknownword", 5) == []
    live = index._live
    assert live is not None
    scores = np.asarray(live.model.get_scores(["pakistan"]))
    ranked = sorted((-float(scores[i]), live.corpus[int(i)]["id"]) for i in np.flatnonzero(scores > 0))
    assert [hit[0] for hit in hits] == [chunk_id for _, chunk_id in ranked[:40]]


def test_with_a_chroma_server_the_fingerprint_is_rechecked_after_the_interval(
    settings: Settings, fake_embedder: HashingEmbedder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No SQLite file to watch on a server: the fingerprint decides, at most every SERVER_RECHECK_S."""
    local = Store(settings)
    ingest_paths([SEED_DIR], local, fake_embedder, settings)
    served = CountingStore(Store(settings.model_copy(update={"chroma_url": "http://127.0.0.1:9"}), client=local.client))
    index = Bm25Index(served, directory=tmp_path / "bm25")  # type: ignore[arg-type]
    monkeypatch.setattr("rag.index.bm25.SERVER_RECHECK_S", 3600.0)
    index.sync()
    ingest_paths([_write(tmp_path / "new", "zorvath.md", NEW_ARTICLE)], local, fake_embedder, settings)
    assert index.sync().action == "cached" and index.search("Zorvath", 1) == []
    monkeypatch.setattr("rag.index.bm25.SERVER_RECHECK_S", 0.0)
    assert index.sync().action == "updated" and served.fingerprints == 2
    assert index.search("Zorvath", 1)[0][0].startswith("zorvath:")


def test_threads_searching_while_the_store_changes_all_see_a_whole_index(
    seeded: Store, settings: Settings, fake_embedder: HashingEmbedder, tmp_path: Path
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    index = Bm25Index(seeded)
    index.sync()
    ingest_paths([_write(tmp_path / "new", "zorvath.md", NEW_ARTICLE)], seeded, fake_embedder, settings)

    def search(_: int) -> list[str]:
        index.sync()
        return [hit[0] for hit in index.search("Zorvath harbour Pakistan", 200)]

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(search, range(8)))
    assert all(result == results[0] for result in results)
    assert any(chunk_id.startswith("zorvath:") for chunk_id in results[0])
    assert len(list((settings.data_dir / "bm25" / settings.collection).glob("g-*"))) == 1


def test_a_full_build_pages_through_the_collection(
    settings: Settings, store: Store, fake_embedder: HashingEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("rag.index.bm25.PAGE", 7)
    ingest_paths([SEED_DIR], store, fake_embedder, settings)
    counting = CountingStore(store)
    index = Bm25Index(counting)  # type: ignore[arg-type]
    assert index.sync().tokenized_chunks == store.counts()["chunks"] == index.size
    assert counting.full_reads == store.counts()["chunks"] // 7 + 1


def test_the_vectorised_weights_equal_what_bm25s_index_computes(seeded: Store) -> None:
    import bm25s

    index = Bm25Index(seeded)
    index.sync()
    live = index._live
    assert live is not None
    lists = [live.tokens[live.offsets[i] : live.offsets[i + 1]].tolist() for i in range(live.size)]
    reference = bm25s.BM25()
    reference.index((lists, dict(live.vocab)), create_empty_token=False, show_progress=False)
    for words in (["pakistan"], ["kabul", "drone", "strike"], ["open", "war", "asif"], ["crocus", "moscow"]):
        ids = [live.vocab[w] for w in words if w in live.vocab]
        assert ids, words
        assert np.allclose(live.model.get_scores_from_ids(ids), reference.get_scores_from_ids(ids), rtol=1e-5, atol=1e-6)


def test_a_sync_between_the_indexers_chunk_write_and_its_commit_does_not_leave_bm25_behind(
    seeded: Store, settings: Settings, fake_embedder: HashingEmbedder, tmp_path: Path
) -> None:
    """The indexer writes Chroma, then commits the record: a sync in between sees new chunk files and the old record.

    The probe watches the record's files too, so the commit alone makes the next sync read the fingerprint again.
    """
    from rag.index.corpus import read_sources
    from rag.index.indexer import prepare_article

    index = Bm25Index(seeded)
    index.sync()
    article = next(iter(read_sources([_write(tmp_path / "new", "zorvath.md", NEW_ARTICLE)])))
    with seeded.write_lock():
        seeded.record.put(article, minhash=None)
    prepared = prepare_article(article, settings)
    with seeded.write_lock():
        seeded.replace_chunks(article, prepared.chunks, fake_embedder.embed(prepared.texts))
        between = threading.Thread(target=index.sync)  # another request thread, outside this transaction
        between.start()
        between.join(30)
        assert index.search("cholera", 5) == []  # it saw the chunk files change, and the record not yet
        seeded.record.mark_indexed(article.id, seeded.record.last_seq(), article.content_hash, len(prepared.chunks))
    index.sync()
    assert index.search("cholera", 5)[0][0].startswith("zorvath:")


def test_a_generation_saved_before_ids_were_kept_still_ranks_and_reads_chunks(seeded: Store, settings: Settings) -> None:
    built = Bm25Index(seeded)
    built.sync()
    expected = built.search("Taliban drone strikes Kabul", 5)
    folder = settings.data_dir / "bm25" / settings.collection
    (generation,) = folder.glob("g-*")
    (generation / "ids.json").unlink()  # as an index written by the previous release
    reopened = Bm25Index(seeded)
    assert reopened.sync().action == "loaded"
    assert reopened.search("Taliban drone strikes Kabul", 5) == expected and len(expected) == 5
    assert reopened.rows([expected[0][0], "nowhere:0"]) == {expected[0][0]: expected[0][1:]}
