"""The retrieval eval's scoring and gate: Hit@k, Recall@k and MRR of the product's retriever, with no model.

Plain counting over the rankings :mod:`evals.retrieval_runner` records (article ids, in the order the retriever
returned its chunks); nothing here imports the product code it grades. A rank is the 1-based position of the
first returned chunk whose article is a gold source, within the ``k`` chunks the retriever returned when asked
for ``k``: what the answer pipeline would have been handed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from evals.datasets import DatasetError
from evals.gate import Baseline, check, improvements

EXTRA_KS = (1, 10)
"""Cut-offs reported beside the answer pipeline's own ``k`` (``Settings.top_k``)."""
MEASURES = ("hit", "recall", "mrr")


def metric_names(ks: Iterable[int]) -> list[str]:
    """``hit_at_6``, ``recall_at_6``, ``mrr_at_6``, … for each cut-off; every one is higher-is-better."""
    return [f"{measure}_at_{k}" for k in sorted(set(ks)) for measure in MEASURES]


def cutoffs(answer_k: int) -> list[int]:
    """The answer pipeline's ``k`` and the extra cut-offs, ascending."""
    return sorted({answer_k, *EXTRA_KS})


class RetrievalRow(BaseModel):
    """One question: its gold articles and what the retriever returned for it at each cut-off."""

    id: str
    question: str
    gold: list[str]
    """Article ids that hold the answer."""
    retrieved: dict[int, list[str]]
    """k → the article id of each returned chunk, best first (an article appears once per chunk returned)."""
    rank: dict[int, int | None] = Field(default_factory=dict)
    """k → position of the first chunk from a gold article (None: no gold article among the k)."""
    recall: dict[int, float] = Field(default_factory=dict)
    """k → share of the gold articles with a chunk among the k."""
    ms: float = 0.0
    """Time the searches for this row took, every cut-off together."""


class RetrievalResult(BaseModel):
    """What ``rag eval --stage retrieval`` writes."""

    dataset: str
    created_at: dt.datetime
    k: int
    """The answer pipeline's ``k`` (``Settings.top_k``): chunks an answer is written from."""
    ks: list[int]
    embedder: str
    config: dict[str, Any] = Field(default_factory=dict)
    corpus: dict[str, Any] = Field(default_factory=dict)
    metrics: dict[str, Any]
    rows: list[RetrievalRow]


class RetrievalBaseline(Baseline):
    """Measured floors for every retrieval metric, with the cut-off, embedder and corpus they were measured at."""

    model: str = ""
    k: int
    """The answer pipeline's ``k`` the floors were measured at; a run at another ``k`` is not comparable."""
    ks: list[int]
    embedder: str
    date: dt.date
    corpus: dict[str, Any] = Field(default_factory=dict)
    """The corpus measured over: articles indexed, rows asked, gold articles per row."""


def score_row(row_id: str, question: str, gold: Sequence[str], retrieved: Mapping[int, Sequence[str]],
              ms: float = 0.0) -> RetrievalRow:
    """Ranks and recall of one question's rankings against its gold articles."""
    wanted = set(gold)
    ranks = {k: next((i for i, a in enumerate(ids[:k], start=1) if a in wanted), None) for k, ids in retrieved.items()}
    recall = {k: round(len(wanted & set(ids[:k])) / len(wanted), 4) for k, ids in retrieved.items()}
    return RetrievalRow(id=row_id, question=question, gold=list(gold), retrieved={k: list(v) for k, v in retrieved.items()},
                        rank=ranks, recall=recall, ms=round(ms, 1))


def retrieval_metrics(rows: Sequence[RetrievalRow], ks: Iterable[int]) -> dict[str, Any]:
    """Per cut-off: Hit@k (some gold article among the k), Recall@k, and MRR within the k (0 when none)."""
    metrics: dict[str, Any] = {"rows": len(rows)}
    for k in sorted(set(ks)):
        ranks = [r.rank.get(k) for r in rows]
        metrics[f"hit_at_{k}"] = _mean(1.0 if rank else 0.0 for rank in ranks)
        metrics[f"recall_at_{k}"] = _mean(r.recall.get(k, 0.0) for r in rows)
        metrics[f"mrr_at_{k}"] = _mean(1.0 / rank if rank else 0.0 for rank in ranks)
    times = sorted(r.ms for r in rows)
    metrics["search_ms_p50"] = times[len(times) // 2] if times else 0.0
    return metrics


def load_retrieval_baseline(path: Path) -> RetrievalBaseline:
    try:
        baseline = RetrievalBaseline.model_validate_json(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DatasetError(f"{path}: not a retrieval baseline file ({exc})") from None
    unknown = set(baseline.metrics) - set(metric_names(baseline.ks))
    if unknown:
        raise DatasetError(f"{path}: unknown metrics {sorted(unknown)} (cut-offs {baseline.ks})")
    return baseline


def check_retrieval(result: RetrievalResult, baseline: RetrievalBaseline) -> list[str]:
    """Every way the run falls short of the baseline, as sentences naming the metric, floor and value."""
    failures = []
    if result.k != baseline.k:
        failures.append(f"the baseline was measured at k={baseline.k} (the answer pipeline's top_k then), "
                        f"this run retrieves k={result.k}: measure a new baseline")
    if result.embedder != baseline.embedder:
        failures.append(f"the baseline was measured with embedder {baseline.embedder!r}, this run used "
                        f"{result.embedder!r}: measure a new baseline")
    return failures + check(result.metrics, baseline, result.dataset, lower=())


def better_than(result: RetrievalResult, baseline: RetrievalBaseline) -> list[str]:
    """Gated metrics the run beats: candidates for raising the floors (in a commit that says why)."""
    return improvements(result.metrics, baseline, lower=())


def _mean(values: Iterable[float]) -> float | None:
    present = list(values)
    return round(sum(present) / len(present), 4) if present else None
