"""An OpenAI-compatible facade: ``GET /v1/models`` and ``POST /v1/chat/completions`` (streamed or not).

The last user message is the question; earlier user/assistant pairs are the conversation. System messages
are ignored: a client prompt cannot switch off verification. The content carries the ``[n]`` markers and a
short sources list; the response (the last chunk when streaming) adds ``citations``: the structured sources.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncGenerator
from contextlib import aclosing
from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field
from sse_starlette import ServerSentEvent

from api.answering import AnswerRun, QueuedEventSource, admit, answer_once, stream_answer
from api.deps import StateDep
from api.errors import BadRequest, status_and_detail
from api.limits import check_question
from api.schemas import ErrorResponse
from rag.answer import Turn
from rag.types import Answer, Citation

router = APIRouter(prefix="/v1", tags=["openai-compatible"])


class ContentPart(BaseModel):
    model_config = ConfigDict(extra="allow")

    type: str
    text: str | None = None


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")

    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[ContentPart] | None = None

    def text(self) -> str:
        if isinstance(self.content, list):
            return "\n".join(part.text or "" for part in self.content if part.type == "text")
        return self.content or ""


class ChatCompletionRequest(BaseModel):
    """The OpenAI request; sampling options (temperature, top_p, …) are accepted and ignored."""

    model_config = ConfigDict(extra="allow")

    model: str = Field(max_length=200)
    messages: list[ChatMessage] = Field(min_length=1, max_length=200)
    stream: bool = False


class CitationOut(Citation):
    """A structured source: ``number`` is the ``[n]`` marker in the content."""

    number: int


class ModelCard(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int
    owned_by: str = "conflict-rag"


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelCard]


class AssistantMessage(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str


class Choice(BaseModel):
    index: int = 0
    message: AssistantMessage
    finish_reason: Literal["stop"] = "stop"


class ChatCompletion(BaseModel):
    """OpenAI's ``chat.completion`` plus ``citations`` (and ``refused``), which OpenAI clients keep as extras."""

    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[Choice]
    usage: dict[str, int] | None = None
    citations: list[CitationOut]
    refused: bool
    """True when the sources don't say; the content then says so and lists related passages."""


CREATED = int(time.time())


@router.get("/models", response_model=ModelList)
def list_models(state: StateDep) -> ModelList:
    """The one model this service is: cited answers over the indexed articles."""
    return ModelList(data=[ModelCard(id=state.model_name, created=CREATED)])


@router.post("/chat/completions", response_model=ChatCompletion,
             responses={200: {"content": {"text/event-stream": {}}},
                        **{status: {"model": ErrorResponse} for status in (400, 422, 503, 504)}})
async def chat_completions(request: ChatCompletionRequest, state: StateDep) -> Any:
    """Answer the last user message with verified citations; ``stream: true`` gives OpenAI's SSE chunks."""
    question, history = split_messages(request.messages)
    check_question(state.services.settings, question)
    run = admit(state, question, history)
    completion_id = f"chatcmpl-{uuid.uuid4().hex}"
    if request.stream:
        return QueuedEventSource(_chunks(run, completion_id, state.model_name), run.ticket, ping=15)
    return _completion(await answer_once(run), completion_id, state.model_name)


def split_messages(messages: list[ChatMessage]) -> tuple[str, list[Turn]]:
    """The question (the last user message) and the earlier user/assistant exchanges."""
    talk = [m for m in messages if m.role in ("user", "assistant")]
    if not talk or talk[-1].role != "user":
        raise BadRequest("the last message must be a user message with the question")
    question = talk[-1].text().strip()
    if not question:
        raise BadRequest("the question (the last user message) is empty")
    history: list[Turn] = []
    pending: str | None = None
    for message in talk[:-1]:
        if message.role == "user":
            pending = message.text()
        elif pending is not None:
            history.append(Turn(pending, message.text()))
            pending = None
    return question, history


def sources_text(answer: Answer) -> str:
    """The short sources list appended to the content (or the related passages of a refusal)."""
    if answer.refused:
        if not answer.related:
            return ""
        lines = [f"- {_where(c)}: “{c.quote}”" for c in answer.related]
        return "\n\nRelated passages (not an answer):\n" + "\n".join(lines)
    if not answer.citations:
        return ""
    lines = [f"[{n}] {_where(c)}: “{c.quote}”" + (f" {c.url}" if c.url else "") for n, c in answer.citations.items()]
    return "\n\nSources:\n" + "\n".join(lines)


def _where(citation: Citation) -> str:
    details = ", ".join(x for x in (citation.outlet, str(citation.published_at or "")) if x)
    return f"{citation.title}" + (f" ({details})" if details else "")


def _citations(answer: Answer) -> list[CitationOut]:
    return [CitationOut(number=n, **c.model_dump()) for n, c in answer.citations.items()]


def _completion(answer: Answer, completion_id: str, model: str) -> ChatCompletion:
    content = answer.text + sources_text(answer)
    return ChatCompletion(id=completion_id, created=int(time.time()), model=model,
                          choices=[Choice(message=AssistantMessage(content=content))],
                          citations=_citations(answer), refused=answer.refused)


async def _chunks(run: AnswerRun, completion_id: str, model: str) -> AsyncGenerator[ServerSentEvent, None]:
    created = int(time.time())

    def chunk(delta: dict[str, str], finish: str | None = None, **extra: Any) -> ServerSentEvent:
        body = {"id": completion_id, "object": "chat.completion.chunk", "created": created, "model": model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra}
        return ServerSentEvent(json.dumps(body, ensure_ascii=False, default=str))

    yield chunk({"role": "assistant", "content": ""})
    streamed = False
    async with aclosing(stream_answer(run)) as events:
        async for kind, payload in events:
            if kind == "sentence":
                sentence, _ = payload
                markers = "".join(f"[{n}]" for n in sentence.citations)
                text = f"{sentence.text} {markers}".strip()
                yield chunk({"content": (" " if streamed else "") + text})
                streamed = True
            elif kind == "answer":
                answer: Answer = payload
                rest = sources_text(answer) if streamed else answer.text + sources_text(answer)
                if rest:
                    yield chunk({"content": rest})
                citations = [c.model_dump(mode="json") for c in _citations(answer)]
                yield chunk({}, "stop", citations=citations, refused=answer.refused)
            elif kind == "error":
                status, detail = status_and_detail(payload)
                yield ServerSentEvent(json.dumps({"error": {"message": detail, "type": "server_error", "code": status}}))
    yield ServerSentEvent("[DONE]")
