"""A fake entailment judge (the seam is :class:`rag.verify.judge.EntailmentJudge`) for unit tests."""

from __future__ import annotations


class KeywordJudge:
    """Fake for unit tests: P(yes) is the share of the claim's long words that the passage contains."""

    name = "keyword-fake"

    def __init__(self) -> None:
        self.calls = 0

    def p_yes(self, claim: str, passage: str) -> float:
        self.calls += 1
        wanted = {w for w in claim.lower().split() if len(w) > 4}
        return len({w for w in wanted if w in passage.lower()}) / len(wanted) if wanted else 0.0
