"""The HTML briefing in a real headless Chromium: article markup arrives as text, citations show their quotes."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from rag.briefing import BriefingOptions, generate_briefing, render_html
from rag.index.ingest import ingest_paths
from rag.services import Services
from tests.briefing.conftest import echo_writer, make_services

CHROMIUM = "/usr/bin/chromium"
HOSTILE = """---
title: "Strikes <script>window.pwned = 1</script> on Kabul"
outlet: Test <b>Wire</b>
published_at: 2026-03-03
url: "javascript:window.pwned = 2"
---
Officials said <script>window.pwned = 3</script> six people were killed in the strikes on Kabul on Monday.
Afghanistan accused Pakistan of carrying out the drone strikes, and the UN urged restraint on both sides.
"""


def test_article_markup_renders_as_text_in_chromium(tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    services: Services = make_services(tmp_path / "data", echo_writer())
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "hostile.md").write_text(HOSTILE, encoding="utf-8")
    ingest_paths([folder], services.store, services.embedder, services.settings)
    briefing = generate_briefing(services, BriefingOptions(as_of=dt.datetime(2026, 3, 4, tzinfo=dt.UTC)))
    page_file = tmp_path / "briefing.html"
    page_file.write_text(render_html(briefing), encoding="utf-8")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        try:
            page = browser.new_page()
            page.goto(page_file.as_uri())
            assert page.evaluate("window.pwned === undefined")
            assert page.locator("script").count() == 0 and page.locator("b").count() == 0
            text = page.inner_text("body")
            assert "<script>window.pwned = 3</script>" in text
            assert "Test <b>Wire</b>" in text
            title = page.locator("a.cite").first.get_attribute("title") or ""
            assert title.startswith("“") and title.endswith("— Test <b>Wire</b>, 2026-03-03")  # quote, outlet, date
            assert all(not (a.get_attribute("href") or "").startswith("javascript:") for a in page.locator("a").all())
            assert page.locator("h2", has_text="Claims and counter-claims").count() == 1
        finally:
            browser.close()
