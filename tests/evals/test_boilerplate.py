"""The eval's boilerplate check: patterns from a file, found in answers and their quotes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evals.boilerplate import BoilerplatePattern, boilerplate_found, boilerplate_rows, load_boilerplate
from evals.datasets import DatasetError
from evals.metrics import RowResult
from rag.types import Citation
from tests.conftest import ROOT


def _row(row_id: str, answer: str, quote: str, refused: bool = False) -> RowResult:
    citation = Citation(article_id="a", title="t", outlet=None, published_at=None, url=None, chunk_id="a#0",
                        quote=quote, start=0, end=len(quote), support=1.0)
    return RowResult(id=row_id, question="q", expected=None, facts=[], sources=[], answerable=True, tags=[],
                     answer=answer, mode="answer", refused=refused, citations={1: citation}, passed=True)


def test_exact_and_regex_patterns_are_found_case_sensitively() -> None:
    patterns = [BoilerplatePattern(id="a", pattern="Log In"), BoilerplatePattern(id="b", pattern=r"\d+ comments", regex=True)]
    assert boilerplate_found(["Please Log In", "log in", "12 comments here", "no comments"], patterns) == [
        {"pattern": "a", "text": "Please Log In"}, {"pattern": "b", "text": "12 comments here"}]


def test_rows_are_searched_in_the_answer_and_every_quote() -> None:
    patterns = [BoilerplatePattern(id="sub", pattern="Subscribe now")]
    rows = [_row("clean", "The talks ended [1].", "The talks ended on Sunday."),
            _row("quote", "The talks ended [1].", "The talks ended. Subscribe now for more."),
            _row("answer", "Subscribe now [1].", "Nothing."),
            _row("refusal", "The closest passages (Subscribe now) do not answer.", "Nothing.", refused=True),
            _row("refusal-quote", "The sources don't say.", "Subscribe now for more.", refused=True)]
    assert [f["row"] for f in boilerplate_rows(rows, patterns)] == ["quote", "answer", "refusal-quote"]


def test_the_news2_pattern_file_loads_and_a_bad_file_is_named(tmp_path: Path) -> None:
    patterns = load_boilerplate(ROOT / "evals" / "datasets" / "news2_boilerplate.json")
    assert len(patterns) >= 20 and all(p.id.startswith("bp") for p in patterns)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"nothing": []}))
    with pytest.raises(DatasetError, match="bad.json"):
        load_boilerplate(bad)


def test_the_gate_holds_boilerplate_answers_as_a_ceiling() -> None:
    from evals.gate import Baseline, check

    baseline = Baseline(dataset="d", model="m", why="test", metrics={"boilerplate_answers": 0})
    assert check({"boilerplate_answers": 0}, baseline) == []
    assert check({"boilerplate_answers": 1}, baseline) == ["boilerplate_answers: 1 is above the baseline 0.0"]
