"""The seed golden file's gold evidence and tune/test split: offsets, facts and balance, without a model."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from evals.datasets import DatasetError, GoldenRow, load_golden
from rag.chunking import split_sentences
from rag.corpus import read_sources
from rag.types import Article
from tests.conftest import GOLDEN, SEED_DIR

ARTICLES: dict[str, Article] = {a.id: a for a in read_sources([SEED_DIR]) if isinstance(a, Article)}
ROWS = load_golden(GOLDEN)


def _evidence_text(row: GoldenRow) -> str:
    return " ".join(ARTICLES[e.article_id].body[e.start : e.end] for e in row.evidence)


def test_the_golden_file_meets_the_issue_counts() -> None:
    assert len(ROWS) >= 125
    unanswerable = [r for r in ROWS if not r.answerable]
    assert len(unanswerable) >= 30 and sum("distractor" in r.tags for r in unanswerable) >= 25
    answerable = [r for r in ROWS if r.answerable]
    assert sum("negation" in r.tags for r in answerable) >= 8
    assert sum("phrasing" in r.tags for r in answerable) >= 12


def test_every_answerable_row_has_whole_sentence_evidence_holding_its_facts() -> None:
    boundaries = {aid: {(s.start, s.end) for s in split_sentences(a.body)} for aid, a in ARTICLES.items()}
    for row in ROWS:
        if not row.answerable:
            assert row.evidence == [], row.id
            continue
        assert row.evidence, row.id
        assert {e.article_id for e in row.evidence} == set(row.sources), row.id
        for span in row.evidence:
            assert (span.start, span.end) in boundaries[span.article_id], (row.id, span)
        text = _evidence_text(row).casefold()
        for group in row.facts:
            assert any(alt.casefold() in text for alt in group), (row.id, group)


def test_multi_article_rows_cite_evidence_in_each_article() -> None:
    for row in ROWS:
        if "multi" in row.tags:
            assert len({e.article_id for e in row.evidence}) >= 2, row.id


def test_the_split_is_fixed_complete_and_balanced() -> None:
    assert all(r.split in ("tune", "test") for r in ROWS)
    halves = Counter(r.split for r in ROWS)
    assert abs(halves["tune"] - halves["test"]) <= 2
    for answerable in (True, False):
        counts = Counter(r.split for r in ROWS if r.answerable is answerable)
        assert abs(counts["tune"] - counts["test"]) <= 2, answerable
    tags = Counter((t, r.split) for r in ROWS for t in r.tags if not t.startswith("followup_of:"))
    for tag in {t for t, _ in tags}:
        assert abs(tags[(tag, "tune")] - tags[(tag, "test")]) <= 2, tag
        if tags[(tag, "tune")] + tags[(tag, "test")] >= 4:
            assert tags[(tag, "tune")] and tags[(tag, "test")], tag
    by_id = {r.id: r for r in ROWS}
    assert all(by_id[r.followup_of].split == r.split for r in ROWS if r.followup_of)


def test_load_golden_selects_one_half() -> None:
    tune, test = load_golden(GOLDEN, "tune"), load_golden(GOLDEN, "test")
    assert {r.id for r in tune} | {r.id for r in test} == {r.id for r in ROWS}
    assert not {r.id for r in tune} & {r.id for r in test}
    assert all(r.split == "test" for r in test)


def test_bad_evidence_and_splits_are_refused(tmp_path: Path) -> None:
    good = {"id": "a", "question": "Q?", "answer": "A", "facts": [["A"]], "sources": ["x"], "answerable": True,
            "tags": [], "evidence": [{"article_id": "x", "start": 0, "end": 5}], "split": "tune"}
    path = tmp_path / "g.jsonl"
    for bad, message in [({"evidence": [{"article_id": "y", "start": 0, "end": 5}]}, "sources"),
                         ({"evidence": [{"article_id": "x", "start": 5, "end": 5}]}, "end > start"),
                         ({"split": "train"}, "split")]:
        path.write_text(json.dumps(good | bad) + "\n")
        with pytest.raises(DatasetError, match=message):
            load_golden(path)
    child = good | {"id": "b", "tags": ["followup_of:a"], "split": "test"}
    path.write_text(json.dumps(good) + "\n" + json.dumps(child) + "\n")
    with pytest.raises(DatasetError, match="another split"):
        load_golden(path, "test")
    path.write_text(json.dumps(good) + "\n")
    with pytest.raises(DatasetError, match="no rows in split"):
        load_golden(path, "test")
