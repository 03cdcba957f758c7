"""The real-feed gate: the news2 golden sets' test halves over the scraped pages, ingested once for the module.

The 118 pages of ``../shared/benchmarks/news2/news2_dev.jsonl`` (boilerplate and all, never copied in) go through
``rag ingest`` into one data directory; ``rag eval`` then answers the question file's test half and briefs the
outline's test half on that index (``--data-dir``), each against its committed baseline. Boilerplate is checked
against the hand-made pattern list in every answer, quote and briefing sentence.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.evals.datasets import news2_corpus_path

pytestmark = [pytest.mark.model, pytest.mark.slow]
RAG = str(ROOT / ".venv" / "bin" / "rag")
DATASETS = ROOT / "evals" / "datasets"


@pytest.fixture(scope="module")
def news2_index(gguf_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    corpus = news2_corpus_path()
    if not corpus.is_file():
        pytest.fail(f"the news2 corpus is missing: expected {corpus} (or set RAG_NEWS2_PATH)", pytrace=False)
    data_dir = tmp_path_factory.mktemp("news2") / "data"
    run = subprocess.run([RAG, "ingest", str(corpus), "--data-dir", str(data_dir), "--json"],
                         capture_output=True, text=True, cwd=ROOT, timeout=1800, env=_env(gguf_path))
    assert run.returncode == 0, run.stderr[-3000:]
    report = json.loads(run.stdout)
    assert len(report["added"]) >= 110 and report["boilerplate"], "ingest kept too few pages or masked nothing"
    return data_dir


def _env(gguf_path: Path) -> dict[str, str]:
    return {**os.environ, "RAG_MODEL_PATH": str(gguf_path), "HF_HUB_OFFLINE": "1"}


def _eval(args: list[str], gguf_path: Path) -> tuple[subprocess.CompletedProcess[str], dict[str, object]]:
    run = subprocess.run([RAG, "eval", *args, "--json"], capture_output=True, text=True, cwd=ROOT, timeout=3000,
                         env=_env(gguf_path))
    summary = json.loads(run.stdout) if run.stdout.strip() else {}
    return run, summary


def test_news2_questions_meet_their_baseline_with_no_boilerplate_quoted(news2_index: Path, gguf_path: Path,
                                                                          tmp_path: Path) -> None:
    run, summary = _eval(["--dataset", str(DATASETS / "news2_golden.jsonl"), "--corpus", str(news2_corpus_path()),
                          "--data-dir", str(news2_index), "--split", "test",
                          "--boilerplate", str(DATASETS / "news2_boilerplate.json"),
                          "--gate", "evals/news2_baseline.json", "--out", str(tmp_path / "news2.json")], gguf_path)
    metrics = summary.get("metrics", {})
    print(json.dumps(metrics, indent=1))  # where main stands, in the CI log
    assert run.returncode == 0, f"gate failed: {summary.get('gate') or run.stderr[-3000:]}"
    assert metrics["rows"] == 26 and metrics["boilerplate_answers"] == 0 and metrics["errors"] == 0


def test_the_news2_briefing_meets_its_baseline_with_no_boilerplate_or_sport(news2_index: Path, gguf_path: Path,
                                                                            tmp_path: Path) -> None:
    run, summary = _eval(["--format", "briefing", "--dataset", str(DATASETS / "news2_briefing_golden.json"),
                          "--data-dir", str(news2_index), "--split", "test",
                          "--gate", "evals/news2_briefing_baseline.json", "--out", str(tmp_path / "brief.json")],
                         gguf_path)
    print(json.dumps(summary, indent=1))
    assert run.returncode == 0, f"gate failed: {summary.get('gate') or run.stderr[-3000:]}"
    assert summary["boilerplate_sentences"] == 0, summary["missed"]
    assert summary["off_topic_sentences"] == 0, summary["missed"]
