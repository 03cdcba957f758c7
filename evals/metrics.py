"""Deterministic scoring: one :class:`RowResult` per question, then the set's metrics.

Nothing here trusts the pipeline's own bookkeeping or calls its checker: citations are checked against the
article bodies, scored at sentence level against the gold evidence spans, and support is recomputed from the
cited quotes with the eval's own reader (:mod:`evals.independent`), so the same scorer grades our pipeline and
the LlamaIndex peer. The one pipeline-derived figure, ``self_consistency_support``, is labelled as such.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pydantic import BaseModel, Field

from evals.datasets import GoldenRow
from evals.independent import lexically_supported, overlaps
from evals.independent import unsupported_entities as _unsupported
from evals.text import marker_numbers
from rag.types import Answer, AnswerSentence, Citation

HIGHER_IS_BETTER = (
    "hit_at_k", "recall_at_k", "mrr", "fact_accuracy", "correct_refusal_rate", "citation_validity",
    "citation_precision", "evidence_precision", "evidence_recall", "citation_coverage", "support_rate",
)
LOWER_IS_BETTER = ("false_refusal_rate", "unsupported_entities", "errors", "generation_failed", "latency_p50_ms",
                   "latency_p95_ms")
METRIC_KEYS = HIGHER_IS_BETTER + LOWER_IS_BETTER


class RowResult(BaseModel):
    """One question: what was expected, what came back, and whether it passed (and why not)."""

    id: str
    question: str
    expected: str | None
    facts: list[list[str]]
    sources: list[str]
    answerable: bool
    tags: list[str]
    answer: str
    mode: str
    refused: bool
    reason: str | None = None
    citations: dict[int, Citation] = Field(default_factory=dict)
    retrieved_articles: list[str] = Field(default_factory=list)
    passed: bool
    why: list[str] = Field(default_factory=list)
    """Reasons a row failed, or notes on a pass (empty on a clean pass)."""
    hit: float | None = None
    recall: float | None = None
    reciprocal_rank: float | None = None
    markers: int = 0
    valid_markers: int = 0
    cited_articles: int = 0
    cited_in_gold: int = 0
    sentences: int = 0
    cited_sentences: int = 0
    supported_sentences: int = 0
    unsupported_entities: list[str] = Field(default_factory=list)
    self_supported: int = 0
    """Sentences the pipeline itself reported as verified (self-consistency only; not an independent check)."""
    gold_spans: int = 0
    gold_found: int = 0
    """Gold evidence sentences that some citation overlaps."""
    evidence_cited: int = 0
    evidence_correct: int = 0
    """Citations (of an answered, answerable row) that overlap a gold evidence sentence."""
    error: str | None = None
    """The exception the pipeline raised: an error, never counted as a refusal."""
    latency_ms: float = 0.0
    judge: bool | None = None
    """The optional LLM judge's verdict (answerable rows, when a judge endpoint is configured)."""
    timings: dict[str, float] = Field(default_factory=dict)


def missing_groups(text: str, facts: Sequence[Sequence[str]]) -> list[list[str]]:
    """Fact groups none of whose alternatives occurs in ``text`` (case-insensitive)."""
    lower = text.lower()
    return [list(group) for group in facts if not any(alt.lower() in lower for alt in group)]


def score_error(row: GoldenRow, error: BaseException, latency_ms: float) -> RowResult:
    """A row whose pipeline raised: failed, counted under ``errors``, never as a refusal."""
    return RowResult(
        id=row.id, question=row.question, expected=row.answer, facts=row.facts, sources=row.sources,
        answerable=row.answerable, tags=row.tags, answer="", mode="error", refused=False, passed=False,
        error=f"{type(error).__name__}: {error}", why=[f"error: {type(error).__name__}: {error}"],
        latency_ms=round(latency_ms, 1),
    )


def score_row(row: GoldenRow, answer: Answer, bodies: Mapping[str, str], k: int, latency_ms: float) -> RowResult:
    """Grade one answer against its golden row; ``bodies`` maps article id to text for citation checks."""
    result = RowResult(
        id=row.id, question=row.question, expected=row.answer, facts=row.facts, sources=row.sources,
        answerable=row.answerable, tags=row.tags, answer=answer.text, mode=answer.mode, refused=answer.refused,
        reason=answer.reason, citations=answer.citations, passed=False, latency_ms=round(latency_ms, 1),
        timings=answer.timings, retrieved_articles=list(dict.fromkeys(_article_of(c) for c in answer.retrieved)),
    )
    if row.answerable:
        _score_retrieval(result, set(row.sources), k)
    _score_citations(result, answer, bodies, set(row.sources))
    if row.answerable and row.evidence:  # a refusal cites nothing: it found none of the gold sentences
        _score_evidence(result, answer, row)
    result.passed, result.why = _verdict(row, answer)
    if result.unsupported_entities:
        result.why.append(f"not in the cited text: {', '.join(result.unsupported_entities)}")
    if generation_failed(result):
        result.why.append("the model failed while writing: the answer fell back to quoting the evidence")
    return result


def generation_failed(result: RowResult) -> bool:
    """The model raised while writing this answer (the pipeline records it in the answer's timings)."""
    return bool(result.timings.get("generate_failed"))


def _score_retrieval(result: RowResult, gold: set[str], k: int) -> None:
    top = result.retrieved_articles[:k]
    result.hit = 1.0 if gold & set(top) else 0.0
    result.recall = len(gold & set(top)) / len(gold)
    rank = next((i for i, a in enumerate(result.retrieved_articles, start=1) if a in gold), None)
    result.reciprocal_rank = 1.0 / rank if rank else 0.0


def _score_citations(result: RowResult, answer: Answer, bodies: Mapping[str, str], gold: set[str]) -> None:
    markers = marker_numbers(answer.text)
    result.markers = len(markers)
    result.valid_markers = sum(1 for n in markers if n in answer.citations and _quote_holds(answer.citations[n], bodies))
    cited = {c.article_id for c in answer.citations.values()}
    result.cited_articles = len(cited)
    result.cited_in_gold = len(cited & gold) if gold else 0
    if answer.refused:
        return
    for sentence in answer.sentences:
        quotes = cited_text(sentence, answer.citations)
        result.sentences += 1
        result.cited_sentences += bool(quotes)
        result.supported_sentences += bool(quotes) and lexically_supported(sentence.text, quotes)
        result.self_supported += bool(quotes) and sentence.support > 0
        result.unsupported_entities.extend(unsupported_entities(sentence.text, quotes))


def _score_evidence(result: RowResult, answer: Answer, row: GoldenRow) -> None:
    """Sentence-level citation precision and recall against the row's gold evidence spans."""
    gold = [(e.article_id, e.start, e.end) for e in row.evidence]
    cited = [(c.article_id, c.start, c.end) for c in answer.citations.values()]
    result.gold_spans = len(gold)
    result.gold_found = sum(1 for a, s, e in gold if overlaps(s, e, [(cs, ce) for ca, cs, ce in cited if ca == a]))
    result.evidence_cited = len(cited)
    result.evidence_correct = sum(1 for a, s, e in cited if overlaps(s, e, [(gs, ge) for ga, gs, ge in gold if ga == a]))


def cited_text(sentence: AnswerSentence, citations: Mapping[int, Citation]) -> str:
    """The quotes a sentence cites, joined; empty when it cites nothing that resolves."""
    return " ".join(citations[n].quote for n in sentence.citations if n in citations)


def unsupported_entities(sentence: str, cited_text: str) -> list[str]:
    """Numbers and names in ``sentence`` that the text it cites does not contain (the eval's own reader)."""
    return _unsupported(sentence, cited_text)


def _quote_holds(citation: Citation, bodies: Mapping[str, str]) -> bool:
    """The quote is the article's text at the cited offsets (when the article is known)."""
    body = bodies.get(citation.article_id)
    if body is None:
        return False
    return body[citation.start : citation.end] == citation.quote


def _verdict(row: GoldenRow, answer: Answer) -> tuple[bool, list[str]]:
    if not row.answerable:
        if answer.refused:
            return True, []
        return False, ["answered a question the sources cannot answer"]
    if answer.refused:
        return False, [f"refused: {answer.reason or 'no reason given'}"]
    missing = missing_groups(answer.text, row.facts)
    if missing:
        return False, ["missing: " + "; ".join(" / ".join(group) for group in missing)]
    if row.conflict:
        uncited = [group[0] for group in row.facts if not _claim_cited(group, answer.sentences, answer.citations)]
        if uncited:
            return False, ["named but not cited to a source that makes it: " + ", ".join(uncited)]
    return True, []


def _claim_cited(group: Sequence[str], sentences: Sequence[AnswerSentence], citations: Mapping[int, Citation]) -> bool:
    """Some sentence states the claim and cites a passage that makes it."""
    for sentence in sentences:
        for alt in group:
            if alt.lower() in sentence.text.lower() and any(
                n in citations and alt.lower() in citations[n].quote.lower() for n in sentence.citations
            ):
                return True
    return False


def _article_of(chunk_id: str) -> str:
    return chunk_id.rsplit(":", 1)[0]


def percentile(values: Sequence[float], share: float) -> float:
    """Nearest-rank percentile (``share`` in 0..1); 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def aggregate(rows: Sequence[RowResult]) -> dict[str, Any]:
    """The set's metrics: rates in 0..1, ``None`` where a set has no rows of that kind."""
    answerable = [r for r in rows if r.answerable]
    unanswerable = [r for r in rows if not r.answerable]
    gold_rows = [r for r in answerable if r.gold_spans]
    markers = sum(r.markers for r in rows)
    cited = sum(r.cited_articles for r in answerable)
    sentences = sum(r.sentences for r in rows)
    latencies = [r.latency_ms for r in rows]
    stages = sorted({s for r in rows for s in r.timings if not s.endswith("_failed")})
    return {
        "rows": len(rows),
        "answerable": len(answerable),
        "unanswerable": len(unanswerable),
        "hit_at_k": _mean(r.hit for r in answerable),
        "recall_at_k": _mean(r.recall for r in answerable),
        "mrr": _mean(r.reciprocal_rank for r in answerable),
        "fact_accuracy": _mean(float(r.passed) for r in answerable),
        "correct_refusal_rate": _mean(float(r.refused and not r.error) for r in unanswerable),
        "false_refusal_rate": _mean(float(r.refused) for r in answerable),
        "citation_validity": _ratio(sum(r.valid_markers for r in rows), markers, empty=1.0),
        "citation_precision": _ratio(sum(r.cited_in_gold for r in answerable), cited),
        "evidence_precision": _ratio(sum(r.evidence_correct for r in gold_rows), sum(r.evidence_cited for r in gold_rows)),
        # Over every answerable row: a refused one found none of its gold sentences. (Counting only rows that
        # cite, as before 2026-11-21, rose when hard questions were refused; kept as the _when_cited figure.)
        "evidence_recall": _ratio(sum(r.gold_found for r in gold_rows), sum(r.gold_spans for r in gold_rows)),
        "evidence_recall_when_cited": _ratio(sum(r.gold_found for r in gold_rows if r.evidence_cited),
                                             sum(r.gold_spans for r in gold_rows if r.evidence_cited)),
        "citation_coverage": _ratio(sum(r.cited_sentences for r in rows), sentences),
        "support_rate": _ratio(sum(r.supported_sentences for r in rows), sentences),
        "self_consistency_support": _ratio(sum(r.self_supported for r in rows), sentences),
        "unsupported_entities": sum(len(r.unsupported_entities) for r in rows),
        "errors": sum(1 for r in rows if r.error),
        # The model raised while writing (the answer fell back to quotes): a dead model must not pass as quoting.
        "generation_failed": sum(1 for r in rows if generation_failed(r)),
        "pass_rate": _mean(float(r.passed) for r in rows),
        "latency_p50_ms": round(percentile(latencies, 0.5), 1),
        "latency_p95_ms": round(percentile(latencies, 0.95), 1),
        "latency_by_stage": {
            s: {
                "p50_ms": round(percentile([r.timings[s] for r in rows if s in r.timings], 0.5), 1),
                "p95_ms": round(percentile([r.timings[s] for r in rows if s in r.timings], 0.95), 1),
            }
            for s in stages
        },
        "modes": {m: sum(1 for r in rows if r.mode == m) for m in sorted({r.mode for r in rows})},
    }


def _mean(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return round(sum(present) / len(present), 4) if present else None


def _ratio(part: int, whole: int, empty: float | None = None) -> float | None:
    return round(part / whole, 4) if whole else empty
