"""Cross-page boilerplate: what a site repeats on many pages is masked at ingest; an article's own text never is."""

from __future__ import annotations

import pytest

from rag.index.boilerplate import (
    SiteCounts,
    cleaned_title,
    decode_fingerprint,
    encode_fingerprint,
    fingerprint,
    keyed_segments,
    mask,
    repeated_spans,
    segment_key,
    segments,
    site_key,
)
from rag.index.chunking import split_sentences
from rag.index.corpus import make_article
from rag.index.ingest import ingest_items
from rag.index.store import Store
from rag.settings import Settings
from rag.testing.embed import HashingEmbedder
from rag.types import Article, Span

FOOTER = "Choose your reason below and click on the Report button."
MENU = "Home | World | Sport"
STORIES = [
    "Troops crossed the river near Kandor at dawn. Officials said 12 people were hurt.",
    "The envoy met both delegations in Doha on Monday. Talks are due to resume next week.",
    "Aid convoys reached Marisk after a two-week siege. The road remains closed to trucks.",
    "Shelling hit the market in Halvik overnight. Residents described explosions for hours.",
]


def page(number: int, site: str = "Daily Planet", extra: str = "") -> Article:
    """A scraped page as JSONL gives it: menu, the story, a footer, joined by runs of spaces (no line breaks)."""
    body = f"{MENU}   {STORIES[number]}{extra}   {FOOTER}"
    return make_article(f"p{number}-{site[:3]}", body, title=f"Story {number}", outlet=site)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("One sentence. Two sentence.", ["One sentence.", "Two sentence."]),
        ("Menu | Home   Story starts here. It goes on.", ["Menu | Home", "Story starts here.", "It goes on."]),
        ("Left\tRight\u2028Down", ["Left", "Right", "Down"]),
        ("Headline\nBody text here.", ["Headline", "Body text here."]),
        ("price +\u00a0487.20 today", ["price +\u00a0487.20 today"]),  # one no-break space is a space
    ],
)
def test_segments_are_sentences_cut_again_at_block_joins(body: str, expected: list[str]) -> None:
    found = segments(body)
    assert [s.text for s in found] == expected
    assert all(body[s.start : s.end] == s.text for s in found)


@pytest.mark.parametrize(
    ("outlet", "url", "expected"),
    [
        ("  The  Hindu ", "https://www.thehindu.com/x", "the hindu"),
        (None, "https://www.BBC.com/news/1", "bbc.com"),
        (None, "https://economictimes.indiatimes.com/a", "economictimes.indiatimes.com"),
        (None, None, None),
        ("", "not a url", None),
    ],
)
def test_a_page_belongs_to_its_outlet_else_its_host(outlet: str | None, url: str | None, expected: str | None) -> None:
    assert site_key(outlet, url) == expected


def test_segment_keys_ignore_case_and_spacing_and_skip_wordless_segments() -> None:
    assert segment_key("Sign  in\u00a0HERE") == segment_key("sign in here")
    assert segment_key("| • |") is None
    keys = fingerprint(f"{MENU}   {FOOTER}   {FOOTER}")
    assert len(keys) == 2 and decode_fingerprint(encode_fingerprint(keys)) == keys


def test_a_segment_needs_three_pages_and_a_share_of_the_site() -> None:
    key = segment_key(FOOTER)
    assert key is not None
    counts = SiteCounts()
    for _ in range(2):
        counts.add("site", [key])
    assert not counts.is_boilerplate("site", key)  # two pages: could be two stories quoting one statement
    counts.add("site", [key])
    assert counts.is_boilerplate("site", key)
    for _ in range(200):
        counts.add("site", [])
    assert not counts.is_boilerplate("site", key)  # 3 of 203 pages: under the share
    assert not counts.is_boilerplate("other", key)


def test_mask_keeps_the_length_and_breaks_the_line() -> None:
    body = "Kept one. Drop me please. Kept two."
    spans = [Span(text="Drop me please.", start=10, end=25)]
    masked = mask(body, spans)
    assert len(masked) == len(body) and masked[10] == "\n" and masked[11:25].strip() == ""
    assert [s.text for s in split_sentences(masked)] == ["Kept one.", "Kept two."]
    assert masked[26:] == "Kept two."


def test_repeated_spans_need_a_site() -> None:
    counts = SiteCounts()
    for number in range(3):
        counts.add("daily planet", fingerprint(page(number).body))
    keyed = keyed_segments(page(0).body)
    assert [s.text for s in repeated_spans(keyed, "daily planet", counts)] == [MENU, FOOTER]
    assert repeated_spans(keyed, None, counts) == []


def test_lines_repeated_on_three_pages_of_a_site_stay_out_of_chunks_sentences_and_records(
    store: Store, settings: Settings, fake_embedder: HashingEmbedder
) -> None:
    pages = [page(n) for n in range(3)]
    report = ingest_items(pages, store, fake_embedder, settings)
    assert sorted(report.added) == sorted(p.id for p in pages)
    assert {i: (d.lines, d.chars) for i, d in report.boilerplate.items()} == {
        p.id: (2, len(MENU) + len(FOOTER)) for p in pages}
    for original in pages:
        stored = store.get_article(original.id)
        assert stored is not None and len(stored.body) == len(original.body)
        assert stored.content_hash == original.content_hash  # unchanged input stays "unchanged" on re-ingest
        chunks = store.chunks.get(where={"article_id": original.id}, include=["documents", "metadatas"])
        for text, meta in zip(chunks["documents"], chunks["metadatas"], strict=True):
            assert text == stored.body[meta["start"] : meta["end"]] == original.body[meta["start"] : meta["end"]]
            assert FOOTER not in text and "World" not in text
        sentences = split_sentences(stored.body)  # what the evidence step cuts from the stored (masked) text
        assert FOOTER not in [s.text for s in sentences] and MENU not in [s.text for s in sentences]
        assert all(stored.body[s.start : s.end] == s.text == original.body[s.start : s.end] for s in sentences)
        assert STORIES[pages.index(original)].split(". ")[1] in " ".join(s.text for s in sentences)
    again = ingest_items([page(n) for n in range(3)], store, fake_embedder, settings)
    assert len(again.unchanged) == 3 and again.boilerplate == {}


def test_a_single_page_loses_nothing(store: Store, settings: Settings, fake_embedder: HashingEmbedder) -> None:
    report = ingest_items([page(0)], store, fake_embedder, settings)
    stored = store.get_article(page(0).id)
    assert report.boilerplate == {} and stored is not None and stored.body == page(0).body


def test_a_line_on_two_pages_or_on_pages_of_different_sites_is_kept(
    store: Store, settings: Settings, fake_embedder: HashingEmbedder
) -> None:
    pages = [page(0, "Daily Planet"), page(1, "Daily Planet"), page(2, "Evening Star"), page(3, "Morning Post")]
    report = ingest_items(pages, store, fake_embedder, settings)
    assert len(report.added) == 4 and report.boilerplate == {}
    assert all(store.get_article(p.id).body == p.body for p in pages)  # type: ignore[union-attr]


def test_a_line_repeated_within_one_page_only_is_kept(
    store: Store, settings: Settings, fake_embedder: HashingEmbedder
) -> None:
    pages = [page(0, extra=f"   {FOOTER}   {FOOTER}"), page(1, "Evening Star"), page(2, "Morning Post")]
    report = ingest_items(pages, store, fake_embedder, settings)
    assert report.boilerplate == {}


def test_copies_of_one_page_count_once(fake_embedder: HashingEmbedder, settings: Settings) -> None:
    """Three copies of a story on one site (reprint detection off, as for RGB) are one page: nothing is masked."""
    settings = settings.model_copy(update={"detect_reprints": False})
    store = Store(settings)
    copies = [make_article(f"copy{n}", page(0).body, title="Story", outlet="Daily Planet") for n in range(3)]
    report = ingest_items(copies, store, fake_embedder, settings)
    assert len(report.added) == 3 and report.boilerplate == {}


def test_pages_already_stored_count_for_their_site(
    store: Store, settings: Settings, fake_embedder: HashingEmbedder
) -> None:
    first = ingest_items([page(0), page(1)], store, fake_embedder, settings)
    assert first.boilerplate == {}
    later = ingest_items([page(2)], store, fake_embedder, settings)  # a third page of the site, ingested alone
    assert {i: d.lines for i, d in later.boilerplate.items()} == {page(2).id: 2}
    edited = make_article(page(1).id, page(1).body.replace("next week", "on Friday"), title="Story 1",
                          outlet="Daily Planet")
    report = ingest_items([edited], store, fake_embedder, settings)  # its own old version is not another page
    assert report.updated == [edited.id] and report.boilerplate[edited.id].lines == 2


def test_a_page_of_nothing_but_its_sites_repeats_is_refused_with_the_reason(
    store: Store, settings: Settings, fake_embedder: HashingEmbedder
) -> None:
    empty = make_article("listing", f"{MENU}   {FOOTER}", title="Listing", outlet="Daily Planet")
    report = ingest_items([page(0), page(1), empty], store, fake_embedder, settings)
    assert [(e.source, e.reason) for e in report.failed] == [
        ("listing", "every line of it repeats on other pages of daily planet: no text of its own to index")]
    assert sorted(report.added) == sorted([page(0).id, page(1).id])
    assert store.get_article("listing") is None


def test_a_title_that_only_repeats_the_pages_opening_is_cleaned_with_it(
    store: Store, settings: Settings, fake_embedder: HashingEmbedder
) -> None:
    """A scraper with no headline titles the page with its first words; the site's menu must not stay in it."""
    pages = [make_article(f"t{n}", page(n).body, title=" ".join(page(n).body.split()[:8]), outlet="Daily Planet")
             for n in range(3)]
    assert pages[0].title.startswith(MENU)
    ingest_items(pages, store, fake_embedder, settings)
    for n, original in enumerate(pages):
        stored = store.get_article(original.id)
        assert stored is not None and stored.title == " ".join(STORIES[n].split()[:8])
    again = ingest_items(pages, store, fake_embedder, settings)
    assert len(again.unchanged) == 3  # the cleaned title is not taken for a changed one


def test_a_real_headline_or_an_untouched_opening_keeps_its_title() -> None:
    body = f"{MENU}   {STORIES[0]}"
    masked = mask(body, [Span(text=MENU, start=0, end=len(MENU))])
    assert cleaned_title("Troops cross the river", body, masked) == "Troops cross the river"  # not the opening
    assert cleaned_title(MENU, body, body) == MENU  # nothing of it was masked
    assert cleaned_title(f"{MENU} Troops", body, masked) == "Troops crossed the river near Kandor"  # 6 words
