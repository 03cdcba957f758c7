"""The ``rag`` command line with ``--json`` (real embedder, on-disk Chroma in a temp dir)."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

from typer.testing import CliRunner

from rag.cli import app
from rag.services import Services
from rag.settings import Settings
from tests.conftest import SEED_DIR
from tests.servers import free_port

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


HOSTILE_TITLE = "Markup [/bold] test [link=http://x]click[/link]"
HOSTILE_OUTLET = "Wire [red]:warning: [bold]"
HOSTILE_ARTICLE = f"""---
title: "{HOSTILE_TITLE}"
outlet: "{HOSTILE_OUTLET}"
published_at: 2026-03-05
url: "https://example.org/markup"
---
The ministry said [bold]40 people[/bold] were evacuated from Torkham on Monday.
Officials in Kabul said the crossing stayed closed for a third day.
"""


def test_every_command_that_prints_article_text_prints_rich_markup_as_itself(tmp_path: Path) -> None:
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "markup.md").write_text(HOSTILE_ARTICLE, encoding="utf-8")
    data = ["--data-dir", str(tmp_path / "data")]
    assert runner.invoke(app, ["ingest", str(folder), *data]).exit_code == 0
    # No model: the judge is off and the model endpoint refuses, so `ask` answers with quoted evidence.
    offline = {"RAG_VERIFIER_JUDGE": "off", "RAG_BACKEND": "openai", "RAG_LLM_RETRIES": "0", "RAG_LLM_TIMEOUT_S": "2",
               "RAG_LLM_BASE_URL": f"http://127.0.0.1:{free_port()}/v1"}
    Services(Settings(data_dir=tmp_path / "data")).database.save_briefing(
        "week-10", dt.date(2026, 3, 8), dt.date(2026, 3, 2), dt.date(2026, 3, 8), HOSTILE_TITLE, "{}", "# x", "<p>x</p>")
    wide = {"COLUMNS": "400"}  # tables wrap long cells at the terminal's width
    for command in (["articles"], ["search", "evacuated from Torkham", "--k", "1"], ["briefings"],
                    ["ask", "How many people were evacuated from Torkham?"],
                    ["check", "The ministry said 40 people were evacuated from Torkham."]):
        result = runner.invoke(app, [*command, *data], env=offline | wide)
        assert result.exit_code == 0, (command, result.output, result.exception)
        assert HOSTILE_TITLE in result.output, (command, result.output)
        if command[0] != "briefings":
            assert HOSTILE_OUTLET in result.output, (command, result.output)
        if command[0] in ("search", "ask", "check"):
            assert "said [bold]40 people[/bold] were evacuated" in result.output, (command, result.output)
    narrow = runner.invoke(app, ["search", "evacuated from Torkham", "--k", "1", *data], env={"COLUMNS": "80"})
    unwrapped = " ".join(narrow.output.split())
    assert HOSTILE_TITLE in unwrapped and HOSTILE_OUTLET in unwrapped  # the compact layout too
    assert "said [bold]40 people[/bold] were evacuated" in unwrapped
    result = runner.invoke(app, ["delete", "[bold]nope", *data])
    assert result.exit_code == 1 and "no article with id '[bold]nope'" in result.output


def test_search_in_an_80_column_terminal_prints_one_readable_block_per_hit(tmp_path: Path) -> None:
    data = ["--data-dir", str(tmp_path / "data")]
    assert runner.invoke(app, ["ingest", str(SEED_DIR), *data]).exit_code == 0
    query = ["search", "drone strikes in Kabul", "--k", "3", *data]
    hits = json.loads(runner.invoke(app, [*query, "--json"]).stdout)
    result = runner.invoke(app, query, env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert not any(line != line.rstrip() for line in lines)  # no padding to the edge
    heads = [n for n, line in enumerate(lines) if re.match(r"^ ?\d+\. \d\.\d{4}  ", line)]
    assert len(heads) == len(hits) == 3
    for rank, (hit, start) in enumerate(zip(hits, heads, strict=True), start=1):
        assert lines[start].startswith(f" {rank}. {hit['score']:.4f}  ")
        block = lines[start:heads[rank] if rank < len(heads) else None]
        heading = " ".join(line.strip() for line in block[:block.index(f"    {hit['chunk_id']}")])
        where = ", ".join(part for part in (hit["outlet"], hit["published_at"]) if part)
        assert heading.split("  ", 1)[1] == hit["title"] + (f" — {where}" if where else "")  # whole, in order
        passage = " ".join(line.strip() for line in block[block.index(f"    {hit['chunk_id']}") + 1:] if line)
        assert " ".join(hit["text"].split())[:60] in passage
    wide = runner.invoke(app, query, env={"COLUMNS": "160"})
    assert "┃ score" in wide.output  # a wide terminal keeps the table
