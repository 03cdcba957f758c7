"""Liveness, readiness and the model's queue."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from api.deps import StateDep
from api.errors import scrub_paths
from api.queue import QueueStatus
from api.schemas import Health, Readiness

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health)
def healthz() -> Health:
    """The process is up."""
    return Health()


@router.get("/readyz", response_model=Readiness, responses={503: {"model": Readiness}})
def readyz(state: StateDep) -> JSONResponse:
    """Index, model and database ready; 503 with the reason for each part that is not."""
    checks: dict[str, str] = {}
    services = state.services
    try:
        counts, pending = services.store.counts(), sorted(services.store.pending_ids())
        unfinished = f", {len(pending)} pending: {', '.join(pending[:5])}" if pending else ""
        checks["index"] = f"ok ({counts['articles']} articles, {counts['chunks']} chunks{unfinished})"
    except Exception as exc:  # reported, not raised: this is the health report
        checks["index"] = f"unavailable: {exc}"
    try:
        services.database.ping()
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"unavailable: {exc}"
    checks["model"] = state.problems.get("model") or ("ok" if "chat" in vars(services) else "not loaded yet")
    for part in ("embedder", "judge"):
        if part in state.problems:
            checks[part] = state.problems[part]
    ready = all(value.startswith("ok") for value in checks.values())
    body = Readiness(ready=ready, checks={part: scrub_paths(value) for part, value in checks.items()})
    return JSONResponse(body.model_dump(), status_code=200 if ready else 503)


@router.get("/v1/queue", response_model=QueueStatus)
def queue(state: StateDep) -> QueueStatus:
    """The model's queue: running and waiting answers now, the most seen waiting, and how many were turned away."""
    return state.model_queue.status()
