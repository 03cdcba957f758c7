"""Run the retrieval eval: index the set as the answer eval does, then ask only the product's retriever.

No answer model and no judge: each question goes to ``services.retriever.search(question, k=…)``, the same
hybrid search (dense + BM25, fused, capped per article) the answer pipeline calls, once per cut-off. The scoring
(:mod:`evals.retrieval`) is kept apart so that it never loads what it grades.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable

from evals.datasets import EvalSet
from evals.retrieval import RetrievalResult, RetrievalRow, cutoffs, retrieval_metrics, score_row
from evals.scratch import index_set, through_reprints
from rag.models.embed import Embedder
from rag.services import Services
from rag.settings import Settings


def run_retrieval(eval_set: EvalSet, settings: Settings, *, reuse_data_dir: bool = False,
                  embedder: Embedder | None = None, adjust: Callable[[Services], None] | None = None,
                  on_row: Callable[[RetrievalRow], None] | None = None) -> RetrievalResult:
    """Index the set's corpus and rank its articles for every answerable row at ``top_k``, 1 and 10.

    ``adjust`` sees the built services before the first question (a test swaps the retriever to plant a
    regression). Unanswerable rows have no gold article to find and are left out.
    """
    answer_k = settings.top_k
    ks = cutoffs(answer_k)
    with index_set(eval_set, settings, reuse_data_dir=reuse_data_dir, embedder=embedder) as built:
        services = built.services
        if adjust is not None:
            adjust(services)
        rows = []
        for row in (through_reprints(r, built.report.duplicates) for r in eval_set.rows if r.answerable):
            started = time.perf_counter()
            retrieved = {k: [hit.article_id for hit in services.retriever.search(row.question, k=k)] for k in ks}
            scored = score_row(row.id, row.question, row.sources, retrieved, (time.perf_counter() - started) * 1000)
            rows.append(scored)
            if on_row:
                on_row(scored)
        indexed = len(built.bodies)
        chunks = services.store.chunks.count()
        name = services.embedder.name
        settings = services.settings
    return RetrievalResult(
        dataset=eval_set.name, created_at=dt.datetime.now(dt.UTC), k=answer_k, ks=ks, embedder=name,
        config={"top_k": settings.top_k, "max_chunks_per_article": settings.max_chunks_per_article,
                "chunk_size": settings.chunk_size, "embedding_model": settings.embedding_model},
        corpus={"articles": indexed, "chunks": chunks, "rows": len(rows),
                "gold_per_row": round(sum(len(r.gold) for r in rows) / len(rows), 2) if rows else 0,
                "failed": [e.model_dump() for e in built.report.failed]},
        metrics=retrieval_metrics(rows, ks), rows=rows,
    )
