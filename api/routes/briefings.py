"""Stored briefings: list and read (json, md, html)."""

from __future__ import annotations

import json
from typing import Any, Literal

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, PlainTextResponse
from pydantic import BaseModel

from api.deps import DatabaseDep
from api.errors import NotFound
from api.schemas import ErrorResponse

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
        return HTMLResponse(record.html)
    return BriefingOut(**_summary(record), payload=json.loads(record.payload_json), markdown=record.markdown)


def _summary(record: Any) -> dict[str, Any]:
    return {"id": record.id, "title": record.title, "created_at": record.created_at.isoformat(),
            "as_of": record.as_of.isoformat(), "window_start": record.window_start.isoformat(),
            "window_end": record.window_end.isoformat() if record.window_end else None}
