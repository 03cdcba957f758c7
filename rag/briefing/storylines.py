"""Stage 2: group the window's articles into storylines, rank them, and cap what reaches the model.

Each article is embedded once (title + lead); a single greedy pass joins an article to the most similar
storyline centroid above a threshold, else starts a new one. That is one matrix product per article, so a
window of thousands of articles groups in seconds. Storylines rank by independent outlets, then recency,
then size; only the top ``cap`` go on to evidence gathering.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
from pydantic import BaseModel, Field

from rag.briefing.select import Selection, article_day, independent_outlets
from rag.index.chunking import split_sentences
from rag.models.embed import Embedder
from rag.types import Article

SIMILARITY_THRESHOLD = 0.45
LEAD_SENTENCES = 2


class Storyline(BaseModel):
    id: str
    label: str
    """The title of its newest article."""
    article_ids: list[str]
    independent_outlets: int
    latest: dt.date | None
    rank: int = 0


class Storylines(BaseModel):
    storylines: list[Storyline]
    """Ranked best first, at most ``cap``."""
    total: int
    """How many storylines the window held before the cap."""
    capped: list[str] = Field(default_factory=list)
    """Labels of the storylines left out by the cap."""


def lead_text(article: Article) -> str:
    sentences = split_sentences(article.body)[:LEAD_SENTENCES]
    return " ".join([article.title, *(s.text for s in sentences)])


def group_storylines(selection: Selection, embedder: Embedder, cap: int,
                     threshold: float = SIMILARITY_THRESHOLD, batch_size: int = 256) -> Storylines:
    """Cluster ``selection.articles`` by lead similarity; rank by independent outlets and recency; keep ``cap``."""
    articles = selection.articles
    if not articles:
        return Storylines(storylines=[], total=0)
    vectors = _embed(embedder, [lead_text(a) for a in articles], batch_size)
    centroids = np.zeros((0, vectors.shape[1]), dtype=np.float32)
    members: list[list[int]] = []
    for index, vector in enumerate(vectors):
        if len(members):
            similarity = centroids @ vector
            best = int(np.argmax(similarity))
            if similarity[best] >= threshold:
                members[best].append(index)
                mean = vectors[members[best]].mean(axis=0)
                centroids[best] = mean / (np.linalg.norm(mean) or 1.0)
                continue
        members.append([index])
        centroids = np.vstack([centroids, vector[None, :]])
    groups = [_storyline([articles[i] for i in group]) for group in members]
    groups.sort(key=lambda s: (-s.independent_outlets, -(s.latest or dt.date.min).toordinal(), -len(s.article_ids),
                               s.id))
    for rank, storyline in enumerate(groups, start=1):
        storyline.rank = rank
    return Storylines(storylines=groups[:cap], total=len(groups), capped=[s.label for s in groups[cap:]])


def _embed(embedder: Embedder, texts: Sequence[str], batch_size: int) -> np.ndarray:
    rows: list[list[float]] = []
    for start in range(0, len(texts), batch_size):
        rows.extend(embedder.embed(texts[start : start + batch_size]))
    matrix = np.asarray(rows, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms == 0, 1.0, norms)


def _storyline(articles: list[Article]) -> Storyline:
    ordered = sorted(articles, key=lambda a: (article_day(a) or dt.date.min, a.id), reverse=True)
    return Storyline(
        id=f"story-{ordered[0].id}",
        label=ordered[0].title,
        article_ids=[a.id for a in ordered],
        independent_outlets=independent_outlets(ordered),
        latest=article_day(ordered[0]),
    )
