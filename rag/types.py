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


class ItemWarning(BaseModel):
    """Something about one input that was ingested anyway (e.g. it was not UTF-8 and was decoded as cp1252)."""

    source: str
    warning: str


class DroppedText(BaseModel):
    """Boilerplate left out of one article at ingest: segments its site repeats on other pages (:mod:`rag.index.boilerplate`)."""

    lines: int
    """How many segments (lines, or sentences within a line) were left out."""
    chars: int
    """How many characters they held; the stored body keeps its length, these characters turned to white space."""


class IngestReport(BaseModel):
    """What one ingest run did, item by item."""

    added: list[str] = Field(default_factory=list)
    updated: list[str] = Field(default_factory=list)
    unchanged: list[str] = Field(default_factory=list)
    duplicates: dict[str, str] = Field(default_factory=dict)
    """Reprint article id → id of the first copy."""
    failed: list[ItemError] = Field(default_factory=list)
    chunks_written: int = 0
    warnings: list[ItemWarning] = Field(default_factory=list)
    """Inputs ingested despite a problem worth knowing (a legacy encoding guessed, say)."""
    recovered: list[str] = Field(default_factory=list)
    """Articles a killed earlier run left queued for the index, brought up to date before this run began."""
    pending: list[ItemError] = Field(default_factory=list)
    """Articles in the record whose indexing failed (why): still queued in the outbox, never deleted, retried by
    the next writer; ``rag doctor`` lists them."""
    boilerplate: dict[str, DroppedText] = Field(default_factory=dict)
    """Article id → what was left out of it as cross-page boilerplate (only articles that lost something)."""

    def counts(self) -> dict[str, int]:
        return {
            "added": len(self.added),
            "updated": len(self.updated),
            "unchanged": len(self.unchanged),
            "duplicates": len(self.duplicates),
            "failed": len(self.failed),
        }


class Evidence(BaseModel):
    """One sentence of a retrieved chunk, numbered as it was shown to the model."""

    number: int
    text: str
    article_id: str
    chunk_id: str
    title: str
    outlet: str | None
    published_at: dt.date | None
    url: str | None
    start: int
    """Offset of the sentence in its article's body."""
    end: int
    relevance: float
    """How well the sentence matches the question (0..1)."""
    context: str = ""
    """Text around the sentence that says who "he" and "these bases" are, for the answer checks: the chunk it came
    from, or (in answers) its whole article, since an interview names its speaker once."""


class Citation(BaseModel):
    """A checkable source: the exact quote and where it sits in the article."""

    article_id: str
    title: str
    outlet: str | None
    published_at: dt.date | None
    url: str | None
    chunk_id: str
    quote: str
    """Exact text of the article at ``start:end``."""
    start: int
    end: int
    support: float
    """How well the answer sentences citing this quote are supported by it (0..1)."""


class AnswerSentence(BaseModel):
    """A sentence of the answer and the citation numbers backing it."""

    text: str
    citations: list[int]
    support: float
    quoted: bool = False
    """True when the sentence is a verbatim evidence quote (fallback or added counter-claim)."""


class Answer(BaseModel):
    """The answer object: every sentence cited and verified, or a refusal with its reason."""

    question: str
    standalone_question: str | None = None
    """The follow-up rewritten to stand alone, when it was rewritten."""
    text: str
    sentences: list[AnswerSentence] = Field(default_factory=list)
    citations: dict[int, Citation] = Field(default_factory=dict)
    refused: bool = False
    reason: str | None = None
    mode: Literal["generated", "quoted", "refused"] = "generated"
    """How the text came about: model sentences that passed verification, quoted evidence, or a refusal."""
    dropped: list[str] = Field(default_factory=list)
    """Model sentences removed because no evidence supported them."""
    contradicted: list[str] = Field(default_factory=list)
    """Model sentences a cited quote contradicts (negation, roles, numbers…), with the reason; never shown."""
    related: list[Citation] = Field(default_factory=list)
    """On a refusal: the closest passages found, shown apart as "related passages, not an answer"."""
    disagree: bool = False
    """The passages give different answers (another name, number or date): each side is quoted and cited, and the
    text opens "The sources disagree." instead of picking one."""
    filters: SearchFilters = Field(default_factory=SearchFilters)
    retrieved: list[str] = Field(default_factory=list)
    """Chunk ids the search returned, best first (what the evidence was chosen from)."""
    model: str
    timings: dict[str, float] = Field(default_factory=dict)
    """Milliseconds per stage: rewrite, retrieve, select, generate, verify."""


class SupportVerdict(BaseModel):
    """Whether one quote supports one sentence in meaning, and why not when it does not."""

    supported: bool
    label: Literal["supported", "contradicted", "unsupported"]
    """``contradicted``: the quote says otherwise (polarity, roles, numbers); ``unsupported``: it does not say it."""
    reason: str
    """One line: what failed (e.g. "negation: the quote says 'respects', the sentence 'does not respect'")."""
    score: float = 0.0
    """Word-level support (0..1), or the judge's P(yes) when the model decided."""
    judged: bool = False
    """True when the model judge, not the rules, decided."""


class ClaimVerdict(BaseModel):
    """``rag check``: a claim fact-checked against the corpus."""

    claim: str
    verdict: Literal["supported", "contradicted", "not_in_sources"]
    citations: list[Citation] = Field(default_factory=list)
    """The quotes behind the verdict (the supporting or the contradicting passages)."""
    reason: str
    timings: dict[str, float] = Field(default_factory=dict)
