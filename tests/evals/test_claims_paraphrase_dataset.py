"""The paraphrase benchmark ``claims_paraphrase.jsonl``: schema, quotes exact in their sources, classes, counts, halves."""

from __future__ import annotations

import json
import re
from collections import Counter

import pytest

from evals.datasets import CLAIM_EXPECTED, ArticleSource, load_claims
from rag.chunking import split_sentences
from rag.corpus import read_sources
from rag.types import Article
from tests.conftest import ROOT, SEED_DIR

CLAIMS = ROOT / "evals" / "datasets" / "claims_paraphrase.jsonl"
ITEMS = load_claims(CLAIMS)
ARTICLES: dict[str, Article] = {a.id: a for a in read_sources([SEED_DIR]) if isinstance(a, Article)}
KEYS = ["id", "claim", "quote", "source", "class", "expected", "split", "note"]
MINIMUMS = {"paraphrase": 60, "negation": 8, "role_swap": 8, "number": 6, "date": 6, "entity_swap": 6,
            "changed_predicate": 4, "irrelevant": 4}


def test_every_line_has_the_documented_fields_in_order() -> None:
    raw = [json.loads(line) for line in CLAIMS.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert all(list(r) == KEYS for r in raw)
    assert [r["id"] for r in raw] == [f"p{n:03d}" for n in range(1, len(raw) + 1)]
    assert len({r["id"] for r in raw}) == len(raw)


def test_quotes_are_one_whole_seed_sentence_at_their_offsets() -> None:
    sentences = {aid: {(s.start, s.end) for s in split_sentences(a.body)} for aid, a in ARTICLES.items()}
    for item in ITEMS:
        source = item.source
        assert isinstance(source, ArticleSource), item.id
        assert ARTICLES[source.article_id].body[source.start : source.end] == item.quote, item.id
        assert (source.start, source.end) in sentences[source.article_id], item.id


def test_classes_counts_and_expected_verdicts() -> None:
    counts = Counter(i.claim_class for i in ITEMS)
    assert set(counts) == set(MINIMUMS), counts
    assert all(counts[cls] >= n for cls, n in MINIMUMS.items()), counts
    assert sum(n for cls, n in counts.items() if cls != "paraphrase") >= 40
    assert all(i.expected == CLAIM_EXPECTED[i.claim_class] for i in ITEMS)
    assert all(i.claim.strip() != i.quote.strip() for i in ITEMS)
    assert len({(i.claim, i.quote) for i in ITEMS}) == len(ITEMS), "no duplicate pairs"


def test_true_claims_cover_all_three_articles() -> None:
    per_article = Counter(i.source.article_id for i in ITEMS if i.claim_class == "paraphrase")
    assert set(per_article) == set(ARTICLES)
    assert all(n >= 10 for n in per_article.values()), per_article


@pytest.mark.parametrize("cls", sorted(MINIMUMS))
def test_each_class_alternates_tune_and_test_in_id_order(cls: str) -> None:
    splits = [i.split for i in sorted(ITEMS, key=lambda i: i.id) if i.claim_class == cls]
    assert splits == ["tune" if n % 2 == 0 else "test" for n in range(len(splits))]
    assert {"tune", "test"} <= set(splits)


def test_each_half_loads_on_its_own() -> None:
    for half in ("tune", "test"):
        assert {i.id for i in load_claims(CLAIMS, half)} == {i.id for i in ITEMS if i.split == half}


def test_irrelevant_claims_say_something_the_quote_does_not() -> None:
    def words(text: str) -> set[str]:
        return set(re.findall(r"\w+", text.replace("’", "'").casefold()))

    for item in ITEMS:
        if item.claim_class == "irrelevant":
            assert words(item.claim) - words(item.quote), item.id


def test_every_note_says_what_was_changed() -> None:
    kinds = ("synonyms", "acronym", "passive", "active", "attribution", "number in words", "nominalisation",
             "shortened", "reordered")
    for item in ITEMS:
        if item.claim_class == "paraphrase":
            assert any(k in item.note for k in kinds), item.id
