"""What ``rag eval`` writes: one run per pipeline (its metrics and scored rows), and the set they were asked over.

Kept apart from the runner so that reports and gates read saved results without loading the pipeline.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, Field

from evals.metrics import RowResult


class PipelineRun(BaseModel):
    """One pipeline's answers to the whole set."""

    pipeline: str
    model: str
    metrics: dict[str, Any]
    rows: list[RowResult]


class EvalResult(BaseModel):
    """What ``rag eval`` writes: the set, the corpus it was asked over, and one run per pipeline."""

    dataset: str
    created_at: dt.datetime
    config: dict[str, Any] = Field(default_factory=dict)
    corpus: dict[str, Any] = Field(default_factory=dict)
    runs: list[PipelineRun]

    def summary(self) -> dict[str, Any]:
        """``{"metrics": …, "rows": …}`` for the first pipeline, the others under ``pipelines``."""
        first = self.runs[0]
        return {
            "dataset": self.dataset,
            "pipeline": first.pipeline,
            "model": first.model,
            "metrics": first.metrics,
            "rows": [r.model_dump(mode="json") for r in first.rows],
            "pipelines": {r.pipeline: {"model": r.model, "metrics": r.metrics} for r in self.runs},
            "config": self.config,
            "corpus": self.corpus,
            "created_at": self.created_at.isoformat(timespec="seconds"),
        }
