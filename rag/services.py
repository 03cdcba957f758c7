"""Build the long-lived parts (store, embedder, retriever, chat model) once from settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from rag.index.retrieve import HybridRetriever
from rag.index.store import Store
from rag.models.embed import Embedder, QueryCache, load_embedder
from rag.settings import Settings

if TYPE_CHECKING:
    from rag.db import Database
    from rag.models.llm import ChatModel
    from rag.verify import Verifier


@dataclass
class Services:
    """Lazily built parts: a search never loads the chat model, an ``articles`` listing no embedder."""

    settings: Settings
    embedder_override: Embedder | None = None
    chat_override: ChatModel | None = field(default=None)

    @cached_property
    def store(self) -> Store:
        return Store(self.settings)

    @cached_property
    def embedder(self) -> Embedder:
        if self.embedder_override is not None:
            return self.embedder_override
        return QueryCache(load_embedder(self.settings.embedding_model, self.settings.embed_batch_size))

    @cached_property
    def retriever(self) -> HybridRetriever:
        return HybridRetriever(self.store, self.embedder, self.settings.max_chunks_per_article)

    @cached_property
    def chat(self) -> ChatModel:
        if self.chat_override is not None:
            return self.chat_override
        from rag.models.llm import build_chat_model

        return build_chat_model(self.settings)

    @cached_property
    def verifier(self) -> Verifier:
        """The verification gate every generated sentence passes (answers, briefings, ``rag check``)."""
        from rag.verify import build_verifier

        return build_verifier(self.settings, lambda: self.chat)

    @cached_property
    def database(self) -> Database:
        """Conversations and briefings (``settings.database_url``), migrated to the newest schema on first use."""
        from rag.db import open_database

        return open_database(self.settings)
