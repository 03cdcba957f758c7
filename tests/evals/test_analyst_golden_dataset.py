"""The analyst golden file: the seed file's checks plus its own counts, without a model.

Whole-sentence evidence from the row's sources holding its facts, balanced fixed halves, follow-up parents.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from evals.datasets import GoldenRow, load_golden
from rag.chunking import split_sentences
from rag.corpus import read_sources
from rag.types import Article
from tests.conftest import GOLDEN, ROOT, SEED_DIR

ANALYST = ROOT / "evals" / "datasets" / "analyst_golden.jsonl"
ARTICLES: dict[str, Article] = {a.id: a for a in read_sources([SEED_DIR]) if isinstance(a, Article)}
ROWS = load_golden(ANALYST)
BY_ID = {r.id: r for r in ROWS}


def _evidence_text(row: GoldenRow) -> str:
    return " ".join(ARTICLES[e.article_id].body[e.start : e.end] for e in row.evidence)


def _fixed_split(rows: list[GoldenRow]) -> dict[str, str]:
    """The README's split rule, recomputed.

    Strata: answerable rows by first tag, unanswerable by distractor or not; answerable first, then by name;
    rows in file (id) order; one alternation across all; follow-ups take the parent's half.
    """

    def stratum(row: GoldenRow) -> tuple[int, str]:
        if row.answerable:
            return 0, row.tags[0]
        return 1, "distractor" if "distractor" in row.tags else "unanswerable"

    order = {r.id: i for i, r in enumerate(rows)}
    top = sorted((r for r in rows if not r.followup_of), key=lambda r: (stratum(r), order[r.id]))
    halves = {r.id: ("tune", "test")[i % 2] for i, r in enumerate(top)}
    return {r.id: halves[r.followup_of or r.id] for r in rows}


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
    boundaries = {aid: {(s.start, s.end) for s in split_sentences(a.body)} for aid, a in ARTICLES.items()}
    for row in ROWS:
        if not row.answerable:
            assert row.evidence == [] and row.answer is None, row.id
            assert "unanswerable" in row.tags, row.id
            continue
        assert row.evidence and row.answer, row.id
        assert {e.article_id for e in row.evidence} == set(row.sources), row.id
        for span in row.evidence:
            assert (span.start, span.end) in boundaries[span.article_id], (row.id, span)
        text = _evidence_text(row).casefold()
        for group in row.facts:
            assert any(alt.casefold() in text for alt in group), (row.id, group)


def test_multi_article_rows_cite_evidence_in_each_article() -> None:
    for row in ROWS:
        assert ("multi" in row.tags) == (len(row.sources) >= 2), row.id
        if "multi" in row.tags:
            assert len({e.article_id for e in row.evidence}) >= 2, row.id


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


@pytest.mark.parametrize("path", [GOLDEN, ANALYST], ids=["seed", "analyst"])
def test_the_split_follows_the_fixed_rule(path: Path) -> None:
    rows = load_golden(path)
    assert {r.id: r.split for r in rows} == _fixed_split(rows)


def test_the_split_is_complete_and_balanced() -> None:
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


def test_load_golden_selects_one_half() -> None:
    tune, test = load_golden(ANALYST, "tune"), load_golden(ANALYST, "test")
    assert {r.id for r in tune} | {r.id for r in test} == {r.id for r in ROWS}
    assert not {r.id for r in tune} & {r.id for r in test}
    assert all(r.split == "test" for r in test)


def test_the_file_uses_the_seed_schema_and_field_order() -> None:
    seed_keys = list(json.loads(GOLDEN.read_text(encoding="utf-8").splitlines()[0]))
    for line in ANALYST.read_text(encoding="utf-8").splitlines():
        assert list(json.loads(line)) == seed_keys
