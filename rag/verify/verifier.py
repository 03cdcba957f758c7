"""The ``Verifier`` seam: one quote, one sentence, one verdict."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rag.types import SupportVerdict
from rag.verify.legacy_words import SUPPORT_THRESHOLD, support_score


class Verifier:
    """Checks that a single quote supports a sentence (no stitching across quotes)."""

    def __init__(self, judge: object | None = None) -> None:
        self.judge = judge

    def check(self, sentence: str, quote: str) -> SupportVerdict:
        score = support_score(sentence, quote)
        if score >= SUPPORT_THRESHOLD:
            return SupportVerdict(supported=True, label="supported", reason="words, numbers and names in the quote",
                                  score=score)
        return SupportVerdict(supported=False, label="unsupported", reason="the quote lacks the sentence's words",
                              score=score)


def build_verifier(settings: Any, chat: Callable[[], Any]) -> Verifier:
    """The verifier the settings ask for; ``chat`` gives the model lazily (rules-only checks never load it)."""
    return Verifier()
