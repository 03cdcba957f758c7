"""Stage: a timeline of events dated from the article text, not the publication date.

Date phrases are found with a few patterns ("last Thursday", "on Feb. 27", "October last year", "March 2024",
"in 2007") and resolved by ``dateparser`` against the article's publication date; a weekday is the most recent
such day on or before it ("on Monday" in Monday's paper is that day). An article without a date keeps relative
phrases as written with the date left null ("Sunday (date not given)"); absolute ones ("January 2024") resolve
regardless. A date printed with a clock time is the page's timestamp (:mod:`rag.index.datelines`), not an event's.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from rag.briefing.evidence import Candidate
from rag.briefing.models import TimelineEvent
from rag.index.datelines import STAMP
from rag.text import MONTH_PATTERN, WEEKDAY_PATTERN

# Most specific first; a later pattern never matches inside an earlier match.
_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("full", re.compile(rf"\b{MONTH_PATTERN} \d{{1,2}}, \d{{4}}\b")),
    ("day", re.compile(rf"\b{MONTH_PATTERN} \d{{1,2}}\b(?!,? \d{{4}})(?!\d)")),
    ("month_year", re.compile(rf"\b{MONTH_PATTERN},? \d{{4}}\b")),
    ("month_relative", re.compile(rf"\b{MONTH_PATTERN} (?:last|this|next) year\b")),
    ("weekday", re.compile(rf"\b(?:(?:last|this|next|on|late|early) )?{WEEKDAY_PATTERN}\b")),
    ("year", re.compile(r"\b(?:in|since|around|of) ((?:19|20)\d{2})\b(?![-–]\d)")),
]
_BOUND = re.compile(r"\b(?:until|till|by)\s+$")
"""A date after "until", "till" or "by" ends a span or sets a deadline ("rights until 2031", "elections by
September 2024"): it is not when an event happened, so it dates no timeline event."""
_RELATIVE_KINDS = {"day", "month_relative", "weekday"}
_CLAUSE = re.compile(r",? (?:including|and|while|but) (?=the |a |an |[A-Z])|; ")


@dataclass(frozen=True)
class DatePhrase:
    text: str
    """As written, e.g. "last Thursday"."""
    start: int
    end: int
    kind: str
    date: str | None
    """ISO at the phrase's precision, or ``None`` when it cannot be resolved."""


def find_date_phrases(text: str, published: dt.date | None) -> list[DatePhrase]:
    """Date phrases in ``text``, resolved against ``published`` (relative ones stay null without it)."""
    taken: list[tuple[int, int]] = []
    found: list[DatePhrase] = []
    for kind, pattern in _PATTERNS:
        for match in pattern.finditer(text):
            start, end = match.span(1) if kind == "year" else match.span()
            if any(start < e and s < end for s, e in taken):
                continue
            if kind == "weekday" and re.match(r"since\b", text[max(0, start - 6):start].strip()):
                continue
            if _BOUND.search(text, max(0, start - 7), start) or STAMP.match(text, start):
                continue  # a deadline, or the page's timestamp ("August 13, 2025 18:13 IST"): no event's date
            taken.append((start, end))
            phrase = text[start:end]
            date = None if kind in _RELATIVE_KINDS and published is None else resolve_date(phrase, kind, published)
            found.append(DatePhrase(phrase, start, end, kind, date))
    return sorted(found, key=lambda p: p.start)


def resolve_date(phrase: str, kind: str, published: dt.date | None) -> str | None:
    """ISO date of ``phrase`` (at its precision), relative to ``published``; ``None`` when unparseable."""
    base = published or dt.date(2000, 1, 1)
    text = re.sub(r"^(?:last|this|next|on|late|early) ", "", phrase)
    if kind == "weekday":
        return _weekday_date(phrase, text, base)
    if kind == "month_relative":
        offset = {"last": -1, "this": 0, "next": 1}[phrase.split()[-2]]
        text = f"{phrase.split()[0]} {base.year + offset}"
    parsed = _parse(text, base)
    if parsed is None:
        return None
    day, period = parsed
    if period == "year":
        return f"{day.year:04d}"
    if period == "month":
        return f"{day.year:04d}-{day.month:02d}"
    return day.isoformat()


def _weekday_date(phrase: str, weekday: str, base: dt.date) -> str | None:
    """A weekday named in an article published on ``base``: the most recent such day on or before it.

    "On Monday" in Monday's paper is that Monday (dateparser, preferring the past, gives the week before). "Last
    Monday" is before the day it is written on, a week back on a Monday; "next Monday" the first one after it.
    """
    parsed = _parse(weekday, base)  # the library reads the name; only the week is chosen here
    if parsed is None:
        return None
    target = parsed[0].weekday()
    modifier = phrase.split()[0].lower() if phrase.split()[0] != weekday else ""
    if modifier == "next":
        return (base + dt.timedelta(days=(target - base.weekday()) % 7 or 7)).isoformat()
    back = (base.weekday() - target) % 7
    if modifier == "last" and back == 0:
        back = 7
    return (base - dt.timedelta(days=back)).isoformat()


@lru_cache(maxsize=4096)
def _parse(text: str, base: dt.date) -> tuple[dt.date, str] | None:
    from dateparser.date import DateDataParser

    settings = {
        "RELATIVE_BASE": dt.datetime(base.year, base.month, base.day),
        "PREFER_DATES_FROM": "past",
        "RETURN_TIME_AS_PERIOD": True,
        "PREFER_DAY_OF_MONTH": "first",
    }
    data = DateDataParser(languages=["en"], settings=settings).get_date_data(text.replace(".", ""))
    if data is None or data.date_obj is None:
        return None
    return data.date_obj.date(), str(data.period or "day")


def stated_as(phrase: DatePhrase) -> str:
    """How the date is shown: as written, plus "(date not given)" when it could not be resolved."""
    return phrase.text if phrase.date else f"{phrase.text} (date not given)"


def event_clause(sentence: str, phrase: DatePhrase) -> tuple[int, int]:
    """The clause of ``sentence`` holding ``phrase`` when the sentence dates several events, else all of it."""
    cuts = [0, *(m.end() for m in _CLAUSE.finditer(sentence)), len(sentence)]
    starts = [m.start() for m in _CLAUSE.finditer(sentence)]
    bounds = list(zip(cuts[:-1], [*starts, len(sentence)], strict=True))
    for start, end in bounds:
        if start <= phrase.start and phrase.end <= end:
            return start, end
    return 0, len(sentence)


def build_timeline(candidates: Sequence[Candidate]) -> list[TimelineEvent]:
    """Events from dated sentences: resolved dates ascending, then the unresolved ones in article order."""
    events: list[TimelineEvent] = []
    seen: set[tuple[str, str | None, int]] = set()
    for candidate in candidates:
        if (candidate.question or candidate.heading or candidate.fragment
                or (candidate.caption and "file photo" in candidate.text.lower())):
            continue
        phrases = find_date_phrases(candidate.text, candidate.published_at)
        for phrase in phrases:
            start, end = event_clause(candidate.text, phrase) if len(phrases) > 1 else (0, len(candidate.text))
            while start < end and candidate.text[start] in " ,;":
                start += 1
            while end > start and candidate.text[end - 1] in " ,;":
                end -= 1
            quote = candidate.text[start:end]
            key = (candidate.article_id, phrase.date, candidate.start + start)
            if key in seen or len(quote.split()) < 3:
                continue
            seen.add(key)
            citation = candidate.citation(candidate.start + start, candidate.start + end)
            events.append(TimelineEvent(date=phrase.date, date_text=stated_as(phrase), event=quote, citations=[citation]))
    dated = sorted((e for e in events if e.date), key=lambda e: e.date or "")
    return dated + [e for e in events if not e.date]

