"""Which articles a briefing topic covers, decided by meaning: the hybrid search proposes, the judge decides.

A topic such as "India Pakistan" shares words with cricket fixtures, stock pages and travel advice; word overlap
cannot tell the security situation from a one-day match. Each article the search finds for the topic is read by
the verifier's judge (the same 1.5B entailment model that checks every sentence) on its best passage: P(yes) for
"This text is about {topic}." An article stays when its score is at least ``MIN_SCORE`` and at least ``RELATIVE``
of the best article's (the judge's scale differs from topic to topic; the best-scoring article anchors it). Sport
is left out unless the topic itself is about sport, asked the same way: the judge reads the topic against a
statement that it is sport, then each kept article.

Without a judge (tests with fakes, a backend with no log-probabilities) the old filter stands: an article the
search finds that shares a word with the topic.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from rag.text import tokenize
from rag.types import SearchHit

if TYPE_CHECKING:
    from rag.verify.judge import EntailmentJudge

TOPIC_SEARCH_K = 60
ABOUT = "This text is about {topic}."
SPORT = "This text is about sport: a match, a tournament, a team or its players."
MIN_SCORE = 0.1
RELATIVE = 0.5
SPORT_P = 0.5
"""Thresholds chosen on the news2 development half (see README, Briefings); the same judge scale as the verifier."""


class TopicArticle(BaseModel):
    article_id: str
    title: str
    score: float | None = None
    """The judge's P(yes) that the article's best passage is about the topic (``None`` without a judge)."""
    sport: float | None = None
    """P(yes) that it is about sport (asked only of articles kept on topic, when the topic is not sport)."""
    kept: bool = False


class TopicSelection(BaseModel):
    """The topic's articles and why: every candidate with its scores, for the run's artifact."""

    topic: str
    method: str
    """``judge`` or ``words`` (no judge available)."""
    topic_is_sport: float | None = None
    articles: list[TopicArticle] = Field(default_factory=list)

    def kept(self) -> set[str]:
        return {a.article_id for a in self.articles if a.kept}


def best_passages(hits: Sequence[SearchHit]) -> list[SearchHit]:
    """The first (best-ranked) hit of each article, in rank order."""
    seen: dict[str, SearchHit] = {}
    for hit in hits:
        seen.setdefault(hit.article_id, hit)
    return list(seen.values())


def passage_text(hit: SearchHit) -> str:
    return f"{hit.title}. {hit.text}" if hit.title else hit.text


def select_topic(topic: str, hits: Sequence[SearchHit], judge: EntailmentJudge | None) -> TopicSelection:
    """Score every searched article against ``topic`` and mark the ones the briefing covers."""
    passages = best_passages(hits)
    if judge is None:
        words = set(tokenize(topic))
        return TopicSelection(topic=topic, method="words", articles=[
            TopicArticle(article_id=h.article_id, title=h.title,
                         kept=bool(words & set(tokenize(f"{h.title} {h.text}")))) for h in passages])
    claim = ABOUT.format(topic=topic)
    scored = [TopicArticle(article_id=h.article_id, title=h.title, score=round(judge.p_yes(claim, passage_text(h)), 4))
              for h in passages]
    best = max((a.score or 0.0 for a in scored), default=0.0)
    floor = max(MIN_SCORE, RELATIVE * best)
    for article in scored:
        article.kept = (article.score or 0.0) >= floor
    topic_is_sport = round(judge.p_yes(SPORT, ABOUT.format(topic=topic)), 4)
    if topic_is_sport < SPORT_P:
        text = {h.article_id: passage_text(h) for h in passages}
        for article in scored:
            if article.kept:
                article.sport = round(judge.p_yes(SPORT, text[article.article_id]), 4)
                article.kept = article.sport < SPORT_P
    return TopicSelection(topic=topic, method="judge", topic_is_sport=topic_is_sport, articles=scored)
