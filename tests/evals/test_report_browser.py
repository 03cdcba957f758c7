"""The HTML report opens in a real browser (headless Chromium) with its tables, and article text stays text."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from evals.datasets import EvalSet, GoldenRow
from evals.report import write_report
from evals.runner import run_eval
from rag.index.corpus import make_article
from rag.testing.embed import HashingEmbedder
from tests.conftest import make_settings
from tests.evals.fakes import extractive_model


def test_report_renders_in_chromium(tmp_path: Path) -> None:
    chromium = shutil.which("chromium")
    assert chromium, "Chromium is installed by `make setup` (Debian package chromium)"
    article = make_article("x", "Officials said <img src=x onerror=alert(1)> talks resumed in Doha on Monday. "
                                "The delegations met for six hours.", title="Talks <b>resume</b>")
    rows = [GoldenRow(id="d1", question="Where did the talks resume?", answer="Doha", facts=[["Doha"]], sources=["x"],
                      answerable=True),
            GoldenRow(id="d2", question="Who won the 1998 World Cup?", answer=None, facts=[], sources=[], answerable=False)]
    result = run_eval(EvalSet(name="browser", rows=rows, articles=[article]), make_settings(tmp_path / "d"),
                      embedder=HashingEmbedder(), chat=extractive_model())
    report = tmp_path / "report.html"
    write_report(report, [result])
    dom = subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", report.as_uri()],
                         capture_output=True, text=True, timeout=120, check=True).stdout
    assert '<table id="metrics">' in dom and "fact_accuracy" in dom
    assert "Where did the talks resume?" in dom and "Who won the 1998 World Cup?" in dom
    assert dom.count("<img") == 0 and "<b>resume</b>" not in dom  # article markup arrives as text
    assert "PASS" in dom or "FAIL" in dom
