"""The store loses nothing and keeps no ghosts: the record is the truth, and the index always catches up with it.

A crash is simulated in-process by a store whose index write raises a ``BaseException`` (like a kill, it is not
caught by the per-article ``except Exception``); the subprocess ``kill -9`` trials are in ``test_crash_kill.py``.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

import rag.index.store
from rag.cli import app
from rag.index.corpus import read_sources
from rag.index.doctor import examine, repair
from rag.index.ingest import delete_article, ingest_items, ingest_paths
from rag.index.retrieve import HybridRetriever
from rag.index.store import Store
from rag.settings import Settings
from rag.testing.embed import FailingEmbedder, HashingEmbedder
from tests.conftest import SEED_DIR

runner = CliRunner()
KABUL = "003_4d3fdf98ee31191a"


class Killed(BaseException):
    """Stands for SIGKILL: nothing after it runs, no ``except Exception`` sees it."""


class CrashingStore(Store):
    """A real store that dies at the first index write of ``method`` (optionally only for one article)."""

    def __init__(self, settings: Settings, method: str, article_id: str | None = None) -> None:
        super().__init__(settings)
        self.crash_method, self.crash_article = method, article_id

    def replace_chunks(self, article, chunks, embeddings):  # type: ignore[no-untyped-def]
        self._maybe_crash("replace_chunks", article.id)
        super().replace_chunks(article, chunks, embeddings)

    def delete_chunks(self, chunk_ids):  # type: ignore[no-untyped-def]
        self._maybe_crash("delete_chunks", chunk_ids[0].split(":")[0] if chunk_ids else "")
        super().delete_chunks(chunk_ids)

    def _maybe_crash(self, method: str, article_id: str) -> None:
        if method == self.crash_method and self.crash_article in (None, article_id):
            raise Killed


def reprint_file(folder: Path, name: str, outlet: str) -> Path:
    body = (SEED_DIR / f"{KABUL}.md").read_text().split("---\n", 2)[2]
    path = folder / f"{name}.md"
    path.write_text(f"---\ntitle: Drone strikes in Kabul\noutlet: {outlet}\n---\n{body.replace('six', '6')}")
    return path


def searchable(store: Store, article_id: str, query: str) -> bool:
    hits = HybridRetriever(store, HashingEmbedder()).search(query, k=3)
    return bool(hits) and hits[0].article_id == article_id


def test_a_write_killed_before_its_chunks_leaves_it_in_the_record_and_the_next_run_indexes_it(
    settings: Settings,
) -> None:
    crashing = CrashingStore(settings, "replace_chunks", KABUL)
    with pytest.raises(Killed):
        ingest_paths([SEED_DIR], crashing, HashingEmbedder(), settings)
    store = Store(settings)
    # The record committed the batch before the index was written: the article is kept, and queued.
    assert store.get_article(KABUL) is not None and store.chunk_ids(KABUL) == []
    assert ("pending", KABUL) in {(p.kind, p.article_id) for p in examine(store).problems}
    assert {p.kind for p in examine(store).problems} == {"pending"}
    report = ingest_paths([SEED_DIR], store, HashingEmbedder(), settings)
    assert KABUL in report.recovered and len(report.unchanged) == 3
    assert examine(store).ok
    assert sorted(a.id for a in store.list_articles()) == sorted(p.stem for p in SEED_DIR.glob("*.md"))
    assert searchable(store, KABUL, "Khair Khana Bagrami drones")


def test_a_delete_killed_before_its_chunks_went_is_finished_by_the_next_writer(settings: Settings) -> None:
    ingest_paths([SEED_DIR], Store(settings), HashingEmbedder(), settings)
    crashing = CrashingStore(settings, "delete_chunks", KABUL)
    with pytest.raises(Killed):
        delete_article(KABUL, crashing, HashingEmbedder(), settings)
    store = Store(settings)
    assert store.get_article(KABUL) is None and store.chunk_ids(KABUL)  # gone from the record, not yet from search
    assert [(p.kind, p.article_id) for p in examine(store).problems] == [("pending", KABUL)]
    report = ingest_paths([SEED_DIR], store, HashingEmbedder(), settings)
    assert report.recovered == [KABUL] and report.added == [KABUL]  # the delete finished, the file re-added
    assert examine(store).ok and searchable(store, KABUL, "Khair Khana Bagrami drones")


def test_unchanged_means_the_chunks_are_there_too(settings: Settings) -> None:
    """A record whose chunks vanished outside any journal (an older version, a hand edit) is re-indexed."""
    store = Store(settings)
    ingest_paths([SEED_DIR], store, HashingEmbedder(), settings)
    store.chunks.delete(ids=store.chunk_ids(KABUL)[1:])
    report = ingest_paths([SEED_DIR], store, HashingEmbedder(), settings)
    assert report.updated == [KABUL] and len(report.unchanged) == 2
    assert examine(store).ok


def test_deleting_an_original_promotes_its_oldest_reprint(tmp_path: Path, settings: Settings) -> None:
    store = Store(settings)
    ingest_paths([SEED_DIR], store, HashingEmbedder(), settings)
    first = reprint_file(tmp_path, "wire-a", "Wire A")
    ingest_paths([first], store, HashingEmbedder(), settings)
    second = reprint_file(tmp_path, "wire-b", "Wire B")
    assert ingest_paths([second], store, HashingEmbedder(), settings).duplicates == {"wire-b": KABUL}

    assert delete_article(KABUL, store, HashingEmbedder(), settings)
    promoted, follower = store.get_article("wire-a"), store.get_article("wire-b")
    assert promoted is not None and promoted.duplicate_of is None and promoted.outlet == "Wire A"
    assert follower is not None and follower.duplicate_of == "wire-a"
    assert searchable(store, "wire-a", "Khair Khana Bagrami drones")
    assert examine(store).ok
    again = ingest_paths([first, second], store, HashingEmbedder(), settings)
    assert sorted(again.unchanged) == ["wire-a", "wire-b"]


def test_a_killed_promotion_is_finished_by_the_next_writer(tmp_path: Path, settings: Settings) -> None:
    store = Store(settings)
    ingest_paths([SEED_DIR, reprint_file(tmp_path, "wire-a", "Wire A")], store, HashingEmbedder(), settings)
    crashing = CrashingStore(settings, "replace_chunks", "wire-a")
    with pytest.raises(Killed):
        delete_article(KABUL, crashing, HashingEmbedder(), settings)
    store = Store(settings)
    assert {p.kind for p in examine(store).problems} >= {"pending"}
    assert store.get_article("wire-a").duplicate_of is None  # the record promoted it in the delete's transaction
    assert not delete_article(KABUL, store, HashingEmbedder(), settings)  # the index caught up; nothing left
    assert examine(store).ok and searchable(store, "wire-a", "Khair Khana Bagrami drones")


def by_hand(settings: Settings, statement: str, *values: str) -> None:
    """Change the record the way an operator with a SQL shell might (no outbox entry, no generation)."""
    with sqlite3.connect(settings.data_dir / "rag.db") as connection:
        connection.execute(statement, values)


def test_doctor_reports_and_repairs_damage_no_outbox_knows_about(tmp_path: Path, settings: Settings) -> None:
    store = Store(settings)
    ingest_paths([SEED_DIR, reprint_file(tmp_path, "wire-a", "Wire A")], store, HashingEmbedder(), settings)
    by_hand(settings, "DELETE FROM articles WHERE id = ?", "000_6a5e87b74b7ecf65")  # orphan chunks
    store.chunks.delete(ids=store.chunk_ids("004_fce48783007ea49c")[:2])  # a record missing chunks
    store.chunks.delete(ids=store.chunk_ids(KABUL))  # and the reprint's original loses its ...
    by_hand(settings, "DELETE FROM articles WHERE id = ?", KABUL)  # ... record too: a dangling reprint
    data = ["--data-dir", str(settings.data_dir)]
    env = {"RAG_EMBEDDING_MODEL": "hashing-fake", "RAG_CHROMA_URL": ""}

    found = runner.invoke(app, ["doctor", "--json", *data], env=env)
    assert found.exit_code == 1, found.output
    kinds = {(p["kind"], p["article_id"]) for p in json.loads(found.stdout)["problems"]}
    assert kinds == {("orphan_chunks", "000_6a5e87b74b7ecf65"), ("incomplete", "004_fce48783007ea49c"),
                     ("dangling_reprint", "wire-a")}

    fixed = runner.invoke(app, ["doctor", "--repair", *data], env=env)
    assert fixed.exit_code == 0, fixed.output
    assert "repaired 3 problem(s)" in fixed.stdout and "ok:" in fixed.stdout
    store = Store(settings)
    assert examine(store).ok
    assert store.chunk_ids("000_6a5e87b74b7ecf65") == []
    assert searchable(store, "wire-a", "Khair Khana Bagrami drones")
    assert searchable(store, "004_fce48783007ea49c", "Carolyn Beeler The World")


def test_repair_on_a_healthy_store_changes_nothing(settings: Settings) -> None:
    store = Store(settings)
    ingest_paths([SEED_DIR], store, HashingEmbedder(), settings)
    before = store.all_chunks()
    report = repair(store, HashingEmbedder(), settings)
    assert report.ok and report.repaired == [] and store.all_chunks() == before


def test_store_busy_reaches_the_user_as_one_line(monkeypatch: pytest.MonkeyPatch, settings: Settings,
                                                 tmp_path: Path) -> None:
    monkeypatch.setattr(rag.index.store, "LOCK_TIMEOUT_S", 0.3)
    settings.data_dir.mkdir(parents=True)
    data = ["--data-dir", str(settings.data_dir)]
    env = {"RAG_EMBEDDING_MODEL": "hashing-fake", "RAG_CHROMA_URL": ""}
    ingest_paths([SEED_DIR], Store(settings), HashingEmbedder(), settings)
    holder = sqlite3.connect(settings.data_dir / "rag.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process in the middle of a record transaction
    try:
        fresh = reprint_file(tmp_path, "wire-a", "Wire A")  # something to write: an unchanged folder needs no lock
        for command in (["ingest", str(fresh)], ["delete", KABUL], ["doctor", "--repair"]):
            result = runner.invoke(app, [*command, *data], env=env)
            assert result.exit_code == 1, (command, result.output)
            assert isinstance(result.exception, SystemExit) and "Traceback" not in result.output
            message = " ".join(result.output.split())  # one sentence, however the console wraps it
            assert message.startswith("error: another process") and message.count("error") == 1, result.output
            assert message.endswith("for over 0.3s; try again when it finishes"), message
    finally:
        holder.rollback()
        holder.close()
    assert Store(settings).get_article(KABUL) is not None


def test_a_replay_that_fails_again_keeps_the_article_pending_and_never_calls_it_recovered(settings: Settings) -> None:
    """The bug: a pending write whose replay failed (the embedder could not load) was deleted and reported recovered."""
    crashing = CrashingStore(settings, "replace_chunks", KABUL)
    with pytest.raises(Killed):
        ingest_paths([SEED_DIR], crashing, HashingEmbedder(), settings)
    store = Store(settings)
    poison = next(line for line in store.get_article(KABUL).body.splitlines() if len(line) > 40)  # type: ignore[union-attr]
    report = ingest_items([], store, FailingEmbedder(poison), settings)
    assert KABUL not in report.recovered and [p.source for p in report.pending] == [KABUL]
    assert "still pending" in report.pending[0].reason and "embedding backend failed" in report.pending[0].reason
    assert [(e.op, e.article_id, e.attempts) for e in store.pending()] == [("index", KABUL, 1)]  # still queued
    assert store.get_article(KABUL) is not None  # and still in the record
    assert ("pending", KABUL) in {(p.kind, p.article_id) for p in examine(store).problems}
    listed = runner.invoke(app, ["articles", "--json", "--data-dir", str(settings.data_dir)],
                           env={"RAG_EMBEDDING_MODEL": "hashing-fake", "RAG_CHROMA_URL": ""})
    assert {a["id"]: a["pending"] for a in json.loads(listed.stdout)}[KABUL] is True  # listed, marked pending
    report = ingest_items([], store, HashingEmbedder(), settings)  # the embedder works again: finished now
    assert report.recovered == [KABUL] and report.pending == [] and examine(store).ok
    assert searchable(store, KABUL, "Khair Khana Bagrami drones")


def test_a_request_catching_up_leaves_a_running_writers_fresh_entries_to_it(tmp_path: Path, settings: Settings) -> None:
    """``POST /v1/articles`` must not embed another writer's batch: it catches up only with what was left long ago."""
    store = Store(settings)
    ingest_paths([SEED_DIR], store, HashingEmbedder(), settings)
    with store.write_lock():
        store.record.queue(KABUL)  # as a running `rag ingest` leaves its batch between commit and indexing
    report = ingest_items(read_sources([reprint_file(tmp_path, "wire-a", "Wire A")]), store, HashingEmbedder(), settings,
                          settled_s=60.0)
    assert report.duplicates == {"wire-a": KABUL} and report.recovered == []
    assert [e.article_id for e in store.pending()] == [KABUL]  # left to its writer
    by_hand(settings, "UPDATE index_outbox SET created_at = ?", "2026-01-01 00:00:00.000000")  # its writer died
    report = ingest_items([], store, HashingEmbedder(), settings, settled_s=60.0)
    assert report.recovered == [KABUL] and store.pending() == [] and examine(store).ok
