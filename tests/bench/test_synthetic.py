"""The synthetic corpus: deterministic, readable by ``rag ingest``, with names, months, outlets and reprints."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from typer.testing import CliRunner

from evals.synthetic import OUTLETS, PEOPLE, generate_articles, write_corpus
from rag.cli import app
from rag.index.corpus import read_file
from rag.index.ingest import ingest_items
from rag.index.store import Store
from rag.settings import Settings
from rag.testing.embed import HashingEmbedder
from rag.types import Article


def test_the_same_seed_gives_the_same_corpus_byte_for_byte(tmp_path: Path) -> None:
    first = write_corpus(300, tmp_path / "a").read_bytes()
    assert first == write_corpus(300, tmp_path / "b").read_bytes()
    assert first != write_corpus(300, tmp_path / "c", seed=1).read_bytes()


def test_articles_carry_people_outlets_months_and_reprints_of_earlier_articles() -> None:
    articles = list(generate_articles(400))
    assert len(articles) == 400 and len({a.id for a in articles}) == 400
    days = sorted(dt.date.fromisoformat(a.published_at) for a in articles)
    assert (days[-1] - days[0]).days > 300
    assert {a.source for a in articles} == set(OUTLETS)
    assert sum(any(name in a.body for name, _ in PEOPLE) for a in articles) > 390
    by_id = {a.id: a for a in articles}
    reprints = [a for a in articles if a.reprint_of]
    assert 10 <= len(reprints) <= 45
    for reprint in reprints:
        original = by_id[reprint.reprint_of or ""]
        assert original.id < reprint.id and original.source != reprint.source
        assert reprint.body.startswith(original.body)


def test_rag_bench_make_corpus_writes_jsonl_that_the_reader_accepts(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["bench", "--make-corpus", "50", "--out", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    path = Path(json.loads(result.stdout)["path"])
    items = list(read_file(path))
    assert len(items) == 50 and all(isinstance(item, Article) for item in items)
    first = items[0]
    assert isinstance(first, Article) and first.outlet in OUTLETS and first.published_at is not None


def test_ingest_records_the_generated_reprints_as_reprints(settings: Settings, store: Store) -> None:
    rows = list(generate_articles(120))
    items = [item for item in read_file(write_corpus(120, settings.data_dir.parent / "corpus")) if isinstance(item, Article)]
    report = ingest_items(items, store, HashingEmbedder(), settings)
    expected = {a.id: a.reprint_of for a in rows if a.reprint_of}
    assert expected and report.duplicates == expected
