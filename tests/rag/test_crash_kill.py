"""``kill -9`` trials: a real ``rag ingest`` / ``rag delete`` process dies at a different moment each time.

The process SIGKILLs itself right after its Nth store write (``RAG_TEST_KILL_AFTER_WRITES``), for every
N the operation has (a record commit and every Chroma write count), so every gap between two writes is hit once,
deterministically even on a loaded machine; a few more trials kill it from outside after fixed delays, which can land
inside a write. After each kill: every article the record held before the run is still there, and nothing but what
the outbox names is inconsistent; after the re-run: every article of the batch is stored once, whole, searchable,
and ``rag doctor`` finds nothing. Every trial runs on SQLite and on PostgreSQL (a copy of the store's database per
trial). The embedder is the content-dependent ``HashingEmbedder`` (``RAG_EMBEDDING_MODEL=hashing-fake``).
"""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from chromadb.api.shared_system_client import SharedSystemClient

from rag.index.chunking import chunk_article
from rag.index.corpus import read_sources
from rag.index.doctor import examine, repair
from rag.index.ingest import delete_article, ingest_paths, is_intact
from rag.index.retrieve import HybridRetriever
from rag.index.store import Store
from rag.settings import Settings
from rag.testing.embed import HashingEmbedder
from rag.testing.faults import KILL_AFTER_WRITES_ENV, counting_writes
from rag.types import Article
from tests.conftest import ROOT, SEED_DIR, make_settings
from tests.postgres import PostgresServer

pytestmark = pytest.mark.slow  # subprocesses killed at every write, or a large store: minutes

KABUL = "003_4d3fdf98ee31191a"
CLI = [sys.executable, "-m", "rag.testing.cli"]  # the rag command line with the kill hook and the hashing embedder


WORDS = ("convoy border ministry ceasefire envoy shelling refugees corridor harbour militia talks aid bridge "
         "province garrison airfield pipeline summit sanctions drones village checkpoint hostages grain").split()


def synthetic(tag: str, sentences: int, version: int = 1) -> str:
    """An article whose every sentence carries ``tag``, so a search for the tag finds it.

    The other words are drawn by ``tag`` and ``version``: two articles, or two versions, are not near-duplicates.
    """
    pick = random.Random(f"{tag}-{version}").choice
    lines = [f"The {tag} {pick(WORDS)} {pick(WORDS)} report {i} named the {pick(WORDS)} near the {pick(WORDS)} "
             f"and the {pick(WORDS)}." for i in range(sentences)]
    return f"---\ntitle: {tag.title()} talks\noutlet: Desk {tag}\n---\n" + " ".join(lines) + "\n"


def write_folder(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text)
    return folder


def reprint_text(outlet: str) -> str:
    body = (SEED_DIR / f"{KABUL}.md").read_text().split("---\n", 2)[2]
    return f"---\ntitle: Drone strikes in Kabul\noutlet: {outlet}\n---\n{body.replace('six', '6')}"


TAGS = {"s1": "quorvex", "s2": "daltrum", "s3": "zefiran", "s4": "mirobel", "s5": "tasquin"}


FILLER = {f"f{i:02d}": f"filler{i:02d}q" for i in range(14)}
"""Small articles that make the batch longer than one record transaction (``WRITE_BATCH``): kills between batches too."""


@dataclass(frozen=True)
class Place:
    """Where a store lives: a data directory (Chroma on disk) and, on PostgreSQL, a database of its own."""

    data: Path
    url: str | None = None

    def settings(self) -> Settings:
        return make_settings(self.data, database_url=self.url)

    def env(self) -> dict[str, str]:
        return {"RAG_DATABASE_URL": self.url or ""}


@dataclass
class Scenario:
    base: Place
    """Holds the seeds and v1 of s1, s2 (and, for deletes, the whole batch)."""
    batch: Path
    articles: dict[str, Article]
    """What the batch should leave in the store, by id."""
    server: PostgresServer | None

    def copy(self, source: Place, folder: Path) -> Place:
        """A copy of a store (its data directory, and its database on PostgreSQL)."""
        shutil.copytree(source.data, folder / "data")
        url = None if source.url is None else self.server.create_database(copy_of=source.url)  # type: ignore[union-attr]
        return Place(folder / "data", url)


def run_cli(args: list[str], place: Place, **env: str) -> subprocess.CompletedProcess[str]:
    environment = (os.environ | {"RAG_EMBEDDING_MODEL": "hashing-fake", "RAG_CHROMA_URL": "", "PYTHONPATH": str(ROOT)}
                   | place.env() | env)
    return subprocess.run([*CLI, *args, "--data-dir", str(place.data)], cwd=ROOT, env=environment,
                          capture_output=True, text=True, timeout=120)


@contextlib.contextmanager
def opened(place: Place) -> Iterator[Store]:
    """A fresh open, as a new process would see it; closed after, so a PostgreSQL database can be copied again."""
    SharedSystemClient.clear_system_cache()
    store = Store(place.settings())
    try:
        yield store
    finally:
        store.record.close()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def scenario(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scenario]:
    server = request.getfixturevalue("postgres") if request.param == "postgresql" else None
    root = tmp_path_factory.mktemp(f"kill-{request.param}")
    first = write_folder(root / "v1", {"s1.md": synthetic(TAGS["s1"], 14), "s2.md": synthetic(TAGS["s2"], 3)})
    base = Place(root / "base", server.create_database() if server else None)
    with opened(base) as store:
        ingest_paths([SEED_DIR, first], store, HashingEmbedder(), store.settings)
    batch = write_folder(root / "batch", {
        "s1.md": synthetic(TAGS["s1"], 4, version=2),  # shorter: stale chunks go
        "s2.md": synthetic(TAGS["s2"], 12, version=2),  # longer
        "s3.md": synthetic(TAGS["s3"], 6), "s4.md": synthetic(TAGS["s4"], 2),
        "wire.md": reprint_text("Wire Daily"), "s5.md": synthetic(TAGS["s5"], 5),
        **{f"{name}.md": synthetic(tag, 1) for name, tag in FILLER.items()},
    })
    for seed in SEED_DIR.glob("*.md"):
        shutil.copy(seed, batch / seed.name)  # unchanged: no writes
    articles = {item.id: item for item in read_sources([batch]) if isinstance(item, Article)}
    SharedSystemClient.clear_system_cache()
    yield Scenario(base, batch, articles, server)
    SharedSystemClient.clear_system_cache()


def count_writes(place: Place, action: str, scenario: Scenario) -> int:
    with opened(place) as store, counting_writes() as count:
        if action == "ingest":
            ingest_paths([scenario.batch], store, HashingEmbedder(), store.settings)
        elif action == "repair":
            repair(store, HashingEmbedder(), store.settings)
        else:
            delete_article(action, store, HashingEmbedder(), store.settings)
    return count[0]


def assert_only_pending_articles_are_affected(store: Store, before: set[str]) -> None:
    """Right after a kill, no article is lost, and only articles under way are affected; every other one is whole.

    Under way: what the outbox names (the index has not caught up with the record), and reprints of it.
    """
    pending = store.pending_ids()
    records = store.all_records()
    assert before <= set(records)  # nothing the record held is lost
    affected = set(pending)
    while grown := {i for i, meta in records.items() if meta.get("duplicate_of") in affected} - affected:
        affected |= grown  # reprints of reprints being re-pointed, too
    assert {p.article_id for p in examine(store).problems} <= affected
    for article_id in before - affected:
        assert article_id in records and is_intact(article_id, store), article_id


def assert_whole(store: Store, expected: dict[str, Article], reprints: dict[str, str]) -> None:
    """Every expected article stored once and whole, reprints recorded, search finds each one."""
    report = examine(store)
    assert report.ok, report.problems
    records = store.all_records()
    assert set(records) == set(expected)
    owners = store.chunk_owners()
    chunked = {article_id for article_id, _ in owners.values()}
    assert chunked == set(expected) - set(reprints)  # `rag articles` and the chunks agree
    for article_id, article in expected.items():
        meta = records[article_id]
        assert meta["content_hash"] == article.content_hash
        assert meta.get("duplicate_of") == reprints.get(article_id)
        if article_id not in reprints:
            assert len(store.chunk_ids(article_id)) == len(chunk_article(article_id, article.body, 450, 1))
    retriever = HybridRetriever(store, HashingEmbedder())
    for name, tag in TAGS.items():
        if name in expected:
            hits = retriever.search(f"{tag} report", k=3)
            assert hits[0].article_id == name, [(h.article_id, h.dense_rank, h.bm25_rank) for h in hits]
    searchable = KABUL if KABUL in expected else "wire"
    hits = retriever.search("Khair Khana Bagrami foreign-made drones", k=3)
    assert hits[0].article_id == searchable, [(h.article_id, h.dense_rank, h.bm25_rank) for h in hits]


def kill_points(scenario: Scenario, tmp_path_factory: pytest.TempPathFactory, action: str, base: Place) -> int:
    return count_writes(scenario.copy(base, tmp_path_factory.mktemp("probe")), action, scenario)


def killed_runs(
    args: list[str], base: Place, writes: int, scenario: Scenario, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[int, Place, subprocess.CompletedProcess[str]]]:
    """Run the command on a copy of ``base`` once per kill point, two processes at a time (the checks run meanwhile)."""
    places = [scenario.copy(base, tmp_path_factory.mktemp(f"{args[0]}-kill-{n}")) for n in range(1, writes + 1)]

    def run(kill_after: int) -> tuple[int, Place, subprocess.CompletedProcess[str]]:
        place = places[kill_after - 1]
        return kill_after, place, run_cli(args, place, **{KILL_AFTER_WRITES_ENV: str(kill_after)})

    with ThreadPoolExecutor(max_workers=2) as pool:
        yield from pool.map(run, range(1, writes + 1))


def test_ingest_killed_after_every_write_loses_nothing(scenario: Scenario, tmp_path_factory: pytest.TempPathFactory) -> None:
    writes = kill_points(scenario, tmp_path_factory, "ingest", scenario.base)
    assert writes >= 20  # two record transactions, each original's chunks, stale chunks of a shortened one, index commits
    with opened(scenario.base) as store:
        before = {a.id for a in store.list_articles()}
    for kill_after, place, killed in killed_runs(["ingest", str(scenario.batch), "--json"], scenario.base, writes,
                                                 scenario, tmp_path_factory):
        assert killed.returncode == -signal.SIGKILL, (kill_after, killed.stderr[-2000:])
        with opened(place) as store:
            assert_only_pending_articles_are_affected(store, before)
            rerun = ingest_paths([scenario.batch], store, HashingEmbedder(), store.settings)
            assert not rerun.failed and set(rerun.recovered) <= set(scenario.articles)
            try:
                assert_whole(store, scenario.articles, {"wire": KABUL})
            except AssertionError as failure:
                raise AssertionError(f"killed after write {kill_after}: {failure}") from failure
        shutil.rmtree(place.data)


@pytest.fixture(scope="module")
def full_store(scenario: Scenario, tmp_path_factory: pytest.TempPathFactory) -> Place:
    """The base store after the whole batch, plus a second reprint of the Kabul article."""
    full = scenario.copy(scenario.base, tmp_path_factory.mktemp("full"))
    extra = write_folder(tmp_path_factory.mktemp("extra"), {"wire2.md": reprint_text("Second Wire")})
    with opened(full) as store:
        ingest_paths([scenario.batch], store, HashingEmbedder(), store.settings)
        assert ingest_paths([extra], store, HashingEmbedder(), store.settings).duplicates == {"wire2": KABUL}
    SharedSystemClient.clear_system_cache()
    return full


@pytest.mark.parametrize(("victim", "min_writes"), [(KABUL, 4), ("s3", 3)])
def test_delete_killed_after_every_write_loses_nothing(
    scenario: Scenario, full_store: Place, tmp_path_factory: pytest.TempPathFactory, victim: str, min_writes: int
) -> None:
    writes = kill_points(scenario, tmp_path_factory, victim, full_store)
    assert writes >= min_writes  # the record's transaction, the chunks removed (and the heir's written), the index's
    with opened(full_store) as store:
        expected = {a.id: a for a in store.list_articles() if a.id != victim}
    before = set(expected) | {victim}
    # Deleting the original promotes the oldest reprint ("wire"); the other now points at it.
    reprints = {"wire2": "wire"} if victim == KABUL else {"wire": KABUL, "wire2": KABUL}
    for kill_after, place, killed in killed_runs(["delete", victim], full_store, writes, scenario, tmp_path_factory):
        assert killed.returncode == -signal.SIGKILL, (kill_after, killed.stderr[-2000:])
        with opened(place) as store:
            assert_only_pending_articles_are_affected(store, before - {victim})
            committed = store.get_article(victim) is None  # the delete's record transaction went through
            if kill_after % 3:
                assert delete_article(victim, store, HashingEmbedder(), store.settings) is not committed
        if kill_after % 3 == 0:  # the real command: the index catches up first; then, if committed, nothing to delete
            rerun = run_cli(["delete", victim], place)
            if committed:
                assert rerun.returncode == 1 and "no article with id" in rerun.stderr, rerun.stderr
            else:
                assert rerun.returncode == 0, rerun.stderr
        with opened(place) as store:
            assert store.get_article(victim) is None and store.chunk_ids(victim) == []
            assert_whole(store, {i: _current(store, i, expected) for i in expected}, reprints)
        shutil.rmtree(place.data)


def test_repair_killed_after_every_write_loses_nothing(
    scenario: Scenario, full_store: Place, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """``rag doctor --repair`` re-indexing damage no outbox knows about (chunks deleted by hand), killed at every write."""
    damaged = scenario.copy(full_store, tmp_path_factory.mktemp("damaged"))
    with opened(damaged) as store:
        expected = {a.id: a for a in store.list_articles()}
        store.chunks.delete(ids=store.chunk_ids("s2")[2:])
        store.chunks.delete(ids=store.chunk_ids(KABUL))
        store.chunks.delete(ids=store.chunk_ids("f03"))
        assert {p.article_id for p in examine(store).problems} == {"s2", KABUL, "f03"}
    writes = kill_points(scenario, tmp_path_factory, "repair", damaged)
    assert writes >= 5  # the queueing transaction, three articles' chunks, the index's transaction
    for kill_after, place, killed in killed_runs(["doctor", "--repair", "--json"], damaged, writes, scenario,
                                                 tmp_path_factory):
        assert killed.returncode == -signal.SIGKILL, (kill_after, killed.stderr[-2000:])
        with opened(place) as store:
            assert set(store.all_records()) == set(expected)  # a repair never removes an article from the record
        rerun = run_cli(["doctor", "--repair", "--json"], place)
        assert rerun.returncode == 0, rerun.stdout[-2000:] + rerun.stderr[-2000:]
        with opened(place) as store:
            assert_whole(store, expected, {"wire": KABUL, "wire2": KABUL})
        shutil.rmtree(place.data)


def _current(store: Store, article_id: str, expected: dict[str, Article]) -> Article:
    found = store.get_article(article_id)
    assert found is not None and found.content_hash == expected[article_id].content_hash
    return found


@pytest.mark.parametrize("delay_s", [0.9, 1.3, 1.7, 2.1, 2.5])
def test_ingest_killed_from_outside_after_a_delay_loses_nothing(
    scenario: Scenario, tmp_path_factory: pytest.TempPathFactory, delay_s: float
) -> None:
    """Killed by the clock rather than at a write boundary: may land inside a Chroma write or a commit."""
    place = scenario.copy(scenario.base, tmp_path_factory.mktemp("timed"))
    environment = (os.environ | {"RAG_EMBEDDING_MODEL": "hashing-fake", "RAG_CHROMA_URL": "", "PYTHONPATH": str(ROOT)}
                   | place.env())
    process = subprocess.Popen([*CLI, "ingest", str(scenario.batch), "--json", "--data-dir", str(place.data)], cwd=ROOT,
                               env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(delay_s)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    with opened(place) as store:
        rerun = ingest_paths([scenario.batch], store, HashingEmbedder(), store.settings)
        assert not rerun.failed
        assert_whole(store, scenario.articles, {"wire": KABUL})
