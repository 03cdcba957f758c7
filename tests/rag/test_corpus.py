from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from rag.index.corpus import read_file, read_sources
from rag.types import Article, ItemError
from tests.conftest import SEED_DIR

SEEDS_AS_GIVEN = Path(__file__).resolve().parents[3] / "shared" / "seeds"


def only_article(path: Path) -> Article:
    items = list(read_file(path))
    assert len(items) == 1 and isinstance(items[0], Article), items
    return items[0]


def only_error(path: Path) -> ItemError:
    items = list(read_file(path))
    assert len(items) == 1 and isinstance(items[0], ItemError), items
    return items[0]


def test_plain_text_lifts_a_leading_date_stamp_into_published_at(tmp_path: Path) -> None:
    path = tmp_path / "abc.txt"
    path.write_text(" date 2026-03-03 There were clashes. More text.")
    article = only_article(path)
    assert (article.id, article.published_at) == ("abc", dt.date(2026, 3, 3))
    assert article.body == "There were clashes. More text."
    assert article.title == "There were clashes"


def test_sample_corpus_keeps_the_seed_wording_and_metadata() -> None:
    articles = {a.id: a for a in read_sources([SEED_DIR]) if isinstance(a, Article)}
    assert sorted(articles) == ["000_6a5e87b74b7ecf65", "003_4d3fdf98ee31191a", "004_fce48783007ea49c"]
    assert articles["004_fce48783007ea49c"].outlet == "The World"
    assert articles["004_fce48783007ea49c"].published_at == dt.date(2026, 3, 3)
    if SEEDS_AS_GIVEN.is_dir():
        for article in articles.values():
            original = only_article(SEEDS_AS_GIVEN / f"{article.id}.txt")
            assert original.body == article.body


def test_markdown_front_matter_gives_metadata(tmp_path: Path) -> None:
    path = tmp_path / "m.md"
    path.write_text("---\ntitle: T\nsource: Dawn\ndate: 2026-02-01\nurl: https://x.test/a\n---\nBody here.\n")
    article = only_article(path)
    assert (article.title, article.outlet, article.published_at, article.url) == (
        "T",
        "Dawn",
        dt.date(2026, 2, 1),
        "https://x.test/a",
    )


def test_html_page_yields_the_article_text_not_the_navigation(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    paragraph = "Pakistani airstrikes hit targets near Kabul on Friday, officials said. " * 4
    path.write_text(
        "<html><head><title>Strikes near Kabul</title>"
        '<meta property="og:site_name" content="Example News"></head><body>'
        "<nav><a href='/'>Home</a> <a href='/world'>World</a></nav>"
        f"<article><h1>Strikes near Kabul</h1><p>{paragraph}</p><p>{paragraph}</p></article>"
        "<footer>Copyright Example</footer></body></html>"
    )
    article = only_article(path)
    assert "airstrikes hit targets near Kabul" in article.body
    assert "Copyright" not in article.body and "Home" not in article.body
    assert article.title == "Strikes near Kabul"
    assert article.outlet == "Example News"


def test_jsonl_corpus_reads_good_rows_and_reports_bad_lines(tmp_path: Path) -> None:
    path = tmp_path / "corpus.jsonl"
    good = {
        "id": "x1",
        "title": "T",
        "source": "Reuters",
        "published_at": "2026-01-02T10:00:00+00:00",
        "url": "u",
        "body": "Body.",
    }
    path.write_text(json.dumps(good) + "\n{not json\n" + json.dumps({"id": "x2"}) + "\n")
    items = list(read_file(path))
    assert isinstance(items[0], Article) and items[0].outlet == "Reuters"
    assert items[0].published_at == dt.date(2026, 1, 2)
    assert (
        isinstance(items[1], ItemError) and items[1].source.endswith(":2") and "bad JSON" in items[1].reason
    )
    assert isinstance(items[2], ItemError) and "body" in items[2].reason


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.txt", b"", "empty"),
        ("blank.txt", b"  \n\n ", "empty"),
        ("image.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00IHDR", "binary"),
        ("open.md", b"---\ntitle: never closed\nBody", "never closed"),
        ("bad.md", b"---\ntitle: [unclosed\n---\nBody", "not valid YAML"),
        ("list.md", b"---\n- a\n- b\n---\nBody", "mapping"),
        ("baddate.md", b"---\npublished_at: yesterday\n---\nBody", "ISO date"),
        ("data.pdf", b"%PDF-1.4", "unsupported"),
    ],
)
def test_malformed_input_gets_a_clear_error(tmp_path: Path, name: str, content: bytes, reason: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    assert reason in only_error(path).reason


def test_a_row_without_a_date_takes_the_full_date_its_url_carries(tmp_path: Path) -> None:
    rows = [
        {"id": "a", "body": "Flooding closed the bridge.", "url": "https://news.example/world/2025/08/15/floods/"},
        {"id": "b", "body": "Flooding closed the bridge.", "url": "https://news.example/world/bridge-2025-08-14/"},
        {"id": "c", "body": "Flooding closed the bridge.", "url": "https://news.example/2025/08/floods-close-bridge"},
        {"id": "d", "body": "Flooding closed the bridge.", "url": "https://news.example/2025/08/15/x",
         "published_at": "2025-08-16"},
        {"id": "e", "body": "Flooding closed the bridge.", "url": "https://news.example/2099/01/02/from-the-future"},
        {"id": "f", "body": "Flooding closed the bridge.", "url": "https://news.example/2025/08/10-sunday-reads-195/"},
        {"id": "g", "body": "Flooding closed the bridge.", "url": "https://news.example/2025-08-17-bridge-closed.html"},
    ]
    path = tmp_path / "feed.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    dates = {a.id: a.published_at for a in read_file(path) if isinstance(a, Article)}
    # A year and month alone is not a day; a date the row states wins; a date after today is no publication date;
    # a number opening the slug after the month is the headline's ("10 Sunday reads"), not the day.
    assert dates == {"a": dt.date(2025, 8, 15), "b": dt.date(2025, 8, 14), "c": None, "d": dt.date(2025, 8, 16),
                     "e": None, "f": None, "g": dt.date(2025, 8, 17)}
