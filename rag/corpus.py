"""Read articles from plain text, Markdown with YAML front matter, HTML pages and JSONL corpora.

Every reader either returns articles or raises :class:`ArticleError` with a sentence a person can act
on; :func:`read_sources` turns those into per-item errors so one bad file never stops a batch.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import yaml

from rag.types import Article, ItemError

TEXT_SUFFIXES = {".txt", ".text"}
MARKDOWN_SUFFIXES = {".md", ".markdown"}
HTML_SUFFIXES = {".html", ".htm"}
JSONL_SUFFIXES = {".jsonl"}
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | MARKDOWN_SUFFIXES | HTML_SUFFIXES | JSONL_SUFFIXES

# Some scraped texts start with a "date YYYY-MM-DD" stamp before the first sentence.
_LEADING_DATE = re.compile(r"^\s*date\s+(\d{4}-\d{2}-\d{2})\s+")
_MAX_TITLE = 110


class ArticleError(ValueError):
    """An input that cannot become an article, with the reason."""


def normalise_body(text: str) -> str:
    """Unicode NFC, Unix newlines, no trailing spaces on lines, no blank runs longer than one line."""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def content_hash(body: str) -> str:
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def title_from_body(body: str) -> str:
    """A title for an untitled text: its first sentence, cut at a word boundary."""
    first = re.split(r"(?<=[.!?])\s", body.strip(), maxsplit=1)[0].strip()
    if len(first) <= _MAX_TITLE:
        return first.rstrip(".")
    return first[:_MAX_TITLE].rsplit(" ", 1)[0] + "…"


def parse_date(value: object) -> dt.date | None:
    """Accept a date, a datetime, or an ISO-8601 string (a time part is ignored)."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip()[:10])
        except ValueError:
            pass
    raise ArticleError(f"published_at {value!r} is not an ISO date (YYYY-MM-DD)")


def make_article(article_id: str, body: str, **meta: Any) -> Article:
    """Build an :class:`Article` from a raw body and optional metadata, checking it is not empty."""
    body = normalise_body(body)
    if not body:
        raise ArticleError("the article has no text")
    title = str(meta.get("title") or "").strip() or title_from_body(body)
    return Article(
        id=article_id,
        title=title,
        outlet=(str(meta["outlet"]).strip() or None) if meta.get("outlet") else None,
        published_at=parse_date(meta.get("published_at")),
        url=str(meta["url"]) if meta.get("url") else None,
        body=body,
        content_hash=content_hash(body),
    )


def decode_text(raw: bytes) -> str:
    """UTF-8 text, or an :class:`ArticleError` naming why the bytes are not an article."""
    if not raw.strip():
        raise ArticleError("the file is empty")
    if b"\x00" in raw[:8192]:
        raise ArticleError("this is a binary file, not text")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ArticleError(f"the file is not UTF-8 text (bad byte at offset {exc.start})") from exc


def read_text(path: Path, text: str) -> Article:
    """Plain text: the whole file is the body; a leading ``date YYYY-MM-DD`` stamp becomes the date."""
    published_at = None
    stamp = _LEADING_DATE.match(text)
    if stamp:
        published_at = stamp.group(1)
        text = text[stamp.end() :]
    return make_article(path.stem, text, published_at=published_at)


def read_markdown(path: Path, text: str) -> Article:
    """Markdown with optional YAML front matter (title, outlet or source, published_at or date, url, id)."""
    meta: dict[str, Any] = {}
    if text.startswith("---"):
        match = re.match(r"^---[ \t]*\n(.*?)\n---[ \t]*(?:\n|$)", text, re.DOTALL)
        if not match:
            raise ArticleError("front matter opens with '---' but is never closed")
        try:
            loaded = yaml.safe_load(match.group(1))
        except yaml.YAMLError as exc:
            raise ArticleError(f"front matter is not valid YAML: {exc}".splitlines()[0]) from exc
        if loaded is not None and not isinstance(loaded, dict):
            raise ArticleError("front matter must be a mapping of keys to values")
        meta = loaded or {}
        text = text[match.end() :]
    article_id = str(meta.get("id") or path.stem)
    return make_article(
        article_id,
        text,
        title=meta.get("title"),
        outlet=meta.get("outlet") or meta.get("source"),
        published_at=meta.get("published_at") or meta.get("date"),
        url=meta.get("url"),
    )


def read_html(path: Path, text: str) -> Article:
    """An HTML news page: trafilatura extracts the article text and its metadata."""
    import trafilatura

    doc = trafilatura.bare_extraction(text, with_metadata=True, include_comments=False)
    if doc is None:
        raise ArticleError("no article text could be extracted from this HTML page")
    data: dict[str, Any] = doc.as_dict() if hasattr(doc, "as_dict") else dict(doc)
    body = data.get("text") or ""
    return make_article(
        path.stem,
        body,
        title=data.get("title"),
        outlet=data.get("sitename"),
        published_at=data.get("date"),
        url=data.get("url"),
    )


def read_jsonl(path: Path, text: str) -> Iterator[Article | ItemError]:
    """A corpus in the MultiHop-RAG schema: ``id,title,source,published_at,url,body`` per line."""
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        source = f"{path}:{number}"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            yield ItemError(source=source, reason=f"bad JSON: {exc.msg} at column {exc.colno}")
            continue
        try:
            yield article_from_row(row, default_id=f"{path.stem}-{number}")
        except ArticleError as exc:
            yield ItemError(source=source, reason=str(exc))


def article_from_row(row: object, default_id: str) -> Article:
    """One JSON object of a corpus file as an article."""
    if not isinstance(row, dict):
        raise ArticleError("each line must be a JSON object")
    body = row.get("body")
    if not isinstance(body, str):
        raise ArticleError("the 'body' field is missing or not a string")
    return make_article(
        str(row.get("id") or default_id),
        body,
        title=row.get("title"),
        outlet=row.get("source") or row.get("outlet"),
        published_at=row.get("published_at"),
        url=row.get("url"),
    )


def read_file(path: Path) -> Iterator[Article | ItemError]:
    """Articles in one file, or per-item errors; never raises for bad content."""
    suffix = path.suffix.lower()
    try:
        if suffix not in SUPPORTED_SUFFIXES:
            raise ArticleError(f"unsupported file type '{suffix or path.name}'")
        text = decode_text(path.read_bytes())
        if suffix in JSONL_SUFFIXES:
            yield from read_jsonl(path, text)
            return
        if suffix in MARKDOWN_SUFFIXES:
            yield read_markdown(path, text)
        elif suffix in HTML_SUFFIXES:
            yield read_html(path, text)
        else:
            yield read_text(path, text)
    except (ArticleError, OSError) as exc:
        yield ItemError(source=str(path), reason=str(exc))


def iter_files(paths: Iterable[Path]) -> Iterator[Path]:
    """Files named directly, and every non-hidden file below named folders, in a stable order."""
    for path in paths:
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.is_file() and not any(
                    part.startswith(".") for part in child.relative_to(path).parts
                ):
                    yield child
        else:
            yield path


def read_sources(paths: Iterable[Path]) -> Iterator[Article | ItemError]:
    """Everything under ``paths`` as articles or per-item errors (missing paths are errors too)."""
    for path in iter_files(paths):
        if not path.exists():
            yield ItemError(source=str(path), reason="no such file or folder")
            continue
        yield from read_file(path)
