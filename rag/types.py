"""Domain types passed between modules: articles, chunks, search hits, citations, answers."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class Article(BaseModel):
    """One news article as ingested."""

    id: str
    """Stable id: the file stem, or the ``id`` field of a JSONL corpus row."""
    title: str
    outlet: str | None = None
    """Publisher (``source`` in the MultiHop-RAG schema)."""
    published_at: dt.date | None = None
    url: str | None = None
    body: str
    content_hash: str = ""
    """sha256 of the normalised body; an unchanged hash makes re-ingest a no-op."""
    ingested_at: dt.datetime | None = None
    duplicate_of: str | None = None
    """Set when this article is a reprint (near-duplicate) of an earlier one, which holds the indexed chunks."""


class Span(BaseModel):
    """A stretch of an article's body: ``body[start:end] == text``."""

    model_config = ConfigDict(frozen=True)

    text: str
    start: int
    end: int


class Chunk(BaseModel):
    """A run of whole sentences from one article, with offsets into its body."""

    id: str
    """``<article_id>:<position>``."""
    article_id: str
    position: int
    text: str
    start: int
    end: int
    sentences: list[Span] = Field(default_factory=list)


class SearchFilters(BaseModel):
    """Restrictions on which chunks a search may return."""

    since: dt.date | None = None
    until: dt.date | None = None
    outlets: list[str] = Field(default_factory=list)
    article_ids: list[str] = Field(default_factory=list)


class SearchHit(BaseModel):
    """A retrieved chunk with the metadata a citation needs."""

    chunk_id: str
    article_id: str
    title: str
    outlet: str | None
    published_at: dt.date | None
    url: str | None
    text: str
    start: int
    end: int
    score: float
    """Fused score (reciprocal rank fusion); higher is better."""
    retrievers: list[Literal["dense", "bm25"]]
    """Which retrievers found this chunk."""
    dense_rank: int | None = None
    bm25_rank: int | None = None


class ItemError(BaseModel):
    """Why one input could not be ingested."""

    source: str
    reason: str


class IngestReport(BaseModel):
    """What one ingest run did, item by item."""

    added: list[str] = Field(default_factory=list)
    updated: list[str] = Field(default_factory=list)
    unchanged: list[str] = Field(default_factory=list)
    duplicates: dict[str, str] = Field(default_factory=dict)
    """Reprint article id → id of the first copy."""
    failed: list[ItemError] = Field(default_factory=list)
    chunks_written: int = 0

    def counts(self) -> dict[str, int]:
        return {
            "added": len(self.added),
            "updated": len(self.updated),
            "unchanged": len(self.unchanged),
            "duplicates": len(self.duplicates),
            "failed": len(self.failed),
        }
