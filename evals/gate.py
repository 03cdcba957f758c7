"""The CI gate: a run against the committed baseline, row by row and in aggregate, telling regression from noise.

Greedy llama.cpp decoding repeats on one machine, not across CPUs, builds, thread counts or batch sizes: a
probability near a threshold, or one token near a tie, comes out the other way and one row flips. So a run fails
the gate when

- rows that went from pass to fail outnumber those that went the other way by more than chance allows (a
  one-sided exact sign test on the discordant pairs, McNemar's exact test, at ``Baseline.level``);
- an aggregate is worse than its baseline by more than the measured noise band (``Baseline.tolerance``);
- anything in :data:`NEVER_TOLERATED` rises at all (errors, generation failures, strict false accepts), or a
  row listed as strict (a verifier claim that must never be accepted) regresses;
- anything in :data:`GATED_AT_ZERO` is above 0 in the run, whatever the baseline holds or leaves out.

The band and the level are stated in the baseline file with the measurement they came from (``noise``).
"""

from __future__ import annotations

import json
import os
import platform
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field
from scipy.stats import binomtest

from evals.datasets import DatasetError
from evals.metrics import HIGHER_IS_BETTER
from evals.metrics import LOWER_IS_BETTER as _AGGREGATE_CEILINGS

NEVER_TOLERATED = ("errors", "generation_failed", "strict_false_accepts", "true_contradicted")
"""Counts that no noise band excuses: the pipeline raised, the model produced nothing, the verifier accepted an
edited claim of a class that must always be caught."""
LOWER_IS_BETTER = (*_AGGREGATE_CEILINGS, "boilerplate_answers")
"""Ceilings: the aggregate's lower-is-better metrics, and ``boilerplate_answers`` (added by ``rag eval
--boilerplate``, :mod:`evals.boilerplate`)."""
GATED_AT_ZERO = ("errors", "generation_failed")
"""Counts held at 0 in absolute terms: a question the pipeline raised on, or one the model failed to write (the
answer fell back to quotes), fails the run even against a baseline that recorded some or does not list them."""


class Baseline(BaseModel):
    """Gated metric floors (ceilings for lower-is-better ones) and per-row outcomes, measured and committed."""

    dataset: str
    pipeline: str = "ours"
    model: str
    why: str
    """Why the numbers are what they are: the commit or measurement that set them."""
    metrics: dict[str, float]
    tolerance: dict[str, float] = Field(default_factory=dict)
    """The measured noise band per metric: how far a run may fall short of the figure before it fails."""
    rows: dict[str, bool] = Field(default_factory=dict)
    """Each row's outcome (pass/fail) in the run that set the baseline, for the paired test."""
    level: float = Field(default=0.05, gt=0, lt=1)
    """Significance level of the one-sided sign test on rows that flipped."""
    environment: dict[str, Any] = Field(default_factory=dict)
    """Where the baseline rows were measured: model, llama.cpp build, CPU, threads, batch size."""
    noise: dict[str, Any] = Field(default_factory=dict)
    """The measurement the tolerance comes from: configurations run and rows flipped in each."""


class Flips(BaseModel):
    """Rows whose outcome differs from the baseline's."""

    regressed: list[str] = Field(default_factory=list)
    """Passed in the baseline, failed now."""
    recovered: list[str] = Field(default_factory=list)
    """Failed in the baseline, pass now."""
    missing: list[str] = Field(default_factory=list)
    """In the baseline, absent from the run."""

    @property
    def p_value(self) -> float:
        """P(at least this many regressions | flips are noise, each way equally likely)."""
        n = len(self.regressed) + len(self.recovered)
        if n == 0:
            return 1.0
        return float(binomtest(len(self.regressed), n, 0.5, alternative="greater").pvalue)

    def describe(self) -> str:
        return (f"{len(self.regressed)} rows pass -> fail ({', '.join(self.regressed) or 'none'}), "
                f"{len(self.recovered)} fail -> pass ({', '.join(self.recovered) or 'none'}); "
                f"sign test p = {self.p_value:.3g}")


def compare_rows(baseline: Mapping[str, bool], run: Mapping[str, bool]) -> Flips:
    """The rows of ``run`` whose outcome changed since ``baseline`` (rows new to the set are not compared)."""
    flips = Flips()
    for row_id, passed in baseline.items():
        now = run.get(row_id)
        if now is None:
            flips.missing.append(row_id)
        elif passed and not now:
            flips.regressed.append(row_id)
        elif now and not passed:
            flips.recovered.append(row_id)
    return flips


def load_baseline(path: Path, higher: Collection[str] = HIGHER_IS_BETTER,
                  lower: Collection[str] = LOWER_IS_BETTER) -> Baseline:
    try:
        baseline = Baseline.model_validate_json(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DatasetError(f"{path}: not a baseline file ({exc})") from None
    unknown = set(baseline.metrics) - set(higher) - set(lower)
    if unknown:
        raise DatasetError(f"{path}: unknown metrics {sorted(unknown)}")
    return baseline


def check(metrics: Mapping[str, Any], baseline: Baseline, dataset: str | None = None,
          rows: Mapping[str, bool] | None = None, strict: Collection[str] = (),
          lower: Collection[str] = LOWER_IS_BETTER) -> list[str]:
    """Every way a run is worse than the baseline beyond noise, as sentences; empty means the gate passes.

    Args:
        metrics: The run's aggregate figures.
        baseline: The committed baseline.
        dataset: The run's dataset name, checked against the baseline's.
        rows: The run's per-row outcomes; with the baseline's rows they are compared pairwise.
        strict: Row ids whose regression always fails (no chance allowance).
        lower: Metrics for which lower is better (ceilings); every other gated metric is a floor.

    """
    failures: list[str] = []
    if dataset is not None and dataset != baseline.dataset:
        failures.append(f"the baseline is for dataset {baseline.dataset!r}, this run is {dataset!r}")
    for name, floor in baseline.metrics.items():
        value = metrics.get(name)
        slack = 0.0 if name in NEVER_TOLERATED else baseline.tolerance.get(name, 0.0)
        allowed = f" (noise band {slack})" if slack else ""
        if value is None:
            failures.append(f"{name}: missing from the run (baseline {floor})")
        elif name in GATED_AT_ZERO:
            continue  # held at 0 below, whatever the baseline says
        elif name in lower and value > floor + slack + 1e-9:
            failures.append(f"{name}: {value} is above the baseline {floor}{allowed}")
        elif name not in lower and value < floor - slack - 1e-9:
            failures.append(f"{name}: {value} is below the baseline {floor}{allowed}")
    failures += [f"{name}: {metrics[name]} is above 0 (gated at 0, whatever the baseline holds)"
                 for name in GATED_AT_ZERO if (metrics.get(name) or 0) > 0]
    if rows is not None and baseline.rows:
        flips = compare_rows(baseline.rows, rows)
        if flips.missing:
            failures.append(f"rows missing from the run: {', '.join(flips.missing)}")
        if flips.regressed and flips.p_value < baseline.level:
            failures.append(f"more rows regressed than noise explains (level {baseline.level}): {flips.describe()}")
        strict_regressed = [r for r in flips.regressed if r in strict]
        if strict_regressed:
            failures.append(f"strict rows regressed (never tolerated): {', '.join(strict_regressed)}")
    return failures


def improvements(metrics: Mapping[str, Any], baseline: Baseline, lower: Collection[str] = LOWER_IS_BETTER) -> list[str]:
    """Gated metrics that beat the baseline: candidates for raising it (in a commit that says why)."""
    better = []
    for name, floor in baseline.metrics.items():
        value = metrics.get(name)
        if value is None:
            continue
        if (name not in lower and value > floor + 1e-9) or (name in lower and value < floor - 1e-9):
            better.append(f"{name}: {value} (baseline {floor})")
    return better


def environment(model: str, threads: int, batch: int) -> dict[str, Any]:
    """What a row outcome depends on besides the code: the model, the llama.cpp build, the CPU and its settings."""
    try:
        import llama_cpp

        build = str(llama_cpp.__version__)
        features = _features(llama_cpp.llama_print_system_info())
    except (ImportError, AttributeError):
        build, features = "absent", ""
    return {"model": model, "llama_cpp": build, "cpu": _cpu_name(), "cores": os.cpu_count(), "threads": threads,
            "batch": batch, "machine": platform.machine(), "simd": features}


def _features(system_info: bytes | str) -> str:
    """The instruction sets llama.cpp was built with, from its system info ("CPU : AVX = 1 | AVX2 = 1 | …")."""
    text = system_info.decode() if isinstance(system_info, bytes) else system_info
    return " ".join(part.split("=")[0].strip().split(":")[-1].strip()
                    for part in text.split("|") if part.strip().endswith("= 1"))


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def metrics_of(result_path: Path, pipeline: str = "ours") -> tuple[str, dict[str, Any]]:
    """Dataset name and one pipeline's metrics from a saved ``rag eval`` result."""
    try:
        data = json.loads(result_path.read_text(encoding="utf-8"))
        run = next(r for r in data["runs"] if r["pipeline"] == pipeline)
        return data["dataset"], run["metrics"]
    except (OSError, ValueError, KeyError, TypeError, StopIteration) as exc:
        raise DatasetError(f"{result_path}: not a rag eval result with pipeline {pipeline!r} ({exc})") from None
