"""Fast ingest: texts embedded across articles in large calls, one journaled write per article, progress per item."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import rag.index.ingest
from rag.cli import app
from rag.index.chunking import chunk_article, search_text
from rag.index.corpus import count_items, make_article, read_sources
from rag.index.ingest import ingest_items, ingest_paths
from rag.index.store import Store
from rag.settings import Settings
from rag.testing.embed import FailingEmbedder, HashingEmbedder
from rag.types import Article
from tests.conftest import SEED_DIR, make_settings

ENV = {"RAG_EMBEDDING_MODEL": "hashing-fake", "RAG_CHROMA_URL": ""}
WORDS = "convoy border ministry ceasefire envoy shelling refugees corridor harbour militia talks aid bridge".split()


def story(tag: str, sentences: int = 8, extra: str = "") -> Article:
    lines = [f"The {tag} {WORDS[i % len(WORDS)]} report {i} named the {WORDS[(i * 7) % len(WORDS)]} near "
             f"{tag}ville." for i in range(sentences)]
    return make_article(tag, " ".join(lines) + extra, title=f"{tag.title()} report", outlet=f"Desk {tag}")


def test_the_seeds_are_embedded_in_one_call(store: Store, settings: Settings, fake_embedder: HashingEmbedder) -> None:
    report = ingest_paths([SEED_DIR], store, fake_embedder, settings)
    assert len(report.added) == 3 and len(fake_embedder.calls) == 1
    embedded = fake_embedder.calls[0]
    for article in (a for a in read_sources([SEED_DIR]) if isinstance(a, Article)):
        chunks = chunk_article(article.id, article.body, settings.chunk_size, settings.chunk_overlap)
        assert all(search_text(article.title, c.text) in embedded for c in chunks)
        assert len(store.chunk_ids(article.id)) == len(chunks)
    assert len(embedded) == store.counts()["chunks"]  # chunks only: sentences are embedded when a question needs them


def test_small_groups_store_what_one_large_group_stores(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake_embedder: HashingEmbedder
) -> None:
    articles = [story(tag) for tag in ("alpha", "bravo", "charlie", "delta")]
    stores = []
    for name, group in (("large", rag.index.ingest.GROUP_TEXTS), ("small", 1)):
        monkeypatch.setattr(rag.index.ingest, "GROUP_TEXTS", group)
        monkeypatch.setattr(rag.index.ingest, "WINDOW_PAGES", 2 if group == 1 else rag.index.ingest.WINDOW_PAGES)
        settings = make_settings(tmp_path / name)
        store = Store(settings)
        ingest_items(articles, store, HashingEmbedder(), settings)
        stores.append(store)
    large, small = (s.chunks.get(include=["documents", "metadatas", "embeddings"]) for s in stores)
    assert large["ids"] == small["ids"] and large["documents"] == small["documents"]
    assert [m["start"] for m in large["metadatas"]] == [m["start"] for m in small["metadatas"]]
    assert np.array_equal(np.asarray(large["embeddings"]), np.asarray(small["embeddings"]))
    assert stores[0].counts() == stores[1].counts()


def test_an_article_the_embedder_fails_on_fails_alone(store: Store, settings: Settings) -> None:
    articles = [story("alpha"), story("bravo", extra=" POISON in this sentence."), story("charlie")]
    embedder = FailingEmbedder("POISON")
    report = ingest_items(articles, store, embedder, settings)
    assert [(e.source, e.reason) for e in report.failed] == [("bravo", "could not index: embedding backend failed")]
    assert report.added == ["alpha", "charlie"]
    assert store.get_article("bravo") is None and store.chunk_ids("bravo") == []
    assert store.chunk_ids("alpha") and store.chunk_ids("charlie")


def test_a_reprint_of_an_article_that_could_not_be_indexed_is_indexed_as_the_original(
    store: Store, settings: Settings
) -> None:
    original = story("alpha", sentences=30, extra=" POISON in the last sentence.")
    reprint = make_article("wire", story("alpha", sentences=30).body, title="Alpha report", outlet="Wire Daily")
    report = ingest_items([original, reprint], store, FailingEmbedder("POISON"), settings)
    assert [e.source for e in report.failed] == ["alpha"]
    assert report.added == ["wire"] and report.duplicates == {}
    stored = store.get_article("wire")
    assert stored is not None and stored.duplicate_of is None and store.chunk_ids("wire")


def test_a_reprint_in_the_same_batch_points_at_its_original(
    store: Store, settings: Settings, fake_embedder: HashingEmbedder
) -> None:
    original = story("alpha", sentences=30)
    reprint = make_article("wire", original.body + " Reprinted.", title="Alpha report", outlet="Wire Daily")
    report = ingest_items([original, reprint], store, fake_embedder, settings)
    assert report.added == ["alpha"] and report.duplicates == {"wire": "alpha"}
    assert store.chunk_ids("wire") == []


def test_progress_ticks_once_per_item_and_the_total_is_known_before(
    tmp_path: Path, store: Store, settings: Settings, fake_embedder: HashingEmbedder
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for seed in SEED_DIR.glob("*.md"):
        (folder / seed.name).write_bytes(seed.read_bytes())
    rows = [{"id": f"r{n}", "source": "AP", "body": f"Talks resumed in city number {n} on Monday."} for n in range(3)]
    (folder / "rows.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n\n{broken\n")
    (folder / "empty.txt").write_text("")
    ticks: list[str] = []
    report = ingest_paths([folder], store, fake_embedder, settings, progress=ticks.append)
    assert count_items([folder]) == len(ticks) == 3 + 4 + 1
    assert len(report.added) == 6 and len(report.failed) == 2
    assert sorted(ticks) == sorted([*report.added, *(e.source for e in report.failed)])


def test_ingest_json_reports_what_each_article_lost_as_boilerplate(tmp_path: Path) -> None:
    footer = "Choose your reason below and click on the Report button."
    rows = [{"id": f"n{n}", "source": "example.com", "title": f"Story {n}",
             "body": f"Report {n} says talks in city {n} went on for {n + 2} hours.   {footer}"} for n in range(3)]
    corpus = tmp_path / "feed.jsonl"
    corpus.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    result = CliRunner().invoke(app, ["ingest", str(corpus), "--json", "--data-dir", str(tmp_path / "d")], env=ENV)
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert printed["boilerplate"] == {f"n{n}": {"lines": 1, "chars": len(footer)} for n in range(3)}
    human = CliRunner().invoke(app, ["ingest", str(corpus), "--data-dir", str(tmp_path / "e")], env=ENV)
    assert human.exit_code == 0 and "boilerplate: 3 lines" in human.stdout
