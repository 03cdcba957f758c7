"""The verification gate: does a quote support a sentence in meaning? Rules first, then the model judge.

Used by answers (``rag.citations``), briefings and ``rag check`` alike::

    verifier = Verifier(judge=None)            # rules only; pass a judge to decide what rules cannot
    verdict = verifier.check(sentence, quote)  # -> SupportVerdict(supported, label, reason, score, judged)
"""

from rag.verify.legacy_words import SUPPORT_THRESHOLD, is_supported, names_in, numbers_in, support_score
from rag.verify.verifier import Verifier, build_verifier

__all__ = ["SUPPORT_THRESHOLD", "Verifier", "build_verifier", "is_supported", "names_in", "numbers_in", "support_score"]
