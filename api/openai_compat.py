"""An OpenAI-compatible facade: ``GET /v1/models`` and ``POST /v1/chat/completions`` (streamed or not).

The last user message is the question; earlier user/assistant pairs are the conversation. System messages
are ignored: a client prompt cannot switch off verification. The content is Markdown: the answer with its ``[n]``
markers and a "Sources:" list, every piece of article text escaped (:mod:`rag.markdown`) so a client that renders
it shows the text and never an article's image, link or HTML. The response (the last chunk when streaming) adds
``citations``: the structured sources. ``usage`` counts the tokens of every model call the answer made; errors take
OpenAI's shape (:func:`api.errors.speaks_openai`).
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
from api.errors import BadRequest, NotFound, error_code, openai_error, status_and_detail
from api.limits import check_question
from api.schemas import OpenAIErrorResponse
from rag.answer.pipeline import Turn
from rag.markdown import escape_markdown, link_markdown
from rag.models.usage import Usage
from rag.types import Answer, AnswerSentence, Citation

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


class StreamOptions(BaseModel):
    model_config = ConfigDict(extra="allow")

    include_usage: bool = False
    """Send a last chunk (``choices: []``) with the ``usage`` of the whole answer."""


class ChatCompletionRequest(BaseModel):
    """The OpenAI request; sampling options (temperature, top_p, …) are accepted and ignored."""

    model_config = ConfigDict(extra="allow")

    model: str = Field(max_length=200)
    messages: list[ChatMessage] = Field(min_length=1, max_length=200)
    stream: bool = False
    stream_options: StreamOptions | None = None


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


class CompletionUsage(BaseModel):
    """OpenAI's ``usage``, over every model call of the answer (reader, a follow-up's rewrite, the verifier's judge)."""

    prompt_tokens: int
    completion_tokens: int
    total_tokens: int
    estimated: bool
    """True when some count is an estimate, not the backend's own (see :class:`rag.models.usage.Usage`)."""

    @classmethod
    def of(cls, usage: Usage) -> CompletionUsage:
        return cls(prompt_tokens=usage.prompt_tokens, completion_tokens=usage.completion_tokens,
                   total_tokens=usage.total_tokens, estimated=usage.estimated)


class ChatCompletion(BaseModel):
    """OpenAI's ``chat.completion`` plus ``citations`` (and ``refused``), which OpenAI clients keep as extras."""

    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[Choice]
    usage: CompletionUsage
    citations: list[CitationOut]
    refused: bool
    """True when the sources don't say; the content then says so and lists related passages."""


CREATED = int(time.time())


ERRORS: dict[int | str, dict[str, Any]] = {status: {"model": OpenAIErrorResponse}
                                           for status in (400, 401, 404, 413, 429, 503, 504)}


@router.get("/models", response_model=ModelList, responses=ERRORS)
def list_models(state: StateDep) -> ModelList:
    """The one model this service is: cited answers over the indexed articles."""
    return ModelList(data=[ModelCard(id=state.model_name, created=CREATED)])


@router.get("/models/{model_id}", response_model=ModelCard, responses=ERRORS)
def get_model(model_id: str, state: StateDep) -> ModelCard:
    """The model card, for clients that look the model up before using it."""
    if model_id != state.model_name:
        raise NotFound(f"no model {model_id!r}: this service is the model {state.model_name!r}")
    return ModelCard(id=state.model_name, created=CREATED)


@router.post("/chat/completions", response_model=ChatCompletion,
             responses={200: {"content": {"text/event-stream": {}}}, **ERRORS})
async def chat_completions(request: ChatCompletionRequest, state: StateDep) -> Any:
    """Answer the last user message with verified citations; ``stream: true`` gives OpenAI's SSE chunks."""
    question, history = split_messages(request.messages)
    check_question(state.services.settings, question)
    run = admit(state, question, history)
    completion_id = f"chatcmpl-{uuid.uuid4().hex}"
    if request.stream:
        include_usage = request.stream_options is not None and request.stream_options.include_usage
        return QueuedEventSource(_chunks(run, completion_id, state.model_name, include_usage), run.ticket, ping=15)
    answer = await answer_once(run)
    return _completion(answer, run.usage, completion_id, state.model_name)


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


def sentence_markdown(sentence: AnswerSentence) -> str:
    """One answer sentence as Markdown: its text escaped, then its ``[n]`` markers."""
    markers = "".join(f"[{n}]" for n in sentence.citations)
    return f"{escape_markdown(sentence.text)} {markers}".strip()


def answer_markdown(answer: Answer) -> str:
    """The answer's sentences as Markdown (a refusal: its sentence, escaped too: it may repeat the question)."""
    if answer.refused or not answer.sentences:
        return escape_markdown(answer.text)
    return " ".join(sentence_markdown(s) for s in answer.sentences)


DISAGREE_NOTE = "The sources disagree: each answer above is quoted with its source."


def sources_markdown(answer: Answer) -> str:
    """The "Sources:" list appended to the content, one ``- [n] …`` item per source (or a refusal's related passages)."""
    if answer.refused:
        if not answer.related:
            return ""
        items = [f"- {_source(c)}" for c in answer.related]
        return "\n\nRelated passages (not an answer):\n" + "\n".join(items)
    if not answer.citations:
        return ""
    items = [f"- [{n}] {_source(c)}" for n, c in answer.citations.items()]
    note = "\n\n" + DISAGREE_NOTE if answer.disagree else ""
    return note + "\n\nSources:\n" + "\n".join(items)


def _source(citation: Citation) -> str:
    """``Title (Outlet, date): “quote” <url>``, every part from the article escaped; the URL only if http(s)."""
    details = ", ".join(x for x in (citation.outlet, str(citation.published_at or "")) if x)
    where = escape_markdown(citation.title) + (f" ({escape_markdown(details)})" if details else "")
    link = f" {link_markdown(citation.url)}" if citation.url else ""
    return f"{where}: “{escape_markdown(citation.quote)}”{link}"


def _citations(answer: Answer) -> list[CitationOut]:
    return [CitationOut(number=n, **c.model_dump()) for n, c in answer.citations.items()]


def _completion(answer: Answer, usage: Usage, completion_id: str, model: str) -> ChatCompletion:
    content = answer_markdown(answer) + sources_markdown(answer)
    return ChatCompletion(id=completion_id, created=int(time.time()), model=model,
                          choices=[Choice(message=AssistantMessage(content=content))], usage=CompletionUsage.of(usage),
                          citations=_citations(answer), refused=answer.refused)


async def _chunks(run: AnswerRun, completion_id: str, model: str,
                  include_usage: bool = False) -> AsyncGenerator[ServerSentEvent, None]:
    """OpenAI's chunks: the role, each verified sentence, the sources, the finish.

    With ``include_usage`` every chunk has ``usage: null`` and a last one, with no choices, carries the answer's usage
    (as OpenAI does).
    """
    created = int(time.time())
    usage_field: dict[str, Any] = {"usage": None} if include_usage else {}

    def chunk(delta: dict[str, str], finish: str | None = None, **extra: Any) -> ServerSentEvent:
        body = {"id": completion_id, "object": "chat.completion.chunk", "created": created, "model": model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **usage_field, **extra}
        return ServerSentEvent(json.dumps(body, ensure_ascii=False, default=str))

    yield chunk({"role": "assistant", "content": ""})
    streamed = False
    async with aclosing(stream_answer(run)) as events:
        async for kind, payload in events:
            if kind == "sentence":
                sentence, _ = payload
                yield chunk({"content": (" " if streamed else "") + sentence_markdown(sentence)})
                streamed = True
            elif kind == "answer":
                answer: Answer = payload
                rest = sources_markdown(answer) if streamed else answer_markdown(answer) + sources_markdown(answer)
                if rest:
                    yield chunk({"content": rest})
                citations = [c.model_dump(mode="json") for c in _citations(answer)]
                yield chunk({}, "stop", citations=citations, refused=answer.refused)
                if include_usage:
                    usage = CompletionUsage.of(run.usage).model_dump()
                    yield ServerSentEvent(json.dumps({"id": completion_id, "object": "chat.completion.chunk",
                                                      "created": created, "model": model, "choices": [], "usage": usage}))
            elif kind == "error":
                status, detail = status_and_detail(payload)
                yield ServerSentEvent(json.dumps(openai_error(status, detail, error_code(payload))))
    yield ServerSentEvent("[DONE]")
