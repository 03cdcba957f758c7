"""When a page was published, from its own text: the timestamp a site prints at the top of the page.

Scraped feeds often give no date, and a URL holds one only on some sites. Many pages open with a timestamp, a full
date printed with a clock time ("August 13, 2025 18:13 IST", "Published Aug 14, 2025 at 10:00 AM EDT", "Posted on
08/16/2025 2:29:55 PM PDT"). A date with a clock time is when the page was stamped, not when an event happened:
reporting dates events by day ("on Thursday", "on Feb. 27"), not to the minute beside a full date. So the first
such stamp in the page's opening :data:`OPENING_CHARS` characters is taken as its publication date; a date after
today, or before 1990, is not, nor a slashed date that reads both ways (05/08/2025). Only a scraped page (one with a
URL) is read this way: a snippet or a pasted text may open with an event's time ("On Jan. 6, 2023, at 12:00 a.m.
the season premieres"). ``dateparser`` reads the date; the pattern only finds where a timestamp is.
"""

from __future__ import annotations

import datetime as dt
import re

from rag.text import MONTH_PATTERN

OPENING_CHARS = 400
"""How far into the page a timestamp is looked for (the dateline sits above or beside the first paragraph)."""
EARLIEST = dt.date(1990, 1, 1)
_DATE = (rf"(?:{MONTH_PATTERN} \d{{1,2}},? \d{{4}}|\d{{1,2}} {MONTH_PATTERN},? \d{{4}}|\d{{1,2}}/\d{{1,2}}/\d{{4}}|"
         r"\d{4}-\d{2}-\d{2})")
_CLOCK = r"\d{1,2}[:.]\d{2}(?::\d{2})?\s*(?:[AaPp]\.?[Mm]\.?)?"
STAMP = re.compile(rf"(?<![\w/-])({_DATE})[\s,|•·–—-]{{0,4}}(?:at\s+)?{_CLOCK}(?!\d)")
"""A full date, then (after a separator or "at") a clock time."""


def stamped_date(body: str, today: dt.date | None = None) -> dt.date | None:
    """The date of the first timestamp in the page's opening, or ``None``."""
    match = STAMP.search(body[:OPENING_CHARS])
    if match is None:
        return None
    numbers = [int(n) for n in re.findall(r"\d+", match.group(1))]
    if "/" in match.group(1) and numbers[0] <= 12 and numbers[1] <= 12 and numbers[0] != numbers[1]:
        return None  # 05/08/2025: May 8 in the US, 5 August elsewhere
    from dateparser import parse

    parsed = parse(match.group(1).replace(".", ""), languages=["en"],
                   settings={"DATE_ORDER": "MDY" if "/" in match.group(1) else "DMY", "PREFER_DAY_OF_MONTH": "first"})
    if parsed is None:
        return None
    day = parsed.date()
    return day if EARLIEST <= day <= (today or dt.date.today()) else None
