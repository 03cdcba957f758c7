"""The CI gate on main: the seed eval with the embedded default meets every gated metric in the baseline.

Real 0.5B GGUF, real embedder, real on-disk Chroma; the baseline is ``evals/baseline.json``.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from evals.metrics import METRIC_KEYS
from tests.conftest import ROOT

pytestmark = pytest.mark.model


def test_seed_eval_meets_the_committed_baseline(gguf_path: Path, tmp_path: Path) -> None:
    report, out = tmp_path / "seed.html", tmp_path / "seed.json"
    run = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "rag"), "eval", "--gate", "evals/baseline.json", "--json",
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
    assert report.stat().st_size > 10_000 and json.loads(out.read_text())["dataset"] == "seed_golden"
