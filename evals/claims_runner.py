"""Run the verifier benchmark: the product's verifier over each labelled claim/quote pair, one row each.

The scoring (:mod:`evals.claims`) is kept apart so that it never loads the verifier it grades.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Sequence
from typing import Any

from evals.claims import ClaimRow, ClaimsResult, claims_metrics
from evals.datasets import ClaimItem
from rag.verify import Verifier, check_rules


def run_claims(items: Sequence[ClaimItem], verifier: Verifier, on_item: Callable[[ClaimRow], None] | None = None,
               config: dict[str, Any] | None = None) -> ClaimsResult:
    """Check every item with ``verifier``, recording its verdict, the rules' own label and the time it took."""
    rows = []
    for item in items:
        started = time.perf_counter()
        verdict = verifier.check(item.claim, item.quote)
        elapsed = (time.perf_counter() - started) * 1000
        rules = check_rules(item.claim, item.quote)
        label = verdict.label
        row = ClaimRow(
            id=item.id, claim=item.claim, quote=item.quote, claim_class=item.claim_class, expected=item.expected,
            split=item.split, label=label, supported=verdict.supported,
            correct=verdict.supported == (item.expected == "supported"), rules_label=rules.label,
            p_yes=verdict.score if verdict.judged else None, reason=verdict.reason, ms=round(elapsed, 1),
        )
        rows.append(row)
        if on_item:
            on_item(row)
    return ClaimsResult(created_at=dt.datetime.now(dt.UTC), config=config or {}, metrics=claims_metrics(rows),
                        rows=rows)
