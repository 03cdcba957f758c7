"""How much a gated eval moves when nothing but the arithmetic changes.

Saved results of the same code under different thread counts, batch sizes or machines, compared row by row.

``python -m evals.noise REFERENCE.json OTHER.json ... [--json]`` prints, for each other result, the rows that
flipped and how far each gated figure moved, then the widest move per metric in the worse direction: the measured
spread the baseline's noise band (``tolerance``) is set from. Reads both ``rag eval`` results and claims results.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from evals.claims import CLAIM_METRICS_LOWER
from evals.datasets import DatasetError
from evals.gate import Flips, compare_rows
from evals.metrics import LOWER_IS_BETTER


class Outcome(BaseModel):
    """One saved run reduced to what the gate reads."""

    path: str
    dataset: str
    environment: dict[str, Any] = Field(default_factory=dict)
    metrics: dict[str, Any]
    rows: dict[str, bool]


class Comparison(BaseModel):
    path: str
    environment: dict[str, Any]
    regressed: list[str]
    recovered: list[str]
    p_value: float
    worse_by: dict[str, float]
    """Per gated metric, how far this run is worse than the reference (negative: better)."""


def load_outcome(path: Path) -> Outcome:
    """A ``rag eval`` result (first pipeline) or a claims benchmark result."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        config = data.get("config", {})
        if "runs" in data:
            run = data["runs"][0]
            return Outcome(path=str(path), dataset=data["dataset"], environment=config.get("environment", {}),
                           metrics=run["metrics"], rows={r["id"]: bool(r["passed"]) for r in run["rows"]})
        split = config.get("split")
        return Outcome(path=str(path), dataset=f"claims-{split}" if split else "claims",
                       environment=config.get("environment", {}), metrics=data["metrics"],
                       rows={r["id"]: bool(r["correct"]) for r in data["rows"]})
    except (OSError, ValueError, KeyError, TypeError, IndexError) as exc:
        raise DatasetError(f"{path}: not a rag eval or claims result ({exc})") from None


def compare(reference: Outcome, other: Outcome, gated: Collection[str], lower: Collection[str]) -> Comparison:
    flips: Flips = compare_rows(reference.rows, other.rows)
    worse: dict[str, float] = {}
    for name in gated:
        a, b = reference.metrics.get(name), other.metrics.get(name)
        if isinstance(a, int | float) and isinstance(b, int | float):
            worse[name] = round((b - a) if name in lower else (a - b), 4)
    return Comparison(path=other.path, environment=other.environment, regressed=flips.regressed,
                      recovered=flips.recovered, p_value=round(flips.p_value, 4), worse_by=worse)


def spread(outcomes: Sequence[Outcome]) -> dict[str, Any]:
    """Every result against the first, and the widest worse-direction move per metric over all pairs."""
    if len(outcomes) < 2:
        raise DatasetError("give a reference result and at least one other")
    datasets = {o.dataset for o in outcomes}
    if len(datasets) != 1:
        raise DatasetError(f"results are of different datasets: {sorted(datasets)}")
    lower = CLAIM_METRICS_LOWER if next(iter(datasets)).startswith("claims") else LOWER_IS_BETTER
    gated = [k for k, v in outcomes[0].metrics.items() if isinstance(v, int | float) and not k.startswith("latency")]
    pairs = [compare(a, b, gated, lower) for i, a in enumerate(outcomes) for b in outcomes[i + 1:]]
    pairs += [compare(b, a, gated, lower) for i, a in enumerate(outcomes) for b in outcomes[i + 1:]]
    widest = {name: max(0.0, *(p.worse_by.get(name, 0.0) for p in pairs)) for name in gated}
    return {
        "dataset": outcomes[0].dataset,
        "reference": outcomes[0].path,
        "rows": len(outcomes[0].rows),
        "against_reference": [compare(outcomes[0], o, gated, lower).model_dump() for o in outcomes[1:]],
        "max_rows_flipped": max(len(p.regressed) + len(p.recovered) for p in pairs),
        "widest_worse_move": widest,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("results", nargs="+", type=Path, help="saved results; the first is the reference")
    parser.add_argument("--json", action="store_true", help="print the whole comparison as JSON")
    args = parser.parse_args(argv)
    try:
        summary = spread([load_outcome(p) for p in args.results])
    except DatasetError as exc:
        print(f"error: {exc}")
        return 2
    if args.json:
        print(json.dumps(summary, indent=1))
        return 0
    for item in summary["against_reference"]:
        env = item["environment"]
        print(f"{item['path']} (threads {env.get('threads')}, batch {env.get('batch')}): "
              f"{len(item['regressed'])} pass->fail {item['regressed']}, "
              f"{len(item['recovered'])} fail->pass {item['recovered']}, p = {item['p_value']}")
    print(f"max rows flipped between any two: {summary['max_rows_flipped']} of {summary['rows']}")
    for name, move in summary["widest_worse_move"].items():
        if move:
            print(f"  {name}: worse by up to {move}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
