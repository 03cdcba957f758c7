"""A store written by the older layout (article records, journal and lease in Chroma) is upgraded by the next writer."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from pathlib import Path

from rag.index.doctor import examine
from rag.index.ingest import ingest_items, ingest_paths
from rag.index.store import Store, article_metadata
from rag.settings import Settings
from rag.testing.embed import HashingEmbedder
from rag.types import Article
from tests.conftest import SEED_DIR

KABUL = "003_4d3fdf98ee31191a"
GONE = "000_6a5e87b74b7ecf65"


class CountingEmbedder(HashingEmbedder):
    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        self.texts.extend(texts)
        return super().embed(texts)


def write_older_layout(settings: Settings) -> Article:
    """A store as the older layout left it: records in Chroma, an unfinished delete and write in its journal.

    The seeds are indexed and their records copied into an ``_articles`` collection; the journal holds a delete of
    GONE and a write of a new article; the SQL record is emptied.
    """
    store = Store(settings)
    ingest_paths([SEED_DIR], store, HashingEmbedder(), settings)
    old = store.client.get_or_create_collection(f"{settings.collection}_articles", embedding_function=None)
    for stored in store.record.all():
        meta = article_metadata(stored.article) | {"minhash": stored.minhash or "", "chunks": stored.chunk_count}
        old.upsert(ids=[stored.article.id], documents=[stored.article.body], embeddings=[[0.1, 0.2]], metadatas=[meta])
    fresh = Article(id="fresh", title="Harbour reopens", outlet="Desk", body="The harbour reopened on Monday after talks.",
                    content_hash="f" * 64, ingested_at=dt.datetime(2026, 12, 1, tzinfo=dt.UTC))
    journal = store.client.get_or_create_collection(f"{settings.collection}_meta", embedding_function=None)
    entries = [{"op": "delete", "article_id": GONE, "started_at": "2026-12-01T10:00:00+00:00"},
               {"op": "index", "article_id": "fresh", "started_at": "2026-12-01T10:01:00+00:00",
                "article": json.loads(fresh.model_dump_json()), "minhash": ""}]
    journal.upsert(ids=[f"journal:{e['article_id']}" for e in entries], documents=[json.dumps(e) for e in entries],
                   embeddings=[[1.0]] * 2, metadatas=[{"kind": "journal", "op": e["op"], "article_id": e["article_id"]}
                                                     for e in entries])
    store.record.close()
    (settings.data_dir / "rag.db").unlink()
    return fresh


def test_the_next_writer_moves_an_older_store_into_the_record_without_embedding_it_again(
    settings: Settings, tmp_path: Path
) -> None:
    fresh = write_older_layout(settings)
    store = Store(settings)
    assert store.list_articles() == []  # the new record is empty until a writer upgrades the store
    counting = CountingEmbedder()
    report = ingest_items([], store, counting, settings)
    assert sorted(a.id for a in store.list_articles()) == sorted(["004_fce48783007ea49c", KABUL, "fresh"])
    assert store.chunk_ids(GONE) == []  # the journal's unfinished delete is finished
    assert store.get_article("fresh").body == fresh.body and store.chunk_ids("fresh")  # and its write
    assert counting.texts and all("harbour" in text.lower() for text in counting.texts)  # only the new one embedded
    assert "fresh" in report.recovered
    names = {getattr(c, "name", c) for c in store.client.list_collections()}
    assert names == {f"{settings.collection}_chunks"}
    assert examine(store).ok
    again = ingest_paths([SEED_DIR], store, counting, settings)
    assert sorted(again.unchanged) == sorted(["004_fce48783007ea49c", KABUL]) and again.added == [GONE]
