"""Malformed input over the CLI: each bad item gets a clear error of its own and nothing else is lost.

Old exports in cp1252 or latin-1 are not malformed: they are decoded (charset-normalizer) and ingested
with a warning in the report.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import rag.index.corpus
from rag.cli import app
from rag.index.corpus import read_file
from rag.index.store import Store
from rag.types import Article, ItemWarning
from tests.conftest import SEED_DIR, make_settings

runner = CliRunner()
ENV = {"RAG_EMBEDDING_MODEL": "hashing-fake", "RAG_CHROMA_URL": ""}

GOOD_ROW = {"id": "row-ok", "title": "Talks", "source": "AP", "published_at": "2026-01-05", "body": "Talks resumed in Doha."}
BAD_FILES: dict[str, tuple[bytes, str]] = {
    "empty.txt": (b"", "the file is empty"),
    "blank.md": (b" \n\t\n", "the file is empty"),
    "image.txt": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "binary file"),
    "noise.txt": (bytes(range(128, 256)) * 40, "neither UTF-8"),
    "unclosed.md": (b"---\ntitle: never closed\nBody text.", "never closed"),
    "badyaml.md": (b"---\ntitle: [oops\n---\nBody text.", "not valid YAML"),
    "listmatter.md": (b"---\n- a\n- b\n---\nBody text.", "must be a mapping"),
    "listtitle.md": (b"---\ntitle: [a, b]\n---\nBody text.", "'title' must be text, not a list"),
    "dicturl.md": (b"---\nurl: {a: 1}\n---\nBody text.", "'url' must be text, not a mapping"),
    "baddate.md": (b"---\npublished_at: last week\n---\nBody text.", "not an ISO date"),
    "nobody.md": (b"---\ntitle: Only a title\n---\n\n", "no text"),
    "table.csv": (b"a,b\n1,2\n", "unsupported file type '.csv'"),
    "page.html": (b"<html><body><script>var x = 1;</script></body></html>", "no article text"),
}
BAD_ROWS: list[tuple[object, str]] = [
    ("{not json", "bad JSON"),
    ([1, 2], "must be a JSON object"),
    ({"id": "r3"}, "'body' field is missing or not a string"),
    ({"id": "r4", "body": 42}, "'body' field is missing or not a string"),
    ({"id": "r5", "body": "Text.", "title": ["a"]}, "'title' field must be a string, not list"),
    ({"id": "r6", "body": "Text.", "published_at": 20260105}, "'published_at' field must be a string, not int"),
    ({"id": {"x": 1}, "body": "Text."}, "'id' field must be a string or a number, not dict"),
    ({"id": "r8", "body": "Text.", "published_at": "2026-13-45"}, "not an ISO date"),
    ({"id": "r9", "body": "   "}, "no text"),
]


def jsonl(rows: list[object]) -> str:
    return "\n".join(row if isinstance(row, str) else json.dumps(row) for row in rows) + "\n"


def ingest_json(folder: Path, data: Path) -> dict[str, object]:
    result = runner.invoke(app, ["ingest", str(folder), "--json", "--data-dir", str(data)], env=ENV)
    assert result.exit_code == 0, result.output
    return dict(json.loads(result.stdout))


def test_every_bad_item_gets_its_own_error_and_the_good_ones_are_ingested(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for seed in SEED_DIR.glob("*.md"):
        (folder / seed.name).write_bytes(seed.read_bytes())
    for name, (content, _) in BAD_FILES.items():
        (folder / name).write_bytes(content)
    rows = [GOOD_ROW, *(row for row, _ in BAD_ROWS), {**GOOD_ROW, "id": "row-ok-2", "body": "Talks ended in Cairo."}]
    (folder / "corpus.jsonl").write_text(jsonl(rows))

    report = ingest_json(folder, tmp_path / "data")
    reasons = {Path(e["source"]).name: e["reason"] for e in report["failed"]}  # type: ignore[union-attr]
    expected = {name: reason for name, (_, reason) in BAD_FILES.items()}
    expected |= {f"corpus.jsonl:{n}": reason for n, (_, reason) in enumerate(BAD_ROWS, start=2)}
    assert set(reasons) == set(expected)
    for source, reason in expected.items():
        assert reason in reasons[source], (source, reasons[source])
    seeds = sorted(p.stem for p in SEED_DIR.glob("*.md"))
    assert sorted(report["added"]) == sorted([*seeds, "row-ok", "row-ok-2"])  # type: ignore[arg-type]
    store = Store(make_settings(tmp_path / "data"))
    assert sorted(a.id for a in store.list_articles()) == sorted([*seeds, "row-ok", "row-ok-2"])


LEGACY = {
    "cp1252": "The minister’s “statement” – issued in Genève – was brief; the café stayed open.",
    "latin-1": "Größe der Straße in Köln: the envoy's café talks in Genève ended at noon.",
    "cp1250": "Minister powiedział w poniedziałek, że rozmowy będą kontynuowane w Łodzi i Gdańsku.",
    "cp1251": "Министр обороны заявил в понедельник, что переговоры в Женеве продолжатся.",
}


@pytest.mark.parametrize("encoding", sorted(LEGACY))
def test_a_legacy_encoding_is_ingested_with_a_warning(tmp_path: Path, encoding: str) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    text = LEGACY[encoding]
    (folder / "old-export.txt").write_bytes(text.encode(encoding))
    row_text = " ".join(reversed(text.split()))  # not a reprint of the file
    (folder / "rows.jsonl").write_bytes(json.dumps({"id": "legacy-row", "body": row_text}, ensure_ascii=False).encode(encoding))
    report = ingest_json(folder, tmp_path / "data")
    assert sorted(report["added"]) == ["legacy-row", "old-export"] and report["failed"] == []  # type: ignore[arg-type]
    warnings = {Path(w["source"]).name: w["warning"] for w in report["warnings"]}  # type: ignore[union-attr]
    assert set(warnings) == {"old-export.txt", "rows.jsonl:1"}
    assert all("not UTF-8: decoded as" in w for w in warnings.values())
    stored = Store(make_settings(tmp_path / "data")).get_article("old-export")
    assert stored is not None and stored.body == text  # every accented letter and curly quote as written


def test_the_text_report_prints_warnings_and_errors_one_line_each(tmp_path: Path) -> None:
    (tmp_path / "old.txt").write_bytes("Le café de Genève a rouvert lundi.".encode("latin-1"))
    (tmp_path / "bad.md").write_bytes(b"---\ntitle: [x\n---\nBody.")
    result = runner.invoke(app, ["ingest", str(tmp_path / "old.txt"), str(tmp_path / "bad.md"),
                                 "--data-dir", str(tmp_path / "data")], env=ENV)
    assert result.exit_code == 0, result.output
    assert "added 1" in result.stdout and "failed 1" in result.stdout
    assert "warning" in result.stdout and "decoded as" in result.stdout and "not valid YAML" in result.stdout


def test_huge_inputs_are_refused_without_reading_them_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rag.index.corpus, "MAX_FILE_BYTES", 50_000)
    monkeypatch.setattr(rag.index.corpus, "MAX_LINE_BYTES", 50_000)
    huge = tmp_path / "huge.txt"
    huge.write_text("Word. " * 20_000)
    assert "the limit for one article is 50,000" in _only_error(huge)
    rows = tmp_path / "rows.jsonl"
    rows.write_text(jsonl([{"id": "big", "body": "x " * 40_000}, GOOD_ROW]))
    items = list(read_file(rows))
    assert "over 50,000 bytes" in getattr(items[0], "reason", "")
    assert isinstance(items[1], Article) and items[1].id == "row-ok"  # the next line is still read
    long_body = tmp_path / "long.jsonl"
    long_body.write_text(jsonl([{"id": "long", "body": "y" * 10}]))
    monkeypatch.setattr(rag.index.corpus, "MAX_ARTICLE_CHARS", 5)
    assert "characters long; the limit is 5" in getattr(next(iter(read_file(long_body))), "reason", "")


def _only_error(path: Path) -> str:
    items = list(read_file(path))
    assert len(items) == 1 and not isinstance(items[0], Article | ItemWarning), items
    return str(getattr(items[0], "reason", ""))
