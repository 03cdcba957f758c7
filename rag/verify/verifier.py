"""The ``Verifier`` seam: one sentence, one quote, one verdict. Vetoes from a parse first, then the model judge."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from rag.models.llm import LLMError
from rag.types import SupportVerdict
from rag.verify.rules import check_rules

if TYPE_CHECKING:
    from rag.settings import Settings
    from rag.verify.judge import EntailmentJudge

JUDGE_THRESHOLD = 0.5
"""P(yes) at or above which the judge's "supported" stands; tuned on the claims benchmark's tune split."""
RULES_ONLY_COVERAGE = 0.85
"""Without a judge, an undecided sentence passes only when this share of its words is in the quote."""


class Verifier:
    """Checks that a single quote supports a sentence in meaning (no stitching across quotes).

    The rules only veto (numbers, dates, names, polarity, roles, opposite predicates, reported claims; see
    :mod:`rag.verify.rules`); a sentence they do not veto goes to the judge, which decides paraphrase, unless it is
    the quote's own words in order. Without a judge it passes only on high coverage. The judge fails closed.
    """

    def __init__(self, judge: EntailmentJudge | Callable[[], EntailmentJudge | None] | None = None,
                 threshold: float = JUDGE_THRESHOLD) -> None:
        self._judge = judge
        self.threshold = threshold
        self.seconds = 0.0
        """Time spent verifying, for the share of answer time it costs."""

    @property
    def judge(self) -> EntailmentJudge | None:
        if callable(self._judge) and not hasattr(self._judge, "p_yes"):
            self._judge = self._judge()  # built on first need
        return self._judge  # type: ignore[return-value]

    def check(self, sentence: str, quote: str) -> SupportVerdict:
        started = time.perf_counter()
        try:
            return self._check(sentence, quote)
        finally:
            self.seconds += time.perf_counter() - started

    def check_rules(self, sentence: str, quote: str) -> SupportVerdict:
        """The rules' verdict alone (undecided counts as not supported): cheap, for ranking candidates."""
        rules = check_rules(sentence, quote)
        return _verdict(rules.label == "supported", rules.label if rules.label != "undecided" else "unsupported",
                        rules.reason, rules.coverage)

    def _check(self, sentence: str, quote: str) -> SupportVerdict:
        rules = check_rules(sentence, quote)
        if rules.label != "undecided":
            return _verdict(rules.label == "supported", rules.label, rules.reason, rules.coverage)
        judge = self.judge
        if judge is None:
            passed = rules.coverage >= RULES_ONLY_COVERAGE
            return _verdict(passed, "supported" if passed else "unsupported",
                            f"{rules.reason}; no judge, coverage {rules.coverage:.2f}", rules.coverage)
        try:
            p = judge.p_yes(sentence, quote)
        except LLMError as exc:
            return _verdict(False, "unsupported", f"{rules.reason}; the judge failed: {exc}", rules.coverage)
        passed = p >= self.threshold
        return SupportVerdict(
            supported=passed, label="supported" if passed else "unsupported", score=round(p, 3), judged=True,
            reason=f"{rules.reason}; judge P(yes)={p:.2f} {'≥' if passed else '<'} {self.threshold}",
        )


def _verdict(supported: bool, label: str, reason: str, score: float) -> SupportVerdict:
    return SupportVerdict(supported=supported, label=label, reason=reason, score=round(score, 3))  # type: ignore[arg-type]


def build_verifier(settings: Settings, chat: Callable[[], object]) -> Verifier:
    """The verifier the settings ask for; the judge model is loaded on first need (rules-only checks never load it)."""
    if settings.verifier_judge == "off":
        return Verifier(None)
    return Verifier(lambda: build_judge(settings), threshold=settings.verifier_threshold)


def build_judge(settings: Settings) -> EntailmentJudge:
    """A local GGUF judge in its own context, or the OpenAI-compatible endpoint the answers use."""
    if settings.backend == "openai":
        import openai

        from rag.verify.judge import OpenAIJudge

        client = openai.OpenAI(base_url=settings.llm_base_url, api_key=settings.llm_api_key.get_secret_value(),
                               timeout=settings.llm_timeout_s, max_retries=settings.llm_retries)
        return OpenAIJudge(client, settings.llm_model)
    from rag.models.files import MODELS, ensure_model
    from rag.verify.judge import LlamaCppJudge

    name = settings.verifier_model or settings.local_model
    path = settings.model_path if settings.model_path and name == settings.local_model else ensure_model(
        MODELS[name], settings.models_dir, settings.model_cache)
    return LlamaCppJudge(path, settings.llm_threads, batch=settings.llm_batch)
