"""The chat page in headless Chromium against the real service: streamed cited answers, a follow-up, escaping.

Chromium is the Debian package (``make setup`` installs it); Playwright drives it through ``executable_path``.
Screenshots (desktop 1280x800, phone 390x844) are saved under ``reports/screenshots/``.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import threading
from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Page, expect, sync_playwright
from pydantic import SecretStr

from api.app import create_app
from rag.db import Database
from rag.models.embed import Embedder
from rag.services import Services
from rag.settings import Settings
from rag.testing.llm import FunctionModel
from rag.types import Answer, AnswerSentence, Citation
from tests.api.fakes import reader
from tests.api.gated import GatedModel, wait_for_queue
from tests.api.live import LiveServer
from tests.conftest import ROOT
from tests.markup import HOSTILE_ARTICLE, HOSTILE_TITLE, render
from tests.servers import serving_in_thread

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SHOTS = ROOT / "reports" / "screenshots"
FIRST = "What did Khwaja Asif write on X?"
FOLLOW_UP = "What did he say had overflowed?"
"""Needs the first turn: "he" is Khwaja Asif only in the conversation."""
ANSWER_TIMEOUT_MS = 240_000


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert shutil.which(CHROMIUM), "Chromium is installed by `make setup` (Debian package chromium)"
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield launched
        launched.close()


def open_page(browser: Browser, url: str, width: int, height: int) -> Page:
    page = browser.new_context(viewport={"width": width, "height": height}).new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(url)
    page.errors = errors  # type: ignore[attr-defined]
    return page


def load_and_watch(browser: Browser, html: str) -> tuple[list[str], list[str]]:
    """Load ``html`` as a page; the requests it tried to make (all refused) and the dialogs it opened."""
    page = browser.new_context().new_page()
    requests: list[str] = []
    dialogs: list[str] = []
    page.route("**/*", lambda route: (requests.append(route.request.url), route.abort()))
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.set_content(f"<!doctype html><html><body>{html}</body></html>", wait_until="load")
    page.wait_for_timeout(300)  # an onerror handler runs after the failed load
    page.context.close()
    return requests, dialogs


def ask(page: Page, question: str) -> None:
    page.fill("#question", question)
    page.click("#ask-button")


@pytest.mark.model
def test_ask_see_cited_answer_open_the_quote_and_follow_up(browser: Browser, live: LiveServer) -> None:
    page = open_page(browser, live.url, 1280, 800)
    ask(page, FIRST)
    first = page.locator(".message.answer").nth(0)
    expect(first).to_have_class("message answer streaming")  # the shell is shown while the answer streams
    expect(first.locator(".chip").first).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    expect(first).not_to_have_class("message answer streaming", timeout=ANSWER_TIMEOUT_MS)
    expect(first.locator(".answer-text")).to_contain_text("open war")

    first.locator(".chip").first.click()
    panel = page.locator("#source-panel")
    expect(panel).to_be_visible()
    expect(panel.locator("#source-quote")).to_contain_text("Our cup of patience has overflowed")
    expect(panel.locator("#source-meta")).to_contain_text("The World · 2026-03-03")
    expect(panel.locator("#source-title")).to_contain_text("open war")
    page.screenshot(path=str(SHOTS / "chat-desktop.png"))
    page.click("#source-close")
    expect(panel).to_be_hidden()

    ask(page, FOLLOW_UP)
    second = page.locator(".message.answer").nth(1)
    expect(second).not_to_have_class("message answer streaming", timeout=ANSWER_TIMEOUT_MS)
    expect(second.locator(".answer-text")).to_contain_text("patience has overflowed")
    expect(second.locator(".note", has_text="Understood as:")).to_contain_text("Khwaja Asif")
    expect(second.locator(".chip").first).to_be_visible()
    expect(page.locator("#conversations li", has_text=FIRST)).to_have_count(1)  # both turns in one conversation
    page.screenshot(path=str(SHOTS / "chat-desktop-follow-up.png"), full_page=True)
    assert page.errors == []  # type: ignore[attr-defined]

    phone = open_page(browser, live.url, 390, 844)
    phone.click("#menu-toggle")
    phone.locator("#conversations .conversation-open", has_text=FIRST).click()
    expect(phone.locator(".message.answer")).to_have_count(2)
    expect(phone.locator("#sidebar")).not_to_be_in_viewport()  # the drawer closed again
    phone.locator(".message.answer").nth(1).locator(".chip").first.click()
    expect(phone.locator("#source-panel")).to_be_visible()
    box = phone.locator("#source-panel").bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390  # fits the phone's width
    phone.screenshot(path=str(SHOTS / "chat-phone.png"))
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling


def test_article_and_model_text_is_shown_as_text_never_run_as_html(browser: Browser, live: LiveServer) -> None:
    hostile = '<img src=x onerror="window.pwned=1"><script>window.pwned=2</script>'
    citation = Citation(article_id="evil", title=f"Title {hostile}", outlet="<b>Outlet</b>",
                        published_at=dt.date(2026, 3, 1), url="javascript:window.pwned=3", chunk_id="evil:0",
                        quote=f"Quote {hostile}", start=0, end=10, support=1.0)
    answer = Answer(question="q", text=f"Answer {hostile} [1]", model="fake", citations={1: citation},
                    sentences=[AnswerSentence(text=f"Answer {hostile}", citations=[1], support=1.0)])
    database = Database(f"sqlite:///{live.data_dir / 'rag.db'}")
    conversation_id = database.create_conversation(f"Hostile {hostile}")
    database.add_turn(conversation_id, f"Question {hostile}", answer)
    database.close()
    try:
        page = open_page(browser, live.url, 1280, 800)
        page.locator("#conversations .conversation-open", has_text="Hostile").click()
        answer_box = page.locator(".message.answer")
        expect(answer_box.locator(".answer-text")).to_contain_text("<img src=x")
        answer_box.locator(".chip").first.click()
        expect(page.locator("#source-quote")).to_contain_text("<script>")
        expect(page.locator("#source-meta")).to_contain_text("<b>Outlet</b>")
        expect(page.locator("#source-link")).to_be_hidden()  # a javascript: URL is never made a link
        assert page.locator("img, .messages script, #source-panel b").count() == 0
        assert page.evaluate("window.pwned") is None
        assert page.errors == []  # type: ignore[attr-defined]
    finally:
        Database(f"sqlite:///{live.data_dir / 'rag.db'}").delete_conversation(conversation_id)


def test_the_briefings_page_lists_and_reads_stored_briefings(browser: Browser, live: LiveServer) -> None:
    html = ("<!doctype html><html><body><h1>Afghanistan–Pakistan, week 10</h1>"
            "<p>Pakistan's Foreign Office said the country respects Afghanistan's sovereignty. [1]</p></body></html>")
    database = Database(f"sqlite:///{live.data_dir / 'rag.db'}")
    database.save_briefing("browser-week-10", dt.date(2026, 3, 8), dt.date(2026, 3, 2), dt.date(2026, 3, 8),
                           "Afghanistan–Pakistan, week 10 <i>draft</i>", "{}", "# Week 10", html)
    database.close()
    for width, height, name in ((1280, 800, "briefings-desktop.png"), (390, 844, "briefings-phone.png")):
        page = open_page(browser, live.url, width, height)
        page.click(".tab[data-view=briefings]")
        expect(page.locator("#briefing-form")).to_be_visible()  # the service can generate briefings
        item = page.locator("#briefing-list li", has_text="week 10")
        expect(item).to_contain_text("as of 2026-03-08, covering 2026-03-02 to 2026-03-08")
        expect(item).to_contain_text("<i>draft</i>")  # titles are text
        item.locator("button").click()
        frame = page.frame_locator("#briefing-frame")
        expect(frame.locator("h1")).to_have_text("Afghanistan–Pakistan, week 10")
        page.screenshot(path=str(SHOTS / name))
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        assert page.errors == []  # type: ignore[attr-defined]


def test_a_refusal_is_shown_as_such_with_the_related_passages_apart(browser: Browser, live: LiveServer) -> None:
    related = Citation(article_id="004_fce48783007ea49c", title="'Now it is open war'", outlet="The World",
                       published_at=dt.date(2026, 3, 3), url="https://theworld.org/stories/open-war", chunk_id="004:0",
                       quote="There were fierce nighttime border clashes between Afghanistan and Pakistan last Thursday.",
                       start=0, end=89, support=0.0)
    answer = Answer(question="Which Arab states mediated?", text="The sources don't say. The passages found do not "
                    "answer the question.", refused=True, mode="refused", reason="The passages found do not answer "
                    "the question.", related=[related], model="fake")
    database = Database(f"sqlite:///{live.data_dir / 'rag.db'}")
    conversation_id = database.create_conversation("Which Arab states mediated?")
    database.add_turn(conversation_id, "Which Arab states mediated?", answer)
    database.close()
    page = open_page(browser, live.url, 1280, 800)
    page.locator("#conversations .conversation-open", has_text="Arab states").click()
    box = page.locator(".message.answer.refused")
    expect(box.locator(".refusal-title")).to_have_text("The sources don't say.")
    expect(box.locator(".related h4")).to_have_text("Related passages, not an answer")
    expect(box.locator(".chip")).to_have_count(0)  # nothing is presented as a cited answer
    box.locator(".related .source-open").click()
    expect(page.locator("#source-number")).to_have_text("Related passage")
    expect(page.locator("#source-link")).to_have_attribute("href", "https://theworld.org/stories/open-war")
    page.screenshot(path=str(SHOTS / "refusal-desktop.png"))
    assert page.errors == []  # type: ignore[attr-defined]


def test_with_api_keys_the_page_asks_for_one_keeps_it_for_the_tab_and_sends_it(
        browser: Browser, api_settings: Settings, real_embedder: Embedder) -> None:
    key = "page-key-0123456789abcdef"
    settings = api_settings.model_copy(update={"api_keys": [SecretStr(key)]})
    services = Services(settings, embedder_override=real_embedder, chat_override=FunctionModel(reader))
    services.database.save_briefing("keyed-week-10", dt.date(2026, 3, 8), dt.date(2026, 3, 2), dt.date(2026, 3, 8),
                                    "Week 10", "{}", "# Week 10", "<!doctype html><html><body><h1>Week 10</h1></body></html>")
    with serving_in_thread(create_app(settings, services=services)) as url:
        page = open_page(browser, url, 1280, 800)
        form = page.locator("#key-form")
        expect(form).to_be_visible()  # the conversation list was refused
        page.fill("#api-key", "not-the-key-0123456789")
        page.click("#key-form button")
        expect(page.locator("#api-key")).to_have_attribute("placeholder", "API key (not accepted)")
        page.fill("#api-key", key)
        page.click("#key-form button")
        expect(form).to_be_hidden()

        ask(page, FIRST)
        answer = page.locator(".message.answer").nth(0)
        expect(answer).not_to_have_class("message answer streaming", timeout=60_000)
        expect(answer.locator(".answer-text")).to_contain_text("open war")
        expect(page.locator("#conversations li", has_text=FIRST)).to_have_count(1)

        page.click(".tab[data-view=briefings]")
        expect(page.locator("#briefing-form")).to_be_visible()  # the schema was read with the key
        page.locator("#briefing-list li", has_text="Week 10").locator("button").click()
        expect(page.frame_locator("#briefing-frame").locator("h1")).to_have_text("Week 10")
        assert page.evaluate("sessionStorage.getItem('conflict-rag-api-key')") == key
        assert page.evaluate("localStorage.length") == 0 and key not in page.url
        assert page.errors == []  # type: ignore[attr-defined]


def test_while_an_answer_waits_the_page_shows_its_place_in_the_line_then_what_it_is_doing(
        browser: Browser, api_settings: Settings, real_embedder: Embedder) -> None:
    model = GatedModel()
    settings = api_settings.model_copy(update={"rate_limit_per_minute": 0})
    services = Services(settings, embedder_override=real_embedder, chat_override=model)
    with serving_in_thread(create_app(settings, services=services)) as url, httpx.Client(base_url=url, timeout=60) as http:
        try:
            holder = threading.Thread(target=http.post, args=("/v1/ask",), kwargs={"json": {"question": FIRST}})
            holder.start()
            wait_for_queue(http, running=1)
            page = open_page(browser, url, 1280, 800)
            missing: list[str] = []
            page.on("response", lambda response: response.status == 404 and missing.append(response.url))
            ask(page, FIRST)
            status = page.locator(".message.answer .answer-status")
            expect(status).to_contain_text("Waiting for the model: 1 question ahead")
            expect(status).to_contain_text(re.compile(r"\(\d+ s\)"))  # the seconds tick while it waits
            model.gate.set()
            holder.join(30)
            answer = page.locator(".message.answer").nth(0)
            expect(answer).not_to_have_class("message answer streaming", timeout=60_000)
            expect(answer.locator(".answer-text")).to_contain_text("open war")
            expect(status).to_have_count(0)  # the progress line goes once the answer is there

            model.gate.clear()  # the next answer is held while the model writes
            ask(page, FIRST)
            expect(page.locator(".message.answer").nth(1).locator(".answer-status")).to_contain_text(
                "Writing the answer")
            model.gate.set()
            expect(page.locator(".message.answer").nth(1)).not_to_have_class("message answer streaming",
                                                                              timeout=60_000)
            assert page.evaluate("document.querySelector('link[rel=icon]').href").endswith("/favicon.svg")
            assert missing == [] and page.errors == []  # type: ignore[attr-defined]
        finally:
            model.gate.set()


def test_a_hostile_articles_markdown_from_the_facade_and_the_briefing_fetches_nothing_in_chromium(
        browser: Browser, client: TestClient) -> None:
    """Markdown rendered with raw HTML allowed, as a careless client would: the raw title would load and alert."""
    assert load_and_watch(browser, render(HOSTILE_TITLE)) == (["http://127.0.0.1:9/pixel.png"], ["1"])

    assert client.post("/v1/articles", json=HOSTILE_ARTICLE).status_code == 200
    question = {"model": "m", "messages": [{"role": "user", "content": "How many people were evacuated from Torkham?"}]}
    content = client.post("/v1/chat/completions", json=question).json()["choices"][0]["message"]["content"]
    briefing = client.post("/v1/briefings", json={"topic": "people evacuated from Torkham", "since": "2026-03-01"})
    assert briefing.status_code == 200, briefing.text
    for markdown in (content, briefing.json()["markdown"]):
        assert "onerror" in markdown  # the hostile article is in it, as text
        assert load_and_watch(browser, render(markdown)) == ([], [])
