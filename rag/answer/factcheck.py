"""``rag check``: fact-check a claim against the corpus with the same verifier that gates answers.

Search for passages about the claim, split them into sentences, and check the claim against each sentence on
its own. One that supports it → ``supported``; else one that contradicts it (polarity, roles, numbers, names,
an opposite predicate) → ``contradicted``; else ``not_in_sources``, with the closest passages for reference.
"""

from __future__ import annotations

import time

from rag.answer.citations import citation_of
from rag.answer.evidence import select_evidence
from rag.services import Services
from rag.text import normalize
from rag.types import ClaimVerdict, Evidence, SupportVerdict

CANDIDATES = 8
"""Evidence sentences, most relevant first, that the claim is checked against."""
JUDGED = 3
"""At most this many candidates go to the model judge (the rest are decided by the rules alone)."""
MAX_CLAIM_CHARS = 1000


def check_claim(claim: str, services: Services, k: int | None = None) -> ClaimVerdict:
    """Search for passages about ``claim`` and say whether one supports it, one contradicts it, or none says."""
    claim = normalize(claim).strip()
    if not claim:
        raise ValueError("the claim is empty")
    if len(claim) > MAX_CLAIM_CHARS:
        raise ValueError(f"the claim is longer than {MAX_CLAIM_CHARS} characters")
    timings: dict[str, float] = {}
    started = time.perf_counter()
    hits = services.retriever.search(claim, k=k or services.settings.top_k)
    evidence = (select_evidence(claim, hits, services.embedder, limit=CANDIDATES)
                if hits else [])
    timings["retrieve"] = round((time.perf_counter() - started) * 1000, 1)

    started = time.perf_counter()
    verifier = services.verifier
    ranked = sorted(evidence, key=lambda e: (-verifier.check_rules(claim, e.text).score, -e.relevance))
    verdicts: list[tuple[Evidence, SupportVerdict]] = []
    for position, item in enumerate(ranked):
        rules = verifier.check_rules(claim, item.text)
        verdict = rules if rules.label == "contradicted" or position >= JUDGED else verifier.check(claim, item.text)
        verdicts.append((item, verdict))
        if verdict.supported:
            break
    timings["verify"] = round((time.perf_counter() - started) * 1000, 1)

    supporting = [(e, v) for e, v in verdicts if v.supported]
    if supporting:
        item, verdict = supporting[0]
        return ClaimVerdict(claim=claim, verdict="supported", citations=[citation_of(item, verdict.score)],
                            reason=f"{_where(item)} says it: {verdict.reason}", timings=timings)
    contradicting = [(e, v) for e, v in verdicts if v.label == "contradicted"]
    if contradicting:
        item, verdict = contradicting[0]
        return ClaimVerdict(claim=claim, verdict="contradicted", citations=[citation_of(item, 0.0)],
                            reason=f"{_where(item)} says otherwise: {verdict.reason}", timings=timings)
    closest = [citation_of(e, 0.0) for e in evidence[:2]]
    reason = ("no indexed passage is about this claim" if not evidence else
              f"the closest passages ({'; '.join(dict.fromkeys(e.title for e in evidence[:2]))}) neither state nor "
              "contradict it")
    return ClaimVerdict(claim=claim, verdict="not_in_sources", citations=closest, reason=reason, timings=timings)


def _where(item: Evidence) -> str:
    outlet = f", {item.outlet}" if item.outlet else ""
    return f"“{item.title}”{outlet}"

