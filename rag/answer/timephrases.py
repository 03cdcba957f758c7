"""Turn time phrases in a question ("since Friday", "in February 2026", "last week") into date filters."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

_WEEKDAYS = {name.lower(): i for i, name in enumerate(calendar.day_name)}
_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
_MONTH = r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"  # noqa: E501
_WEEKDAY = r"(monday|tuesday|wednesday|thursday|friday|saturday|sunday)"


@dataclass(frozen=True)
class DateRange:
    """Inclusive bounds; either may be open. ``phrase`` is the text that produced it."""

    since: dt.date | None
    until: dt.date | None
    phrase: str


def _month_number(word: str) -> int:
    return _MONTHS[word.lower().rstrip(".")[:3] if word.lower()[:3] != "may" else "may"]


def _month_range(year: int, month: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])


def _latest_month(today: dt.date, month: int) -> int:
    """The year of the most recent ``month`` that has begun by ``today``."""
    return today.year if month <= today.month else today.year - 1


def _last_weekday(today: dt.date, weekday: int) -> dt.date:
    """The most recent such weekday strictly before ``today`` ("since Friday" said on a Friday means a week ago)."""
    delta = (today.weekday() - weekday) % 7 or 7
    return today - dt.timedelta(days=delta)


def parse_time_phrase(text: str, today: dt.date) -> DateRange | None:
    """The first time phrase in ``text`` as a date range relative to ``today``, or ``None``."""
    lowered = text.lower()
    rules: list[tuple[str, object]] = [
        (rf"\b(?:since|after) (?:last )?{_WEEKDAY}\b", lambda m: (_last_weekday(today, _WEEKDAYS[m[1]]), None)),
        (rf"\bon {_WEEKDAY}\b", lambda m: (d := _last_weekday(today, _WEEKDAYS[m[1]]), d)),
        (rf"\b(?:in|during) {_MONTH},? (\d{{4}})\b", lambda m: _month_range(int(m[2]), _month_number(m[1]))),
        (rf"\bsince {_MONTH} (\d{{1,2}})(?:,? (\d{{4}}))?\b", lambda m: (
            dt.date(int(m[3]) if m[3] else _latest_month(today, _month_number(m[1])), _month_number(m[1]), int(m[2])),
            None)),
        (rf"\bsince {_MONTH},? (\d{{4}})\b", lambda m: (dt.date(int(m[2]), _month_number(m[1]), 1), None)),
        (rf"\bsince {_MONTH}\b", lambda m: (dt.date(_latest_month(today, _month_number(m[1])), _month_number(m[1]), 1), None)),
        (rf"\b(?:in|during) {_MONTH}\b", lambda m: _month_range(_latest_month(today, _month_number(m[1])), _month_number(m[1]))),
        (r"\b(?:in|during) (\d{4})\b", lambda m: (dt.date(int(m[1]), 1, 1), dt.date(int(m[1]), 12, 31))),
        (r"\b(?:since|after) (\d{4}-\d{2}-\d{2})\b", lambda m: (dt.date.fromisoformat(m[1]), None)),
        (r"\bbefore (\d{4}-\d{2}-\d{2})\b", lambda m: (None, dt.date.fromisoformat(m[1]) - dt.timedelta(days=1))),
        (r"\btoday\b", lambda m: (today, today)),
        (r"\byesterday\b", lambda m: (today - dt.timedelta(days=1), today - dt.timedelta(days=1))),
        (r"\b(?:in the |over the )?(?:past|last) (\d+) days\b", lambda m: (today - dt.timedelta(days=int(m[1])), today)),
        (r"\bthis week\b", lambda m: (today - dt.timedelta(days=today.weekday()), today)),
        (r"\blast week\b", lambda m: (
            today - dt.timedelta(days=today.weekday() + 7), today - dt.timedelta(days=today.weekday() + 1))),
        (r"\bthis month\b", lambda m: (today.replace(day=1), today)),
        (r"\blast month\b", lambda m: _month_range(*(
            (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)))),
    ]
    for pattern, build in rules:
        match = re.search(pattern, lowered)
        if match:
            since, until = build(match)  # type: ignore[operator]
            return DateRange(since, until, text[match.start() : match.end()])
    return None
