from __future__ import annotations

import datetime as dt

import pytest

from rag.answer.timephrases import parse_time_phrase

TODAY = dt.date(2026, 3, 4)  # a Wednesday
D = dt.date


@pytest.mark.parametrize(
    ("question", "since", "until"),
    [
        ("What happened since Friday?", D(2026, 2, 27), None),
        ("Any strikes since Wednesday?", D(2026, 2, 25), None),  # said on a Wednesday: a week ago
        ("Clashes in February 2026?", D(2026, 2, 1), D(2026, 2, 28)),
        ("Clashes in February?", D(2026, 2, 1), D(2026, 2, 28)),
        ("Talks in December?", D(2025, 12, 1), D(2025, 12, 31)),  # the latest December that has begun
        ("since March 1", D(2026, 3, 1), None),
        ("since Feb. 27, 2026", D(2026, 2, 27), None),
        ("What happened yesterday?", D(2026, 3, 3), D(2026, 3, 3)),
        ("What happened last week?", D(2026, 2, 23), D(2026, 3, 1)),
        ("in the past 7 days", D(2026, 2, 25), D(2026, 3, 4)),
        ("since 2026-02-27", D(2026, 2, 27), None),
        ("in 2025", D(2025, 1, 1), D(2025, 12, 31)),
        ("last month", D(2026, 2, 1), D(2026, 2, 28)),
    ],
)
def test_time_phrases_become_date_ranges(question: str, since: dt.date | None, until: dt.date | None) -> None:
    found = parse_time_phrase(question, TODAY)
    assert found is not None and (found.since, found.until) == (since, until)


def test_a_question_without_a_time_phrase_has_no_range() -> None:
    assert parse_time_phrase("What did Khwaja Asif say?", TODAY) is None
