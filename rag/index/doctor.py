"""``rag doctor``: compare the indexes with the record, and repair them from it.

The record (:mod:`rag.index.record`) is the truth. The indexes agree with it when every chunk belongs to an original
the record holds and was cut from its current text, every original has all the chunks it was indexed with, every
reprint names an original that exists and has no chunks of its own, and the outbox is empty. Everything is checked
against Chroma itself, so the check also finds damage no outbox entry knows about (a store changed by hand). A repair
queues every article found wrong and lets the indexer re-derive it; an article it cannot index stays in the record,
pending, never deleted.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Literal

from pydantic import BaseModel, Field

from rag.index.indexer import apply_outbox
from rag.index.ingest import chunks_match
from rag.index.store import Store
from rag.index.upgrade import upgrade_store
from rag.models.embed import Embedder
from rag.settings import Settings

ProblemKind = Literal["pending", "orphan_chunks", "incomplete", "reprint_with_chunks", "dangling_reprint"]
_REPAIRS: dict[str, str] = {
    "pending": "apply the queued index operation",
    "orphan_chunks": "delete the chunks",
    "incomplete": "re-index the article from the record",
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
    """Find every disagreement between the record, its outbox and the chunks (read-only)."""
    records = store.all_records()
    owners = store.chunk_owners()
    problems: list[Problem] = []
    pending: set[str] = set()
    for entry in store.pending():
        if entry.article_id in pending:
            continue
        pending.add(entry.article_id)
        tried = f", {entry.attempts} failed attempt(s): {entry.last_error}" if entry.attempts else ""
        problems.append(Problem(kind="pending", article_id=entry.article_id,
                                detail=f"{entry.op} queued {entry.created_at:%Y-%m-%d %H:%M:%S} UTC, not yet applied"
                                       f"{tried}"))
    by_article: dict[str, dict[str, str]] = defaultdict(dict)
    for chunk_id, (article_id, content) in owners.items():
        by_article[article_id][chunk_id] = content
    for article_id in sorted(set(by_article) - set(records) - pending):
        problems.append(Problem(kind="orphan_chunks", article_id=article_id,
                                detail=f"{len(by_article[article_id])} chunks of an article the record does not hold"))
    for article_id, meta in sorted(records.items()):
        original = meta.get("duplicate_of")
        if original:
            target = records.get(str(original))
            if target is None or target.get("duplicate_of"):
                why = "does not exist" if target is None else "is itself a reprint"
                problems.append(Problem(kind="dangling_reprint", article_id=article_id,
                                        detail=f"reprint of {original}, which {why}"))
        if article_id in pending:
            continue
        if original:
            if by_article.get(article_id):
                problems.append(Problem(kind="reprint_with_chunks", article_id=article_id,
                                        detail=f"reprint of {original} with {len(by_article[article_id])} chunks"))
        elif meta.get("indexed_hash") != meta.get("content_hash") or not chunks_match(
                article_id, meta, by_article.get(article_id, {})):
            found = len(by_article.get(article_id, {}))
            problems.append(Problem(kind="incomplete", article_id=article_id,
                                    detail=f"{found} chunks found, {meta.get('chunks', '?')} expected from its current text"))
    for problem in problems:
        problem.repair = _REPAIRS[problem.kind]
    return DoctorReport(articles=len(records), chunks=len(owners), problems=problems)


def repair(store: Store, embedder: Embedder, settings: Settings) -> DoctorReport:
    """Queue every article :func:`examine` finds wrong, fix dangling reprints in the record, apply the outbox."""
    upgrade_store(store)
    before = examine(store)
    with store.write_lock():
        for problem in examine(store).problems:
            _queue_fix(problem, store)
    apply_outbox(store, embedder, settings)
    after = examine(store)
    after.repaired = before.problems
    return after


def _queue_fix(problem: Problem, store: Store) -> None:
    if problem.kind == "dangling_reprint":
        meta = store.record_metadata(problem.article_id) or {}
        target = store.record_metadata(str(meta.get("duplicate_of") or ""))
        if target is not None and target.get("duplicate_of"):  # a chain: point straight at the original
            store.record.repoint(problem.article_id, str(target["duplicate_of"]))
            return
        oldest = store.reprints_of(str(meta.get("duplicate_of") or ""))
        heir = oldest[0].id if oldest else problem.article_id
        store.record.repoint(heir, None)
        for other in oldest[1:]:
            store.record.repoint(other.id, heir)
    elif problem.kind != "pending":  # orphan chunks, an incomplete original, a reprint with chunks: re-derive it
        store.record.queue(problem.article_id, "delete" if problem.kind == "orphan_chunks" else "index")
