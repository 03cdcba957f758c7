"""Index an eval set's corpus the way the product does, in a scratch data directory, for a run to ask over.

Shared by the answer eval (:mod:`evals.runner`) and the retrieval eval (:mod:`evals.retrieval_runner`), so both
grade the same index: the product's ingest (clean, chunk, dedupe, embed) into a real Chroma store.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from evals.datasets import EvalSet, GoldenRow
from rag.index.ingest import ingest_items
from rag.models.embed import Embedder
from rag.services import Services
from rag.settings import Settings
from rag.types import Article, IngestReport

if TYPE_CHECKING:
    from rag.models.llm import ChatModel


@dataclass
class IndexedSet:
    """The services built over an eval set's freshly indexed corpus."""

    services: Services
    articles: list[Article]
    """Every article the set handed to ingest (reprints included)."""
    report: IngestReport

    @property
    def bodies(self) -> dict[str, str]:
        """Article id → indexed body, for the articles kept (a reprint is found under the one it reprints)."""
        return {a.id: a.body for a in self.services.store.list_articles() if not a.duplicate_of}


@contextmanager
def index_set(eval_set: EvalSet, settings: Settings, *, reuse_data_dir: bool = False,
              embedder: Embedder | None = None, chat: ChatModel | None = None,
              **overrides: object) -> Iterator[IndexedSet]:
    """Ingest the set's corpus (in a scratch data directory unless ``reuse_data_dir``) and yield the services.

    ``overrides`` are further settings for the run (the answer eval passes the model file it assembled).
    """
    articles, errors = eval_set.load_articles()
    with _data_dir(settings, reuse_data_dir) as data_dir:
        scratch = {} if reuse_data_dir else {"chroma_url": None}  # never write into a shared server's collection
        settings = settings.model_copy(update=scratch | {
            "data_dir": data_dir, "detect_reprints": eval_set.detect_reprints, "models_path": settings.models_dir,
        } | overrides)
        services = Services(settings, embedder_override=embedder, chat_override=chat)
        report = ingest_items([*articles, *errors], services.store, services.embedder, settings)
        yield IndexedSet(services, articles, report)


def through_reprints(row: GoldenRow, reprints: dict[str, str]) -> GoldenRow:
    """A gold source recorded as a reprint is found under the article it reprints."""
    if not any(s in reprints for s in row.sources):
        return row
    return row.model_copy(update={"sources": list(dict.fromkeys(reprints.get(s, s) for s in row.sources))})


@contextmanager
def _data_dir(settings: Settings, reuse: bool) -> Iterator[Path]:
    if reuse:
        yield settings.data_dir
        return
    with tempfile.TemporaryDirectory(prefix="rag-eval-") as scratch:
        yield Path(scratch)
