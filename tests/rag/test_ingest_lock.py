"""The write lock covers writing only.

A writer embedding a batch does not hold up another, and what it planned before someone else wrote is planned
again against the store as it now is.

Two ``Store`` objects on one data directory stand for two processes (each takes the record's write lock on its own); the
first writer is held inside its embedding step by ``GatedEmbedder`` while the second one works.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

from rag.index.doctor import examine
from rag.index.ingest import delete_article, ingest_items
from rag.index.store import Store
from rag.settings import Settings
from rag.testing.embed import GatedEmbedder, HashingEmbedder
from rag.types import Article, IngestReport
from tests.conftest import make_settings
from tests.rag.test_crash_kill import synthetic


def article(article_id: str, body: str, outlet: str = "Desk") -> Article:
    return Article(id=article_id, title=f"{article_id} report", outlet=outlet, body=body)


def long_body(tag: str) -> str:
    return synthetic(tag, 12).split("---\n", 2)[2]


def start_writer(items: list[Article], store: Store, embedder: GatedEmbedder,
                 settings: Settings) -> tuple[threading.Thread, list[IngestReport]]:
    reports: list[IngestReport] = []
    thread = threading.Thread(target=lambda: reports.append(ingest_items(items, store, embedder, settings)))
    thread.start()
    assert embedder.entered.wait(20), "the first writer never reached its embedding step"
    return thread, reports


def finish(thread: threading.Thread, embedder: GatedEmbedder, reports: list[IngestReport]) -> IngestReport:
    embedder.release.set()
    thread.join(60)
    assert not thread.is_alive() and len(reports) == 1
    return reports[0]


def test_a_writer_does_not_wait_for_another_writers_embedding(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data")
    gated = GatedEmbedder()
    thread, reports = start_writer([article(f"a{i}", long_body(f"alpha{i}q")) for i in range(3)], Store(settings),
                                   gated, settings)
    started = time.monotonic()
    second = ingest_items([article("b", long_body("bravoq"))], Store(settings), HashingEmbedder(), settings)
    waited = time.monotonic() - started
    assert second.added == ["b"] and not second.failed
    assert waited < 10, f"the second writer waited {waited:.1f} s"  # the gate holds the first one for 20 s
    assert not gated.release.is_set()  # it finished while the first writer was still embedding
    first = finish(thread, gated, reports)
    assert sorted(first.added) == ["a0", "a1", "a2"] and not first.failed
    store = Store(settings)
    assert examine(store).ok and set(store.all_records()) == {"a0", "a1", "a2", "b"}


def test_a_reprint_whose_original_was_deleted_meanwhile_is_stored_as_an_original(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data")
    body = long_body("charlieq")
    ingest_items([article("x1", body, "Wire")], Store(settings), HashingEmbedder(), settings)
    gated = GatedEmbedder()
    # x2 is planned as a reprint of x1 (a reprint has nothing to embed: the gate holds the batch at its other article)
    thread, reports = start_writer([article("x2", body.replace("report 3", "report three"), "Daily"),
                                    article("x3", long_body("echoq"))], Store(settings), gated, settings)
    assert delete_article("x1", Store(settings), HashingEmbedder(), settings)
    report = finish(thread, gated, reports)
    store = Store(settings)
    assert sorted(report.added) == ["x2", "x3"] and report.duplicates == {}
    assert store.get_article("x2").duplicate_of is None and store.chunk_ids("x2")
    assert examine(store).ok and set(store.all_records()) == {"x2", "x3"}


def test_an_article_someone_else_stored_a_copy_of_meanwhile_becomes_its_reprint(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data")
    body = long_body("deltaq")
    gated = GatedEmbedder()
    thread, reports = start_writer([article("y2", body, "Daily")], Store(settings), gated, settings)
    ingest_items([article("y1", body.replace("report 3", "report three"), "Wire")], Store(settings),
                 HashingEmbedder(), settings)
    report = finish(thread, gated, reports)
    store = Store(settings)
    assert report.duplicates == {"y2": "y1"} and report.added == []
    assert store.get_article("y2").duplicate_of == "y1" and store.chunk_ids("y2") == []
    assert examine(store).ok


def test_threads_sharing_one_store_take_the_lock_in_turn(tmp_path: Path) -> None:
    """The service's request threads share one Store: a second thread waits, it does not count as re-entering."""
    store = Store(make_settings(tmp_path / "data"))
    inside, leave, order = threading.Event(), threading.Event(), []

    def first() -> None:
        with store.write_lock():
            order.append("first in")
            inside.set()
            leave.wait(20)
            order.append("first out")

    def second() -> None:
        with store.write_lock(), store.write_lock():  # re-entrant within its own thread
            order.append("second in")

    holder = threading.Thread(target=first)
    holder.start()
    assert inside.wait(20)
    waiter = threading.Thread(target=second)
    waiter.start()
    waiter.join(1.0)
    assert waiter.is_alive() and order == ["first in"]  # still waiting for the first thread
    leave.set()
    holder.join(20)
    waiter.join(20)
    assert order == ["first in", "first out", "second in"]
