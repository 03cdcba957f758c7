"""Cross-page boilerplate: text a site repeats on many of its pages (menus, teasers, prompts, footers).

The classic cross-page technique, for every input format: a page's text is cut into segments (its sentences,
cut again where scraped page text joins its blocks: a line break, a tab, a run of spaces), and a segment that
occurs on at least :data:`MIN_PAGES` distinct pages of one site, and on at least :data:`MIN_SHARE` of that
site's pages, belongs to the site, not to the article. Nothing here knows a site or a phrase: the repeats are
counted over the pages being ingested and the pages of the same site already stored (a near-duplicate of a
page counted once). A segment found on one page only is never boilerplate, so a page with no other page of its
site known loses nothing.

Removed text is masked, not cut out: its characters become white space (a line break first, so no sentence
runs across the gap), so the stored body keeps the source's length and every offset into it stays exact —
chunks, sentence vectors, quotes and gold evidence spans written against the source text.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from urllib.parse import urlparse

from rag.index.chunking import split_sentences
from rag.types import Span

MIN_PAGES = 3
"""Distinct pages of a site a segment must be on. Chosen on news2_dev (118 scraped pages, 37 sites): every
segment on 3 or more pages of its site was site furniture (comment-form prompts, subscription offers, teaser
lists, addresses, copyright lines), while among segments on exactly 2 pages were the site's own reporting (a
summary repeated by two stories, a ministry statement quoted by two)."""
MIN_SHARE = 0.02
"""Share of a site's pages a segment must be on, so that on a site with thousands of stored pages a background
paragraph repeated by a few follow-up stories stays; on the sites of news2_dev (at most 34 pages) it never binds."""
_BLOCK_JOIN = re.compile(r"\s{2,}|[\t\v\f\u2028\u2029\x1c-\x1f\x85]")
"""Where scraped page text joins two blocks: a run of white space, or a separator other than a plain space."""
_WORD = re.compile(r"\w")
_HASH_BYTES = 6


def segments(body: str) -> list[Span]:
    """The units repeats are counted in: sentences, cut again at block joins; ``body[s.start:s.end] == s.text``."""
    found: list[Span] = []
    for sentence in split_sentences(body):
        cursor = 0
        for join in _BLOCK_JOIN.finditer(sentence.text):
            _add(found, sentence, cursor, join.start())
            cursor = join.end()
        _add(found, sentence, cursor, len(sentence.text))
    return found


def _add(found: list[Span], sentence: Span, start: int, end: int) -> None:
    text = sentence.text
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        found.append(Span(text=text[start:end], start=sentence.start + start, end=sentence.start + end))


def segment_key(text: str) -> bytes | None:
    """A segment's identity across pages: white space collapsed, case folded, hashed; ``None`` if it has no word."""
    if not _WORD.search(text):
        return None
    return hashlib.blake2b(" ".join(text.split()).casefold().encode("utf-8"), digest_size=_HASH_BYTES).digest()


def keyed_segments(body: str) -> list[tuple[Span, bytes]]:
    """The segments of ``body`` that have a word, each with its key."""
    return [(span, key) for span in segments(body) if (key := segment_key(span.text)) is not None]


def fingerprint(body: str) -> set[bytes]:
    """The distinct segment keys of a page (what is counted for its site)."""
    return {key for _, key in keyed_segments(body)}


def encode_fingerprint(keys: Iterable[bytes]) -> str:
    """A compact string of a page's segment keys, so it can live in the article record's metadata."""
    return base64.b64encode(b"".join(sorted(keys))).decode("ascii")


def decode_fingerprint(encoded: str) -> set[bytes]:
    raw = base64.b64decode(encoded)
    return {raw[i : i + _HASH_BYTES] for i in range(0, len(raw) - _HASH_BYTES + 1, _HASH_BYTES)}


def site_key(outlet: str | None, url: str | None) -> str | None:
    """Which site a page belongs to: its outlet (``source`` in JSONL), else its URL's host; ``None`` if neither."""
    if outlet and outlet.strip():
        return " ".join(outlet.split()).casefold()
    if url:
        host = (urlparse(url).hostname or "").casefold()
        host = host.removeprefix("www.")
        return host or None
    return None


class SiteCounts:
    """How many distinct pages of each site carry each segment."""

    def __init__(self, min_pages: int = MIN_PAGES, min_share: float = MIN_SHARE) -> None:
        self.min_pages = min_pages
        self.min_share = min_share
        self.pages: Counter[str] = Counter()
        self._segments: defaultdict[str, Counter[bytes]] = defaultdict(Counter)

    def add(self, site: str, keys: Iterable[bytes]) -> None:
        """Count one page of ``site`` with the segment keys ``keys`` (each at most once)."""
        self.pages[site] += 1
        self._segments[site].update(set(keys))

    def is_boilerplate(self, site: str, key: bytes) -> bool:
        """Whether ``key`` is on enough of ``site``'s pages to be the site's own, not any one article's."""
        pages = self._segments[site][key] if site in self._segments else 0
        return pages >= self.min_pages and pages >= self.min_share * self.pages[site]


def repeated_spans(keyed: Iterable[tuple[Span, bytes]], site: str | None, counts: SiteCounts) -> list[Span]:
    """The segments of a page (from :func:`keyed_segments`) that its site repeats on other pages; none without a site."""
    if site is None:
        return []
    return [span for span, key in keyed if counts.is_boilerplate(site, key)]


def mask(body: str, spans: Iterable[Span]) -> str:
    """``body`` with each span's characters turned to white space: a line break, then spaces (same length)."""
    pieces: list[str] = []
    cursor = 0
    for span in sorted(spans, key=lambda s: s.start):
        if span.start < cursor:
            continue
        pieces += [body[cursor : span.start], "\n", " " * (span.end - span.start - 1)]
        cursor = span.end
    pieces.append(body[cursor:])
    return "".join(pieces)


_LETTER = re.compile(r"[^\W\d_]")


def opening_words(title: str, body: str) -> int | None:
    """Where the body's opening stretch that ``title`` repeats word for word ends, or ``None``.

    A scraper that finds no headline takes the page's first words as the title ("Time taken to read : 8 Minute
    KATHMANDU: The week"); such a title says nothing the body does not.
    """
    words = title.split()
    if not words:
        return None
    match = re.match(r"\s*" + r"\s+".join(map(re.escape, words)), body)
    return match.end() if match else None


def cleaned_title(title: str, body: str, masked: str) -> str:
    """``title``, or, when it only repeats the body's opening words and some were masked, the masked body's opening.

    The site's boilerplate the body lost (a reading-time line, a photo credit) would otherwise reach every
    citation, source list and briefing through the title. The new title has as many words, from the first word
    with a letter of the masked body; a title that is not the body's opening is never touched.
    """
    end = opening_words(title, body)
    if end is None or " ".join(masked[:end].split()) == " ".join(title.split()):
        return title
    wanted = len(title.split())
    kept: list[str] = []
    for word in re.finditer(r"\S+", masked):  # only as far as the title's length: a page may be a megabyte
        if kept or _LETTER.search(word.group()):
            kept.append(word.group())
            if len(kept) == wanted:
                break
    return " ".join(kept) or title
