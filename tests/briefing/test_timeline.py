from __future__ import annotations

import calendar
import datetime as dt

import pytest

from rag.briefing.evidence import article_candidates, mark_fragments
from rag.briefing.timeline import build_timeline, find_date_phrases
from rag.types import Article

PUBLISHED = dt.date(2026, 3, 3)  # a Tuesday


@pytest.mark.parametrize(("text", "published", "phrase", "date"), [
    ("There were fierce clashes last Thursday.", PUBLISHED, "last Thursday", "2026-02-26"),
    ("And on Feb. 27, troops stormed the posts.", PUBLISHED, "Feb. 27", "2026-02-27"),
    ("The last time was in October last year, again.", PUBLISHED, "October last year", "2025-10"),
    ("the January 2024 bombing in Kerman", None, "January 2024", "2024-01"),
    ("a house hit on Feb. 22, 2026. Photo", None, "Feb. 22, 2026", "2026-02-22"),
    ("a militant group that emerged in Pakistan around 2007.", None, "2007", "2007"),
    ("Speaking in Kabul on Sunday, he said", None, "on Sunday", None),
    ("Speaking in Kabul on Sunday, he said", dt.date(2026, 3, 4), "on Sunday", "2026-03-01"),
    ("And on Feb. 27, troops stormed the posts.", None, "Feb. 27", None),
])
def test_date_phrases_resolve_against_the_publication_date(text: str, published: dt.date | None, phrase: str,
                                                          date: str | None) -> None:
    found = find_date_phrases(text, published)
    assert [(p.text, p.date) for p in found] == [(phrase, date)]


MONDAY = dt.date(2026, 3, 2)


@pytest.mark.parametrize(("text", "published", "date"), [
    ("Officials met on Monday.", MONDAY, "2026-03-02"),  # the day it was published, not a week before
    ("Officials met Monday.", MONDAY, "2026-03-02"),
    ("Officials met on Sunday.", MONDAY, "2026-03-01"),
    ("Officials met on Tuesday.", MONDAY, "2026-02-24"),
    ("Officials met last Monday.", MONDAY, "2026-02-23"),  # "last" is before the day it is written on
    ("Officials will meet next Monday.", MONDAY, "2026-03-09"),
    ("There were clashes last Thursday.", PUBLISHED, "2026-02-26"),
    ("The crossing closed on Tuesday.", PUBLISHED, "2026-03-03"),
    ("Fighting subsided late Saturday.", dt.date(2026, 3, 7), "2026-03-07"),
    ("Strikes began early Friday.", dt.date(2026, 3, 7), "2026-03-06"),
    ("Talks ended on Friday.", dt.date(2025, 12, 31), "2025-12-26"),  # across a year
    ("Talks ended on Thursday.", dt.date(2024, 2, 29), "2024-02-29"),  # a leap day that is a Thursday
    ("Talks ended on Sunday.", dt.date(2024, 3, 1), "2024-02-25"),  # across a leap February
])
def test_a_weekday_is_the_most_recent_such_day_on_or_before_publication(text: str, published: dt.date,
                                                                         date: str) -> None:
    assert [p.date for p in find_date_phrases(text, published)] == [date]


@pytest.mark.parametrize("published", [MONDAY + dt.timedelta(days=n) for n in range(7)])
def test_every_weekday_resolves_within_the_week_up_to_the_publication_day(published: dt.date) -> None:
    for weekday in range(7):
        name = calendar.day_name[weekday]
        resolved = dt.date.fromisoformat(find_date_phrases(f"It happened on {name}.", published)[0].date or "")
        assert resolved.weekday() == weekday and 0 <= (published - resolved).days <= 6, (name, published)


def test_may_the_verb_is_not_a_month() -> None:
    assert find_date_phrases("Pakistan may have intensified surveillance.", PUBLISHED) == []


def test_the_timeline_orders_dated_events_and_keeps_undated_ones_as_written() -> None:
    body = ("Fighting subsided late Sunday after mediation.\n"
            "There were fierce nighttime border clashes last Thursday. The posts were stormed on Feb. 27, officials said.\n"
            "He cited the January 2024 bombing in Kerman, and the March 2024 attack in Moscow.")
    dated = Article(id="d", title="t", published_at=PUBLISHED, body=body)
    events = build_timeline(article_candidates(dated, 1))
    assert [(e.date, e.date_text) for e in events] == [
        ("2024-01", "January 2024"), ("2024-03", "March 2024"), ("2026-02-26", "last Thursday"),
        ("2026-02-27", "Feb. 27"), ("2026-03-01", "late Sunday")]
    undated = Article(id="u", title="t", body=body)
    sunday = next(e for e in build_timeline(article_candidates(undated, 1)) if "Sunday" in e.date_text)
    assert sunday.date is None and sunday.date_text == "late Sunday (date not given)"
    for event in events:  # each event cites the exact stretch of the body it comes from
        citation = event.citations[0]
        assert body[citation.start:citation.end] == citation.quote == event.event
    assert events[0].event == "He cited the January 2024 bombing in Kerman"


def test_a_dated_fragment_is_no_event_but_a_dated_statement_is() -> None:
    body = ("Founded in 1949 by the river council.\n"
            "Militias shelled the river port on Feb. 27, the council said.\n"
            "Read more: our coverage since 2015 and more...")
    article = Article(id="f", title="t", published_at=PUBLISHED, body=body)
    candidates = article_candidates(article, 1)
    mark_fragments([c for c in candidates if not c.heading])
    assert [c.fragment for c in candidates] == [True, False, True]
    events = build_timeline(candidates)
    assert [(e.date, e.event) for e in events] == [
        ("2026-02-27", "Militias shelled the river port on Feb. 27, the council said.")]


@pytest.mark.parametrize("text", [
    "The broadcaster holds the rights to the tournament until 2031.",
    "The court ordered that elections be held by September 2024.",
    "The border stays closed till March 3, 2026, officials said.",
])
def test_a_date_that_ends_a_span_or_sets_a_deadline_dates_no_event(text: str) -> None:
    assert find_date_phrases(text, dt.date(2025, 8, 15)) == []


def test_a_date_after_in_or_on_still_dates_its_event() -> None:
    phrases = find_date_phrases("The talks began in 2019 and resumed on March 3, 2026.", dt.date(2026, 3, 5))
    assert [(p.text, p.date) for p in phrases] == [("2019", "2019"), ("March 3, 2026", "2026-03-03")]


@pytest.mark.parametrize("text", [
    "August 13, 2025 18:13 IST The sports ministry defended the bill.",
    "(The above story first appeared on the site on Aug 15, 2025 11:45 PM IST.",
])
def test_the_page_timestamp_dates_no_event(text: str) -> None:
    assert find_date_phrases(text, dt.date(2025, 8, 15)) == []
