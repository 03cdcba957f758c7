"""Crash safety for the store: an ingest journal and a write lease, both kept inside Chroma itself.

Chunks and article records live in two collections that Chroma cannot change together. Every write that
touches both first records its intent here (``pending``); only when both collections agree is the entry
removed (``done``). A process killed in between leaves the entry behind, and the next writer (or ``rag
doctor --repair``) replays it before doing anything else, so a half-written article never stays half
written. Because the journal lives in a third collection of the same Chroma, it works the same for an
on-disk store and for a Chroma server shared by several machines.

The lease serialises writers on a Chroma server, where a file lock on one machine means nothing. It is
a record with an owner token and an expiry in the same collection: Chroma's ``add`` never overwrites an
existing id and its ``delete(ids, where)`` removes a record only while the filter still matches, which is
enough for insert-if-absent and compare-and-delete; a heartbeat renews the lease while its holder works,
and a holder killed without releasing it blocks others for at most ``LEASE_TTL_S``.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import threading
import time
import uuid
from typing import Any, Literal

from pydantic import BaseModel

from rag.types import Article

LEASE_ID = "lease:write"
LEASE_TTL_S = 30.0
"""A lease not renewed for this long is free to take: the holder died or lost its connection."""
_PLACEHOLDER = [1.0]
"""Chroma stores a vector with every record; journal and lease records need none, so all share this one."""


class StoreBusyError(RuntimeError):
    """Another process is writing to the same store (or this one lost its write lease)."""


class JournalEntry(BaseModel):
    """An operation on one article that has started and not yet been seen through."""

    op: Literal["index", "delete"]
    """``index``: write ``article`` (its chunks, or a reprint record); ``delete``: remove the article."""
    article_id: str
    started_at: dt.datetime
    article: Article | None = None
    """For ``index``: the article as it is being written, so a replay can finish the job."""
    minhash: str | None = None
    """For ``index``: the encoded MinHash signature stored with the record."""

    @property
    def key(self) -> str:
        return f"journal:{self.article_id}"


class Journal:
    """Pending operations, one per article, in the store's ``<name>_meta`` collection."""

    def __init__(self, collection: Any) -> None:
        self.collection = collection

    def begin(self, entry: JournalEntry) -> None:
        self.collection.upsert(
            ids=[entry.key],
            documents=[entry.model_dump_json()],
            embeddings=[_PLACEHOLDER],
            metadatas=[{"kind": "journal", "op": entry.op, "article_id": entry.article_id}],
        )

    def done(self, article_id: str) -> None:
        self.collection.delete(ids=[f"journal:{article_id}"])

    def pending(self) -> list[JournalEntry]:
        """Unfinished operations, oldest first."""
        found = self.collection.get(where={"kind": "journal"}, include=["documents"])
        entries = [JournalEntry.model_validate_json(doc) for doc in found["documents"]]
        return sorted(entries, key=lambda e: (e.started_at, e.article_id))


class ChromaLease:
    """A write lease held in Chroma: one holder at a time across processes and machines."""

    def __init__(self, collection: Any, ttl_s: float = LEASE_TTL_S, wait_s: float = 60.0) -> None:
        self.collection = collection
        self.ttl_s = ttl_s
        self.wait_s = wait_s
        self.token = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"
        self._renewed_at = 0.0
        self._lost = False
        self._stop = threading.Event()
        self._heartbeat: threading.Thread | None = None

    def holder(self) -> dict[str, Any] | None:
        found = self.collection.get(ids=[LEASE_ID], include=["metadatas"])
        return dict(found["metadatas"][0]) if found["ids"] else None

    def acquire(self) -> None:
        """Take the lease, waiting up to ``wait_s`` for another holder; :class:`StoreBusyError` after that."""
        deadline = time.monotonic() + self.wait_s
        while True:
            current = self.holder()
            if current is not None and float(current.get("expires", 0)) < time.time():
                # Compare-and-delete: removes the expired lease only if nobody has replaced it meanwhile.
                self.collection.delete(ids=[LEASE_ID], where={"owner": str(current["owner"])})
                current = None
            if current is None:
                self.collection.add(ids=[LEASE_ID], embeddings=[_PLACEHOLDER], metadatas=[self._record()])
                current = self.holder()
            if current is not None and current.get("owner") == self.token:
                self._renewed_at = time.monotonic()
                self._start_heartbeat()
                return
            if time.monotonic() > deadline:
                owner = current.get("owner", "?") if current else "?"
                raise StoreBusyError(
                    f"another process ({owner}) has been writing to this Chroma store for over "
                    f"{self.wait_s:.0f}s; try again when it finishes"
                )
            time.sleep(0.2 + (uuid.uuid4().int % 100) / 1000)

    def check(self) -> None:
        """Raise if the lease may have passed to someone else (not renewed within its lifetime)."""
        if self._lost or time.monotonic() - self._renewed_at > self.ttl_s * 0.9:
            raise StoreBusyError("this process lost its write lease on the Chroma store; nothing more was written")

    def release(self) -> None:
        self._stop.set()
        if self._heartbeat is not None:
            self._heartbeat.join(timeout=self.ttl_s)
        self.collection.delete(ids=[LEASE_ID], where={"owner": self.token})

    def _record(self) -> dict[str, Any]:
        return {"kind": "lease", "owner": self.token, "expires": time.time() + self.ttl_s}

    def _start_heartbeat(self) -> None:
        self._stop.clear()
        self._heartbeat = threading.Thread(target=self._renew_until_released, name="rag-lease", daemon=True)
        self._heartbeat.start()

    def _renew_until_released(self) -> None:
        while not self._stop.wait(self.ttl_s / 4):
            try:
                current = self.holder()
                if current is None or current.get("owner") != self.token:
                    self._lost = True
                    return
                self.collection.update(ids=[LEASE_ID], metadatas=[self._record()])
                self._renewed_at = time.monotonic()
            except Exception:  # a failed renewal is retried; check() notices when it is too late
                continue
