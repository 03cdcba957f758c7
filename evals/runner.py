"""Run an eval set: build its index in a scratch data directory, ask every row, score, aggregate."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

from evals.datasets import DatasetError, EvalSet, GoldenRow
from evals.gate import environment
from evals.judge import build_judge, judge_metrics
from evals.metrics import RowResult, aggregate, score_error, score_row
from evals.results import EvalResult, PipelineRun
from evals.scratch import index_set, through_reprints
from rag.answer.pipeline import Answerer, AskOptions, Turn
from rag.models.embed import Embedder
from rag.models.llm import ChatModel
from rag.services import Services
from rag.settings import Settings
from rag.types import Answer

PIPELINES = ("ours", "llamaindex-baseline")
OnRow = Callable[[str, RowResult], None]


class Pipeline(Protocol):
    """Anything that answers a question (with the chat so far) as an :class:`Answer`."""

    name: str

    def answer(self, question: str, history: Sequence[Turn], today: dt.date) -> Answer: ...


class OurPipeline:
    name = "ours"

    def __init__(self, services: Services) -> None:
        self.answerer = Answerer.from_services(services)
        self.k = services.settings.top_k
        self.max_tokens = services.settings.llm_max_tokens

    def answer(self, question: str, history: Sequence[Turn], today: dt.date) -> Answer:
        return self.answerer.ask(question, AskOptions(history=history, today=today, k=self.k, max_tokens=self.max_tokens))


def run_eval(
    eval_set: EvalSet,
    settings: Settings,
    pipelines: Sequence[str] = ("ours",),
    *,
    reuse_data_dir: bool = False,
    k: int = 2,
    embedder: Embedder | None = None,
    chat: ChatModel | None = None,
    on_row: OnRow | None = None,
    judge_chat: ChatModel | None = None,
    adjust: Callable[[Services], None] | None = None,
) -> EvalResult:
    """Index the set's corpus (in a scratch directory unless ``reuse_data_dir``) and run each pipeline.

    ``k`` is article-level: Hit@k and Recall@k look at the first ``k`` distinct articles retrieved. ``adjust``
    sees the built services before the first question (a test swaps a part in to plant a regression).
    """
    unknown = [p for p in pipelines if p not in PIPELINES]
    if unknown or not pipelines:
        raise DatasetError(f"unknown pipeline {unknown or pipelines}; choose from {', '.join(PIPELINES)}")
    model_path = settings.model_path or (None if chat else _default_model_path(settings))
    with index_set(eval_set, settings, reuse_data_dir=reuse_data_dir, embedder=embedder, chat=chat,
                   model_path=model_path) as built:
        services, articles, report = built.services, built.articles, built.report
        settings = services.settings
        if adjust is not None:
            adjust(services)
        indexed = built.bodies
        rows = [through_reprints(r, report.duplicates) for r in eval_set.rows]
        today = max((a.published_at for a in articles if a.published_at), default=dt.date.today())
        runs = [
            _run_pipeline(_build(name, services), rows, indexed, k, today, on_row) for name in pipelines
        ]
    judge = judge_chat if judge_chat is not None else build_judge(settings)
    if judge is not None:
        for run in runs:
            run.metrics.update(judge_metrics(judge, run.rows))
    return EvalResult(
        dataset=eval_set.name,
        created_at=dt.datetime.now(dt.UTC),
        config={"k": k, "top_k": settings.top_k, "chunk_size": settings.chunk_size, "backend": settings.backend,
                "embedding_model": settings.embedding_model, "today": today.isoformat(),
                "environment": environment(runs[0].model if runs else "", settings.llm_threads, settings.llm_batch)},
        corpus={"articles": len(indexed), "reprints": report.duplicates, "skipped_rows": eval_set.skipped,
                "failed": [e.model_dump() for e in report.failed]},
        runs=runs,
    )


def _run_pipeline(pipeline: Pipeline, rows: Sequence[GoldenRow], bodies: dict[str, str], k: int,
                  today: dt.date, on_row: OnRow | None) -> PipelineRun:
    answers: dict[str, Answer] = {}
    results: list[RowResult] = []
    model = ""
    for row in rows:
        parent = answers.get(row.followup_of) if row.followup_of else None
        history = [Turn(_question(rows, row.followup_of), parent.text)] if parent and row.followup_of else []
        start = time.perf_counter()
        try:
            answer = pipeline.answer(row.question, history, today)
        except Exception as exc:  # an error is its own count (failing the gate), never a refusal
            result = score_error(row, exc, (time.perf_counter() - start) * 1000)
            results.append(result)
            if on_row:
                on_row(pipeline.name, result)
            continue
        elapsed = (time.perf_counter() - start) * 1000
        model = model or answer.model
        answers[row.id] = answer
        result = score_row(row, answer, bodies, k, elapsed)
        results.append(result)
        if on_row:
            on_row(pipeline.name, result)
    return PipelineRun(pipeline=pipeline.name, model=model, metrics=aggregate(results), rows=results)


def _build(name: str, services: Services) -> Pipeline:
    if name == "llamaindex-baseline":
        from evals.llamaindex_baseline import LlamaIndexBaseline

        return LlamaIndexBaseline(services)
    return OurPipeline(services)


def _question(rows: Sequence[GoldenRow], row_id: str | None) -> str:
    return next(r.question for r in rows if r.id == row_id)


def _default_model_path(settings: Settings) -> Path | None:
    """Keep using the GGUF assembled in the usual data directory instead of assembling it per run."""
    if settings.backend != "local":
        return None
    from rag.models.files import MODELS, ensure_model

    return ensure_model(MODELS[settings.local_model], settings.models_dir)
