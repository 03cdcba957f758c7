"""Article text written into Markdown renders as exactly that text: no image, link, HTML or formatting."""

from __future__ import annotations

import re

import pytest

from rag.markdown import escape_markdown, link_markdown
from tests.markup import PRESETS, assert_inert, render

HOSTILE = [
    "Report ![x](http://127.0.0.1:9/pixel.png) <img src=x onerror=alert(1)>",
    "The ministry said [click here](http://127.0.0.1:9/phish) that 40 people were evacuated…",
    "<script>alert(1)</script> and <a href='http://127.0.0.1:9/'>a link</a>",
    "# A heading",
    "1. not a list",
    "- not a bullet",
    "> not a quote",
    "line one\n\n[1]: http://127.0.0.1:9/ref\n    code?",
    "*bold* _it_ `code` ~~gone~~ | a | b | \\*",
    "Bare http://127.0.0.1:9/bare and www.example.org and <http://127.0.0.1:9/auto>",
    "AT&T &lt;img&gt; &#60;script&#62;",
]


@pytest.mark.parametrize(("text", "escaped"), [
    ("Plain words, 3.5 km.", "Plain words, 3.5 km."),
    ("![x](http://127.0.0.1:9/p.png)", "!\\[x\\](http\\://127.0.0.1:9/p.png)"),
    ("<img src=x onerror=alert(1)>", "&lt;img src=x onerror=alert(1)&gt;"),
    ("# Title", "\\# Title"),
    ("12. Twelve", "12\\. Twelve"),
    ("a\n\nb", "a b"),
    ("www.example.org", "www\\.example.org"),
    ("a_b*c`d\\e", "a\\_b\\*c\\`d\\\\e"),
])
def test_markdown_punctuation_is_backslash_escaped_and_html_made_entities(text: str, escaped: str) -> None:
    assert escape_markdown(text) == escaped


@pytest.mark.parametrize("preset", PRESETS)
@pytest.mark.parametrize("text", HOSTILE)
def test_escaped_text_renders_as_the_literal_text_and_nothing_else(text: str, preset: str) -> None:
    rendered = render(escape_markdown(text), preset)
    page = assert_inert(rendered)
    assert page.tags == ["p"]  # one paragraph of text: no heading, list, code block, link or emphasis
    assert page.text.strip() == re.sub(r"\s*\n+\s*", " ", text).strip()  # line breaks become spaces


@pytest.mark.parametrize(("url", "markdown"), [
    ("https://example.org/report?a=1&b=2", "<https://example.org/report?a=1&b=2>"),
    ("javascript:alert(1)", "javascript:alert(1)"),
    ("data:text/html,<script>alert(1)</script>", "data:text/html,&lt;script&gt;alert(1)&lt;/script&gt;"),
    ("https://example.org/a b", "https\\://example.org/a b"),
    (None, ""),
])
def test_only_http_urls_become_autolinks(url: str | None, markdown: str) -> None:
    assert link_markdown(url) == markdown


def test_an_autolink_renders_as_a_link_to_itself_only() -> None:
    url = "https://example.org/report?a=1&b=2"
    page = assert_inert(render(f"see {link_markdown(url)}"), {url})
    assert page.urls == [url] and page.text.strip() == f"see {url}"
