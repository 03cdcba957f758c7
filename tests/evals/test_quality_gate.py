"""The CI gate on main: the seed eval's test half with the embedded default meets every gated metric in the baseline.

Real 0.5B GGUF, real embedder, real on-disk Chroma; the baseline is ``evals/baseline.json`` (measured on the test
split; thresholds were tuned on the tune split). The verifier benchmark's test half is gated the same way.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from evals.metrics import METRIC_KEYS
from tests.conftest import ROOT

pytestmark = pytest.mark.model


def test_seed_eval_meets_the_committed_baseline(gguf_path: Path, tmp_path: Path) -> None:
    report, out = tmp_path / "seed.html", tmp_path / "seed.json"
    run = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "rag"), "eval", "--split", "test", "--gate", "evals/baseline.json", "--json",
         "--report", str(report), "--out", str(out)],
        capture_output=True, text=True, cwd=ROOT, timeout=3000,
    )
    summary = json.loads(run.stdout) if run.stdout.strip() else {}
    failures = summary.get("gate")
    # Print the figures so a CI log shows where main stands against the baseline.
    print(json.dumps({k: summary.get("metrics", {}).get(k) for k in METRIC_KEYS}, indent=1))
    assert run.returncode == 0, f"gate failed: {failures or run.stderr[-3000:]}"
    assert failures == [] and set(METRIC_KEYS) <= set(summary["metrics"])
    assert len(summary["rows"]) == summary["metrics"]["rows"] >= 40
    assert report.stat().st_size > 10_000 and json.loads(out.read_text())["dataset"] == "seed_golden-test"
    assert summary["metrics"]["errors"] == 0


def test_verifier_benchmark_meets_the_committed_baseline(gguf_path: Path, tmp_path: Path) -> None:
    run = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "rag"), "eval", "--format", "claims", "--split", "test", "--gate",
         "evals/claims_baseline.json", "--json", "--out", str(tmp_path / "claims.json")],
        capture_output=True, text=True, cwd=ROOT, timeout=1200, env={**os.environ, "RAG_MODEL_PATH": str(gguf_path)},
    )
    summary = json.loads(run.stdout) if run.stdout.strip() else {}
    print(json.dumps({k: v for k, v in summary.get("metrics", {}).items()}, indent=1))
    assert run.returncode == 0, f"gate failed: {summary.get('gate') or run.stderr[-3000:]}"
    assert summary["metrics"]["items"] == 80 and summary["gate"] == []
