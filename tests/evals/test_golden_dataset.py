"""The seed golden file's gold evidence and tune/test split: offsets, facts and balance, without a model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evals.datasets import DatasetError, load_golden
from tests.conftest import GOLDEN
from tests.evals.datasets import (
    assert_golden_halves_load,
    assert_golden_split,
    assert_multi_rows_cite_each_article,
    assert_whole_sentence_evidence,
)

ROWS = load_golden(GOLDEN)


def test_the_golden_file_meets_the_issue_counts() -> None:
    assert len(ROWS) >= 125
    unanswerable = [r for r in ROWS if not r.answerable]
    assert len(unanswerable) >= 30 and sum("distractor" in r.tags for r in unanswerable) >= 25
    answerable = [r for r in ROWS if r.answerable]
    assert sum("negation" in r.tags for r in answerable) >= 8
    assert sum("phrasing" in r.tags for r in answerable) >= 12


def test_every_answerable_row_has_whole_sentence_evidence_holding_its_facts() -> None:
    assert_whole_sentence_evidence(ROWS)


def test_multi_article_rows_cite_evidence_in_each_article() -> None:
    assert_multi_rows_cite_each_article(ROWS)


def test_the_split_is_fixed_complete_and_balanced() -> None:
    assert_golden_split(ROWS)


def test_load_golden_selects_one_half() -> None:
    assert_golden_halves_load(GOLDEN, ROWS)


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
