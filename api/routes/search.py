"""Hybrid search."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import ServicesDep
from api.limits import check_question
from api.schemas import SearchRequest, SearchResponse

router = APIRouter(prefix="/v1", tags=["search"])


@router.post("/search", response_model=SearchResponse)
def search(request: SearchRequest, services: ServicesDep) -> SearchResponse:
    """Chunks ranked by dense + BM25 fusion, with their article metadata and offsets."""
    check_question(services.settings, request.query, "query")
    hits = services.retriever.search(request.query, k=request.k, filters=request.filters(request.article_ids))
    return SearchResponse(hits=hits)
