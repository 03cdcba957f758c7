"""The paraphrase benchmark ``claims_paraphrase.jsonl``: schema, quotes exact in their sources, classes, counts, halves."""

from __future__ import annotations

from collections import Counter

import pytest

from evals.datasets import load_claims
from tests.conftest import ROOT
from tests.evals.datasets import (
    SEED_ARTICLES,
    assert_alternating_halves,
    assert_claim_fields_and_ids,
    assert_claim_halves_load,
    assert_claims_add_words,
    assert_expected_and_unique,
    assert_seed_quotes,
    claim_splits_by_class,
)

CLAIMS = ROOT / "evals" / "datasets" / "claims_paraphrase.jsonl"
ITEMS = load_claims(CLAIMS)
MINIMUMS = {"paraphrase": 60, "negation": 8, "role_swap": 8, "number": 6, "date": 6, "entity_swap": 6,
            "changed_predicate": 4, "irrelevant": 4}


def test_every_line_has_the_documented_fields_in_order() -> None:
    assert_claim_fields_and_ids(CLAIMS, "p")


def test_quotes_are_one_whole_seed_sentence_at_their_offsets() -> None:
    assert_seed_quotes(ITEMS)


def test_classes_counts_and_expected_verdicts() -> None:
    counts = Counter(i.claim_class for i in ITEMS)
    assert set(counts) == set(MINIMUMS), counts
    assert all(counts[cls] >= n for cls, n in MINIMUMS.items()), counts
    assert sum(n for cls, n in counts.items() if cls != "paraphrase") >= 40
    assert all(i.claim.strip() != i.quote.strip() for i in ITEMS)
    assert_expected_and_unique(ITEMS)


def test_true_claims_cover_all_three_articles() -> None:
    per_article = Counter(i.source.article_id for i in ITEMS if i.claim_class == "paraphrase")
    assert set(per_article) == set(SEED_ARTICLES)
    assert all(n >= 10 for n in per_article.values()), per_article


@pytest.mark.parametrize("cls", sorted(MINIMUMS))
def test_each_class_alternates_tune_and_test_in_id_order(cls: str) -> None:
    assert_alternating_halves(claim_splits_by_class(ITEMS).get(cls, []), cls)


def test_each_half_loads_on_its_own() -> None:
    assert_claim_halves_load(CLAIMS, ITEMS)


def test_irrelevant_claims_say_something_the_quote_does_not() -> None:
    assert_claims_add_words(ITEMS, ["irrelevant"])


def test_every_note_says_what_was_changed() -> None:
    kinds = ("synonyms", "acronym", "passive", "active", "attribution", "number in words", "nominalisation",
             "shortened", "reordered")
    for item in ITEMS:
        if item.claim_class == "paraphrase":
            assert any(k in item.note for k in kinds), item.id
