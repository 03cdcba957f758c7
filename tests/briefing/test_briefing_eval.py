from __future__ import annotations

import json
from pathlib import Path

import pytest

from evals.boilerplate import BoilerplatePattern
from evals.briefing_eval import BRIEFING_DATASET, run_briefing_eval
from evals.briefing_metrics import (
    OffTopic,
    check_briefing_gate,
    independently_supported,
    load_briefing_golden,
    score_briefing_full,
)
from evals.datasets import DatasetError
from rag.briefing.models import BriefSentence
from rag.services import Services
from tests.conftest import ROOT

GOLDEN = ROOT / BRIEFING_DATASET


def test_the_golden_names_both_sides_of_the_three_contested_points_and_dated_events() -> None:
    golden = load_briefing_golden(GOLDEN)
    assert [c.id for c in golden.contested] == ["cp01", "cp02", "cp03"]
    assert golden.contested[0].response is None and all(c.response for c in golden.contested[1:])
    assert {"2026-02-26", "2026-02-27", "2025-10", None} <= {e.date for e in golden.timeline}


def test_the_seed_briefing_scores_every_contested_point_and_timeline_event(seeded_services: Services) -> None:
    result = run_briefing_eval(GOLDEN, [], seeded_services.settings, services=seeded_services)
    metrics = result.metrics
    assert metrics["contested_both_sides"] == 1.0, result.details["contested_missed"]
    assert metrics["timeline_dates"] == 1.0, result.details["timeline_missed"]
    assert metrics["unsupported_entities"] == 0 and metrics["independent_support"] == 1.0
    assert metrics["key_point_coverage"] is not None and metrics["key_point_coverage"] >= 0.5

    bodies = {a.id: a.body for a in seeded_services.store.list_articles()}
    tampered = result.briefing.model_copy(deep=True)
    first = tampered.sections[0].sentences[0]
    tampered.sections[0].sentences[0] = BriefSentence(text=first.text + " Russia sent 900 troops.",
                                                      citations=first.citations)
    worse = score_briefing_full(tampered, load_briefing_golden(GOLDEN), bodies)["metrics"]
    assert worse["unsupported_entities"] == 2 and worse["unsupported_sentences"] == 1


def test_the_independent_check_wants_the_names_numbers_and_most_words() -> None:
    quote = "According to Taliban officials, at least six people were killed in Kabul."
    assert independently_supported("Taliban officials said at least six people were killed in Kabul.", quote)
    assert not independently_supported("Pakistani officials said at least six people were killed in Kabul.", quote)
    assert not independently_supported("At least 60 people were killed in Kabul.", quote)


def test_the_briefing_gate_fails_on_a_worse_metric_and_names_unknown_ones(tmp_path: Path) -> None:
    baseline = tmp_path / "b.json"
    baseline.write_text(json.dumps({"metrics": {"contested_both_sides": 1.0, "unsupported_entities": 0}}))
    assert check_briefing_gate({"contested_both_sides": 1.0, "unsupported_entities": 0}, baseline) == []
    failures = check_briefing_gate({"contested_both_sides": 0.67, "unsupported_entities": 2}, baseline)
    assert failures == ["contested_both_sides: 0.67 is below the baseline 1.0",
                        "unsupported_entities: 2 is above the baseline 0"]
    baseline.write_text(json.dumps({"metrics": {"vibes": 1}}))
    with pytest.raises(DatasetError, match="unknown metric"):
        check_briefing_gate({}, baseline)


def test_boilerplate_and_off_topic_sentences_are_counted_from_the_briefing_text(seeded_services: Services) -> None:
    result = run_briefing_eval(GOLDEN, [], seeded_services.settings, services=seeded_services)
    golden = load_briefing_golden(GOLDEN)
    bodies = {a.id: a.body for a in seeded_services.store.list_articles()}
    first = result.briefing.sections[0].sentences[0]
    clean = score_briefing_full(result.briefing, golden, bodies, [BoilerplatePattern(id="x", pattern="Log In")])
    assert clean["metrics"]["boilerplate_sentences"] == 0 and clean["metrics"]["off_topic_sentences"] is None

    tampered = result.briefing.model_copy(deep=True)
    tampered.sections[0].sentences[0] = BriefSentence(text="Log In/Connect with: Will be displayed.",
                                                      citations=first.citations)
    patterns = [BoilerplatePattern(id="login", pattern="Log In/Connect"),
                BoilerplatePattern(id="display", pattern=r"Will (?:not )?be displayed", regex=True)]
    outside = golden.model_copy(update={"off_topic": OffTopic(why="t", articles=[first.citations[0].article_id])})
    worse = score_briefing_full(tampered, outside, bodies, patterns)
    assert worse["metrics"]["boilerplate_sentences"] == 1
    assert {f["pattern"] for f in worse["details"]["boilerplate"]} == {"login", "display"}
    assert worse["metrics"]["off_topic_sentences"] >= 1
    assert "Log In/Connect with: Will be displayed." in worse["details"]["off_topic"]


def test_a_golden_file_without_halves_refuses_a_split() -> None:
    golden = load_briefing_golden(GOLDEN)
    with pytest.raises(DatasetError, match="no tune/test halves"):
        golden.half("tune")
    with pytest.raises(DatasetError, match="tune"):
        golden.half("middle")
