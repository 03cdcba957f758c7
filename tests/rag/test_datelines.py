"""A scraped page without a date takes the one its own timestamp gives; an event's time in the text never does."""

from __future__ import annotations

import datetime as dt

import pytest

from rag.index.corpus import make_article
from rag.index.datelines import stamped_date

TODAY = dt.date(2026, 3, 10)
STORY = "The council reopened the river crossing. Trucks resumed on Monday."


@pytest.mark.parametrize(("opening", "date"), [
    ("March 3, 2026 18:13 IST ", dt.date(2026, 3, 3)),
    ("Published Mar 3, 2026 at 10:00 AM EDT ", dt.date(2026, 3, 3)),
    ("Skip to comments. Posted on 03/03/2026 2:29:55 PM PST by a reader ", dt.date(2026, 3, 3)),
    ("Updated: 3 March 2026, 09:15 | Halvik ", dt.date(2026, 3, 3)),
    ("2026-03-03 07:30 ", dt.date(2026, 3, 3)),
])
def test_a_timestamp_at_the_top_of_the_page_dates_it(opening: str, date: dt.date) -> None:
    assert stamped_date(opening + STORY, TODAY) == date


@pytest.mark.parametrize("text", [
    "The talks began on March 3, 2026 and resumed on Monday.",  # a date with no clock time is an event's
    "Posted on 05/03/2026 10:00 AM by a reader. " + STORY,  # May 3 or 5 March: it reads both ways
    "March 30, 2026 18:13 IST " + STORY,  # after today
    "The council met at 10:30 on Monday. " * 12 + "March 3, 2026 18:13 IST",  # past the page's opening
])
def test_no_timestamp_no_date(text: str) -> None:
    assert stamped_date(text, TODAY) is None


def test_a_page_keeps_its_given_date_and_only_a_scraped_page_is_read_for_one() -> None:
    body = "March 3, 2026 18:13 IST " + STORY
    assert make_article("a", body, url="https://paper.example/news/x").published_at == dt.date(2026, 3, 3)
    assert make_article("b", body, url="https://paper.example/news/x",
                        published_at="2026-03-04").published_at == dt.date(2026, 3, 4)
    assert make_article("c", body).published_at is None  # a snippet or pasted text: not guessed
    # The headline's number opening the slug is no day: the page's own stamp dates it.
    assert make_article("d", body, url="https://paper.example/2026/03/10-sunday-reads/").published_at == dt.date(2026, 3, 3)
