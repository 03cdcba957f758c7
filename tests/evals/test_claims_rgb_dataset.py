"""The out-of-domain verifier benchmark ``claims_rgb.jsonl``: references only, classes, counts and halves."""

from __future__ import annotations

from collections import Counter

from evals.datasets import RgbSource, load_claims
from tests.conftest import ROOT
from tests.evals.datasets import (
    assert_alternating_halves,
    assert_claim_fields_and_ids,
    assert_claim_halves_load,
    assert_claims_add_words,
    assert_expected_and_unique,
    claim_splits_by_class,
    raw_lines,
    rgb_rows,
)

CLAIMS_RGB = ROOT / "evals" / "datasets" / "claims_rgb.jsonl"
IN_DOMAIN = ROOT / "evals" / "datasets" / "claims.jsonl"
ITEMS = load_claims(CLAIMS_RGB)
MINIMUMS = {"role_swap": 10, "negation": 8, "number": 8, "date": 6, "entity_swap": 6, "changed_predicate": 3,
            "irrelevant": 3}
TRUE_CLASSES = ("supported", "paraphrase")


def test_rows_have_the_documented_fields_and_numbered_unique_ids() -> None:
    assert_claim_fields_and_ids(CLAIMS_RGB, "r")


def test_rows_only_reference_positive_passages_and_carry_no_rgb_text() -> None:
    assert all(r["quote"] == "" for r in raw_lines(CLAIMS_RGB)), "the RGB text is filled at load time, never versioned"
    assert all(isinstance(i.source, RgbSource) and i.source.kind == "positive" for i in ITEMS)


def test_filled_quotes_are_the_whole_normalised_passage() -> None:
    rows = rgb_rows()
    for item in ITEMS:
        source = item.source
        assert isinstance(source, RgbSource)
        assert item.quote.strip(), item.id
        assert item.quote == " ".join(str(rows[source.rgb_id]["positive"][source.passage]).split()), item.id
        assert item.claim.strip() != item.quote.strip(), item.id


def test_class_counts_and_expected_verdicts() -> None:
    counts = Counter(i.claim_class for i in ITEMS)
    assert len(ITEMS) >= 80
    assert sum(counts[c] for c in TRUE_CLASSES) >= 36, counts
    assert sum(n for c, n in counts.items() if c not in TRUE_CLASSES) >= 44, counts
    assert all(counts[c] >= n for c, n in MINIMUMS.items()), counts
    assert "stitched" not in counts
    assert_expected_and_unique(ITEMS)


def test_many_items_and_no_passage_of_the_in_domain_file() -> None:
    assert len({i.source.rgb_id for i in ITEMS if isinstance(i.source, RgbSource)}) >= 30
    used = {(i.source.rgb_id, i.source.kind, i.source.passage) for i in load_claims(IN_DOMAIN)
            if isinstance(i.source, RgbSource)}
    mine = {(i.source.rgb_id, i.source.kind, i.source.passage) for i in ITEMS if isinstance(i.source, RgbSource)}
    assert not used & mine


def test_halves_alternate_within_each_class() -> None:
    for cls, splits in claim_splits_by_class(ITEMS).items():
        assert_alternating_halves(splits, cls)
    assert_claim_halves_load(CLAIMS_RGB, ITEMS)


def test_irrelevant_claims_say_something_the_passage_does_not() -> None:
    assert_claims_add_words(ITEMS, ["irrelevant"])
