"""Briefings: generate, list and read (json, md, html)."""

from __future__ import annotations

import json
from typing import Any, Literal

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, PlainTextResponse
from pydantic import BaseModel

from api.answering import run_with_model
from api.deps import DatabaseDep, StateDep
from api.errors import BadRequest, NotFound
from api.limits import check_question
from api.schemas import ErrorResponse
from rag.briefing import BriefingError, BriefingOptions, generate_briefing

router = APIRouter(prefix="/v1/briefings", tags=["briefings"])


class BriefingSummary(BaseModel):
    id: str
    title: str
    created_at: str
    as_of: str
    window_start: str
    window_end: str | None


class BriefingOut(BriefingSummary):
    payload: Any
    """The structured briefing as its generator stored it."""
    markdown: str


@router.post("", response_model=BriefingOut,
             responses={status: {"model": ErrorResponse} for status in (400, 422, 503, 504)})
async def create_briefing(options: BriefingOptions, state: StateDep) -> BriefingOut:
    """Generate a sourced briefing for a window (every sentence cites a verified quote), store it, return it.

    Slow with the local model (several model calls); the result is also listed by ``GET /v1/briefings``. It waits
    in the model's queue like an answer (503 when the queue is full, or when the work ahead leaves no time for it);
    past ``RAG_BRIEFING_DEADLINE_S`` the client gets a 504 and the briefing is still stored when it finishes.
    """
    services = state.services
    if options.topic:
        check_question(services.settings, options.topic, "topic")

    def work() -> BriefingOut:  # the writer and the verifier's judge share the one in-process model
        try:
            briefing = generate_briefing(services, options)
        except BriefingError as exc:
            raise BadRequest(str(exc)) from exc
        record = services.database.get_briefing(briefing.id)
        if record is None:
            raise NotFound(f"briefing {briefing.id!r} was generated but not stored")
        return BriefingOut(**_summary(record), payload=json.loads(record.payload_json), markdown=record.markdown)

    return await run_with_model(state, work, services.settings.briefing_deadline_s, "briefing")


@router.get("", response_model=list[BriefingSummary])
def list_briefings(database: DatabaseDep) -> list[BriefingSummary]:
    """Stored briefings, newest first."""
    return [BriefingSummary(**_summary(b)) for b in database.list_briefings()]


@router.get("/{briefing_id}", response_model=BriefingOut, responses={404: {"model": ErrorResponse},
            200: {"content": {"text/markdown": {}, "text/html": {}}}})
def get_briefing(briefing_id: str, database: DatabaseDep, format: Literal["json", "md", "html"] = "json") -> Any:
    """One briefing as JSON (default), Markdown (``?format=md``) or a standalone HTML page (``?format=html``)."""
    record = database.get_briefing(briefing_id)
    if record is None:
        raise NotFound(f"no briefing with id {briefing_id!r}")
    if format == "md":
        return PlainTextResponse(record.markdown, media_type="text/markdown; charset=utf-8")
    if format == "html":
        # Stored HTML is the renderer's escaped output; the policy keeps any script in it from running anyway.
        return HTMLResponse(record.html, headers={"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
                                                  "img-src data:; frame-ancestors 'self'"})
    return BriefingOut(**_summary(record), payload=json.loads(record.payload_json), markdown=record.markdown)


def _summary(record: Any) -> dict[str, Any]:
    return {"id": record.id, "title": record.title, "created_at": record.created_at.isoformat(),
            "as_of": record.as_of.isoformat(), "window_start": record.window_start.isoformat(),
            "window_end": record.window_end.isoformat() if record.window_end else None}
