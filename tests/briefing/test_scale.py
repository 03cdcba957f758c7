from __future__ import annotations

from tests.briefing.synthetic import synthetic_articles, time_stages


def test_a_window_of_a_thousand_articles_is_grouped_capped_and_briefed_quickly() -> None:
    articles = synthetic_articles(1000)
    assert articles == synthetic_articles(1000)  # deterministic
    timings = time_stages(articles, cap=6)
    assert 850 <= timings["articles"] < 1000  # reprints folded into their originals
    assert timings["storylines_total"] >= 20
    # Whatever the window's size, the model sees one call per section and a handful of sentences each.
    assert timings["model_calls"] == 5 and timings["evidence_sentences_shown"] <= 30
    non_model = sum(timings[k] for k in ("select", "storylines", "evidence", "claims", "timeline"))
    assert non_model < 120_000, timings
