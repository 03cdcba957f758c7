"""Two writers at once: on disk (file lock) and on a Chroma server (the lease kept in Chroma itself)."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest
from chromadb.api.shared_system_client import SharedSystemClient

from rag.index.chunking import chunk_article
from rag.index.corpus import read_sources
from rag.index.doctor import examine
from rag.index.journal import ChromaLease, StoreBusyError
from rag.index.store import Store
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


def test_two_processes_ingesting_edits_of_the_same_articles_on_a_chroma_server(
    tmp_path: Path, chroma_url: str  # noqa: F811
) -> None:
    first, second = edited_batches(tmp_path)
    settings = make_settings(tmp_path / "data", chroma_url=chroma_url, collection="overlap")
    store = Store(settings)
    ingest_together(first, second, tmp_path / "data", RAG_CHROMA_URL=chroma_url, RAG_COLLECTION="overlap")
    assert_one_consistent_version(store, first, second)
    assert store.meta.get(ids=["lease:write"])["ids"] == []  # both released the lease


def test_the_lease_admits_one_writer_and_expires_when_its_holder_dies(
    tmp_path: Path, chroma_url: str  # noqa: F811
) -> None:
    meta = Store(make_settings(tmp_path / "data", chroma_url=chroma_url, collection="lease")).meta
    holder = ChromaLease(meta, ttl_s=2.0)
    holder.acquire()
    waiting = ChromaLease(meta, ttl_s=2.0, wait_s=0.5)
    with pytest.raises(StoreBusyError, match="another process"):
        waiting.acquire()
    time.sleep(2.5)  # the heartbeat keeps a live holder's lease
    with pytest.raises(StoreBusyError):
        waiting.acquire()
    holder.release()
    waiting.acquire()  # released: free at once

    holder._stop.set()  # the holder below dies: no release, no more heartbeats
    dead = waiting
    dead._stop.set()
    assert dead._heartbeat is not None
    dead._heartbeat.join()
    successor = ChromaLease(meta, ttl_s=2.0, wait_s=5.0)
    started = time.monotonic()
    successor.acquire()
    assert 0.5 < time.monotonic() - started < 5.0  # waited for the expiry, then took over
    with pytest.raises(StoreBusyError, match="lost its write lease"):
        time.sleep(2.0)
        dead.check()
    successor.release()
    assert meta.get(ids=["lease:write"])["ids"] == []
