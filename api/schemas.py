"""Request and response models of the HTTP API (the domain types in ``rag.types`` are reused as they are)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from rag.types import Answer, Citation, IngestReport, SearchFilters, SearchHit


def _stripped(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("must not be empty or only spaces")
    return value


class FilterFields(BaseModel):
    """Optional restrictions shared by search, ask and chat."""

    since: dt.date | None = None
    """Only articles published on or after this day."""
    until: dt.date | None = None
    """Only articles published on or before this day."""
    outlets: list[str] = Field(default_factory=list, max_length=50)

    @model_validator(mode="after")
    def _ordered(self) -> FilterFields:
        if self.since and self.until and self.since > self.until:
            raise ValueError("'since' is after 'until'")
        return self

    def filters(self, article_ids: list[str] | None = None) -> SearchFilters:
        return SearchFilters(since=self.since, until=self.until, outlets=self.outlets, article_ids=article_ids or [])


class HistoryTurn(BaseModel):
    question: str = Field(max_length=4000)
    answer: str = Field(max_length=20000)


class AskRequest(FilterFields):
    """``POST /v1/ask``: one question, optionally with earlier turns to resolve a follow-up."""

    model_config = ConfigDict(extra="forbid")

    question: str = Field(min_length=1)
    """At most ``RAG_MAX_QUESTION_CHARS`` characters (2,000 by default), as for chat, check and search."""
    history: list[HistoryTurn] = Field(default_factory=list, max_length=20)

    _strip = field_validator("question")(_stripped)


class ChatRequest(FilterFields):
    """``POST /v1/chat``: a question in a stored conversation (a new one when ``conversation_id`` is absent)."""

    model_config = ConfigDict(extra="forbid")

    question: str = Field(min_length=1)
    conversation_id: str | None = Field(default=None, max_length=64)

    _strip = field_validator("question")(_stripped)


class CheckRequest(BaseModel):
    """``POST /v1/check``: a claim to fact-check against the corpus."""

    model_config = ConfigDict(extra="forbid")

    claim: str = Field(min_length=1)

    _strip = field_validator("claim")(_stripped)


class SearchRequest(FilterFields):
    """``POST /v1/search``: hybrid (dense + BM25) search."""

    model_config = ConfigDict(extra="forbid")

    query: str = Field(min_length=1)
    k: int = Field(default=6, ge=1, le=50)
    article_ids: list[str] = Field(default_factory=list, max_length=100)

    _strip = field_validator("query")(_stripped)


class SearchResponse(BaseModel):
    hits: list[SearchHit]


class ArticleIn(BaseModel):
    """An article to ingest: the same fields as a JSONL corpus row (``source`` is accepted for ``outlet``)."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$")
    body: str = Field(min_length=1, max_length=2_000_000)
    title: str | None = Field(default=None, max_length=500)
    outlet: str | None = Field(default=None, max_length=200)
    source: str | None = Field(default=None, max_length=200)
    published_at: str | None = Field(default=None, max_length=40)
    """ISO date (``YYYY-MM-DD``; a time part is ignored)."""
    url: str | None = Field(default=None, max_length=2000)


class IngestResponse(BaseModel):
    """Per-item results, as ``rag ingest --json`` prints them."""

    counts: dict[str, int]
    report: IngestReport


class ArticleSummary(BaseModel):
    id: str
    title: str
    outlet: str | None
    published_at: dt.date | None
    url: str | None
    duplicate_of: str | None
    """Set when this article is a reprint of another, which holds the indexed text."""
    pending: bool = False
    """In the record, and not yet (or not completely) in the search index: the indexer has it queued."""


class ArticleDeleted(BaseModel):
    article_id: str
    deleted: bool


class ChatTurnResponse(BaseModel):
    """The final ``answer`` event of ``POST /v1/chat`` (also what ``GET /v1/conversations/{id}`` lists per turn)."""

    conversation_id: str
    position: int
    answer: Answer


class ErrorResponse(BaseModel):
    """An error: a sentence saying what was wrong (a 422 from request validation carries FastAPI's field list).

    Every route answers errors so but the OpenAI-compatible ones, which use :class:`OpenAIErrorResponse`.
    """

    detail: str


class OpenAIError(BaseModel):
    """OpenAI's error object, which its client libraries parse into ``message``, ``type``, ``param`` and ``code``."""

    message: str
    type: str
    """``invalid_request_error``, ``authentication_error``, ``rate_limit_error`` or ``server_error``."""
    param: str | None = None
    """The request field at fault, when one is (``messages``, ``model``)."""
    code: str | None = None
    """A stable slug for the failure: ``invalid_api_key``, ``rate_limit_exceeded``, ``queue_full``, …"""


class OpenAIErrorResponse(BaseModel):
    """Every error on the OpenAI-compatible routes (``/v1/chat/completions``, ``/v1/models``)."""

    error: OpenAIError


class Health(BaseModel):
    status: Literal["ok"] = "ok"


class Readiness(BaseModel):
    ready: bool
    checks: dict[str, str]
    """Component → ``ok`` or why it is not ready."""


class Deleted(BaseModel):
    id: str
    deleted: bool


class SentenceEvent(BaseModel):
    """``event: sentence`` of ``POST /v1/chat``: one verified sentence and the sources it cites."""

    text: str
    citations: list[int]
    quoted: bool
    sources: dict[int, Citation]


class StageEvent(BaseModel):
    """``event: stage`` of ``POST /v1/chat``: what the answer is doing now, so a waiting user sees progress."""

    stage: Literal["queued", "rewriting", "retrieving", "selecting", "writing", "verifying"]
    """``queued``: waiting for the model; then rewriting a follow-up, retrieving passages, selecting the evidence,
    writing (each sentence is checked as it comes) and the last checks."""
    ahead: int | None = None
    """``queued`` only: requests ahead of this one, the running answer included."""
    expected_wait_s: float | None = None
    """``queued`` only: the expected wait for the model, from the recent mean answer time."""


class StreamError(BaseModel):
    """``event: error``: the answer could not be completed."""

    status: int
    detail: str
    retry_after: int | None = None
    """Seconds after which to try again, when the model was too busy to start the answer in time (status 503)."""


def jsonable(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json")
