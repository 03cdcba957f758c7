"""The peer: plain LlamaIndex (VectorStoreIndex over our Chroma collection + CitationQueryEngine).

Same collection, same embedder, same chat model; no hybrid search, no evidence selection, no sentence
verification. Its answers are scored by the same code as ours, so the report shows what our pipeline adds.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Any

from llama_index.core import VectorStoreIndex
from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.llms import CompletionResponse, CompletionResponseGen, CustomLLM, LLMMetadata
from llama_index.core.llms.callbacks import llm_completion_callback
from llama_index.core.query_engine import CitationQueryEngine
from llama_index.vector_stores.chroma import ChromaVectorStore
from pydantic import PrivateAttr

from evals.text import parse_markers
from rag.answer.pipeline import Turn
from rag.models.embed import Embedder
from rag.models.llm import ChatModel
from rag.services import Services
from rag.types import Answer, AnswerSentence, Citation

_SOURCE_PREFIX = re.compile(r"^Source \d+:\n")
_DECLINES = re.compile(
    r"\b(not in (the )?sources|not (mentioned|provided|specified|stated|available|found)|no (information|mention)"
    r"|does not (say|mention|provide|specify|state)|cannot (be )?(answer|determine)|unable to|i don't know|empty response)\b",
    re.I,
)


class _Embedding(BaseEmbedding):
    """Our embedder behind LlamaIndex's embedding interface."""

    _embedder: Embedder = PrivateAttr()

    def __init__(self, embedder: Embedder, **kwargs: Any) -> None:
        super().__init__(model_name="rag-embedder", **kwargs)
        self._embedder = embedder

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._embedder.embed([query])[0]

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._embedder.embed([text])[0]


class _Chat(CustomLLM):
    """Our chat model behind LlamaIndex's LLM interface (the prompt goes in as one user message)."""

    _chat: ChatModel = PrivateAttr()
    max_tokens: int = 256

    def __init__(self, chat: ChatModel, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._chat = chat

    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata(context_window=4096, num_output=self.max_tokens, model_name=self._chat.name)

    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        return CompletionResponse(text=self._chat.complete([{"role": "user", "content": prompt}], self.max_tokens))

    @llm_completion_callback()
    def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponseGen:
        text = ""
        for piece in self._chat.stream([{"role": "user", "content": prompt}], self.max_tokens):
            text += piece
            yield CompletionResponse(text=text, delta=piece)


class LlamaIndexBaseline:
    name = "llamaindex-baseline"

    def __init__(self, services: Services) -> None:
        self.services = services
        self._bodies: dict[str, str] = {}
        vector_store = ChromaVectorStore(chroma_collection=services.store.chunks)
        index = VectorStoreIndex.from_vector_store(vector_store, embed_model=_Embedding(services.embedder))
        self.engine = CitationQueryEngine.from_args(
            index, llm=_Chat(services.chat), similarity_top_k=services.settings.top_k, citation_chunk_size=512
        )

    def answer(self, question: str, history: Sequence[Turn], today: dt.date) -> Answer:
        """Ask the engine; a follow-up gets the previous question in front, as the engine has no chat memory."""
        query = f"{history[-1].question} {question}" if history else question
        response = self.engine.query(query)
        text = str(response).strip()
        citations: dict[int, Citation] = {}
        for number, source in enumerate(response.source_nodes, start=1):
            citation = self._citation(source.node.get_content(), source.node.metadata)
            if citation is not None:
                citations[number] = citation
        sentences = [AnswerSentence(text=d.text, citations=d.cited, support=0.0) for d in parse_markers(text)]
        declined = not text or bool(_DECLINES.search(text))
        return Answer(
            question=question, text=text, sentences=sentences, citations=citations, refused=declined,
            mode="refused" if declined else "generated", reason=text if declined else None,
            model=f"llamaindex/{self.services.chat.name}",
            retrieved=list(dict.fromkeys(f"{s.node.metadata.get('article_id')}:{s.node.metadata.get('position')}"
                                         for s in response.source_nodes)),
        )

    def _citation(self, content: str, meta: dict[str, Any]) -> Citation | None:
        quote = _SOURCE_PREFIX.sub("", content).strip()
        article_id = str(meta.get("article_id", ""))
        if article_id not in self._bodies:
            article = self.services.store.get_article(article_id)
            self._bodies[article_id] = article.body if article else ""
        body = self._bodies[article_id]
        start = body.find(quote) if body else -1
        if start < 0:
            return None
        return Citation(
            article_id=article_id, title=str(meta.get("title", "")), outlet=meta.get("outlet"),
            published_at=meta.get("published_at"), url=meta.get("url"),
            chunk_id=f"{article_id}:{meta.get('position')}", quote=quote, start=start, end=start + len(quote), support=0.0,
        )

