"""``rag doctor``: check that chunks, article records and the journal agree, and repair what does not.

The store is consistent when every chunk belongs to a recorded article and was cut from that record's
current text, every indexed article has all the chunks
it was written with, every reprint names an original that exists and has no chunks of its own, and no
operation is left pending in the journal.
Everything here is derived from the store itself, so the check also finds damage the journal cannot
know about (a store written by an older version, or changed by hand).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Literal

from pydantic import BaseModel, Field

from rag.index.dedupe import encode_signature, signature
from rag.index.ingest import chunks_match, is_intact, promote_reprints, recover, remove_article, write_article
from rag.index.store import Store
from rag.models.embed import Embedder
from rag.settings import Settings

ProblemKind = Literal["pending", "orphan_chunks", "incomplete", "reprint_with_chunks", "dangling_reprint"]
_REPAIRS: dict[str, str] = {
    "pending": "finish the interrupted operation",
    "orphan_chunks": "delete the chunks",
    "incomplete": "re-index the article from its record",
    "reprint_with_chunks": "delete the reprint's chunks",
    "dangling_reprint": "promote the oldest reprint to original and re-point the others",
}


class Problem(BaseModel):
    """One inconsistency, with what ``--repair`` does about it."""

    kind: ProblemKind
    article_id: str
    detail: str
    repair: str = ""


class DoctorReport(BaseModel):
    """What ``rag doctor`` found (and, with ``--repair``, what it fixed and what it found afterwards)."""

    articles: int
    chunks: int
    problems: list[Problem] = Field(default_factory=list)
    repaired: list[Problem] = Field(default_factory=list)
    """Problems found before the repair (empty without ``--repair``)."""

    @property
    def ok(self) -> bool:
        return not self.problems


def examine(store: Store) -> DoctorReport:
    """Find every inconsistency between the journal, the article records and the chunks (read-only)."""
    records = store.all_records()
    owners = store.chunk_owners()
    problems = [
        Problem(kind="pending", article_id=e.article_id, detail=f"{e.op} started {e.started_at:%Y-%m-%d %H:%M:%S} UTC "
                "was never finished")
        for e in store.pending()
    ]
    by_article: dict[str, dict[str, str]] = defaultdict(dict)
    for chunk_id, (article_id, content) in owners.items():
        by_article[article_id][chunk_id] = content
    for article_id in sorted(set(by_article) - set(records)):
        problems.append(Problem(kind="orphan_chunks", article_id=article_id,
                                detail=f"{len(by_article[article_id])} chunks with no article record"))
    for article_id, meta in sorted(records.items()):
        original = meta.get("duplicate_of")
        if original:
            if by_article.get(article_id):
                problems.append(Problem(kind="reprint_with_chunks", article_id=article_id,
                                        detail=f"reprint of {original} with {len(by_article[article_id])} chunks"))
            target = records.get(str(original))
            if target is None or target.get("duplicate_of"):
                why = "does not exist" if target is None else "is itself a reprint"
                problems.append(Problem(kind="dangling_reprint", article_id=article_id,
                                        detail=f"reprint of {original}, which {why}"))
        elif not chunks_match(article_id, meta, by_article.get(article_id, {})):
            found = len(by_article.get(article_id, {}))
            problems.append(Problem(kind="incomplete", article_id=article_id,
                                    detail=f"{found} chunks found, {meta.get('chunks', '?')} expected from its current text"))
    for problem in problems:
        problem.repair = _REPAIRS[problem.kind]
    return DoctorReport(articles=len(records), chunks=len(owners), problems=problems)


def repair(store: Store, embedder: Embedder, settings: Settings) -> DoctorReport:
    """Fix every problem :func:`examine` finds, under the write lock; returns the state afterwards."""
    with store.write_lock():
        before = examine(store)
        store.drop_sentence_vectors()  # older versions' sentence vectors: unused now
        recover(store, embedder, settings)
        for problem in examine(store).problems:
            _fix(problem, store, embedder, settings)
        after = examine(store)
    after.repaired = before.problems
    return after


def _fix(problem: Problem, store: Store, embedder: Embedder, settings: Settings) -> None:
    if problem.kind == "orphan_chunks":
        chunk_ids = store.chunk_ids(problem.article_id)
        if chunk_ids:
            store.delete_chunks(chunk_ids)
    elif problem.kind == "reprint_with_chunks":
        store.delete_chunks(store.chunk_ids(problem.article_id))
    elif problem.kind == "incomplete" and not is_intact(problem.article_id, store):
        article = store.get_article(problem.article_id)
        if article is None:
            return
        meta = store.record_metadata(article.id) or {}
        minhash = str(meta.get("minhash") or encode_signature(signature(article.body)))
        try:
            write_article(article, minhash, store, embedder, settings)
        except Exception:  # the text cannot be indexed at all: better gone than half there
            remove_article(article.id, store)
    elif problem.kind == "dangling_reprint":
        meta = store.record_metadata(problem.article_id) or {}
        original = str(meta.get("duplicate_of") or "")
        target = store.record_metadata(original) if original else None
        if target is not None and target.get("duplicate_of"):  # a chain: point straight at the original
            store.repoint_reprint(problem.article_id, str(target["duplicate_of"]))
        elif target is None and original:
            promote_reprints(original, store, embedder, settings)

