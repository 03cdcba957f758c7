"""``rag bench --quick`` keeps working: every ratio printed, each a positive number (no timing thresholds)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bench.run import RATIO_KEYS
from rag.cli import app

pytestmark = pytest.mark.slow  # subprocesses killed at every write, or a large store: minutes


@pytest.mark.model
def test_rag_bench_quick_prints_every_ratio_as_a_positive_number(
    gguf_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RAG_MODEL_PATH", str(gguf_path))
    monkeypatch.setenv("RAG_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("RAG_CHROMA_URL", raising=False)
    monkeypatch.delenv("RAG_BACKEND", raising=False)
    saved = tmp_path / "bench.json"
    result = CliRunner().invoke(app, ["bench", "--quick", "--json", "--save", str(saved)])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert printed == json.loads(saved.read_text())
    shares = {"verification_share_of_answer"}  # a share may be 0 (every sentence settled at once)
    missing = [key for key in RATIO_KEYS if not printed["ratios"].get(key, -1) > (-1 if key in shares else 0)]
    assert missing == [], printed["ratios"]
    assert [point["chunks"] >= 1000 for point in printed["curve"]] == [True]
    assert printed["machine"]["cpus"] >= 1 and printed["peak_rss_mib"]
    assert printed["ingest"]["chunks"] > 0 and len(printed["answers"]) == 1 and len(printed["peer"]) == 1
