"""Ingest embeds chunks only; the evidence step embeds a question's candidate sentences once and the cache keeps them."""

from __future__ import annotations

from rag.answer.evidence import select_evidence
from rag.index.chunking import search_text, split_sentences
from rag.index.corpus import make_article
from rag.index.ingest import ingest_items, ingest_paths
from rag.index.retrieve import HybridRetriever
from rag.index.store import Store
from rag.models.embed import QueryCache
from rag.settings import Settings
from rag.testing.embed import HashingEmbedder
from tests.conftest import SEED_DIR

QUESTION = "What did Khwaja Asif write on X?"


def test_ingest_embeds_each_chunk_once_and_no_sentence(store: Store, settings: Settings) -> None:
    embedder = HashingEmbedder()
    body = "First claim here. Second claim here.\nThird line stands alone."
    ingest_items([make_article("a1", body, title="T", outlet="O")], store, embedder, settings)
    embedded = [text for call in embedder.calls for text in call]
    chunks = store.chunks.get(include=["documents"])["documents"]
    assert embedded == [search_text("T", chunk) for chunk in chunks]
    assert not set(embedded) & {s.text for s in split_sentences(body)}


def test_evidence_embeds_candidates_once_and_the_cache_answers_the_next_question(
    store: Store, settings: Settings
) -> None:
    ingest_paths([SEED_DIR], store, HashingEmbedder(), settings)
    inner = HashingEmbedder()
    cached = QueryCache(inner)
    hits = HybridRetriever(store, HashingEmbedder()).search(QUESTION, k=6)
    first = select_evidence(QUESTION, hits, cached)
    assert first == select_evidence(QUESTION, hits, HashingEmbedder()) and len(first) > 1  # same as uncached
    candidates, question = inner.calls
    assert question == [QUESTION] and len(candidates) == len(set(candidates)) > len(first)
    inner.calls.clear()
    select_evidence("What did he write?", hits, cached)
    assert inner.calls == [["What did he write?"]]  # the sentences were kept; only the new question is embedded


def test_the_cache_keeps_small_calls_passes_large_ones_through_and_evicts_the_oldest() -> None:
    inner = HashingEmbedder()
    cache = QueryCache(inner, size=3, small=2)
    assert cache.embed(["q1"]) == cache.embed(["q1"]) == inner.embed(["q1"])
    assert inner.calls == [["q1"], ["q1"]]  # one by the cache, one by the assertion itself
    assert cache.embed(["q1", "a"]) == inner.embed(["q1", "a"])
    assert inner.calls[-2] == ["a"]  # only the text it lacked
    cache.embed(["x", "y", "z"]), cache.embed(["x", "y", "z"])
    assert inner.calls[-2:] == [["x", "y", "z"], ["x", "y", "z"]]  # over ``small``: not kept
    cache.embed(["b"]), cache.embed(["c"]), cache.embed(["q1"])  # q1 was evicted (size 3: a, b, c)
    assert inner.calls[-1] == ["q1"]


def test_ingest_drops_the_sentence_vectors_older_versions_stored(store: Store, settings: Settings) -> None:
    old = store.client.get_or_create_collection(f"{settings.collection}_sentences", embedding_function=None)
    old.add(ids=["a1@0"], embeddings=[[0.1] * 8], documents=["First claim here."])
    ingest_items([make_article("a1", "First claim here.", title="T", outlet="O")], store, HashingEmbedder(), settings)
    names = {getattr(c, "name", c) for c in store.client.list_collections()}
    assert f"{settings.collection}_sentences" not in names and store.counts() == {"articles": 1, "chunks": 1}
    assert store.drop_legacy_collections() == []


def test_all_chunks_reads_in_pages(store: Store, settings: Settings) -> None:
    ingest_paths([SEED_DIR], store, HashingEmbedder(), settings)
    whole = store.all_chunks()
    assert store.all_chunks(page=2) == whole and len(whole[0]) == store.counts()["chunks"] > 2
