"""The verifier benchmark ``claims.jsonl``: schema, quotes exact in their sources, classes, counts and halves."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import get_args

import pytest

from evals.datasets import ArticleSource, ClaimClass, DatasetError, RgbSource, load_claims
from tests.conftest import ROOT
from tests.evals.datasets import (
    assert_claim_fields_and_ids,
    assert_claim_halves_load,
    assert_claims_add_words,
    assert_expected_and_unique,
    assert_seed_quotes,
    rgb_rows,
)

CLAIMS = ROOT / "evals" / "datasets" / "claims.jsonl"
ITEMS = load_claims(CLAIMS)


def test_every_line_has_the_documented_fields_in_order() -> None:
    assert_claim_fields_and_ids(CLAIMS, "c")


def test_seed_quotes_are_one_whole_sentence_at_their_offsets() -> None:
    seed = [i for i in ITEMS if isinstance(i.source, ArticleSource)]
    assert seed
    assert_seed_quotes(seed)


def test_rgb_quotes_are_passages_of_their_item() -> None:
    items = rgb_rows()
    rgb = [i for i in ITEMS if isinstance(i.source, RgbSource)]
    assert len(rgb) >= 25
    for item in rgb:
        assert isinstance(item.source, RgbSource)
        row = items[item.source.rgb_id]
        passages = {" ".join(str(p).split()) for kind in ("positive", "negative") for p in row.get(kind) or []}
        assert item.quote in passages, item.id
    assert len({i.claim_class for i in rgb}) >= 8, "RGB items spread over the classes"


def test_classes_counts_and_expected_verdicts() -> None:
    counts = Counter(i.claim_class for i in ITEMS)
    assert len(ITEMS) >= 160
    assert set(counts) == set(get_args(ClaimClass))
    assert all(n >= 12 for n in counts.values()), counts
    assert all(i.claim.strip() != i.quote.strip() for i in ITEMS if i.claim_class != "supported")
    assert_expected_and_unique(ITEMS)


def test_the_halves_are_balanced_by_class_and_by_source() -> None:
    halves = Counter(i.split for i in ITEMS)
    assert halves["tune"] == halves["test"]
    for cls in get_args(ClaimClass):
        per = Counter(i.split for i in ITEMS if i.claim_class == cls)
        assert abs(per["tune"] - per["test"]) <= 1, cls
    rgb = Counter(i.split for i in ITEMS if isinstance(i.source, RgbSource))
    assert abs(rgb["tune"] - rgb["test"]) <= 2
    assert_claim_halves_load(CLAIMS, ITEMS)


@pytest.mark.parametrize(("cls", "claim", "quote_words"), [
    ("role_swap", r"^Pakistan accused the Taliban of drone strikes in Kabul", "Taliban accuses Pakistan"),
    ("negation", r"Foreign Office said the country does not respect Afghanistan's sovereignty", "respects"),
    ("changed_predicate", r"Guterres rejected direct dialogue", "urged"),
    ("changed_predicate", r"donated blood", "appealed for blood"),
])
def test_the_issue_examples_are_in_the_benchmark(cls: str, claim: str, quote_words: str) -> None:
    assert any(i.claim_class == cls and re.search(claim, i.claim, re.I) and quote_words in i.quote for i in ITEMS)


def test_stitched_and_irrelevant_claims_say_something_the_quote_does_not() -> None:
    assert_claims_add_words(ITEMS, ["stitched", "irrelevant"])


def test_bad_items_are_refused_with_their_line(tmp_path: Path) -> None:
    good = json.loads(CLAIMS.read_text(encoding="utf-8").splitlines()[0])
    path = tmp_path / "c.jsonl"
    for bad, message in [({"expected": "contradicted"}, "expects"), ({"class": "sarcasm"}, "class"),
                         ({"source": {"rgb_id": 0, "passage": 0, "start": 1}}, "source"), ({"split": "dev"}, "split")]:
        path.write_text(json.dumps(good) + "\n" + json.dumps(good | {"id": "c2"} | bad) + "\n")
        with pytest.raises(DatasetError, match=rf"c\.jsonl:2: .*{message}"):
            load_claims(path)
    path.write_text(json.dumps(good) + "\n")
    with pytest.raises(DatasetError, match="no items in split"):
        load_claims(path, "test" if good["split"] == "tune" else "tune")
