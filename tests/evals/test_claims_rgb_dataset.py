"""The out-of-domain verifier benchmark ``claims_rgb.jsonl``: references only, classes, counts and halves."""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict

from evals.datasets import CLAIM_EXPECTED, RgbSource, find_rgb_dev, load_claims
from tests.conftest import ROOT

CLAIMS_RGB = ROOT / "evals" / "datasets" / "claims_rgb.jsonl"
IN_DOMAIN = ROOT / "evals" / "datasets" / "claims.jsonl"
ITEMS = load_claims(CLAIMS_RGB)
KEYS = ["id", "claim", "quote", "source", "class", "expected", "split", "note"]
MINIMUMS = {"role_swap": 10, "negation": 8, "number": 8, "date": 6, "entity_swap": 6, "changed_predicate": 3,
            "irrelevant": 3}
TRUE_CLASSES = ("supported", "paraphrase")


def _raw() -> list[dict[str, object]]:
    return [json.loads(line) for line in CLAIMS_RGB.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_rows_have_the_documented_fields_and_numbered_unique_ids() -> None:
    raw = _raw()
    assert all(list(r) == KEYS for r in raw)
    ids = [r["id"] for r in raw]
    assert len(set(ids)) == len(ids)
    assert ids == [f"r{n:03d}" for n in range(1, len(raw) + 1)]


def test_rows_only_reference_positive_passages_and_carry_no_rgb_text() -> None:
    raw = _raw()
    assert all(r["quote"] == "" for r in raw), "the RGB text is filled at load time, never versioned"
    assert all(isinstance(i.source, RgbSource) and i.source.kind == "positive" for i in ITEMS)


def test_filled_quotes_are_the_whole_normalised_passage() -> None:
    rows = {}
    for line in find_rgb_dev().read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            rows[row["id"]] = row
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
    assert all(i.expected == CLAIM_EXPECTED[i.claim_class] for i in ITEMS)
    assert len({(i.claim, i.quote) for i in ITEMS}) == len(ITEMS), "no duplicate pairs"


def test_many_items_and_no_passage_of_the_in_domain_file() -> None:
    assert len({i.source.rgb_id for i in ITEMS if isinstance(i.source, RgbSource)}) >= 30
    used = {(i.source.rgb_id, i.source.kind, i.source.passage) for i in load_claims(IN_DOMAIN)
            if isinstance(i.source, RgbSource)}
    mine = {(i.source.rgb_id, i.source.kind, i.source.passage) for i in ITEMS if isinstance(i.source, RgbSource)}
    assert not used & mine


def test_halves_alternate_within_each_class() -> None:
    per_class: dict[str, list[str]] = defaultdict(list)
    for item in ITEMS:  # load order is id order
        per_class[item.claim_class].append(item.split)
    for cls, splits in per_class.items():
        assert splits == [("tune", "test")[n % 2] for n in range(len(splits))], cls
        assert {"tune", "test"} <= set(splits), cls
    assert {i.id for i in load_claims(CLAIMS_RGB, "test")} == {i.id for i in ITEMS if i.split == "test"}


def test_irrelevant_claims_say_something_the_passage_does_not() -> None:
    def words(text: str) -> set[str]:
        return set(re.findall(r"\w+", text.replace("’", "'").casefold()))

    for item in ITEMS:
        if item.claim_class == "irrelevant":
            assert words(item.claim) - words(item.quote), item.id
