"""The runner end to end with real Chroma and content-dependent fakes: metrics, follow-ups, errors, reports."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest

from evals.datasets import EvalSet, GoldenRow, golden_set
from evals.metrics import METRIC_KEYS
from evals.report import load_result, render_markdown, write_report
from evals.results import EvalResult
from evals.runner import run_eval
from rag.index.corpus import make_article
from rag.models.llm import LLMError, Message
from rag.testing.embed import HashingEmbedder
from rag.testing.llm import FunctionModel
from tests.conftest import GOLDEN, SEED_DIR, make_settings
from tests.evals.fakes import extractive_model, extractive_reply


@pytest.fixture(scope="module")
def seed_result(tmp_path_factory: pytest.TempPathFactory) -> tuple[EvalResult, FunctionModel]:
    model = extractive_model()
    settings = make_settings(tmp_path_factory.mktemp("eval") / "data")
    result = run_eval(golden_set(GOLDEN, [SEED_DIR]), settings, embedder=HashingEmbedder(), chat=model)
    return result, model


def test_every_metric_is_reported_in_range(seed_result: tuple[EvalResult, FunctionModel]) -> None:
    result, _ = seed_result
    metrics = result.runs[0].metrics
    assert set(METRIC_KEYS) <= set(metrics)
    rates = [k for k in METRIC_KEYS if not k.startswith("latency") and k != "unsupported_entities"]
    assert all(0.0 <= metrics[k] <= 1.0 for k in rates), metrics
    assert metrics["rows"] == 135 and result.corpus["articles"] == 3
    # our pipeline quotes articles verbatim and drops what it cannot support: this is structural
    assert metrics["citation_validity"] == 1.0 and metrics["support_rate"] == 1.0
    assert metrics["unsupported_entities"] == 0
    # an extractive reader gets some facts right and some wrong: the metric separates them
    assert 0.0 < metrics["fact_accuracy"] < 1.0
    failed = [r for r in result.runs[0].rows if not r.passed]
    assert failed and all(r.why for r in failed)


def test_follow_ups_are_asked_with_the_previous_turn(seed_result: tuple[EvalResult, FunctionModel]) -> None:
    result, model = seed_result
    rewrites = [m[-1]["content"] for m in model.calls if "Follow-up question:" in m[-1]["content"]]
    assert any("User: Who is the Afghan government spokesman" in r and "Follow-up question: In which province" in r
               for r in rewrites)
    row = next(r for r in result.runs[0].rows if r.id == "fu-01b")
    assert "000_6a5e87b74b7ecf65" in row.retrieved_articles[:1]


def test_a_failing_row_is_recorded_and_the_run_goes_on(tmp_path: Path) -> None:
    def reply(messages: Sequence[Message]) -> str:
        if "What did Khwaja Asif write on X?" in messages[-1]["content"]:
            raise RuntimeError("backend fell over")
        return extractive_reply(messages)

    rows = [GoldenRow(id="a", question="What did Khwaja Asif write on X?", answer="open war", facts=[["open war"]],
                      sources=["004_fce48783007ea49c"], answerable=True),
            GoldenRow(id="b", question="How long is the border between Afghanistan and Pakistan?", answer="1,600 miles",
                      facts=[["1,600"]], sources=["004_fce48783007ea49c"], answerable=True)]
    eval_set = EvalSet(name="two", rows=rows, corpus_paths=[SEED_DIR])
    # a configured Chroma server is left alone: the scratch index is on disk (port 9 would refuse)
    settings = make_settings(tmp_path / "d", chroma_url="http://127.0.0.1:9")
    result = run_eval(eval_set, settings, embedder=HashingEmbedder(), chat=FunctionModel(reply))
    first, second = result.runs[0].rows
    assert not first.passed and "RuntimeError: backend fell over" in first.why[0]
    assert first.error and not first.refused  # an exception is an error, never a refusal
    assert result.runs[0].metrics["errors"] == 1
    assert second.answer and second.id == "b"


def _backend_down(messages: Sequence[Message]) -> str:
    raise LLMError("the model endpoint is down")


def test_reports_escape_article_text_and_show_every_row(tmp_path: Path) -> None:
    article = make_article("x", "Officials said <script>alert(1)</script> the talks resumed in Doha on Monday. "
                                "The delegations met for six hours.", title="Talks resume")
    rows = [GoldenRow(id="d1", question="Where did the talks resume?", answer="Doha", facts=[["Doha"]], sources=["x"],
                      answerable=True)]
    result = run_eval(EvalSet(name="escape", rows=rows, articles=[article]), make_settings(tmp_path / "d"),
                      embedder=HashingEmbedder(), chat=FunctionModel(_backend_down))
    assert "<script>" in result.runs[0].rows[0].answer  # the quoted fallback quotes the article as it is
    html_path = tmp_path / "r.html"
    write_report(html_path, [result], gate=["fact_accuracy: 0.1 is below the baseline 0.5"])
    html = html_path.read_text()
    assert "<script>alert" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Where did the talks resume?" in html and "fact_accuracy: 0.1 is below" in html
    markdown = render_markdown([result])
    assert "| d1 | Where did the talks resume? | Doha |" in markdown and "<script>" not in markdown
    saved = tmp_path / "result.json"
    saved.write_text(result.model_dump_json())
    assert load_result(saved).runs[0].rows[0].answer == result.runs[0].rows[0].answer
    assert json.loads(json.dumps(result.summary()))["metrics"]["rows"] == 1
