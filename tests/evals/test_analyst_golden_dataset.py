"""The analyst golden file: the seed file's checks plus its own counts, without a model.

Whole-sentence evidence from the row's sources holding its facts, balanced fixed halves, follow-up parents.
"""

from __future__ import annotations

import json
import re

from evals.datasets import load_golden
from tests.conftest import GOLDEN, ROOT
from tests.evals.datasets import (
    assert_golden_halves_load,
    assert_golden_split,
    assert_multi_rows_cite_each_article,
    assert_whole_sentence_evidence,
)

ANALYST = ROOT / "evals" / "datasets" / "analyst_golden.jsonl"
ROWS = load_golden(ANALYST)
BY_ID = {r.id: r for r in ROWS}


def test_the_analyst_file_meets_the_requested_counts() -> None:
    assert [r.id for r in ROWS] == [f"a{n:02d}" for n in range(1, len(ROWS) + 1)]
    followups = [r for r in ROWS if r.followup_of]
    parents = {r.followup_of for r in followups}
    plain = [r for r in ROWS if r.id not in parents and not r.followup_of]
    assert len(plain) >= 40
    assert sum(r.answerable for r in plain) >= 28
    unanswerable = [r for r in plain if not r.answerable]
    assert len(unanswerable) >= 10 and sum("distractor" in r.tags for r in unanswerable) > len(unanswerable) / 2
    assert len(followups) >= 10 and len(parents) == len(followups)
    assert sum("multi" in r.tags for r in ROWS) >= 4
    assert sum("negation" in r.tags for r in ROWS) >= 3


def test_no_question_repeats_the_seed_file_or_itself() -> None:
    def norm(q: str) -> str:
        return re.sub(r"\W+", " ", q.casefold()).strip()

    seed = {norm(r.question) for r in load_golden(GOLDEN)}
    questions = [norm(r.question) for r in ROWS]
    assert len(set(questions)) == len(questions)
    assert not seed & set(questions)


def test_every_answerable_row_has_whole_sentence_evidence_holding_its_facts() -> None:
    assert_whole_sentence_evidence(ROWS)


def test_multi_article_rows_cite_evidence_in_each_article() -> None:
    assert_multi_rows_cite_each_article(ROWS)


def test_follow_ups_come_right_after_an_answerable_parent_on_its_subject() -> None:
    ids = [r.id for r in ROWS]
    for row in ROWS:
        if row.followup_of is None:
            continue
        parent = BY_ID[row.followup_of]
        assert "followup" in row.tags and "followup" in parent.tags, row.id
        assert ids.index(parent.id) == ids.index(row.id) - 1, row.id
        assert parent.answerable and row.answerable and parent.followup_of is None, row.id
        assert set(row.sources) <= set(parent.sources), row.id
        assert parent.split == row.split, row.id


def test_the_split_is_fixed_complete_and_balanced() -> None:
    assert_golden_split(ROWS)


def test_load_golden_selects_one_half() -> None:
    assert_golden_halves_load(ANALYST, ROWS)


def test_the_file_uses_the_seed_schema_and_field_order() -> None:
    seed_keys = list(json.loads(GOLDEN.read_text(encoding="utf-8").splitlines()[0]))
    for line in ANALYST.read_text(encoding="utf-8").splitlines():
        assert list(json.loads(line)) == seed_keys
