"""Split article bodies into sentences and sentence-aligned chunks, keeping character offsets."""

from __future__ import annotations

import re

from rag.types import Chunk, Span

# Words that end in a period without ending a sentence.
_ABBREVIATIONS = frozenset(
    "jan feb mar apr jun jul aug sep sept oct nov dec mr mrs ms dr prof gen col lt sgt st no vs etc "
    "u.s u.n u.k a.m p.m e.g i.e".split()
)
# A sentence ends at . ! or ? (optionally followed by closing quotes/brackets) before whitespace.
_END = re.compile(r"[.!?][\"'”’)\]]*(?=\s)")
_OPENERS = "\"'“‘(["
_DASHES = "—–"
"""A dash after a sentence's end opens what follows it: a byline or credit ("… every weekday here. — Jane Doe
WASHINGTON — …"), an attribution ("… fair elections. — A. Lawyer (@handle)", "… activist. – With agency inputs")."""
_WORD_BEFORE_END = re.compile(r"([\w.]+)[.!?][\"'”’)\]]*$")
_GAP = re.compile(r"[ \u00a0]*[\n\t][\s]*|[ \u00a0]{3,}|[ \u00a0]{2}(?=[A-Z0-9\"'“‘(\[])")
"""Where a block of text ends: a line break, a tab, three or more spaces, or two spaces before a capital, digit or
opening quote. Scraped page text joins its blocks (a headline, an embed's caption, the story) that way, and ingest
blanks out boilerplate with spaces: a gap ends a sentence as a line break does."""
_LOOKBACK = 80
"""Characters before a sentence end searched for the word it closes: far more than any abbreviation, and a bound,
so a page scraped as one long line (no line breaks) is split in linear time, not quadratic."""


def _is_real_end(text: str, end: int, next_start: int) -> bool:
    """Whether the punctuation that ends at ``end`` closes a sentence."""
    if next_start >= len(text):
        return True
    following = text[next_start]
    if not (following.isupper() or following.isdigit() or following in _OPENERS or following in _DASHES):
        return False
    word = _WORD_BEFORE_END.search(text, max(0, end - _LOOKBACK), end)
    if word and text[end - 1] == "." and word.group(1).lower() in _ABBREVIATIONS:
        return False
    # A single capital initial ("George W. Bush") does not end a sentence.
    return not (word and len(word.group(1)) == 1 and word.group(1).isupper())


def split_sentences(body: str) -> list[Span]:
    """Sentences of ``body`` with offsets such that ``body[s.start:s.end] == s.text``.

    Line breaks and block gaps (:data:`_GAP`) always end a sentence (headlines and captions stand alone);
    within a block, a sentence ends at terminal punctuation followed by a capital, digit, opening quote or dash,
    unless the word before it is a known abbreviation.
    """
    spans: list[Span] = []
    for line_start, line_end in _blocks(body):
        text = body[line_start:line_end]
        cursor = 0
        for match in _END.finditer(text):
            next_start = match.end()
            while next_start < len(text) and text[next_start].isspace():
                next_start += 1
            inside_quote = text.count("“", cursor, match.end()) > text.count("”", cursor, match.end())
            if not inside_quote and _is_real_end(text, match.end(), next_start):
                _append_span(spans, body, line_start + cursor, line_start + match.end())
                cursor = next_start
        _append_span(spans, body, line_start + cursor, line_start + len(text))
    return spans


def _blocks(body: str) -> list[tuple[int, int]]:
    """``(start, end)`` of each stretch of ``body`` between gaps (:data:`_GAP`), empty ones left out."""
    blocks, cursor = [], 0
    for gap in _GAP.finditer(body):
        if gap.start() > cursor:
            blocks.append((cursor, gap.start()))
        cursor = gap.end()
    if cursor < len(body):
        blocks.append((cursor, len(body)))
    return blocks


def _append_span(spans: list[Span], body: str, start: int, end: int) -> None:
    while start < end and body[start].isspace():
        start += 1
    while end > start and body[end - 1].isspace():
        end -= 1
    if end > start:
        spans.append(Span(text=body[start:end], start=start, end=end))


def chunk_article(article_id: str, body: str, size: int, overlap: int) -> list[Chunk]:
    """Pack whole sentences into chunks of about ``size`` characters.

    Consecutive chunks share ``overlap`` sentences so a fact split across a boundary is still
    retrievable. A single sentence longer than ``size`` becomes its own chunk.
    """
    sentences = split_sentences(body)
    chunks: list[Chunk] = []
    first = 0
    while first < len(sentences):
        last = first
        while last + 1 < len(sentences) and sentences[last + 1].end - sentences[first].start <= size:
            last += 1
        group = sentences[first : last + 1]
        start, end = group[0].start, group[-1].end
        chunks.append(
            Chunk(
                id=chunk_id(article_id, len(chunks)),
                article_id=article_id,
                position=len(chunks),
                text=body[start:end],
                start=start,
                end=end,
                sentences=group,
            )
        )
        if last + 1 >= len(sentences):
            break
        first = max(last + 1 - overlap, first + 1)
    return chunks


def chunk_id(article_id: str, position: int) -> str:
    """A chunk's id: its article's id and its position in the article."""
    return f"{article_id}:{position}"


def article_of(chunk: str) -> str:
    """The article id inside a chunk id made by :func:`chunk_id` (article ids may themselves hold colons)."""
    return chunk.rpartition(":")[0]


def search_text(title: str, text: str) -> str:
    """What retrievers see for a chunk: its article's title, then the chunk (a contextual header)."""
    return f"{title}\n\n{text}"
