"""Pick the evidence sentences to show the model: the retrieved chunks' sentences ranked by relevance."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from rag.index.chunking import split_sentences
from rag.models.embed import Embedder
from rag.text import tokenize
from rag.types import Evidence, SearchHit

MAX_EVIDENCE = 6
LEXICAL_WEIGHT = 0.4


def lexical_overlap(question: str, sentence: str) -> float:
    """Share of the question's content words (stemmed) that the sentence contains."""
    wanted = set(tokenize(question))
    return len(wanted & set(tokenize(sentence))) / len(wanted) if wanted else 0.0


def select_evidence(
    question: str, hits: Sequence[SearchHit], embedder: Embedder, limit: int = MAX_EVIDENCE,
) -> list[Evidence]:
    """The ``limit`` most relevant distinct sentences of ``hits``, numbered 1..n best first.

    The sentences are embedded here, in one call (the service's embedder keeps them for the next question:
    :class:`rag.models.embed.QueryCache`); ingest embeds only chunks.
    """
    candidates: dict[tuple[str, int], tuple[SearchHit, int, int, str]] = {}
    for hit in hits:
        for span in split_sentences(hit.text):
            if _is_heading(span.text):
                continue
            key = (hit.article_id, hit.start + span.start)
            candidates.setdefault(key, (hit, hit.start + span.start, hit.start + span.end, span.text))
    if not candidates:
        return []
    items = list(candidates.values())
    vectors = np.asarray(embedder.embed([text for *_, text in items]), dtype=np.float64)
    query = np.asarray(embedder.embed([question])[0])
    cosines = vectors @ query / np.maximum(np.linalg.norm(vectors, axis=1) * np.linalg.norm(query), 1e-12)
    scored = []
    for (hit, start, end, text), cosine in zip(items, cosines.tolist(), strict=True):
        relevance = (1 - LEXICAL_WEIGHT) * max(0.0, cosine) + LEXICAL_WEIGHT * lexical_overlap(question, text)
        scored.append((relevance, hit, start, end, text))
    scored.sort(key=lambda item: (-item[0], item[1].article_id, item[2]))
    return [
        Evidence(
            number=number, text=text, article_id=hit.article_id, chunk_id=hit.chunk_id, title=hit.title,
            outlet=hit.outlet, published_at=hit.published_at, url=hit.url, start=start, end=end,
            relevance=round(relevance, 4), context=hit.text,
        )
        for number, (relevance, hit, start, end, text) in enumerate(scored[:limit], start=1)
    ]


def _is_heading(text: str) -> bool:
    """Section heads and photo credits ("Pakistan Denies Involvement", "AP Photo") are not evidence."""
    return len(tokenize(text)) < 3 or (not text.rstrip("”’\"' ").endswith((".", "!", "?")) and len(text.split()) < 9)


def format_evidence(evidence: Sequence[Evidence]) -> str:
    """Numbered lines for the prompt; angle brackets are neutralised so article text cannot close the fence."""
    lines = []
    for item in evidence:
        text = item.text.replace("<", "‹").replace(">", "›")
        lines.append(f"[{item.number}] {text}")
    return "\n".join(lines)
