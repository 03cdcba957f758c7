"""The ``rag`` command line with ``--json`` (real embedder, on-disk Chroma in a temp dir)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from rag.cli import app
from tests.conftest import SEED_DIR

runner = CliRunner()


def test_ingest_search_articles_delete_as_json(tmp_path: Path) -> None:
    data = ["--data-dir", str(tmp_path / "data")]
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\x00\x01")
    result = runner.invoke(app, ["ingest", str(SEED_DIR), str(bad), "--json", *data])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["counts"] == {"added": 3, "updated": 0, "unchanged": 0, "duplicates": 0, "failed": 1}
    assert "binary" in report["failed"][0]["reason"]

    result = runner.invoke(app, ["search", "open war defense minister", "--k", "2", "--outlet", "The World", "--json", *data])
    hits = json.loads(result.stdout)
    assert len(hits) == 2
    assert {"article_id", "chunk_id", "title", "outlet", "published_at", "score", "text", "start", "end"} <= set(hits[0])
    assert all(h["outlet"] == "The World" for h in hits)

    result = runner.invoke(app, ["delete", "004_fce48783007ea49c", "--json", *data])
    assert json.loads(result.stdout) == {"deleted": True, "article_id": "004_fce48783007ea49c"}
    listed = json.loads(runner.invoke(app, ["articles", "--json", *data]).stdout)
    assert [a["id"] for a in listed] == ["000_6a5e87b74b7ecf65", "003_4d3fdf98ee31191a"]
    assert runner.invoke(app, ["delete", "nope", *data]).exit_code == 1


def test_a_batch_of_only_bad_files_exits_nonzero(tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    result = runner.invoke(app, ["ingest", str(empty), "--data-dir", str(tmp_path / "d")])
    assert result.exit_code == 1 and "empty" in result.output
