"""The same ingest and search against a real Chroma server (``chroma run``) via ``RAG_CHROMA_URL``."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from rag.index.ingest import ingest_paths
from rag.index.retrieve import HybridRetriever
from rag.index.store import Store
from rag.testing.embed import HashingEmbedder
from tests.conftest import SEED_DIR, make_settings
from tests.servers import free_port, running_server


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    executable = shutil.which("chroma", path=str(Path(sys.executable).parent))
    assert executable, "the chromadb package installs a `chroma` command"
    port = free_port()
    path = tmp_path_factory.mktemp("chroma-server")
    url = f"http://127.0.0.1:{port}"
    command = [executable, "run", "--path", str(path / "db"), "--host", "127.0.0.1", "--port", str(port)]
    with running_server(command, f"{url}/api/v2/heartbeat", 60, "chroma run", path / "server.log"):
        yield url


def test_ingest_and_search_through_a_chroma_server(chroma_url: str, tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data", chroma_url=chroma_url)
    store, embedder = Store(settings), HashingEmbedder()
    assert len(ingest_paths([SEED_DIR], store, embedder, settings).added) == 3
    assert ingest_paths([SEED_DIR], store, embedder, settings).counts()["unchanged"] == 3
    hits = HybridRetriever(store, embedder).search("Crocus City Hall massacre Moscow", k=3)
    assert hits[0].article_id == "000_6a5e87b74b7ecf65"
    assert not (tmp_path / "data" / "chroma").exists()  # nothing written to the local disk store
