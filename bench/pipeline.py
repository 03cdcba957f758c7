"""Pipeline figures for ``rag bench``: answer overhead, first streamed sentence, ingest, the LlamaIndex peer.

Every figure is a ratio of two timings taken in the same process, back to back on the same inputs, with
llama.cpp's prompt cache cleared before each model call so both sides pay the same prompt evaluation.
"""

from __future__ import annotations

import datetime as dt
import json
import statistics
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from bench.measure import RecordingChat, RecordingEmbedder, forget_prompt_cache, run_model
from evals.synthetic import generate_articles
from rag.answer.pipeline import Answerer, AskOptions
from rag.index.corpus import article_from_row, read_sources
from rag.index.ingest import ingest_items
from rag.index.store import Store
from rag.models.embed import QueryCache
from rag.models.llm import Message
from rag.models.prompts import render_prompt
from rag.services import Services
from rag.settings import Settings
from rag.types import Article, ItemError, ItemWarning

QUALITY_METRICS = ("pass_rate", "fact_accuracy", "correct_refusal_rate", "citation_validity", "citation_precision",
                   "support_rate", "unsupported_entities")


class AnswerTiming(BaseModel):
    """One question through the pipeline, timed from outside and, for the model call, from inside."""

    question: str
    answer_s: float
    model_s: float
    """Time spent inside the model during this answer (same prompt, same output tokens, same moment)."""
    first_sentence_s: float
    """From ``ask`` to the first verified sentence reaching the caller."""
    model_first_token_s: float
    """The model's prompt evaluation for this prompt (time from the call to its first token)."""
    model_first_sentence_s: float
    """From the model call to the model's first complete sentence."""
    verification_s: float = 0.0
    """Time the verifier (rules and judge) spent on this answer's sentences."""
    replay_model_s: float | None = None
    """The bare model on the recorded prompt, run again with a cold prompt cache (``None`` in ``--quick``)."""
    same_output: bool | None = None
    """Whether the replay produced the text the pipeline streamed (greedy decoding: it should)."""
    kept_model_first_token_s: float | None = None
    """The same question again, after a follow-up's rewrite prompt took the model's cache, with the answer prompt's
    lead (instructions, worked examples) kept (:mod:`rag.models.kept_prefix`): its time to the first token."""
    kept_first_sentence_s: float | None = None
    """From ``ask`` to the first verified sentence in that run."""
    kept_same_output: bool | None = None
    """Whether that run streamed the text the cold run did."""


def measure_answers(services: Services, questions: Sequence[str], wanted: int, replay: bool = True) -> list[AnswerTiming]:
    """Ask until ``wanted`` questions have been answered by the model (refusals never reach it)."""
    chat = RecordingChat(services.chat)
    answerer = Answerer(services.retriever, services.embedder, chat, services.verifier)  # as the product runs
    services.retriever.search(questions[0], k=services.settings.top_k)  # warm: BM25 index, embedder
    _ = services.verifier.judge  # loaded now, as the service does at start, not inside the first answer's verification
    timings: list[AnswerTiming] = []
    timing_text: dict[str, str] = {}
    for question in questions:
        if len(timings) >= wanted:
            break
        chat.calls.clear()
        forget_prompt_cache(chat)
        stopwatch = _Stopwatch()
        answer = answerer.ask(question, AskOptions(k=services.settings.top_k), on_sentence=stopwatch.lap)
        wall = stopwatch.elapsed()
        if answer.refused or len(chat.calls) != 1 or not stopwatch.laps:
            continue
        call = chat.calls[0]
        timing = AnswerTiming(
            question=question, answer_s=wall, model_s=call.model_s, first_sentence_s=stopwatch.laps[0],
            model_first_token_s=call.first_token_s, model_first_sentence_s=call.first_sentence_at - call.started,
            verification_s=answer.timings.get("verification", 0.0) / 1000,
        )
        if replay:
            bare = run_model(services.chat, call.messages, call.max_tokens)
            timing.replay_model_s, timing.same_output = bare.total_s, bare.text == call.text
        timing_text[timing.question] = call.text
        timings.append(timing)
    if timings:
        untimed = [q for q in questions if q not in timing_text]
        _measure_kept(answerer, chat, timings, timing_text, services.settings.top_k, untimed)
    return timings


def _measure_kept(answerer: Answerer, chat: RecordingChat, timings: Sequence[AnswerTiming], texts: dict[str, str],
                  k: int, untimed: Sequence[str]) -> None:
    """Ask each answered question again with the answer prompt's lead kept, another prompt run just before it.

    The other prompt is a follow-up's rewrite (the product's own), so llama.cpp's plain prefix reuse cannot help:
    only a kept lead can. An answer to a question that is not timed first makes the lead seen twice, which is when
    it is kept (a timed question would find its whole prompt kept).
    """
    options = AskOptions(k=k)
    for question in untimed:
        chat.calls.clear()
        answerer.ask(question, options)
        if chat.calls:
            break
    rewrite: list[Message] = [
        {"role": "system", "content": render_prompt("rewrite_system")},
        {"role": "user", "content": render_prompt("rewrite_user", history="User: What happened?\nAssistant: A storm.",
                                                  question="And where?")},
    ]
    for timing in timings:
        chat.inner.complete(rewrite, max_tokens=16)
        chat.calls.clear()
        stopwatch = _Stopwatch()
        answer = answerer.ask(timing.question, options, on_sentence=stopwatch.lap)
        if answer.refused or len(chat.calls) != 1 or not stopwatch.laps:
            continue
        call = chat.calls[0]
        timing.kept_model_first_token_s, timing.kept_first_sentence_s = call.first_token_s, stopwatch.laps[0]
        timing.kept_same_output = call.text == texts[timing.question]


class _Stopwatch:
    """Started on creation; ``lap`` (an ``on_sentence`` callback) records when each sentence arrived."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.laps: list[float] = []

    def lap(self, *_: object) -> None:
        self.laps.append(self.elapsed())

    def elapsed(self) -> float:
        return time.perf_counter() - self.started


def answer_ratios(timings: Sequence[AnswerTiming]) -> dict[str, float]:
    if not timings:
        return {}
    ratios = {
        "answer_over_model": sum(t.answer_s for t in timings) / sum(t.model_s for t in timings),
        "first_sentence_over_prompt_eval": statistics.median(t.first_sentence_s / t.model_first_token_s for t in timings),
        "first_sentence_over_model_first_sentence": statistics.median(
            t.first_sentence_s / t.model_first_sentence_s for t in timings),
    }
    ratios["verification_share_of_answer"] = statistics.median(t.verification_s / t.answer_s for t in timings)
    kept = [t for t in timings if t.kept_model_first_token_s is not None and t.kept_first_sentence_s is not None]
    if kept:
        ratios["first_token_kept_over_cold"] = statistics.median(
            (t.kept_model_first_token_s or 0) / t.model_first_token_s for t in kept)
        ratios["first_sentence_kept_over_cold"] = statistics.median(
            (t.kept_first_sentence_s or 0) / t.first_sentence_s for t in kept)
    replayed = [t for t in timings if t.replay_model_s]
    if replayed:
        ratios["answer_over_model_replay"] = sum(t.answer_s for t in replayed) / sum(t.replay_model_s or 0 for t in replayed)
    return ratios


class IngestTiming(BaseModel):
    articles: int
    chunks: int
    ingest_s: float
    embedder_s: float
    """Time inside the embedder during the ingest: the raw embedder's time on the same texts, same moment."""
    replay_embedder_s: float
    """The bare embedder on exactly the batches ingest embedded, run again right after."""
    raw_embedder_s: float = 0.0
    """The bare embedder on every text ingest embedded, in one call right after: its best throughput on them."""
    texts: int = 0
    """How many texts (chunk search texts, reprint titles) ingest embedded."""
    corpus: str = "synthetic"
    """The corpus ingested: ``synthetic`` (``evals.synthetic``), or the path given with ``--ingest-corpus``."""
    boilerplate_lines: int = 0
    """Lines left out as cross-page boilerplate."""


def measure_ingest(settings: Settings, services: Services, articles: int, corpus: Path | None = None) -> IngestTiming:
    """Ingest articles into a fresh store, then embed the same texts with the bare embedder (same batches; one call).

    The articles are synthetic, or the first ``articles`` items of ``corpus`` (any path ``rag ingest`` reads;
    0 takes all of them).
    """
    bare = services.embedder.inner if isinstance(services.embedder, QueryCache) else services.embedder
    embedder = RecordingEmbedder(bare)  # never the cache: a replay of small batches would be answered from it
    bare.embed(["warm up the embedder"] * 8)
    if corpus is None:
        items: list[Article | ItemError | ItemWarning] = [
            article_from_row(row.model_dump(), default_id=row.id) for row in generate_articles(articles, seed=2)]
    else:
        items = list(read_sources([corpus]))
        items = items[:articles] if articles else items
    store = Store(settings)
    started = time.perf_counter()
    report = ingest_items(items, store, embedder, settings)
    ingest_s = time.perf_counter() - started
    started = time.perf_counter()
    for batch in embedder.batches:
        bare.embed(batch)
    replay_s = time.perf_counter() - started
    texts = [text for batch in embedder.batches for text in batch]
    started = time.perf_counter()
    bare.embed(texts)
    raw_s = time.perf_counter() - started
    return IngestTiming(articles=sum(1 for i in items if isinstance(i, Article)), chunks=report.chunks_written,
                        ingest_s=ingest_s, embedder_s=embedder.seconds, replay_embedder_s=replay_s, raw_embedder_s=raw_s,
                        texts=len(texts), corpus=str(corpus) if corpus else "synthetic",
                        boilerplate_lines=sum(d.lines for d in report.boilerplate.values()))


class PeerTiming(BaseModel):
    question: str
    ours_s: float
    peer_s: float


def measure_peer(services: Services, questions: Sequence[str]) -> list[PeerTiming]:
    """Our pipeline and plain LlamaIndex (same collection, embedder and model) on the same questions."""
    from evals.llamaindex_baseline import LlamaIndexBaseline

    ours, peer = Answerer(services.retriever, services.embedder, services.chat), LlamaIndexBaseline(services)
    today = dt.date.today()
    timings = []
    for question in questions:
        forget_prompt_cache(services.chat)
        started = time.perf_counter()
        ours.ask(question, AskOptions(k=services.settings.top_k, today=today))
        ours_s = time.perf_counter() - started
        forget_prompt_cache(services.chat)
        started = time.perf_counter()
        peer.answer(question, [], today)
        timings.append(PeerTiming(question=question, ours_s=ours_s, peer_s=time.perf_counter() - started))
    return timings


def quality_from_eval(path: Path) -> dict[str, dict[str, Any]]:
    """Quality metrics per pipeline from a ``rag eval`` result file (the eval's numbers, not re-measured)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    runs = data.get("runs") or [{"pipeline": p, **v} for p, v in (data.get("pipelines") or {}).items()]
    if not runs:
        raise ValueError(f"{path} has no pipeline runs; pass a JSON result written by `rag eval`")
    return {run["pipeline"]: {m: run["metrics"].get(m) for m in QUALITY_METRICS} for run in runs}
