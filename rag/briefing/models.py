"""Typed objects of the briefing pipeline: options in, one artifact per stage, the ``Briefing`` out."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

SectionKind = Literal["bottom_line", "developments", "humanitarian", "international", "watch"]
SECTION_TITLES: dict[str, str] = {
    "bottom_line": "Bottom line up front",
    "developments": "Key developments",
    "humanitarian": "Humanitarian impact",
    "international": "International reactions",
    "watch": "What to watch",
}
NO_RESPONSE = "no response in the sources"


class BriefingOptions(BaseModel):
    """What to brief on. Dates are inclusive; ``since_last`` starts where the previous briefing ended."""

    model_config = ConfigDict(extra="forbid")

    since: dt.date | None = None
    """First day of the window; ``None`` with ``since_last`` false means from the earliest article."""
    until: dt.date | None = None
    """Last day of the window (default: the day of ``as_of``)."""
    since_last: bool = False
    """Start the window where the latest stored briefing ended (all articles when there is none)."""
    topic: str | None = None
    """Only storylines about this (hybrid search over the window's articles)."""
    max_words: int = Field(default=600, ge=80, le=5000)
    """Cap on the words of the written sections (contested points, timeline and sources not counted)."""
    as_of: dt.datetime | None = None
    """The briefing's time (default: now, UTC)."""
    max_storylines: int = Field(default=6, ge=1, le=50)
    """Storylines whose evidence may reach the model."""
    evidence_per_section: int = Field(default=6, ge=1, le=12)
    """Numbered evidence sentences shown to the model per section."""


class Citation(BaseModel):
    """An exact quote from an article: ``body[start:end] == quote``."""

    model_config = ConfigDict(frozen=True)

    article_id: str
    title: str
    outlet: str | None = None
    published_at: dt.date | None = None
    url: str | None = None
    quote: str
    start: int
    end: int

    def key(self) -> tuple[str, int, int]:
        return (self.article_id, self.start, self.end)


class BriefSentence(BaseModel):
    """One sentence of a section, with the citation that backs it."""

    text: str
    citations: list[Citation]
    new: bool = False
    """Not in the previous briefing."""
    quoted: bool = False
    """The sentence is the cited quote itself (the writer's sentence failed the gate, or none was written)."""
    date: str | None = None
    """For developments: the event date (ISO, at the precision the source gives), when the source gives one."""
    date_text: str | None = None


class Section(BaseModel):
    kind: SectionKind
    title: str
    sentences: list[BriefSentence] = Field(default_factory=list)


class Side(BaseModel):
    """One side of a contested point: who says it, what, and where it is reported."""

    who: str
    text: str
    """What they claim or answer, as the source reports it (a verbatim quote)."""
    citations: list[Citation]


class ContestedPoint(BaseModel):
    topic: str
    claim: Side
    response: Side | None = None
    """``None`` when no article records an answer (rendered as "no response in the sources")."""
    new: bool = False


class TimelineEvent(BaseModel):
    date: str | None
    """ISO 8601 at the precision the source gives ("2026-02-27", "2025-10", "2007"); ``None`` when unresolvable."""
    date_text: str
    """The date as written, e.g. "last Thursday", or "Sunday (date not given)" when the article has no date."""
    event: str
    citations: list[Citation]
    new: bool = False


class Source(BaseModel):
    article_id: str
    title: str
    outlet: str | None = None
    published_at: dt.date | None = None
    url: str | None = None


class Window(BaseModel):
    start: dt.date | None
    end: dt.date


class Counts(BaseModel):
    articles: int
    """Articles in the window, reprints included."""
    reprints: int
    """Of those, reprints of another article (counted once with their original)."""
    independent_outlets: int
    """Distinct named outlets among the originals; an article whose outlet is unknown is not counted here."""
    without_outlet: int = 0
    """Originals whose outlet is not known (they may come from an outlet already counted)."""
    storylines: int
    cited_articles: int = 0


class StageTiming(BaseModel):
    ms: float
    model_calls: int = 0
    resumed: bool = False
    """Loaded from a saved artifact instead of run."""


class Briefing(BaseModel):
    """A sourced situation summary: every sentence cites an exact quote and passed the verification gate."""

    id: str
    title: str
    as_of: dt.datetime
    window: Window
    counts: Counts
    sections: list[Section]
    contested: list[ContestedPoint]
    timeline: list[TimelineEvent]
    sources: list[Source]
    dropped: int
    """Written sentences that failed verification and had no unused quote to stand in for them."""
    replaced: int = 0
    """Written sentences that failed verification and were replaced by the quoted evidence."""
    failures: list[str] = Field(default_factory=list)
    """Each failed sentence with the gate's reason."""
    previous_id: str | None = None
    """The briefing that "new" is relative to."""
    topic: str | None = None
    model: str = ""
    run_id: str = ""
    timings: dict[str, StageTiming] = Field(default_factory=dict)

    def section(self, kind: str) -> Section | None:
        return next((s for s in self.sections if s.kind == kind), None)

    def all_sentences(self) -> list[BriefSentence]:
        return [s for section in self.sections for s in section.sentences]
