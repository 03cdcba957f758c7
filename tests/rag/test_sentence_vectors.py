"""Sentence embeddings are computed once at ingest and the evidence step reuses them instead of re-embedding."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.answer.evidence import select_evidence
from rag.index.chunking import split_sentences
from rag.index.corpus import make_article
from rag.index.ingest import delete_article, ingest_items, ingest_paths
from rag.index.retrieve import HybridRetriever
from rag.index.store import Store
from rag.models.embed import QueryCache
from rag.settings import Settings
from rag.testing.embed import HashingEmbedder
from tests.conftest import SEED_DIR

QUESTION = "What did Khwaja Asif write on X?"


def test_ingest_stores_one_vector_per_sentence_of_each_article(
    store: Store, settings: Settings, fake_embedder: HashingEmbedder
) -> None:
    ingest_paths([SEED_DIR], store, fake_embedder, settings)
    expected = sum(len(split_sentences(a.body)) for a in store.list_articles())
    assert store.counts()["sentences"] == expected
    article = store.list_articles()[0]
    first = split_sentences(article.body)[0]
    text, vector = store.sentence_vectors([(article.id, first.start)])[(article.id, first.start)]
    assert text == first.text and vector == pytest.approx(fake_embedder.embed([first.text])[0], abs=1e-6)


def test_evidence_from_stored_vectors_equals_embedding_afresh_and_embeds_only_the_question(
    store: Store, settings: Settings
) -> None:
    ingest_paths([SEED_DIR], store, HashingEmbedder(), settings)
    embedder = HashingEmbedder()
    hits = HybridRetriever(store, embedder).search(QUESTION, k=6)
    afresh = select_evidence(QUESTION, hits, embedder)
    embedder.calls.clear()
    stored = select_evidence(QUESTION, hits, embedder, stored=store)
    assert stored == afresh and len(stored) > 1
    assert embedder.calls == [[QUESTION]]


def test_a_stale_stored_sentence_is_embedded_again(store: Store, settings: Settings) -> None:
    """A vector whose text no longer matches the chunk's sentence (an old version) is never used."""
    ingest_paths([SEED_DIR], store, HashingEmbedder(), settings)
    embedder = HashingEmbedder()
    hits = HybridRetriever(store, embedder).search(QUESTION, k=6)
    sentence = split_sentences(hits[0].text)[1]
    key = (hits[0].article_id, hits[0].start + sentence.start)
    _, vector = store.sentence_vectors([key])[key]
    store.sentences.update(ids=[f"{key[0]}@{key[1]}"], embeddings=[vector], documents=["an older wording of it"])
    embedder.calls.clear()
    select_evidence(QUESTION, hits, embedder, stored=store)
    assert embedder.calls == [[sentence.text], [QUESTION]]


def test_edits_and_deletes_leave_no_stale_sentences(store: Store, settings: Settings) -> None:
    embedder = HashingEmbedder()
    old = make_article("a1", "First claim here. Second claim here.\nThird line stands alone.", title="T", outlet="O")
    ingest_items([old], store, embedder, settings)
    assert store.counts()["sentences"] == 3
    new = make_article("a1", "First claim here.\nA new ending.", title="T", outlet="O")
    ingest_items([new], store, embedder, settings)
    assert sorted(store.sentences.get(include=["documents"])["documents"]) == ["A new ending.", "First claim here."]
    assert delete_article("a1", store, embedder, settings)
    assert store.counts() == {"articles": 0, "chunks": 0, "sentences": 0}


def test_an_article_indexed_before_sentence_vectors_is_upgraded_by_ingest(store: Store, settings: Settings) -> None:
    embedder = HashingEmbedder()
    article = make_article("a1", "One sentence. Another sentence.", title="T", outlet="O")
    ingest_items([article], store, embedder, settings)
    store.delete_sentences("a1")  # as a store written by an older version
    report = ingest_items([article], store, embedder, settings)
    assert report.updated == ["a1"] and store.counts()["sentences"] == 2
    assert ingest_items([article], store, embedder, settings).unchanged == ["a1"]


def test_all_chunks_reads_in_pages(store: Store, settings: Settings) -> None:
    ingest_paths([SEED_DIR], store, HashingEmbedder(), settings)
    whole = store.all_chunks()
    assert store.all_chunks(page=2) == whole and len(whole[0]) == store.counts()["chunks"] > 2


def test_the_query_cache_embeds_a_question_once_and_passes_batches_through() -> None:
    inner = HashingEmbedder()
    cache = QueryCache(inner, size=2)
    assert cache.embed(["q1"]) == cache.embed(["q1"]) == inner.embed(["q1"])
    assert inner.calls == [["q1"], ["q1"]]  # one by the cache, one by the assertion itself
    cache.embed(["a", "b"])
    cache.embed(["a", "b"])
    assert inner.calls[-2:] == [["a", "b"], ["a", "b"]]
    cache.embed(["q2"]), cache.embed(["q3"]), cache.embed(["q1"])  # q1 was evicted (size 2)
    assert inner.calls[-1] == ["q1"]


def test_sentences_survive_a_reopen(tmp_path: Path, settings: Settings) -> None:
    ingest_paths([SEED_DIR], Store(settings), HashingEmbedder(), settings)
    assert Store(settings).counts()["sentences"] > 0
