"""API fixtures: the app over the seed corpus with the real embedder and a fake, content-dependent reader."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from rag.index.ingest import ingest_paths
from rag.index.record import ArticleRecord
from rag.index.store import Store
from rag.models.embed import Embedder
from rag.services import Services
from rag.settings import Settings
from rag.testing.llm import FunctionModel
from tests.api.fakes import reader
from tests.api.live import LiveServer
from tests.conftest import SEED_DIR, make_settings


@pytest.fixture(scope="session")
def seeded_dir(tmp_path_factory: pytest.TempPathFactory, real_embedder: Embedder) -> Path:
    """A data directory with the three seed articles indexed by the real embedder (copied per test)."""
    data_dir = tmp_path_factory.mktemp("api-seed") / "data"
    settings = make_settings(data_dir)
    report = ingest_paths([SEED_DIR], Store(settings), real_embedder, settings)
    assert len(report.added) == 3
    return data_dir


@pytest.fixture
def database_url() -> str | None:
    """The data directory's SQLite file; modules that test storage override this with ``db_url`` (both kinds)."""
    return None


@pytest.fixture
def api_settings(tmp_path: Path, seeded_dir: Path, database_url: str | None) -> Settings:
    data_dir = tmp_path / "data"
    shutil.copytree(seeded_dir, data_dir)
    if database_url is not None:  # the seeds' record moves to that database with them (their chunks are in the copy)
        copy_record(make_settings(data_dir).resolved_database_url, database_url)
    # The fake reader's tests stay hermetic: rules only, no judge model (the live tests run the real default).
    return make_settings(data_dir, verifier_judge="off", database_url=database_url)


def copy_record(source_url: str, target_url: str) -> None:
    """Every article of one record, with its index state, into another (empty) one."""
    source, target = ArticleRecord(source_url), ArticleRecord(target_url)
    try:
        with target.transaction(10.0, "the test database"):
            for stored in source.all():
                target.import_article(stored)
    finally:
        source.close()
        target.close()


@pytest.fixture
def fake_model() -> FunctionModel:
    return FunctionModel(reader)


@pytest.fixture
def services(api_settings: Settings, real_embedder: Embedder, fake_model: FunctionModel) -> Services:
    return Services(api_settings, embedder_override=real_embedder, chat_override=fake_model)


@pytest.fixture
def client(services: Services) -> Iterator[TestClient]:
    with TestClient(create_app(services.settings, services=services), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def live(tmp_path_factory: pytest.TempPathFactory, seeded_dir: Path, gguf_path: Path) -> Iterator[LiveServer]:
    """One real service for the openai-client and browser tests (seed corpus, real embedder and local model)."""
    from tests.api.live import serving

    root = tmp_path_factory.mktemp("live")
    shutil.copytree(seeded_dir, root / "data")
    with serving(root / "data", gguf_path, root / "server.log") as url:
        yield LiveServer(url, root / "data")
