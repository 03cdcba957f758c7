"""A fake entailment judge (the seam is :class:`rag.verify.judge.EntailmentJudge`) for unit tests."""

from __future__ import annotations

from collections.abc import Callable


class KeywordJudge:
    """Fake for unit tests: P(yes) is the share of the claim's long words that the passage contains."""

    name = "keyword-fake"

    def __init__(self) -> None:
        self.calls = 0

    def p_yes(self, claim: str, passage: str) -> float:
        self.calls += 1
        wanted = {w for w in claim.lower().split() if len(w) > 4}
        return len({w for w in wanted if w in passage.lower()}) / len(wanted) if wanted else 0.0


class FunctionJudge:
    """Fake for unit tests: P(yes) is whatever ``score(claim, passage)`` says about the two texts."""

    name = "function-fake"

    def __init__(self, score: Callable[[str, str], float]) -> None:
        self.score, self.calls, self.asked = score, 0, []

    def p_yes(self, claim: str, passage: str) -> float:
        self.calls += 1
        self.asked.append((claim, passage))
        return self.score(claim, passage)
