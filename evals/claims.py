"""The verifier benchmark's scoring: false accepts and false rejects per class, against labels written apart.

Plain counting over the rows :mod:`evals.claims_runner` records from the product's verifier; nothing here
imports it. The judge's P(yes) is kept per row so a threshold sweep on the tune split needs one pass.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, Field

STRICT_CLASSES = ("negation", "role_swap", "number", "date", "entity_swap")
"""Classes where the verifier must never accept (the gate holds them at 0 false accepts)."""
CLAIM_METRICS_LOWER = ("strict_false_accepts", "true_contradicted", "false_accept_rate", "false_reject_rate")
CLAIM_METRICS_HIGHER = ("label_accuracy",)


class ClaimRow(BaseModel):
    id: str
    claim: str
    quote: str
    claim_class: str
    expected: str
    split: str
    label: str
    supported: bool
    correct: bool
    rules_label: str
    p_yes: float | None = None
    reason: str
    ms: float


class ClaimsResult(BaseModel):
    dataset: str = "claims"
    created_at: dt.datetime
    config: dict[str, Any] = Field(default_factory=dict)
    metrics: dict[str, Any]
    rows: list[ClaimRow]


def claims_metrics(rows: Sequence[ClaimRow], threshold: float | None = None) -> dict[str, Any]:
    """Per-class false accepts/rejects; with ``threshold``, judged rows are re-decided at that P(yes)."""
    decided = [_at(r, threshold) for r in rows]
    positives = [s for r, s in zip(rows, decided) if r.expected == "supported"]
    negatives = [s for r, s in zip(rows, decided) if r.expected != "supported"]
    per_class: dict[str, dict[str, Any]] = {}
    for cls in sorted({r.claim_class for r in rows}):
        members = [(r, s) for r, s in zip(rows, decided) if r.claim_class == cls]
        positive = members[0][0].expected == "supported"
        wrong = sum(1 for _, s in members if s != positive)
        per_class[cls] = {"n": len(members), ("false_rejects" if positive else "false_accepts"): wrong,
                          "judged": sum(1 for r, _ in members if r.p_yes is not None)}
    strict = sum(1 for r, s in zip(rows, decided) if r.claim_class in STRICT_CLASSES and s)
    times = sorted(r.ms for r in rows)
    return {
        "items": len(rows),
        "strict_false_accepts": strict,
        # A true claim called "contradicted" tells an analyst a source says otherwise: never tolerated.
        "true_contradicted": sum(1 for r in rows if r.expected == "supported" and r.label == "contradicted"),
        "false_accept_rate": round(sum(negatives) / len(negatives), 4) if negatives else None,
        "false_reject_rate": round(sum(1 for s in positives if not s) / len(positives), 4) if positives else None,
        "label_accuracy": round(sum(1 for r, s in zip(rows, decided) if s == (r.expected == "supported")) / len(rows), 4)
        if rows else None,
        "judged_share": round(sum(1 for r in rows if r.p_yes is not None) / len(rows), 4) if rows else None,
        "ms_p50": times[len(times) // 2] if times else 0.0,
        "per_class": per_class,
    }


def _at(row: ClaimRow, threshold: float | None) -> bool:
    if threshold is None or row.p_yes is None:
        return row.supported
    return row.p_yes >= threshold


def sweep(rows: Sequence[ClaimRow], thresholds: Sequence[float]) -> list[dict[str, Any]]:
    """The metrics at each judge threshold (for tuning on the tune split)."""
    return [{"threshold": t, **{k: v for k, v in claims_metrics(rows, t).items() if k != "per_class"}}
            for t in thresholds]
