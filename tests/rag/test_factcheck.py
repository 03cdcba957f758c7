"""``rag check`` end to end over the real seed index: supported, contradicted, absent."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rag.answer.factcheck import check_claim
from rag.cli import app
from rag.index.ingest import ingest_paths
from rag.services import Services
from tests.conftest import SEED_DIR, make_settings


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory, real_embedder) -> Services:  # type: ignore[no-untyped-def]
    settings = make_settings(tmp_path_factory.mktemp("check") / "data", verifier_judge="off")
    services = Services(settings, embedder_override=real_embedder)
    ingest_paths([SEED_DIR], services.store, services.embedder, settings)
    return services


@pytest.mark.parametrize(
    ("claim", "verdict", "article"),
    [
        ("Pakistan's Foreign Office said the country respects Afghanistan's sovereignty.", "supported",
         "003_4d3fdf98ee31191a"),
        ("Pakistan's Foreign Office said the country does not respect Afghanistan's sovereignty.", "contradicted",
         "003_4d3fdf98ee31191a"),
        ("UN Secretary-General António Guterres rejected direct dialogue between the two countries.", "contradicted",
         "003_4d3fdf98ee31191a"),
        ("The Taliban accused Islamabad of carrying out drone strikes in Kabul.", "supported", "003_4d3fdf98ee31191a"),
        ("Norway hosted peace talks between Kabul and Islamabad in Oslo.", "not_in_sources", None),
    ],
)
def test_check_claim(seeded: Services, claim: str, verdict: str, article: str | None) -> None:
    result = check_claim(claim, seeded)
    assert result.verdict == verdict, result.reason
    if article:
        assert result.citations and result.citations[0].article_id == article
        body = next(a.body for a in seeded.store.list_articles() if a.id == article)
        citation = result.citations[0]
        assert body[citation.start : citation.end] == citation.quote


def test_rag_check_json(seeded: Services, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["check", "Pakistan accused the Taliban of drone strikes in Kabul.", "--json",
                                      "--data-dir", str(seeded.settings.data_dir)],
                                env={"RAG_VERIFIER_JUDGE": "off", "RAG_CHROMA_URL": ""})
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert set(payload) == {"verdict", "citations", "reason"}
    assert payload["verdict"] == "contradicted" and "roles" in payload["reason"]


def test_an_empty_claim_is_an_error(seeded: Services) -> None:
    with pytest.raises(ValueError, match="empty"):
        check_claim("   ", seeded)
