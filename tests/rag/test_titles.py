"""A title a scraper took from the page's address is replaced by a readable one; a real headline is kept."""

from __future__ import annotations

import pytest

from rag.index.corpus import make_article
from rag.index.ingest import ingest_items
from rag.index.store import Store
from rag.index.titles import is_address, slug_words, title_from_address
from rag.settings import Settings
from rag.testing.embed import HashingEmbedder

BODY = ("The Halvik council reopened the river crossing on Monday. The Marisk Trade Board said trucks would "
        "resume within a week, and the council thanked the Trade Board.")


@pytest.mark.parametrize(("title", "url"), [
    ("article77812304.ece", "https://paper.example/news/river-crossing-reopens/article77812304.ece"),
    ("posts", "https://forum.example/focus/f-news/4334769/posts"),
    ("?post type=article&p=566707", "https://weekly.example/?post_type=article&p=566707"),
    ("river crossing reopens in halvik 10190345", "https://paper.example/river-crossing-reopens-in-halvik-10190345/"),
    ("river crossing reopens in hal", "https://paper.example/river-crossing-reopens-in-halvik-10190345/"),
])
def test_a_title_made_of_the_address_words_is_the_address(title: str, url: str) -> None:
    assert is_address(title, url)


@pytest.mark.parametrize(("title", "url"), [
    ("River Crossing Reopens in Halvik", "https://paper.example/river-crossing-reopens-in-halvik/"),
    ("council reopens the crossing", "https://paper.example/river-crossing-reopens-in-halvik/"),
    ("posts", None),
    ("", "https://paper.example/posts"),
])
def test_a_headline_is_not_the_address(title: str, url: str | None) -> None:
    assert not is_address(title, url)


def test_the_readable_segment_loses_its_ids_and_extension() -> None:
    assert slug_words("https://p.example/2025/08/17/2025-08-17-river-crossing-reopens.html") == [
        "river", "crossing", "reopens"]
    assert slug_words("https://p.example/news/river-crossing-reopens-in-halvik/article77812304.ece") == [
        "river", "crossing", "reopens", "in", "halvik"]
    assert slug_words("https://p.example/sport/articles/c07pvyl5n1go") is None
    assert slug_words("https://forum.example/focus/f-news/4334769/posts") is None


def test_the_slug_is_written_as_the_article_writes_its_words() -> None:
    url = "https://paper.example/news/halvik-council-and-marisk-trade-board-agree/article77812304.ece"
    assert title_from_address(url, BODY) == "Halvik council and Marisk Trade Board agree"


def test_an_article_gets_a_readable_title_instead_of_its_address() -> None:
    slugged = make_article("a", BODY, title="article77812304.ece",
                           url="https://paper.example/news/halvik-council-reopens-crossing/article77812304.ece")
    assert slugged.title == "Halvik council reopens crossing"
    no_slug = make_article("b", BODY, title="posts", url="https://forum.example/focus/f-news/4334769/posts")
    assert no_slug.title == "posts"  # no readable segment: the feed's title stays
    headline = make_article("c", BODY, title="Crossing reopens",
                            url="https://paper.example/news/crossing-reopens/article1.ece")
    assert headline.title == "Crossing reopens"


def test_ingesting_the_same_page_again_changes_nothing(
    store: Store, settings: Settings, fake_embedder: HashingEmbedder
) -> None:
    page = make_article("a", BODY, title="article77812304.ece",
                        url="https://paper.example/news/halvik-council-reopens-crossing/article77812304.ece")
    first = ingest_items([page], store, fake_embedder, settings)
    again = ingest_items([make_article("a", BODY, title="article77812304.ece", url=page.url)], store,
                         fake_embedder, settings)
    assert first.added == ["a"] and again.unchanged == ["a"]
    assert store.get_articles(["a"])["a"].title == "Halvik council reopens crossing"
