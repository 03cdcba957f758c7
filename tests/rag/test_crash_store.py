"""The store loses nothing and keeps no ghosts: each bug found by reading the code, reproduced, and its repair.

A crash is simulated in-process by a store whose Nth write raises a ``BaseException`` (like a kill, it
is not caught by the per-article ``except Exception``); the subprocess ``kill -9`` trials are in
``test_crash_kill.py``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from filelock import FileLock
from typer.testing import CliRunner

import rag.index.store
from rag.cli import app
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
    """A real store that dies at the first call of ``method`` (optionally only for one article)."""

    def __init__(self, settings: Settings, method: str, article_id: str | None = None) -> None:
        super().__init__(settings)
        self.crash_method, self.crash_article = method, article_id

    def put_article(self, article, embedding, minhash, chunk_count=0):  # type: ignore[no-untyped-def]
        self._maybe_crash("put_article", article.id)
        super().put_article(article, embedding, minhash, chunk_count)

    def delete_record(self, article_id: str) -> None:
        self._maybe_crash("delete_record", article_id)
        super().delete_record(article_id)

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


def test_a_write_killed_between_chunks_and_record_is_finished_by_the_next_run(settings: Settings) -> None:
    crashing = CrashingStore(settings, "put_article", KABUL)
    with pytest.raises(Killed):
        ingest_paths([SEED_DIR], crashing, HashingEmbedder(), settings)
    store = Store(settings)
    # The bug: chunks that search serves but no record lists. Now the journal says what was under way.
    assert store.chunk_ids(KABUL) and store.get_article(KABUL) is None
    assert {(p.kind, p.article_id) for p in examine(store).problems} >= {("pending", KABUL), ("orphan_chunks", KABUL)}
    report = ingest_paths([SEED_DIR], store, HashingEmbedder(), settings)
    assert report.recovered == [KABUL]
    assert examine(store).ok
    assert sorted(a.id for a in store.list_articles()) == sorted(p.stem for p in SEED_DIR.glob("*.md"))
    assert searchable(store, KABUL, "Khair Khana Bagrami drones")


def test_a_delete_killed_between_chunks_and_record_does_not_leave_the_article_unchanged_forever(
    settings: Settings,
) -> None:
    ingest_paths([SEED_DIR], Store(settings), HashingEmbedder(), settings)
    crashing = CrashingStore(settings, "delete_record", KABUL)
    with pytest.raises(Killed):
        delete_article(KABUL, crashing, HashingEmbedder(), settings)
    store = Store(settings)
    assert store.get_article(KABUL) is not None and store.chunk_ids(KABUL) == []  # the ghost record
    assert {p.kind for p in examine(store).problems} == {"pending", "incomplete"}
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
    crashing = CrashingStore(settings, "put_article", "wire-a")
    with pytest.raises(Killed):
        delete_article(KABUL, crashing, HashingEmbedder(), settings)
    store = Store(settings)
    assert {p.kind for p in examine(store).problems} >= {"pending"}
    assert not delete_article(KABUL, store, HashingEmbedder(), settings)  # recovery finished it; nothing left
    assert examine(store).ok and searchable(store, "wire-a", "Khair Khana Bagrami drones")


def test_doctor_reports_and_repairs_damage_no_journal_knows_about(tmp_path: Path, settings: Settings) -> None:
    store = Store(settings)
    ingest_paths([SEED_DIR, reprint_file(tmp_path, "wire-a", "Wire A")], store, HashingEmbedder(), settings)
    store.articles.delete(ids=["000_6a5e87b74b7ecf65"])  # orphan chunks
    store.chunks.delete(ids=store.chunk_ids("004_fce48783007ea49c")[:2])  # a record missing chunks
    store.chunks.delete(ids=store.chunk_ids(KABUL))  # and the reprint's original loses its ...
    store.articles.delete(ids=[KABUL])  # ... record too: a dangling reprint
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


def test_store_busy_reaches_the_user_as_one_line(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> None:
    monkeypatch.setattr(rag.index.store, "LOCK_TIMEOUT_S", 0.3)
    settings.data_dir.mkdir(parents=True)
    data = ["--data-dir", str(settings.data_dir)]
    env = {"RAG_EMBEDDING_MODEL": "hashing-fake", "RAG_CHROMA_URL": ""}
    ingest_paths([SEED_DIR], Store(settings), HashingEmbedder(), settings)
    with FileLock(str(settings.lock_path)):
        for command in (["ingest", str(SEED_DIR)], ["delete", KABUL], ["doctor", "--repair"]):
            result = runner.invoke(app, [*command, *data], env=env)
            assert result.exit_code == 1, (command, result.output)
            assert isinstance(result.exception, SystemExit) and "Traceback" not in result.output
            message = " ".join(result.output.split())  # one sentence, however the console wraps it
            assert message.startswith("error: another process") and message.count("error") == 1, result.output
            assert message.endswith("for over 0.3s; try again when it finishes"), message
    assert Store(settings).get_article(KABUL) is not None


def test_a_replay_that_fails_again_keeps_the_article_pending_and_never_calls_it_recovered(settings: Settings) -> None:
    """The bug: a pending write whose replay failed (the embedder could not load) was deleted and reported recovered."""
    crashing = CrashingStore(settings, "put_article", KABUL)
    with pytest.raises(Killed):
        ingest_paths([SEED_DIR], crashing, HashingEmbedder(), settings)
    store = Store(settings)
    poison = next(line for line in store.pending()[0].article.body.splitlines() if len(line) > 40)  # type: ignore[union-attr]
    report = ingest_items([], store, FailingEmbedder(poison), settings)
    assert report.recovered == [] and [p.source for p in report.pending] == [KABUL]
    assert "still pending" in report.pending[0].reason and "embedding backend failed" in report.pending[0].reason
    assert [(e.op, e.article_id) for e in store.pending()] == [("index", KABUL)]  # the journal still holds it
    assert ("pending", KABUL) in {(p.kind, p.article_id) for p in examine(store).problems}
    listed = runner.invoke(app, ["articles", "--json", "--data-dir", str(settings.data_dir)],
                           env={"RAG_EMBEDDING_MODEL": "hashing-fake", "RAG_CHROMA_URL": ""})
    assert {a["id"]: a["pending"] for a in json.loads(listed.stdout)}[KABUL] is True  # listed, marked pending
    report = ingest_items([], store, HashingEmbedder(), settings)  # the embedder works again: finished now
    assert report.recovered == [KABUL] and report.pending == [] and examine(store).ok
    assert searchable(store, KABUL, "Khair Khana Bagrami drones")
