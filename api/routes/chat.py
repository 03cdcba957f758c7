"""Streaming chat over stored conversations (Server-Sent Events), and the conversations themselves."""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, Callable
from contextlib import aclosing

import anyio
from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from sse_starlette import ServerSentEvent

from api.answering import AnswerRun, QueuedEventSource, admit, stream_answer
from api.deps import DatabaseDep, StateDep
from api.errors import NotFound, status_and_detail
from api.limits import check_question
from api.schemas import ChatRequest, ChatTurnResponse, Deleted, ErrorResponse, SentenceEvent, StreamError
from rag.answer.pipeline import Turn
from rag.db import ConversationRecord, ConversationSummary, Database
from rag.types import Answer

router = APIRouter(prefix="/v1", tags=["chat"])
NOT_FOUND: dict[int | str, dict[str, object]] = {404: {"model": ErrorResponse}}
BUSY: dict[int | str, dict[str, object]] = {status: {"model": ErrorResponse} for status in (422, 503)}

CHAT_EVENTS = """Events, in order: `conversation` (`{"conversation_id"}`), `stage` events as the answer waits and
moves on (`StageEvent`: `queued` with the requests ahead and the expected wait, then `retrieving`, `selecting`,
`writing`, `verifying`), one `sentence` per verified sentence (`SentenceEvent`: text, citation numbers, the cited
sources), then `answer` (`ChatTurnResponse`: the whole `Answer` with citations, refusal state and timings), or
`error` (`StreamError`: 504 when the answer started and overran its deadline, 503 with `retry_after` when it never
got the model in time or the model backend fails) if it could not be completed. A full model queue, or one whose
answers ahead leave no time for this one, is a 503 with `Retry-After` before the stream starts."""


@router.post("/chat", responses={200: {"content": {"text/event-stream": {}}, "description": CHAT_EVENTS}, **NOT_FOUND,
                                 **BUSY})
async def chat(request: ChatRequest, state: StateDep, database: DatabaseDep) -> QueuedEventSource:
    """Answer in a conversation, streaming verified sentences; a follow-up is rewritten from the stored history.

    Without ``conversation_id`` a new conversation is started. A client that disconnects stops the generation
    (or leaves the model's queue) and the unfinished turn is not stored.
    """
    check_question(state.services.settings, request.question)
    run = admit(state, request.question, filters=request.filters())  # 503 now, before anything is stored
    try:
        if request.conversation_id is None:
            conversation_id = await run_in_threadpool(database.create_conversation, request.question)
            history: list[Turn] = []
        else:
            record = await run_in_threadpool(database.get_conversation, request.conversation_id)
            if record is None:
                raise NotFound(f"no conversation with id {request.conversation_id!r}")
            conversation_id = record.id
            history = [Turn(t.question, t.answer.text, t.standalone_question) for t in record.turns]
    except BaseException:
        if run.ticket is not None:
            run.ticket.withdraw()
        raise
    run.history = history

    def store(answer: Answer) -> ChatTurnResponse:
        database.add_turn(conversation_id, request.question, answer)
        return ChatTurnResponse(conversation_id=conversation_id, position=len(history), answer=answer)

    events = _events(run, conversation_id, store)
    return QueuedEventSource(_forget_if_empty(events, database, conversation_id, request.conversation_id is None),
                             run.ticket, ping=15)


async def _events(run: AnswerRun, conversation_id: str,
                  store: Callable[[Answer], ChatTurnResponse]) -> AsyncGenerator[ServerSentEvent, None]:
    yield ServerSentEvent(json.dumps({"conversation_id": conversation_id}), event="conversation")
    async with aclosing(stream_answer(run, store)) as stream:
        async for kind, payload in stream:
            if kind == "stage":
                yield ServerSentEvent(payload.model_dump_json(exclude_none=True), event="stage")
            elif kind == "sentence":
                sentence, cites = payload
                event = SentenceEvent(text=sentence.text, citations=sentence.citations, quoted=sentence.quoted,
                                      sources={n: cites[n] for n in sentence.citations if n in cites})
                yield ServerSentEvent(event.model_dump_json(), event="sentence")
            elif kind == "answer":
                yield ServerSentEvent(payload.model_dump_json(), event="answer")
            elif kind == "error":
                status, detail = status_and_detail(payload)
                error = StreamError(status=status, detail=detail, retry_after=getattr(payload, "retry_after", None))
                yield ServerSentEvent(error.model_dump_json(exclude_none=True), event="error")


async def _forget_if_empty(events: AsyncGenerator[ServerSentEvent, None], database: Database, conversation_id: str,
                           created: bool) -> AsyncGenerator[ServerSentEvent, None]:
    """A conversation started by this request is removed again if its first answer never completed."""
    try:
        async with aclosing(events):
            async for event in events:
                yield event
    finally:
        if created:
            with anyio.CancelScope(shield=True):  # runs even when the stream was cancelled by a disconnect
                await run_in_threadpool(_delete_if_empty, database, conversation_id)


def _delete_if_empty(database: Database, conversation_id: str) -> None:
    record = database.get_conversation(conversation_id)
    if record is not None and not record.turns:
        database.delete_conversation(conversation_id)


@router.get("/conversations", response_model=list[ConversationSummary])
def list_conversations(database: DatabaseDep) -> list[ConversationSummary]:
    """Stored conversations, most recently active first."""
    return database.list_conversations()


@router.get("/conversations/{conversation_id}", response_model=ConversationRecord, responses=NOT_FOUND)
def get_conversation(conversation_id: str, database: DatabaseDep) -> ConversationRecord:
    """One conversation with every turn and its full answer."""
    return _existing(database, conversation_id)


@router.delete("/conversations/{conversation_id}", response_model=Deleted, responses=NOT_FOUND)
def delete_conversation(conversation_id: str, database: DatabaseDep) -> Deleted:
    if not database.delete_conversation(conversation_id):
        raise NotFound(f"no conversation with id {conversation_id!r}")
    return Deleted(id=conversation_id, deleted=True)


def _existing(database: Database, conversation_id: str) -> ConversationRecord:
    record = database.get_conversation(conversation_id)
    if record is None:
        raise NotFound(f"no conversation with id {conversation_id!r}")
    return record
