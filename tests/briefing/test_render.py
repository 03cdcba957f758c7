"""The Markdown briefing of a hostile article: rendered by a Markdown client, it shows the article's text and does nothing."""

from __future__ import annotations

import datetime as dt

import pytest

from rag.briefing import BriefingOptions, generate_briefing, render_markdown
from rag.index.ingest import ingest_paths
from tests.briefing.conftest import echo_writer, make_services
from tests.markup import (
    HOSTILE_OUTLET,
    HOSTILE_SAID,
    HOSTILE_TITLE,
    HOSTILE_URL,
    PRESETS,
    assert_inert,
    hostile_markdown_file,
    render,
)


@pytest.fixture(scope="module")
def markdown(tmp_path_factory: pytest.TempPathFactory) -> str:
    root = tmp_path_factory.mktemp("hostile-briefing")
    services = make_services(root / "data", echo_writer())
    (root / "articles").mkdir()
    (root / "articles" / "hostile.md").write_text(hostile_markdown_file(), encoding="utf-8")
    assert ingest_paths([root / "articles"], services.store, services.embedder, services.settings).added == ["hostile"]
    return render_markdown(generate_briefing(services, BriefingOptions(as_of=dt.datetime(2026, 3, 4, tzinfo=dt.UTC))))


@pytest.mark.parametrize("preset", PRESETS)
def test_a_hostile_articles_markdown_briefing_renders_as_its_text_with_no_image_link_or_html(markdown: str,
                                                                                           preset: str) -> None:
    page = assert_inert(render(markdown, preset), allowed_urls={HOSTILE_URL})  # the source's own address, autolinked
    assert f"“{HOSTILE_TITLE}”" in page.text and HOSTILE_OUTLET in page.text and HOSTILE_SAID in page.text
    assert HOSTILE_URL in page.urls and f"]({HOSTILE_URL})" not in markdown  # never a [title](url) made of article text
