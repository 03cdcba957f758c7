"""The optional LLM judge, against a real OpenAI-compatible server: it grades, and it never gates."""

from __future__ import annotations

import pytest

from evals.gate import load_baseline
from evals.judge import build_judge, judge_metrics
from evals.metrics import RowResult
from tests.conftest import ROOT, make_settings

pytestmark = pytest.mark.model


def row(answer: str, **kw: object) -> RowResult:
    values: dict[str, object] = {"id": "r", "question": "How long is the border between Afghanistan and Pakistan?",
                                 "expected": "About 1,600 miles.", "facts": [["1,600"]], "sources": ["s"], "answerable": True,
                                 "tags": [], "answer": answer, "mode": "generated", "refused": False, "passed": True}
    return RowResult(**(values | kw))  # type: ignore[arg-type]


def test_judge_grades_answers_through_the_endpoint(server_url: str, tmp_path: object) -> None:
    settings = make_settings(ROOT / ".rag", judge_base_url=server_url, judge_model="qwen-0.5b")
    judge = build_judge(settings)
    assert judge is not None
    rows = [row("The border is some 1,600 miles long [1]."),
            row("The sources don't say.", refused=True, mode="refused"),
            row("n/a", answerable=False, expected=None)]
    metrics = judge_metrics(judge, rows)
    assert rows[2].judge is None  # unanswerable rows are not judged
    assert metrics["judge_ungraded"] == 0 and rows[0].judge is not None and rows[1].judge is not None
    assert metrics["judge_accuracy"] == (rows[0].judge + rows[1].judge) / 2
    assert build_judge(make_settings(ROOT / ".rag")) is None


def test_judge_metrics_can_never_be_gated(tmp_path: pytest.TempPathFactory) -> None:
    path = tmp_path / "baseline.json"  # type: ignore[operator]
    path.write_text('{"dataset": "seed_golden", "model": "m", "why": "w", "metrics": {"judge_accuracy": 0.5}}')
    with pytest.raises(ValueError, match="unknown metrics"):
        load_baseline(path)
