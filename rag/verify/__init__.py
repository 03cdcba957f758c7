"""The verification gate: does one quote support one sentence in meaning? Vetoes from a parse, then the model judge.

Used by answers (``rag.answer.citations``), briefings and ``rag check`` alike::

    verifier = services.verifier               # or Verifier(judge=None) for rules only
    verdict = verifier.check(sentence, quote)  # -> SupportVerdict(supported, label, reason, score, judged)
"""

from rag.text import names_in, numbers_in
from rag.verify.rules import check_rules
from rag.verify.verifier import Verifier, build_judge, build_verifier

__all__ = ["Verifier", "build_judge", "build_verifier", "check_rules", "names_in", "numbers_in"]
