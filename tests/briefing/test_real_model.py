"""End to end with the real parts, gated on the committed briefing baseline.

The seeds in on-disk Chroma, the real embedder, the embedded 0.5B model writing, the configured verification
gate; the same run as ``rag eval --format briefing --gate evals/briefing_baseline.json``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from evals.briefing_eval import BRIEFING_DATASET, run_briefing_eval
from evals.briefing_metrics import check_briefing_gate
from tests.conftest import ROOT, SEED_DIR, make_settings


@pytest.mark.model
def test_the_seed_briefing_with_the_local_model_meets_the_baseline(tmp_path: Path, gguf_path: Path) -> None:
    result = run_briefing_eval(ROOT / BRIEFING_DATASET, [SEED_DIR], make_settings(tmp_path / "data", model_path=gguf_path))
    metrics, details, briefing = result.metrics, result.details, result.briefing
    print(metrics)  # where main stands, in the CI log
    # The three contested points, each side cited to its article (or "no response in the sources").
    assert metrics["contested_both_sides"] == 1.0, details["contested_missed"]
    # The seeds' dated events with their resolved dates; undated ones kept as written.
    assert metrics["timeline_dates"] == 1.0, details["timeline_missed"]
    # Nothing unsupported reaches the reader.
    assert metrics["unsupported_entities"] == 0 and metrics["unsupported_sentences"] == 0, details["unsupported"]
    assert check_briefing_gate(metrics, ROOT / "evals" / "briefing_baseline.json") == []
    # Every citation's quote is the article's text at its offsets and an independent check accepts the sentence.
    assert metrics["independent_support"] == 1.0
    assert briefing.timings["write"].model_calls == 5 and briefing.model
    assert briefing.dropped + briefing.replaced == len(briefing.failures)
