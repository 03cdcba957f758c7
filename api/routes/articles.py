"""List, add and remove articles."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from api.deps import ServicesDep
from api.errors import NotFound, TooLong
from api.limits import check_length
from api.schemas import ArticleDeleted, ArticleIn, ArticleSummary, ErrorResponse, IngestResponse
from rag.index.corpus import ArticleError, make_article
from rag.index.indexer import SETTLED_S
from rag.index.ingest import LazyEmbedder, ingest_items
from rag.index.ingest import delete_article as remove_article
from rag.types import Article, ItemError

router = APIRouter(prefix="/v1/articles", tags=["articles"])


@router.get("", response_model=list[ArticleSummary])
def list_articles(services: ServicesDep) -> list[ArticleSummary]:
    """Every article of the record (reprints and those still queued for the index marked), without bodies."""
    pending = services.store.pending_ids()
    return [ArticleSummary(**a.model_dump(exclude={"body", "content_hash", "ingested_at"}), pending=a.id in pending)
            for a in services.store.list_articles()]


@router.post("", response_model=IngestResponse, responses={422: {"model": IngestResponse}})
def add_articles(
    services: ServicesDep,
    payload: Annotated[ArticleIn | list[dict[str, Any]], Body(
        description="One article, or a list of them (each item is checked on its own, like `rag ingest`)."
    )],
) -> JSONResponse:
    """Ingest one article or a batch: unchanged ones are skipped, reprints recorded, bad items reported.

    The status is 200 when at least one item was ingested, 422 when every item failed (the body says why, e.g. a
    body over ``RAG_MAX_ARTICLE_CHARS``).
    """
    limit = services.settings.max_article_chars
    items = [_to_article(payload, "item 0", limit)] if isinstance(payload, ArticleIn) else [
        _to_article(row, f"item {n}", limit) for n, row in enumerate(payload)
    ]
    if not items:
        return JSONResponse(ErrorResponse(detail="the list of articles is empty").model_dump(), status_code=422)
    # Catching up, a request leaves alone what a running `rag ingest` queued and is about to index itself.
    report = ingest_items(items, services.store, services.embedder, services.settings, settled_s=SETTLED_S)
    body = IngestResponse(counts=report.counts(), report=report).model_dump(mode="json")
    succeeded = report.added or report.updated or report.unchanged or report.duplicates
    return JSONResponse(body, status_code=200 if succeeded else 422)


def _to_article(row: ArticleIn | dict[str, Any], source: str, max_chars: int) -> Article | ItemError:
    try:
        item = row if isinstance(row, ArticleIn) else ArticleIn.model_validate(row)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'item'}: {e['msg']}" for e in exc.errors())
        ident = row.get("id") if isinstance(row, dict) else None
        return ItemError(source=str(ident) if isinstance(ident, str) and ident else source, reason=problems)
    try:
        check_length("article body", item.body, max_chars, "RAG_MAX_ARTICLE_CHARS")
        return make_article(item.id, item.body, title=item.title, outlet=item.outlet or item.source,
                            published_at=item.published_at, url=item.url)
    except (ArticleError, TooLong) as exc:
        return ItemError(source=item.id, reason=str(exc))


@router.delete("/{article_id}", response_model=ArticleDeleted, responses={404: {"model": ErrorResponse}})
def delete_article(article_id: str, services: ServicesDep) -> ArticleDeleted:
    """Remove one article and its chunks."""
    # One record transaction (reprints promoted in it); a kill before the index caught up is finished by the next writer.
    deleted = remove_article(article_id, services.store, LazyEmbedder(lambda: services.embedder), services.settings,
                             settled_s=SETTLED_S)
    if not deleted:
        raise NotFound(f"no article with id {article_id!r}")
    return ArticleDeleted(article_id=article_id, deleted=True)
