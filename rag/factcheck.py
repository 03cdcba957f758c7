"""``rag check``: fact-check a claim against the corpus with the same verifier that gates answers."""

from __future__ import annotations

from rag.services import Services
from rag.types import ClaimVerdict


def check_claim(claim: str, services: Services) -> ClaimVerdict:
    """Search for passages about ``claim`` and say whether one supports it, one contradicts it, or none says."""
    raise NotImplementedError("being built (issue 8)")
