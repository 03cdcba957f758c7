"""Two writers at once, on disk and on a Chroma server: they take turns through the record's write lock (SQLite, PostgreSQL)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from chromadb.api.shared_system_client import SharedSystemClient

import rag.index.store
from rag.index.chunking import chunk_article
from rag.index.corpus import read_sources
from rag.index.doctor import examine
from rag.index.store import Store, StoreBusyError
from rag.types import Article
from tests.conftest import ROOT, make_settings
from tests.rag.test_chroma_server import chroma_url  # noqa: F401  (the `chroma run` fixture)
from tests.rag.test_crash_kill import CLI, synthetic, write_folder

pytestmark = pytest.mark.slow  # subprocesses killed at every write, or a large store: minutes

OVERLAP = ("b3", "b4")


def edited_batches(root: Path) -> tuple[Path, Path]:
    """Two folders with different edits of the same two articles (b3, b4), and two articles of their own."""
    first = write_folder(root / "first", {f"b{i}.md": synthetic(f"alpha{i}x", 10 + i, version=2) for i in (1, 2, 3, 4)})
    second = write_folder(root / "second", {f"b{i}.md": synthetic(f"alpha{i}x", 4 + i, version=3) for i in (3, 4, 5, 6)})
    return first, second


def ingest_together(first: Path, second: Path, data: Path, **env: str) -> None:
    environment = os.environ | {"RAG_EMBEDDING_MODEL": "hashing-fake", "RAG_CHROMA_URL": "", "PYTHONPATH": str(ROOT)} | env
    processes = [
        subprocess.Popen([*CLI, "ingest", str(folder), "--json", "--data-dir", str(data)], cwd=ROOT, env=environment,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for folder in (first, second)
    ]
    for process in processes:
        out, err = process.communicate(timeout=180)
        assert process.returncode == 0, err[-2000:]


def assert_one_consistent_version(store: Store, first: Path, second: Path) -> None:
    versions: dict[str, list[Article]] = {}
    for folder in (first, second):
        for item in read_sources([folder]):
            assert isinstance(item, Article)
            versions.setdefault(item.id, []).append(item)
    assert examine(store).ok  # every article's chunks are cut from the text its record holds
    records = store.all_records()
    assert set(records) == set(versions)
    for article_id, candidates in versions.items():
        winner = next(a for a in candidates if a.content_hash == records[article_id]["content_hash"])
        chunks = store.chunks.get(where={"article_id": article_id}, include=["documents"])
        expected = chunk_article(article_id, winner.body, 450, 1)
        assert sorted(chunks["documents"]) == sorted(c.text for c in expected)


def test_two_processes_ingesting_edits_of_the_same_articles_on_disk(tmp_path: Path) -> None:
    first, second = edited_batches(tmp_path)
    data = tmp_path / "data"
    ingest_together(first, second, data)
    SharedSystemClient.clear_system_cache()
    assert_one_consistent_version(Store(make_settings(data)), first, second)


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_two_processes_ingesting_edits_of_the_same_articles_on_a_chroma_server(
    tmp_path: Path, chroma_url: str, database: str, request: pytest.FixtureRequest  # noqa: F811
) -> None:
    """Writers on several machines share a Chroma server and a database: PostgreSQL's advisory lock orders them."""
    first, second = edited_batches(tmp_path)
    url = request.getfixturevalue("postgres").create_database() if database == "postgresql" else ""
    collection = f"overlap{database[:2]}"
    settings = make_settings(tmp_path / "data", chroma_url=chroma_url, collection=collection, database_url=url or None)
    store = Store(settings)
    ingest_together(first, second, tmp_path / "data", RAG_CHROMA_URL=chroma_url, RAG_COLLECTION=collection,
                    RAG_DATABASE_URL=url)
    assert_one_consistent_version(store, first, second)
    assert store.pending() == []


HOLDER = """
import sys, time
from rag.index.store import Store
from tests.conftest import make_settings
store = Store(make_settings(sys.argv[1], database_url=sys.argv[2] or None))
with store.write_lock():
    print("holding", flush=True)
    time.sleep(600)
"""


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_a_writer_killed_holding_the_lock_frees_it_at_once_and_a_waiting_one_gives_up_with_a_sentence(
    tmp_path: Path, database: str, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No lease to expire: the lock is the database's, and it dies with its holder's connection."""
    url = request.getfixturevalue("postgres").create_database() if database == "postgresql" else ""
    settings = make_settings(tmp_path / "data", database_url=url or None)
    store = Store(settings)
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(settings.data_dir), url], cwd=ROOT,
                              env=os.environ | {"PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        monkeypatch.setattr(rag.index.store, "LOCK_TIMEOUT_S", 0.5)
        with pytest.raises(StoreBusyError, match="another process has been writing to .* for over 0.5s"):
            with store.write_lock():
                pass
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(30)
    monkeypatch.setattr(rag.index.store, "LOCK_TIMEOUT_S", 10.0)
    started = time.monotonic()
    with store.write_lock():
        store.record.queue("probe")
    assert time.monotonic() - started < 5.0
    assert [e.article_id for e in store.pending()] == ["probe"]
