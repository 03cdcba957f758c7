"""Briefing time for ``rag bench``: the seed corpus, and a window of synthetic articles.

The window's articles are ingested with the curve's cheap 384-wide hashing vectors (the real embedder would
need most of an hour for 1,000 articles on two cores), so the window figure measures selection, storylines,
evidence, claims, timeline, the model's writing and verification at that scale, not embedding.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import Any

from bench.measure import PeakMemory
from evals.synthetic import DAYS, START, generate_articles
from rag.index.corpus import article_from_row
from rag.index.ingest import ingest_items
from rag.services import Services
from rag.settings import Settings


def measure_briefing(services: Services, settings: Settings, window: int, tick: Callable[[str], None],
                     notes: list[str]) -> dict[str, Any] | None:
    """Seconds (and stage timings, memory) to brief the seed corpus and a ``window``-article window."""
    try:
        from rag.briefing import BriefingOptions, generate_briefing
    except ImportError:
        notes.append("briefing time not measured: rag.briefing is not importable in this checkout")
        tick("briefing (not available)")
        return None
    result: dict[str, Any] = {}
    with PeakMemory() as memory:
        started = time.perf_counter()
        seed = generate_briefing(services, BriefingOptions())
        result["seed"] = _summary(seed, time.perf_counter() - started)
    result["seed"]["peak_rss_mib"] = round(memory.peak / 2**20, 1)
    tick("briefing: seed corpus")
    if not window:
        return result
    from bench.retrieval import FastHashingEmbedder

    window_services = Services(settings, embedder_override=FastHashingEmbedder(), chat_override=services.chat)
    items = [article_from_row(row.model_dump(), default_id=row.id) for row in generate_articles(window, seed=3)]
    started = time.perf_counter()
    ingest_items(items, window_services.store, window_services.embedder, window_services.settings)
    ingest_s = time.perf_counter() - started
    until = START + dt.timedelta(days=DAYS)
    with PeakMemory() as memory:
        started = time.perf_counter()
        briefing = generate_briefing(window_services, BriefingOptions(
            since=START, until=until, as_of=dt.datetime.combine(until, dt.time(12), dt.UTC)))
        result["window"] = _summary(briefing, time.perf_counter() - started)
    result["window"] |= {"peak_rss_mib": round(memory.peak / 2**20, 1), "articles": window,
                         "ingest_s_with_hashing_vectors": round(ingest_s, 1)}
    tick(f"briefing: {window:,}-article window")
    return result


def _summary(briefing: Any, seconds: float) -> dict[str, Any]:
    return {
        "seconds": round(seconds, 2),
        "articles_in_window": briefing.counts.model_dump(mode="json"),
        "stages_ms": {name: round(t.ms) for name, t in briefing.timings.items()},
        "model_calls": sum(t.model_calls for t in briefing.timings.values()),
    }
