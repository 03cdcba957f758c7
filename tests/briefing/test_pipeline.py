from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from rag.briefing import BriefingError, BriefingOptions, generate_briefing, render_html, render_markdown, resume_briefing
from rag.briefing.pipeline import runs_dir
from rag.cli.brief import parse_since, write_daily
from rag.index.ingest import ingest_paths
from rag.services import Services
from rag.testing.llm import QueueModel

STAGES = ["select", "storylines", "evidence", "claims", "timeline", "write", "verify"]
NEW_ARTICLE = """---
title: "Kabul and Islamabad agree to a ceasefire in Doha"
outlet: Gulf Wire
published_at: {day}
---
Afghanistan and Pakistan agreed to an immediate ceasefire in Doha on Monday after talks mediated by Qatar and Turkey.
Pakistan's foreign ministry said both sides would meet again in Istanbul to set up a monitoring mechanism.
"""


def test_every_stage_saves_its_artifact_and_the_briefing_is_stored(seeded_services: Services) -> None:
    briefing = generate_briefing(seeded_services, BriefingOptions())
    folder = runs_dir(seeded_services) / briefing.run_id
    assert all((folder / f"{stage}.json").is_file() for stage in STAGES)
    assert set(briefing.timings) == {*STAGES, "render"} and briefing.timings["write"].model_calls == 5
    assert briefing.counts.articles == 3 and briefing.counts.cited_articles == 3
    assert briefing.dropped + briefing.replaced >= 4 and all("400" in f for f in briefing.failures)
    assert all("400" not in s.text for s in briefing.all_sentences())
    stored = seeded_services.database.get_briefing(briefing.id)
    assert stored is not None and json.loads(stored.payload_json)["id"] == briefing.id
    assert stored.markdown == render_markdown(briefing)
    # JSON shape the API and the CLI print.
    data = json.loads(briefing.model_dump_json())
    assert {"id", "as_of", "window", "counts", "sections", "contested", "timeline", "sources", "dropped", "timings"} <= set(data)
    citation = data["sections"][0]["sentences"][0]["citations"][0]
    assert set(citation) == {"article_id", "title", "outlet", "published_at", "url", "quote", "start", "end"}
    assert any(point["response"] is None for point in data["contested"])


def test_resume_skips_completed_stages_and_does_not_call_the_model_again(seeded_services: Services) -> None:
    first = generate_briefing(seeded_services, BriefingOptions())
    folder = runs_dir(seeded_services) / first.run_id
    (folder / "verify.json").unlink()
    resumed_services = Services(seeded_services.settings, embedder_override=seeded_services.embedder,
                                chat_override=QueueModel([]))  # any model call would raise
    again = resume_briefing(resumed_services, first.run_id)
    assert again.timings["write"].resumed and not again.timings["verify"].resumed
    assert [s.text for s in again.all_sentences()] == [s.text for s in first.all_sentences()]
    with pytest.raises(BriefingError, match="no briefing run"):
        resume_briefing(resumed_services, "no-such-run")


def test_the_next_briefing_starts_where_the_last_ended_and_marks_new_developments(
        seeded_services: Services, tmp_path: Path) -> None:
    today = dt.datetime.now(dt.UTC)
    first = generate_briefing(seeded_services, BriefingOptions(as_of=today))
    assert not any(s.new for s in first.all_sentences())
    article = tmp_path / "new" / "ceasefire.md"
    article.parent.mkdir()
    article.write_text(NEW_ARTICLE.format(day=today.date().isoformat()), encoding="utf-8")
    ingest_paths([article.parent], seeded_services.store, seeded_services.embedder, seeded_services.settings)
    second = generate_briefing(seeded_services, BriefingOptions(since_last=True, as_of=today + dt.timedelta(hours=1)))
    assert second.previous_id == first.id and second.window.start == first.window.end
    new = [s for s in second.all_sentences() if s.new]
    assert new and all(c.article_id == "ceasefire" for s in new for c in s.citations)
    assert any(c.article_id == "ceasefire" for s in new for c in s.citations)
    old = [s for s in second.all_sentences() if all(c.article_id != "ceasefire" for c in s.citations)]
    assert old and not any(s.new for s in old)
    assert "**NEW**" in render_markdown(second) and ">NEW<" in render_html(second)


def test_daily_writes_one_briefing_per_day(seeded_services: Services, tmp_path: Path) -> None:
    now = dt.datetime(2026, 11, 21, 6, 0, tzinfo=dt.UTC)
    paths, made = write_daily(seeded_services, tmp_path / "daily", BriefingOptions(since_last=True, as_of=now))
    assert made is not None and sorted(p.name for p in paths.values()) == [
        "briefing-2026-11-21.html", "briefing-2026-11-21.json", "briefing-2026-11-21.md"]
    stamp = paths["json"].stat().st_mtime_ns
    later = now + dt.timedelta(hours=5)
    again_paths, again = write_daily(seeded_services, tmp_path / "daily", BriefingOptions(since_last=True, as_of=later))
    assert again is None and again_paths == paths and paths["json"].stat().st_mtime_ns == stamp
    assert len(seeded_services.database.list_briefings()) == 1


def test_since_accepts_dates_relative_spans_and_last() -> None:
    now = dt.datetime(2026, 3, 4, 12, tzinfo=dt.UTC)
    assert parse_since("2026-03-01", now) == (dt.date(2026, 3, 1), False)
    assert parse_since("24h", now) == (dt.date(2026, 3, 3), False)
    assert parse_since("7d", now) == (dt.date(2026, 2, 25), False)
    assert parse_since("last", now) == (None, True)
    with pytest.raises(Exception, match="use a date"):
        parse_since("yesterday-ish", now)


def test_a_window_that_ends_before_it_starts_is_refused(seeded_services: Services) -> None:
    with pytest.raises(BriefingError, match="after it ends"):
        generate_briefing(seeded_services, BriefingOptions(since=dt.date(2026, 3, 5), until=dt.date(2026, 3, 1)))
