"""End to end with the real parts.

The seeds in on-disk Chroma, the real embedder, the embedded 0.5B model writing, and the configured gate.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from evals.briefing_eval import BRIEFING_DATASET, load_briefing_golden, score_briefing_full
from rag.briefing import BriefingOptions, generate_briefing
from rag.embed import Embedder
from rag.ingest import ingest_paths
from rag.services import Services
from tests.conftest import ROOT, SEED_DIR, make_settings


@pytest.mark.model
def test_the_seed_briefing_with_the_local_model(tmp_path: Path, gguf_path: Path, real_embedder: Embedder) -> None:
    services = Services(make_settings(tmp_path / "data", model_path=gguf_path), embedder_override=real_embedder)
    ingest_paths([SEED_DIR], services.store, services.embedder, services.settings)
    briefing = generate_briefing(services, BriefingOptions())
    bodies = {a.id: a.body for a in services.store.list_articles()}
    scored = score_briefing_full(briefing, load_briefing_golden(ROOT / BRIEFING_DATASET), bodies)
    metrics, details = scored["metrics"], scored["details"]
    # The three contested points, each side cited to its article (or "no response in the sources").
    assert metrics["contested_both_sides"] == 1.0, details["contested_missed"]
    # The seeds' dated events with their resolved dates; undated ones kept as written.
    assert metrics["timeline_dates"] == 1.0, details["timeline_missed"]
    # Nothing unsupported reaches the reader: every sentence passed the gate against its one quote.
    assert metrics["unsupported_entities"] == 0 and metrics["unsupported_sentences"] == 0, details["unsupported"]
    for sentence in briefing.all_sentences():
        citation = sentence.citations[0]
        assert bodies[citation.article_id][citation.start:citation.end] == citation.quote
        assert services.verifier.check(sentence.text, citation.quote).supported
    assert briefing.timings["write"].model_calls == 5 and briefing.model
    assert briefing.dropped + briefing.replaced == len(briefing.failures)
