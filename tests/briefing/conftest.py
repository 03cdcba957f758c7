"""Fixtures for the briefing tests: the seed articles, and services with content-dependent fakes."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from rag.index.corpus import read_sources
from rag.index.ingest import ingest_paths
from rag.models.llm import Message
from rag.services import Services
from rag.testing.embed import HashingEmbedder
from rag.testing.llm import FunctionModel
from rag.types import Article
from tests.conftest import SEED_DIR, make_settings

INGESTED = dt.datetime(2026, 3, 4, 8, 0, tzinfo=dt.UTC)


def evidence_lines(messages: Sequence[Message]) -> list[tuple[int, str]]:
    """The numbered evidence sentences the writer was shown."""
    return [(int(n), text) for n, text in re.findall(r"^\[(\d+)\] (.*)$", messages[-1]["content"], re.M)]


def echo_writer(invent: str | None = None) -> Callable[[Sequence[Message]], str]:
    """A writer that restates the first three evidence sentences it is shown (and, optionally, one invention)."""

    def write(messages: Sequence[Message]) -> str:
        lines = [f"- {text} [{number}]" for number, text in evidence_lines(messages)[:3]]
        if invent:
            lines.append(f"- {invent} [1]")
        return "\n".join(lines)

    return write


@pytest.fixture
def seed_articles() -> list[Article]:
    return [a.model_copy(update={"ingested_at": INGESTED}) for a in read_sources([SEED_DIR]) if isinstance(a, Article)]


def make_services(data_dir: Path, writer: Callable[[Sequence[Message]], str]) -> Services:
    settings = make_settings(data_dir, verifier_judge="off")
    return Services(settings, embedder_override=HashingEmbedder(), chat_override=FunctionModel(writer))


@pytest.fixture
def seeded_services(tmp_path: Path) -> Services:
    """Seeds ingested into a real on-disk Chroma (hashing embedder), an echoing writer, rules-only verifier."""
    services = make_services(tmp_path / "data", echo_writer(invent="The war ended with 400 dead."))
    report = ingest_paths([SEED_DIR], services.store, services.embedder, services.settings)
    assert len(report.added) == 3
    return services
