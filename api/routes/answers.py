"""One-shot answers and claim checks."""

from __future__ import annotations

from fastapi import APIRouter

from api.answering import AnswerRun, load_chat
from api.deps import ServicesDep, StateDep
from api.errors import BadRequest
from api.schemas import AskRequest, CheckRequest, ErrorResponse
from rag.answer import Turn
from rag.types import Answer, ClaimVerdict

router = APIRouter(prefix="/v1", tags=["answers"])
ERRORS: dict[int | str, dict[str, object]] = {400: {"model": ErrorResponse}, 503: {"model": ErrorResponse}}


@router.post("/ask", response_model=Answer, responses=ERRORS)
def ask(request: AskRequest, state: StateDep) -> Answer:
    """Answer a question: every sentence cites an exact quote, or the answer says the sources don't say."""
    history = [Turn(t.question, t.answer) for t in request.history]
    run = AnswerRun(state.services, state.model_lock, request.question, history, request.filters())
    return run.ask()


@router.post("/check", response_model=ClaimVerdict, responses=ERRORS)
def check(request: CheckRequest, services: ServicesDep, state: StateDep) -> ClaimVerdict:
    """Fact-check a claim: supported, contradicted, or not in the sources, with the quotes behind the verdict."""
    from rag.factcheck import check_claim

    with state.model_lock:  # the verifier's judge shares the one in-process model
        load_chat(services)
        try:
            return check_claim(request.claim, services)
        except ValueError as exc:
            raise BadRequest(str(exc)) from exc
