"""The datasets: the seed golden file meets its spec; the RGB and MultiHop-RAG loaders build the right corpora."""

from __future__ import annotations

import json
import os
import subprocess
from collections import Counter
from pathlib import Path

import pytest

from evals.briefing_metrics import load_key_points
from evals.datasets import DatasetError, find_rgb_dev, load_golden, multihop_set, rgb_set
from rag.index.corpus import read_sources
from tests.conftest import GOLDEN, ROOT, SEED_DIR

SEED_IDS = {a.id for a in read_sources([SEED_DIR])}  # type: ignore[union-attr]


def test_seed_golden_has_the_required_shape_and_coverage() -> None:
    rows = load_golden(GOLDEN)
    raw = [json.loads(line) for line in GOLDEN.read_text().splitlines() if line.strip()]
    keys = ["id", "question", "answer", "facts", "sources", "answerable", "tags", "evidence", "split"]
    assert all(list(r) == keys for r in raw)
    assert len(rows) >= 40
    tags = Counter(t for r in rows for t in r.tags)
    for tag in ("single", "number", "date", "quote", "list", "multi", "contested", "followup"):
        assert tags[tag] >= 2, tag
    unanswerable = [r for r in rows if not r.answerable]
    assert len(unanswerable) >= 10
    assert sum("distractor" in r.tags for r in unanswerable) >= len(unanswerable) / 2 - 1e-9
    assert all(r.answer is None and r.facts == [] and r.sources == [] for r in unanswerable)
    assert all(set(r.sources) <= SEED_IDS for r in rows)
    assert all(len(set(r.sources)) >= 2 for r in rows if "multi" in r.tags)
    # contested rows need both sides: at least two fact groups
    assert all(len(r.facts) >= 2 for r in rows if "contested" in r.tags)
    followups = [r for r in rows if r.followup_of]
    assert len(followups) >= 2 and all("followup" in r.tags for r in followups)


def test_briefing_golden_points_cite_seed_articles() -> None:
    points = load_key_points(ROOT / "evals" / "datasets" / "briefing_golden.json")
    assert len(points) >= 8
    assert all(p.facts and set(p.sources) <= SEED_IDS for p in points)


def test_golden_loader_names_the_bad_line(tmp_path: Path) -> None:
    good = {"id": "a", "question": "Q?", "answer": "A", "facts": [["A"]], "sources": ["x"], "answerable": True, "tags": []}
    bad = good | {"id": "b", "answerable": False}  # unanswerable yet with facts and sources
    path = tmp_path / "g.jsonl"
    path.write_text(json.dumps(good) + "\n" + json.dumps(bad) + "\n")
    with pytest.raises(DatasetError, match=r"g\.jsonl:2: .*unanswerable"):
        load_golden(path)
    path.write_text(json.dumps(good | {"tags": ["followup_of:zzz"]}) + "\n")
    with pytest.raises(DatasetError, match="unknown rows"):
        load_golden(path)


def test_rgb_noise_ingests_positive_and_negative_passages_only() -> None:
    items = [json.loads(line) for line in find_rgb_dev().read_text().splitlines() if line.strip()]
    noise = rgb_set(find_rgb_dev(), "noise")
    assert len(noise.rows) == len(items)
    bodies = {a.body for a in noise.articles}
    first = items[0]
    assert " ".join(first["positive"][0].split()) in bodies
    assert " ".join(first["negative"][0].split()) in bodies
    assert " ".join(first["positive_wrong"][0].split()) not in bodies
    row = noise.rows[0]
    assert row.facts == [[first["answer"]]] and row.sources and all(s in {a.id for a in noise.articles} for s in row.sources)
    assert not any("negative" in s for r in noise.rows for s in r.sources)


def test_rgb_conflict_ingests_both_claims_and_asks_for_both() -> None:
    items = [json.loads(line) for line in find_rgb_dev().read_text().splitlines() if line.strip()]
    conflict = rgb_set(find_rgb_dev(), "conflict")
    bodies = {a.body for a in conflict.articles}
    first = items[0]
    assert " ".join(first["positive_wrong"][0].split()) in bodies
    assert " ".join(first["negative"][0].split()) not in bodies
    assert conflict.rows[0].facts == [[first["answer"]], [first["fakeanswer"]]]
    assert conflict.rows[0].conflict and not conflict.detect_reprints
    # list answers (dates in several spellings) become one group of alternatives
    listed = next(r for r, item in zip(conflict.rows, items) if isinstance(item["answer"], list))
    assert len(listed.facts) == 2 and len(listed.facts[0]) > 1


def test_rgb_data_is_not_in_the_repository() -> None:
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert "en_fact" not in tracked
    needle = json.loads(find_rgb_dev().read_text().splitlines()[0])["positive"][0][:60]
    grep = subprocess.run(["git", "grep", "-F", "-l", needle], cwd=ROOT, capture_output=True, text=True)
    assert grep.stdout == ""


def test_multihop_queries_map_evidence_to_corpus_articles(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text("\n".join(json.dumps(r) for r in [
        {"id": "a1", "title": "Ceasefire talks stall", "source": "Wire", "published_at": "2026-03-01",
         "url": "https://example.org/a1", "body": "Talks in Doha stalled on Monday over prisoner exchanges."},
        {"id": "a2", "title": "Border crossing reopens", "source": "Daily", "published_at": "2026-03-02",
         "url": "https://example.org/a2", "body": "The Torkham crossing reopened to trucks on Tuesday."},
    ]) + "\n")
    queries = tmp_path / "queries.json"
    queries.write_text(json.dumps([
        {"query": "Where did talks stall and which crossing reopened?", "answer": "Doha",
         "question_type": "inference_query",
         "evidence_list": [{"url": "https://example.org/a1", "title": "x"}, {"title": "Border crossing reopens"}]},
        {"query": "Who won the match?", "answer": "Insufficient information.", "question_type": "null_query",
         "evidence_list": []},
        {"query": "What about a missing article?", "answer": "Yes", "question_type": "comparison_query",
         "evidence_list": [{"url": "https://example.org/zz", "title": "Not in corpus"}]},
    ]))
    eval_set = multihop_set(queries, corpus)
    assert [r.id for r in eval_set.rows] == ["mh-0001", "mh-0002"] and eval_set.skipped == ["mh-0003"]
    first, null = eval_set.rows
    assert first.sources == ["a1", "a2"] and first.facts == [["Doha"]] and first.answerable
    assert not null.answerable and null.answer is None


@pytest.mark.parametrize("fmt", ["golden", "claims"])
def test_a_bad_dataset_is_reported_literally_never_as_console_markup(fmt: str, tmp_path: Path) -> None:
    """A path or line holding Rich markup is data in the error sentence: no MarkupError, printed as is."""
    folder = tmp_path / "in [red]red [bold]dir"
    folder.mkdir()  # as markup, the brackets would vanish into styles
    bad = folder / "bad.jsonl"
    bad.write_text('{"id": "x1", "question": "Markup [/bold] test [link=http://x]click[/link]"\n', encoding="utf-8")
    run = subprocess.run([str(ROOT / ".venv" / "bin" / "rag"), "eval", "--format", fmt, "--dataset", str(bad)],
                         capture_output=True, text=True, cwd=ROOT, timeout=300,
                         env={**os.environ, "COLUMNS": "400"})  # one line: no wrapping inside the name
    assert run.returncode != 0 and "Traceback" not in run.stderr and "MarkupError" not in run.stderr
    assert "error:" in run.stderr and "in [red]red [bold]dir" in run.stderr
