"""Read articles from plain text, Markdown with YAML front matter, HTML pages and JSONL corpora.

Every reader either returns articles or raises :class:`ArticleError` with a sentence a person can act
on; :func:`read_sources` turns those into per-item errors so one bad file never stops a batch. Text that
is not UTF-8 (old exports in cp1252 or latin-1) is decoded with the encoding charset-normalizer detects,
and the article comes with an :class:`ItemWarning` saying so. Sizes are capped, so one huge input is an
error for that input alone.
"""

from __future__ import annotations

import codecs
import datetime as dt
import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import yaml
from htmldate import find_date

from rag.index.datelines import stamped_date
from rag.index.titles import is_address, title_from_address
from rag.types import Article, ItemError, ItemWarning

TEXT_SUFFIXES = {".txt", ".text"}
MARKDOWN_SUFFIXES = {".md", ".markdown"}
HTML_SUFFIXES = {".html", ".htm"}
JSONL_SUFFIXES = {".jsonl"}
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | MARKDOWN_SUFFIXES | HTML_SUFFIXES | JSONL_SUFFIXES

# Some scraped texts start with a "date YYYY-MM-DD" stamp before the first sentence.
_LEADING_DATE = re.compile(r"^\s*date\s+(\d{4}-\d{2}-\d{2})\s+")
_MAX_TITLE = 110
MAX_FILE_BYTES = 10_000_000
"""A single article file larger than this is refused unread (a news article is rarely over 100 kB)."""
MAX_LINE_BYTES = 4_000_000
"""One JSONL row larger than this is refused; the rest of the file is still read."""
MAX_ARTICLE_CHARS = 1_000_000
_LEGACY_ENCODINGS = ["cp1252", "latin_1", "iso8859_15", "cp1250", "cp1251", "koi8_r", "mac_roman", "cp1253",
                     "cp1254", "cp1256", "shift_jis", "euc_jp", "gb18030", "big5", "euc_kr"]
"""What charset-normalizer may choose from: the encodings old news exports come in, not every codec there is."""
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF16_LE, "utf-16"),
         (codecs.BOM_UTF16_BE, "utf-16"))
_SCALAR_FIELDS = ("id", "title", "outlet", "source", "url")


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


def url_date(url: str) -> dt.date | None:
    """The full date (year, month, day) a URL carries, as news sites write it (``/2025/08/15/``, ``-2025-08-15``).

    htmldate's URL rule: a year and month alone (``/2025/08/``) is not a publication date, nor is a date after today.
    Nor is a number that opens the page's slug after them: ``/2025/08/10-sunday-reads-195/`` is the tenth "Sunday
    reads" of a page stamped August 17 (``-2025-08-17-slug`` and ``/2025/08/17/slug`` are dates).
    """
    try:
        found = find_date("<html></html>", url=url, extensive_search=False, outputformat="%Y-%m-%d")
    except (ValueError, TypeError):
        return None
    if not found:
        return None
    day = dt.date.fromisoformat(found)
    if re.search(rf"/{day.year}/0?{day.month}/0?{day.day}-", url):
        return None
    return day


def make_article(article_id: str, body: str, **meta: Any) -> Article:
    """Build an :class:`Article` from a raw body and optional metadata, checking it is not empty."""
    body = normalise_body(body)
    if not body:
        raise ArticleError("the article has no text")
    if len(body) > MAX_ARTICLE_CHARS:
        raise ArticleError(f"the article is {len(body):,} characters long; the limit is {MAX_ARTICLE_CHARS:,}")
    check_scalars(meta)
    title = str(meta.get("title") or "").strip()
    url = str(meta["url"]) if meta.get("url") else None
    if url and is_address(title, url):  # the scraper took the page's address for its headline
        title = title_from_address(url, body) or title
    title = title or title_from_body(body)
    published_at = parse_date(meta.get("published_at"))
    if published_at is None and url:  # scraped feeds often give no date; the page's address, or the timestamp
        published_at = url_date(url) or stamped_date(body)  # it prints at its top, may hold it
    return Article(
        id=article_id,
        title=title,
        outlet=(str(meta["outlet"]).strip() or None) if meta.get("outlet") else None,
        published_at=published_at,
        url=url,
        body=body,
        content_hash=content_hash(body),
    )


def check_scalars(meta: dict[str, Any]) -> None:
    """Metadata that must be one value (id, title, outlet, url) given as a list or mapping is an error."""
    for field in _SCALAR_FIELDS:
        value = meta.get(field)
        if isinstance(value, list | dict | bool):
            kind = "a list" if isinstance(value, list) else "a mapping" if isinstance(value, dict) else "true/false"
            raise ArticleError(f"'{field}' must be text, not {kind}")


def decode_text(raw: bytes) -> tuple[str, str | None]:
    """The text of ``raw`` and a warning when it was not UTF-8; :class:`ArticleError` when it is not text."""
    if not raw.strip():
        raise ArticleError("the file is empty")
    for bom, encoding in _BOMS:
        if raw.startswith(bom):
            try:
                return raw.decode(encoding), None
            except UnicodeDecodeError as exc:
                raise ArticleError(f"the file starts like {encoding} but is not (bad byte at offset {exc.start})") from exc
    if b"\x00" in raw[:8192]:
        raise ArticleError("this is a binary file, not text")
    try:
        return raw.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        return _decode_legacy(raw, exc.start)


def _decode_legacy(raw: bytes, bad_offset: int) -> tuple[str, str]:
    from charset_normalizer import from_bytes

    matches = from_bytes(raw, cp_isolation=_LEGACY_ENCODINGS)
    match = matches.best()
    if match is None:
        raise ArticleError(f"the file is neither UTF-8 (bad byte at offset {bad_offset}) nor text in a legacy "
                           "encoding; is it binary?")
    # Where cp1252 reads the bytes as well as the best guess, it wins: old Western exports are cp1252 or
    # latin-1, and a tie with cp1250 would turn "Genève" into "Genčve".
    western = next((m for m in matches if m.encoding == "cp1252" and m.chaos <= match.chaos
                    and m.coherence >= match.coherence), None)
    match = western or match
    text, encoding = str(match), match.encoding
    try:  # encodings that decode these bytes to the same text: name the one such exports usually are
        if raw.decode("cp1252") == text:
            encoding = "cp1252"
    except UnicodeDecodeError:
        pass
    return text, f"not UTF-8: decoded as {encoding} (detected by charset-normalizer); check its accented letters"


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
        check_scalars(meta)
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


def read_jsonl(path: Path) -> Iterator[Article | ItemError | ItemWarning]:
    """A corpus in the MultiHop-RAG schema: ``id,title,source,published_at,url,body`` per line.

    Read line by line (a corpus may be large); a bad, huge or non-UTF-8 line costs that line only.
    """
    with path.open("rb") as handle:
        for number, raw in enumerate(_capped_lines(handle), start=1):
            source = f"{path}:{number}"
            if raw is None:
                yield ItemError(source=source, reason=f"the line is over {MAX_LINE_BYTES:,} bytes")
                continue
            if not raw.strip():
                continue
            try:
                line, warning = decode_text(raw)
                row = json.loads(line)
                yield article_from_row(row, default_id=f"{path.stem}-{number}")
            except json.JSONDecodeError as exc:
                yield ItemError(source=source, reason=f"bad JSON: {exc.msg} at column {exc.colno}")
                continue
            except ArticleError as exc:
                yield ItemError(source=source, reason=str(exc))
                continue
            if warning:
                yield ItemWarning(source=source, warning=warning)


def _capped_lines(handle: Any) -> Iterator[bytes | None]:
    """Lines of a binary file; ``None`` for a line over :data:`MAX_LINE_BYTES` (skipped without keeping it)."""
    while True:
        line: bytes = handle.readline(MAX_LINE_BYTES + 1)
        if not line:
            return
        if len(line) > MAX_LINE_BYTES and not line.endswith(b"\n"):
            while line and not line.endswith(b"\n"):
                line = handle.readline(1 << 20)
            yield None
        else:
            yield line


def article_from_row(row: object, default_id: str) -> Article:
    """One JSON object of a corpus file as an article."""
    if not isinstance(row, dict):
        raise ArticleError("each line must be a JSON object")
    body = row.get("body")
    if not isinstance(body, str):
        raise ArticleError("the 'body' field is missing or not a string")
    for field in ("title", "source", "outlet", "url", "published_at"):
        value = row.get(field)
        if value is not None and not isinstance(value, str | dt.date):
            raise ArticleError(f"the '{field}' field must be a string, not {type(value).__name__}")
    if row.get("id") is not None and (isinstance(row["id"], bool) or not isinstance(row["id"], str | int)):
        raise ArticleError(f"the 'id' field must be a string or a number, not {type(row['id']).__name__}")
    return make_article(
        str(row.get("id") or default_id),
        body,
        title=row.get("title"),
        outlet=row.get("source") or row.get("outlet"),
        published_at=row.get("published_at"),
        url=row.get("url"),
    )


def read_file(path: Path) -> Iterator[Article | ItemError | ItemWarning]:
    """Articles in one file, per-item errors, and warnings; never raises for bad content."""
    suffix = path.suffix.lower()
    try:
        if suffix not in SUPPORTED_SUFFIXES:
            raise ArticleError(f"unsupported file type '{suffix or path.name}'")
        if suffix in JSONL_SUFFIXES:
            yield from read_jsonl(path)
            return
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ArticleError(f"the file is {size:,} bytes; the limit for one article is {MAX_FILE_BYTES:,}")
        text, warning = decode_text(path.read_bytes())
        if suffix in MARKDOWN_SUFFIXES:
            yield read_markdown(path, text)
        elif suffix in HTML_SUFFIXES:
            yield read_html(path, text)
        else:
            yield read_text(path, text)
        if warning:
            yield ItemWarning(source=str(path), warning=warning)
    except (ArticleError, OSError) as exc:
        yield ItemError(source=str(path), reason=str(exc))
    except Exception as exc:  # a reader library failing on odd input loses this file only
        yield ItemError(source=str(path), reason=f"could not read this file ({type(exc).__name__}: {exc})")


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


def count_items(paths: Iterable[Path]) -> int:
    """How many items :func:`read_sources` will yield, warnings aside: a progress bar's total, read cheaply.

    A JSONL file counts its non-blank lines; any other file, or a missing path, counts one.
    """
    total = 0
    for path in iter_files(paths):
        if path.suffix.lower() not in JSONL_SUFFIXES or not path.is_file():
            total += 1
            continue
        with path.open("rb") as handle:
            total += sum(1 for line in handle if line.strip())
    return total


def read_sources(paths: Iterable[Path]) -> Iterator[Article | ItemError | ItemWarning]:
    """Everything under ``paths`` as articles or per-item errors (missing paths are errors too)."""
    for path in iter_files(paths):
        if not path.exists():
            yield ItemError(source=str(path), reason="no such file or folder")
            continue
        yield from read_file(path)
