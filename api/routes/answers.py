"""One-shot answers and claim checks."""

from __future__ import annotations

from fastapi import APIRouter

from api.answering import admit, answer_once, run_with_model
from api.deps import StateDep
from api.errors import BadRequest
from api.limits import check_question
from api.schemas import AskRequest, CheckRequest, ErrorResponse
from rag.answer.pipeline import Turn
from rag.types import Answer, ClaimVerdict

router = APIRouter(prefix="/v1", tags=["answers"])
ERRORS: dict[int | str, dict[str, object]] = {status: {"model": ErrorResponse} for status in (400, 422, 503, 504)}
"""400: cannot be served; 422: over a length limit; 503: model busy (``Retry-After``) or down; 504: deadline."""


@router.post("/ask", response_model=Answer, responses=ERRORS)
async def ask(request: AskRequest, state: StateDep) -> Answer:
    """Answer a question: every sentence cites an exact quote, or the answer says the sources don't say."""
    settings = state.services.settings
    check_question(settings, request.question)
    for turn in request.history:
        check_question(settings, turn.question, "earlier question")
    history = [Turn(t.question, t.answer) for t in request.history]
    return await answer_once(admit(state, request.question, history, request.filters()))


@router.post("/check", response_model=ClaimVerdict, responses=ERRORS)
async def check(request: CheckRequest, state: StateDep) -> ClaimVerdict:
    """Fact-check a claim: supported, contradicted, or not in the sources, with the quotes behind the verdict."""
    from rag.answer.factcheck import check_claim

    services = state.services
    check_question(services.settings, request.claim, "claim")

    def work() -> ClaimVerdict:  # the verifier's judge shares the one in-process model: it waits its turn
        try:
            return check_claim(request.claim, services)
        except ValueError as exc:
            raise BadRequest(str(exc)) from exc

    return await run_with_model(state, work, services.settings.request_deadline_s)
