"""Article text made inert where it is written into Markdown (briefings, the OpenAI-compatible facade's content).

An article's title, outlet, quote or body may carry Markdown or HTML (``![x](http://…/pixel.png)``, ``<img onerror>``,
``[click here](http://…)``); a client that renders the Markdown would load the image, run the script or offer the
link. :func:`escape_markdown` turns such text into Markdown that renders as exactly that text; :func:`link_markdown`
shows a source's URL as an autolink only when it is http(s).
"""

from __future__ import annotations

import html
import re
from urllib.parse import urlparse

_LINE_BREAKS = re.compile(r"\s*[\r\n]+\s*")
_INLINE_SYNTAX = re.compile(r"([\\`*_\[\]~|])")
"""Code spans, emphasis, links and images, link reference definitions, GFM strikethrough and tables."""
_BARE_LINK = re.compile(r"(?<=\w)(:)(?=//)|(?<=\bwww)(\.)", re.IGNORECASE)
"""``http://…`` and ``www.…``: the text that GFM renderers turn into links without any Markdown around it."""
_BLOCK_START = re.compile(r"^([#+-]|\d{1,9}(?=[.)]))")
"""A heading or list marker opening the text: ``# x``, ``- x``, ``1. x``."""
_AUTOLINK_BREAKERS = re.compile(r"[\s<>\x00-\x1f\x7f]")


def escape_markdown(text: str) -> str:
    """``text`` as one line of Markdown that renders as the literal text, with no markup, link, image or HTML.

    Line breaks become spaces (a newline could start a heading, a list or a link definition); ``&``, ``<`` and
    ``>`` become HTML entities (no tag, no autolink, no quote block); the rest of Markdown's punctuation is
    backslash-escaped, as CommonMark allows for any ASCII punctuation. Bare ``http://`` and ``www.`` are broken up so
    GFM renderers do not link them.
    """
    text = _LINE_BREAKS.sub(" ", text).strip()
    text = html.escape(text, quote=False)
    text = _INLINE_SYNTAX.sub(r"\\\1", text)
    text = _BARE_LINK.sub(lambda m: "\\" + (m.group(1) or m.group(2)), text)
    return _BLOCK_START.sub(lambda m: m.group(1) + "\\" if m.group(1)[0].isdigit() else "\\" + m.group(1), text)


def safe_url(url: str | None) -> str | None:
    """Only http(s) links; anything else (``javascript:``, ``data:``) is not a link."""
    return url if url and urlparse(url).scheme.lower() in ("http", "https") else None


def link_markdown(url: str | None) -> str:
    """An http(s) URL as an autolink ``<url>`` (its own text, never article text); any other URL as escaped text.

    A URL that an autolink cannot hold (spaces, ``<``, ``>``, control characters) is shown as text too.
    """
    if not url:
        return ""
    if safe_url(url) and not _AUTOLINK_BREAKERS.search(url):
        return f"<{url}>"
    return escape_markdown(url)
