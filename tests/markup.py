"""A hostile article, Markdown rendered as a client would (markdown-it-py, raw HTML allowed), and what the HTML does."""

from __future__ import annotations

from collections.abc import Collection
from html.parser import HTMLParser

from markdown_it import MarkdownIt

PRESETS = ("commonmark", "gfm-like")
"""CommonMark, and GitHub-flavoured (tables, strikethrough, bare URLs linked through linkify-it-py)."""

HOSTILE_TITLE = "Report ![x](http://127.0.0.1:9/pixel.png) <img src=x onerror=alert(1)>"
HOSTILE_OUTLET = "Wire <script>alert(2)</script>"
HOSTILE_URL = "https://example.org/report?a=1&b=2"
"""The article's own address: the one link its sources entry may have."""
HOSTILE_SAID = "said [click here](http://127.0.0.1:9/phish) that 40 people were evacuated"
HOSTILE_BODY = (f"The ministry {HOSTILE_SAID} from Torkham on Monday. Afghanistan accused Pakistan of carrying out the "
                "drone strikes on Kabul, and the UN urged restraint on both sides.")
HOSTILE_ARTICLE = {"id": "hostile-1", "title": HOSTILE_TITLE, "outlet": HOSTILE_OUTLET, "url": HOSTILE_URL,
                   "published_at": "2026-03-03", "body": HOSTILE_BODY}
"""As ``POST /v1/articles`` takes it; :func:`hostile_markdown_file` gives the same article as a file to ingest."""


def hostile_markdown_file() -> str:
    """:data:`HOSTILE_ARTICLE` as a Markdown file with front matter."""
    return (f'---\ntitle: "{HOSTILE_TITLE}"\noutlet: "{HOSTILE_OUTLET}"\npublished_at: 2026-03-03\nurl: "{HOSTILE_URL}"\n'
            f"---\n{HOSTILE_BODY}\n")


def render(markdown: str, preset: str = "commonmark") -> str:
    """HTML as a Markdown client renders ``markdown``, raw HTML passed through (the unsafe setting)."""
    html: str = MarkdownIt(preset, {"html": True}).render(markdown)
    return html


class Page(HTMLParser):
    """The elements of a rendered page: tags, handler attributes, link and resource URLs, and the visible text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.handlers: list[str] = []
        """Attributes like ``onerror`` that would run script."""
        self.urls: list[str] = []
        """Every ``href`` and ``src``: what a click or the page itself would fetch."""
        self.text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        for name, value in attrs:
            if name.startswith("on"):
                self.handlers.append(name)
            if name in ("href", "src") and value is not None:
                self.urls.append(value)

    def handle_data(self, data: str) -> None:
        self.text += data


def parse(html: str) -> Page:
    page = Page()
    page.feed(html)
    page.close()
    return page


def assert_inert(html: str, allowed_urls: Collection[str] = ()) -> Page:
    """No image, script or other active element, no handler attribute, no link but to ``allowed_urls``."""
    page = parse(html)
    assert "<img" not in html and "<script" not in html, html
    assert not {"img", "script", "iframe", "object", "embed", "svg", "style", "form"} & set(page.tags), page.tags
    assert page.handlers == [], page.handlers
    assert set(page.urls) <= set(allowed_urls), page.urls
    return page
