"""Stage 1: the articles in the briefing's window, reprints folded into their originals, counted."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence

from pydantic import BaseModel, Field

from rag.briefing.models import Counts, Window
from rag.types import Article


class Selection(BaseModel):
    """Original articles in the window (newest first) and the reprints that were folded into them."""

    window: Window
    articles: list[Article]
    reprints: dict[str, str] = Field(default_factory=dict)
    """Reprint id → original id, for reprints in the window."""
    reprint_outlets: dict[str, list[str]] = Field(default_factory=dict)
    """Original id → outlets that reprinted it (shown, but not counted as independent)."""

    def counts(self, storylines: int = 0) -> Counts:
        return Counts(
            articles=len(self.articles) + len(self.reprints),
            reprints=len(self.reprints),
            independent_outlets=independent_outlets(self.articles),
            without_outlet=sum(1 for a in self.articles if not _outlet(a)),
            storylines=storylines,
        )


def article_day(article: Article) -> dt.date | None:
    """When the article counts as news: its publication date, else the day it was ingested."""
    if article.published_at is not None:
        return article.published_at
    return article.ingested_at.date() if article.ingested_at is not None else None


def in_window(article: Article, window: Window) -> bool:
    day = article_day(article)
    if day is None:
        return window.start is None
    return (window.start is None or day >= window.start) and day <= window.end


def independent_outlets(originals: Sequence[Article]) -> int:
    """Distinct named outlets among originals (case and spacing aside).

    An article whose outlet is not known is not an outlet of its own: it may come from one already counted, so it
    is counted apart (:attr:`Counts.without_outlet`).
    """
    return len({outlet for a in originals if (outlet := _outlet(a))})


def _outlet(article: Article) -> str:
    return " ".join((article.outlet or "").split()).casefold()


def select_articles(articles: Sequence[Article], window: Window, only: Collection[str] | None = None) -> Selection:
    """Articles in ``window`` (and in ``only`` when a topic narrowed them), reprints folded into originals."""
    chosen = [a for a in articles if in_window(a, window) and (only is None or a.id in only or
                                                              (a.duplicate_of is not None and a.duplicate_of in only))]
    ids = {a.id for a in chosen}
    originals = [a for a in chosen if a.duplicate_of is None or a.duplicate_of not in ids]
    reprints = {a.id: a.duplicate_of for a in chosen if a.duplicate_of is not None and a.duplicate_of in ids}
    outlets: dict[str, list[str]] = {}
    for reprint_id, original in reprints.items():
        reprint = next(a for a in chosen if a.id == reprint_id)
        outlets.setdefault(original, []).append(reprint.outlet or reprint.id)
    originals.sort(key=lambda a: (article_day(a) or dt.date.min, a.id), reverse=True)
    return Selection(window=window, articles=originals, reprints=reprints, reprint_outlets=outlets)
