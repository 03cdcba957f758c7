from __future__ import annotations

import json
import multiprocessing
from pathlib import Path

import pytest

from rag.index.ingest import delete_article, ingest_paths
from rag.index.store import Store
from rag.settings import Settings
from rag.testing.embed import FailingEmbedder, HashingEmbedder
from tests.conftest import SEED_DIR


def copy_seeds(target: Path) -> Path:
    target.mkdir(parents=True, exist_ok=True)
    for path in SEED_DIR.glob("*.md"):
        (target / path.name).write_text(path.read_text())
    return target


def test_reingesting_the_seeds_changes_no_count(
    store: Store, settings: Settings, fake_embedder: HashingEmbedder
) -> None:
    first = ingest_paths([SEED_DIR], store, fake_embedder, settings)
    counts = store.counts()
    second = ingest_paths([SEED_DIR], store, fake_embedder, settings)
    assert first.counts()["added"] == 3 and counts["articles"] == 3 and counts["chunks"] > 3
    assert second.counts() == {"added": 0, "updated": 0, "unchanged": 3, "duplicates": 0, "failed": 0}
    assert store.counts() == counts
    assert second.chunks_written == 0


def test_an_edited_article_replaces_its_chunks(
    tmp_path: Path, store: Store, settings: Settings, fake_embedder: HashingEmbedder
) -> None:
    folder = copy_seeds(tmp_path / "in")
    ingest_paths([folder], store, fake_embedder, settings)
    target = folder / "000_6a5e87b74b7ecf65.md"
    old_ids = store.chunk_ids("000_6a5e87b74b7ecf65")
    text = target.read_text()
    cut = text.index("This is not the first time")
    target.write_text(text[:cut] + "Officials later retracted the claim entirely.\n")
    report = ingest_paths([folder], store, fake_embedder, settings)
    assert report.updated == ["000_6a5e87b74b7ecf65"] and len(report.unchanged) == 2
    new_ids = store.chunk_ids("000_6a5e87b74b7ecf65")
    assert len(new_ids) < len(old_ids)
    _, texts, metas = store.all_chunks()
    mine = [t for t, m in zip(texts, metas) if m["article_id"] == "000_6a5e87b74b7ecf65"]
    assert any("retracted the claim" in t for t in mine)
    assert not any("Mastung" in t for t in mine)


def test_failed_embedding_of_an_edit_keeps_the_old_chunks(
    tmp_path: Path, store: Store, settings: Settings, fake_embedder: HashingEmbedder
) -> None:
    folder = copy_seeds(tmp_path / "in")
    ingest_paths([folder], store, fake_embedder, settings)
    before = store.all_chunks()
    target = folder / "003_4d3fdf98ee31191a.md"
    target.write_text(target.read_text() + "\nPOISON sentence that the embedder rejects.\n")
    report = ingest_paths([folder], store, FailingEmbedder("POISON"), settings)
    assert [e.source for e in report.failed] == ["003_4d3fdf98ee31191a"]
    assert store.all_chunks() == before


def test_a_reprint_is_recorded_as_a_duplicate_with_its_outlet(
    tmp_path: Path, store: Store, settings: Settings, fake_embedder: HashingEmbedder
) -> None:
    ingest_paths([SEED_DIR], store, fake_embedder, settings)
    original = (SEED_DIR / "003_4d3fdf98ee31191a.md").read_text().split("---\n", 2)[2]
    edited = original.replace("at least six people", "at least 6 people").replace("Conclusion\n", "")
    reprint = tmp_path / "wire.md"
    reprint.write_text(f"---\ntitle: Drone strikes in Kabul\noutlet: Wire Daily\n---\n{edited}")
    chunks_before = store.counts()["chunks"]
    report = ingest_paths([reprint], store, fake_embedder, settings)
    assert report.duplicates == {"wire": "003_4d3fdf98ee31191a"}
    assert store.counts()["chunks"] == chunks_before
    recorded = store.get_article("wire")
    assert recorded is not None and recorded.duplicate_of == "003_4d3fdf98ee31191a"
    assert recorded.outlet == "Wire Daily"


def test_a_different_story_is_not_a_duplicate(
    store: Store, settings: Settings, fake_embedder: HashingEmbedder
) -> None:
    report = ingest_paths([SEED_DIR], store, fake_embedder, settings)
    assert report.duplicates == {}


MALFORMED = {
    "empty.txt": b"",
    "binary.txt": b"\x00\x01\x02\x03binary",
    "latin1.txt": "caf\u00e9".encode("latin-1") + b" in Kabul",
    "broken.md": b"---\ntitle: [oops\n---\nText.",
}


def test_bad_input_never_stops_a_batch(
    tmp_path: Path, store: Store, settings: Settings, fake_embedder: HashingEmbedder
) -> None:
    folder = copy_seeds(tmp_path / "in")
    for name, content in MALFORMED.items():
        (folder / name).write_bytes(content)
    good_row = {
        "id": "j1",
        "title": "J",
        "source": "AP",
        "published_at": "2026-01-05",
        "url": None,
        "body": "A short separate dispatch about talks in Doha.",
    }
    (folder / "rows.jsonl").write_text(json.dumps(good_row) + "\n[1, 2\n")
    report = ingest_paths([folder], store, fake_embedder, settings)
    failed = {Path(e.source).name: e.reason for e in report.failed}
    assert set(failed) == {"empty.txt", "binary.txt", "broken.md", "rows.jsonl:2"}
    assert sorted(report.added) == [
        "000_6a5e87b74b7ecf65",
        "003_4d3fdf98ee31191a",
        "004_fce48783007ea49c",
        "j1",
        "latin1",  # a legacy encoding is decoded, with a warning (tests/rag/test_malformed_input.py)
    ]


def test_delete_removes_an_article_and_its_chunks(
    store: Store, settings: Settings, fake_embedder: HashingEmbedder
) -> None:
    ingest_paths([SEED_DIR], store, fake_embedder, settings)
    assert delete_article("004_fce48783007ea49c", store, fake_embedder, settings)
    assert store.chunk_ids("004_fce48783007ea49c") == []
    assert [a.id for a in store.list_articles()] == ["000_6a5e87b74b7ecf65", "003_4d3fdf98ee31191a"]
    assert not delete_article("004_fce48783007ea49c", store, fake_embedder, settings)


def _ingest_in_subprocess(data_dir: str, folder: str) -> None:
    settings = Settings(data_dir=Path(data_dir), _env_file=None)  # type: ignore[call-arg]
    ingest_paths([Path(folder)], Store(settings), HashingEmbedder(), settings)


def test_two_processes_writing_one_store_leave_it_consistent(
    tmp_path: Path, fake_embedder: HashingEmbedder
) -> None:
    data = tmp_path / "data"
    folders = [copy_seeds(tmp_path / "a"), copy_seeds(tmp_path / "b")]
    (folders[1] / "extra.md").write_text("---\ntitle: Extra\n---\nTalks resumed in Doha on Monday.\n")
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_ingest_in_subprocess, args=(str(data), str(f))) for f in folders]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=240)
        assert worker.exitcode == 0
    settings = Settings(data_dir=data, _env_file=None)  # type: ignore[call-arg]
    store = Store(settings)
    assert store.counts()["articles"] == 4
    report = ingest_paths(folders, store, fake_embedder, settings)
    assert len(report.unchanged) == 4 and store.counts()["articles"] == 4


@pytest.mark.parametrize("missing", ["nope.txt", "nodir/"])
def test_missing_paths_are_reported(
    tmp_path: Path, missing: str, store: Store, settings: Settings, fake_embedder: HashingEmbedder
) -> None:
    report = ingest_paths([tmp_path / missing], store, fake_embedder, settings)
    assert report.failed[0].reason == "no such file or folder"
