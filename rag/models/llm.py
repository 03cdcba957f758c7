"""The chat-model seam: a narrow ``ChatModel`` protocol, its real backends (fakes: :mod:`rag.testing.llm`)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol, TypedDict

from rag.models.kept_prefix import KeptLeads
from rag.models.usage import Usage, counted_usage, record_usage
from rag.settings import Settings


class Message(TypedDict):
    role: str
    content: str


class LLMError(RuntimeError):
    """The model backend failed or did not answer in time; the message says which and where."""


class ChatModel(Protocol):
    """Anything that turns chat messages into text, all at once or as a stream of pieces.

    A backend that records each call's tokens itself (:func:`rag.models.usage.record_usage`) says so with a class attribute
    ``reports_usage = True``; any other is estimated by :class:`rag.models.usage.MeteredModel` where usage is wanted.
    """

    name: str

    def complete(self, messages: Sequence[Message], max_tokens: int = 256) -> str: ...

    def stream(self, messages: Sequence[Message], max_tokens: int = 256) -> Iterator[str]: ...


class LlamaCppModel:
    """A GGUF model run in-process by llama.cpp; loaded once, greedy decoding for repeatable answers.

    Each call's tokens are recorded (:func:`rag.models.usage.record_usage`), counted with the model's own tokenizer over the
    message texts and the reply (the chat template's few tokens a message are not counted, so marked estimated).
    The evaluated state of a recurring prompt lead (instructions, worked examples) is kept and loaded back after other
    prompts ran (:mod:`rag.models.kept_prefix`), so a question evaluates only what is new.
    """

    reports_usage = True

    def __init__(self, path: Path, threads: int = 2, context: int = 4096, batch: int = 512) -> None:
        from llama_cpp import Llama

        self.name = path.stem
        self._llama = Llama(model_path=str(path), n_ctx=context, n_threads=threads, n_batch=batch, verbose=False,
                            seed=0)
        self.leads = KeptLeads(self._llama)

    def prime(self, lead: Sequence[Message]) -> None:
        """Evaluate a prompt lead now and keep it, so even the first question after a start evaluates only what is new.

        The lead is asked twice, with two different one-token last messages: the first call evaluates it, the second
        (served from llama.cpp's cache at once) makes it seen twice, which is when :class:`KeptLeads` keeps it, and
        the two calls share just the lead, so only the lead counts as what is worth loading back.
        """
        for last in ("?", "."):
            self.complete([*lead, {"role": "user", "content": last}], max_tokens=1)

    def forget(self) -> None:
        """Evaluate the next prompt from scratch: clear llama.cpp's cache and the kept leads."""
        self._llama.reset()
        self.leads.forget()

    def complete(self, messages: Sequence[Message], max_tokens: int = 256) -> str:
        return "".join(self.stream(messages, max_tokens))

    def stream(self, messages: Sequence[Message], max_tokens: int = 256) -> Iterator[str]:
        pieces: list[str] = []
        try:
            self.leads.before(messages)
            chunks: Any = self._llama.create_chat_completion(
                messages=list(messages), max_tokens=max_tokens, temperature=0.0, stream=True  # type: ignore[arg-type]
            )
            for chunk in chunks:
                piece = chunk["choices"][0]["delta"].get("content")
                if piece:
                    pieces.append(piece)
                    yield piece
            self.leads.after(messages)
        except ValueError as exc:  # prompt longer than the context window
            raise LLMError(f"local model failed: {exc}") from exc
        finally:
            record_usage(counted_usage((m["content"] for m in messages), "".join(pieces), self.count_tokens))

    def count_tokens(self, text: str) -> int:
        """Tokens in ``text`` by the model's own tokenizer."""
        return len(self._llama.tokenize(text.encode("utf-8"), add_bos=False, special=True))


class OpenAICompatibleModel:
    """Any OpenAI-compatible endpoint (OpenAI, vLLM, Ollama, llama.cpp server) through ``openai``.

    Each request has a timeout; transient failures (connection errors, timeouts, 429 and 5xx) are
    retried with exponential backoff, all within one overall deadline. Each call's tokens are recorded
    (:func:`rag.models.usage.record_usage`): the endpoint's own ``usage`` (asked for in streams with ``include_usage``), or
    an estimate from the texts when the endpoint reports none.
    """

    reports_usage = True

    def __init__(self, base_url: str | None, api_key: str, model: str, timeout_s: float = 60.0, retries: int = 2,
                 client: Any | None = None) -> None:
        import openai

        self.name = model
        self.base_url = base_url or "https://api.openai.com/v1"
        self.timeout_s = timeout_s
        self.retries = retries
        self._client = client or openai.OpenAI(base_url=base_url, api_key=api_key, timeout=timeout_s, max_retries=0)

    def complete(self, messages: Sequence[Message], max_tokens: int = 256) -> str:
        response = self._with_retries(lambda: self._client.chat.completions.create(
            model=self.name, messages=list(messages), max_tokens=max_tokens, temperature=0.0))
        text: str = response.choices[0].message.content or ""
        record_usage(_reported(response.usage) or counted_usage((m["content"] for m in messages), text))
        return text

    def stream(self, messages: Sequence[Message], max_tokens: int = 256) -> Iterator[str]:
        import openai

        response = self._with_retries(lambda: self._client.chat.completions.create(
            model=self.name, messages=list(messages), max_tokens=max_tokens, temperature=0.0, stream=True,
            stream_options={"include_usage": True}))
        pieces: list[str] = []
        reported: Usage | None = None
        try:
            for event in response:
                reported = _reported(getattr(event, "usage", None)) or reported
                if event.choices and event.choices[0].delta.content:
                    pieces.append(event.choices[0].delta.content)
                    yield event.choices[0].delta.content
        except openai.APIError as exc:
            raise LLMError(f"the model endpoint {self.base_url} failed mid-answer: {exc}") from exc
        finally:
            record_usage(reported or counted_usage((m["content"] for m in messages), "".join(pieces)))

    def _with_retries(self, call: Callable[[], Any]) -> Any:
        import openai
        from tenacity import RetryError, Retrying, retry_if_exception, stop_after_attempt, stop_after_delay, wait_exponential

        def transient(exc: BaseException) -> bool:
            if isinstance(exc, openai.APIConnectionError | openai.APITimeoutError | openai.RateLimitError):
                return True
            return isinstance(exc, openai.APIStatusError) and exc.status_code >= 500

        deadline = self.timeout_s * (self.retries + 1)
        started = time.monotonic()
        try:
            for attempt in Retrying(
                retry=retry_if_exception(transient),
                stop=stop_after_attempt(self.retries + 1) | stop_after_delay(deadline),
                wait=wait_exponential(multiplier=0.5, max=4),
                reraise=False,
            ):
                with attempt:
                    return call()
        except RetryError as exc:
            cause = exc.last_attempt.exception()
            raise LLMError(
                f"the model endpoint {self.base_url} did not answer after {exc.last_attempt.attempt_number} "
                f"attempt(s) in {time.monotonic() - started:.1f}s: {cause}"
            ) from cause
        except openai.APIError as exc:
            raise LLMError(f"the model endpoint {self.base_url} refused the request: {exc}") from exc
        raise LLMError("unreachable")  # pragma: no cover


def _reported(usage: Any) -> Usage | None:
    """An endpoint's ``usage`` object as :class:`~rag.models.usage.Usage`; ``None`` when it sent none."""
    if usage is None or not isinstance(getattr(usage, "prompt_tokens", None), int):
        return None
    extra = getattr(usage, "model_extra", None) or {}  # a facade like this service's own marks its estimates
    return Usage(prompt_tokens=usage.prompt_tokens, completion_tokens=usage.completion_tokens or 0,
                 estimated=extra.get("estimated") is True)


def build_chat_model(settings: Settings) -> ChatModel:
    """The backend the settings ask for; the local model is assembled and verified on first use."""
    if settings.backend == "openai":
        return OpenAICompatibleModel(
            settings.llm_base_url, settings.llm_api_key.get_secret_value(), settings.llm_model,
            settings.llm_timeout_s, settings.llm_retries,
        )
    from rag.models.files import MODELS, ensure_model

    path = settings.model_path or ensure_model(MODELS[settings.local_model], settings.models_dir, settings.model_cache)
    return LlamaCppModel(path, settings.llm_threads, settings.llm_context, settings.llm_batch)
