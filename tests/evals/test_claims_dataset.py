"""The verifier benchmark ``claims.jsonl``: schema, quotes exact in their sources, classes, counts and halves."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import get_args

import pytest

from evals.datasets import (
    CLAIM_EXPECTED,
    ArticleSource,
    ClaimClass,
    DatasetError,
    RgbSource,
    find_rgb_dev,
    load_claims,
)
from rag.chunking import split_sentences
from rag.corpus import read_sources
from rag.types import Article
from tests.conftest import ROOT, SEED_DIR

CLAIMS = ROOT / "evals" / "datasets" / "claims.jsonl"
ITEMS = load_claims(CLAIMS)
ARTICLES: dict[str, Article] = {a.id: a for a in read_sources([SEED_DIR]) if isinstance(a, Article)}
KEYS = ["id", "claim", "quote", "source", "class", "expected", "split", "note"]


def test_every_line_has_the_documented_fields_in_order() -> None:
    raw = [json.loads(line) for line in CLAIMS.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert all(list(r) == KEYS for r in raw)
    assert [r["id"] for r in raw] == [f"c{n:03d}" for n in range(1, len(raw) + 1)]


def test_seed_quotes_are_one_whole_sentence_at_their_offsets() -> None:
    seed = [i for i in ITEMS if isinstance(i.source, ArticleSource)]
    assert seed
    sentences = {aid: {(s.start, s.end) for s in split_sentences(a.body)} for aid, a in ARTICLES.items()}
    for item in seed:
        source = item.source
        assert isinstance(source, ArticleSource)
        assert ARTICLES[source.article_id].body[source.start : source.end] == item.quote, item.id
        assert (source.start, source.end) in sentences[source.article_id], item.id


def test_rgb_quotes_are_passages_of_their_item() -> None:
    items = {}
    for line in find_rgb_dev().read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            items[row["id"]] = row
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
    assert all(i.expected == CLAIM_EXPECTED[i.claim_class] for i in ITEMS)
    assert all(i.claim.strip() != i.quote.strip() for i in ITEMS if i.claim_class != "supported")
    assert len({(i.claim, i.quote) for i in ITEMS}) == len(ITEMS), "no duplicate pairs"


def test_the_halves_are_balanced_by_class_and_by_source() -> None:
    halves = Counter(i.split for i in ITEMS)
    assert halves["tune"] == halves["test"]
    for cls in get_args(ClaimClass):
        per = Counter(i.split for i in ITEMS if i.claim_class == cls)
        assert abs(per["tune"] - per["test"]) <= 1, cls
    rgb = Counter(i.split for i in ITEMS if isinstance(i.source, RgbSource))
    assert abs(rgb["tune"] - rgb["test"]) <= 2
    assert {i.id for i in load_claims(CLAIMS, "test")} == {i.id for i in ITEMS if i.split == "test"}


@pytest.mark.parametrize(("cls", "claim", "quote_words"), [
    ("role_swap", r"^Pakistan accused the Taliban of drone strikes in Kabul", "Taliban accuses Pakistan"),
    ("negation", r"Foreign Office said the country does not respect Afghanistan's sovereignty", "respects"),
    ("changed_predicate", r"Guterres rejected direct dialogue", "urged"),
    ("changed_predicate", r"donated blood", "appealed for blood"),
])
def test_the_issue_examples_are_in_the_benchmark(cls: str, claim: str, quote_words: str) -> None:
    assert any(i.claim_class == cls and re.search(claim, i.claim, re.I) and quote_words in i.quote for i in ITEMS)


def test_stitched_and_irrelevant_claims_say_something_the_quote_does_not() -> None:
    def words(text: str) -> set[str]:
        return set(re.findall(r"\w+", text.replace("’", "'").casefold()))

    for item in ITEMS:
        if item.claim_class in ("stitched", "irrelevant"):
            assert words(item.claim) - words(item.quote), item.id


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
