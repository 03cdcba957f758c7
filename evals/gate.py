"""The CI gate: a run's metrics against the committed baseline; baselines only move up."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from evals.datasets import DatasetError
from evals.metrics import HIGHER_IS_BETTER, LOWER_IS_BETTER


class Baseline(BaseModel):
    """Gated metric floors (ceilings for lower-is-better ones), measured on main and committed."""

    dataset: str
    pipeline: str = "ours"
    model: str
    why: str
    """Why the numbers are what they are: the commit or measurement that set them."""
    metrics: dict[str, float]
    tolerance: dict[str, float] = Field(default_factory=dict)
    """Allowed slack per metric, for metrics that vary run to run; absent means none."""


def load_baseline(path: Path) -> Baseline:
    try:
        baseline = Baseline.model_validate_json(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DatasetError(f"{path}: not a baseline file ({exc})") from None
    unknown = set(baseline.metrics) - set(HIGHER_IS_BETTER) - set(LOWER_IS_BETTER)
    if unknown:
        raise DatasetError(f"{path}: unknown metrics {sorted(unknown)}")
    return baseline


def check(metrics: Mapping[str, Any], baseline: Baseline, dataset: str | None = None) -> list[str]:
    """Every way ``metrics`` is worse than the baseline, as sentences; empty means the gate passes."""
    failures: list[str] = []
    if dataset is not None and dataset != baseline.dataset:
        failures.append(f"the baseline is for dataset {baseline.dataset!r}, this run is {dataset!r}")
    for name, floor in baseline.metrics.items():
        value = metrics.get(name)
        slack = baseline.tolerance.get(name, 0.0)
        if value is None:
            failures.append(f"{name}: missing from the run (baseline {floor})")
        elif name in LOWER_IS_BETTER and value > floor + slack + 1e-9:
            failures.append(f"{name}: {value} is above the baseline {floor}" + (f" (+{slack} allowed)" if slack else ""))
        elif name in HIGHER_IS_BETTER and value < floor - slack - 1e-9:
            failures.append(f"{name}: {value} is below the baseline {floor}" + (f" (-{slack} allowed)" if slack else ""))
    return failures


def improvements(metrics: Mapping[str, Any], baseline: Baseline) -> list[str]:
    """Gated metrics that beat the baseline: candidates for raising it (in a commit that says why)."""
    better = []
    for name, floor in baseline.metrics.items():
        value = metrics.get(name)
        if value is None:
            continue
        if (name in HIGHER_IS_BETTER and value > floor + 1e-9) or (name in LOWER_IS_BETTER and value < floor - 1e-9):
            better.append(f"{name}: {value} (baseline {floor})")
    return better


def metrics_of(result_path: Path, pipeline: str = "ours") -> tuple[str, dict[str, Any]]:
    """Dataset name and one pipeline's metrics from a saved ``rag eval`` result."""
    try:
        data = json.loads(result_path.read_text(encoding="utf-8"))
        run = next(r for r in data["runs"] if r["pipeline"] == pipeline)
        return data["dataset"], run["metrics"]
    except (OSError, ValueError, KeyError, TypeError, StopIteration) as exc:
        raise DatasetError(f"{result_path}: not a rag eval result with pipeline {pipeline!r} ({exc})") from None
