"""A fake entailment judge (the seam is :class:`rag.verify.judge.EntailmentJudge`) for unit tests."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from rag.models.llm import Message


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


class FunctionReader(FunctionJudge):
    """Fake for unit tests of the answer reader: ``reply(question, passage)`` is the reply, P(NONE) follows from it.

    Also a judge (``p_yes`` is ``score``), so one fake can stand behind a :class:`rag.verify.Verifier` and the
    reader alike, as the local judge model does.
    """

    name = "reader-fake"

    def __init__(self, reply: Callable[[str, str], str], score: Callable[[str, str], float] | None = None,
                 p_none: float | None = None) -> None:
        super().__init__(score or (lambda claim, passage: 1.0))
        self.reply, self.p_none, self.read = reply, p_none, []

    def short_reply(self, messages: Sequence[Message], max_tokens: int, watch: Sequence[str]) -> tuple[str, float]:
        self.calls += 1
        user = messages[-1]["content"]
        passage = user.split("<passage>\n", 1)[1].split("\n</passage>", 1)[0]
        question = user.split("Question: ", 1)[1].splitlines()[0]
        self.read.append((question, passage))
        text = self.reply(question, passage)
        none = any(text.startswith(w.strip()) for w in watch)
        return text, self.p_none if self.p_none is not None else float(none)
