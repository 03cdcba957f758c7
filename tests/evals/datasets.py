"""Checks shared by the dataset tests: the golden files (seed, analyst), the claims files (in-domain, paraphrase, RGB).

Each ``assert_*`` raises AssertionError naming the row that fails; every test file calls the ones that fit
its file and keeps its own counts.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from evals.datasets import (
    CLAIM_EXPECTED,
    ArticleSource,
    ClaimItem,
    GoldenRow,
    find_rgb_dev,
    load_claims,
    load_golden,
)
from rag.index.chunking import split_sentences
from rag.index.corpus import read_sources
from rag.types import Article
from tests.conftest import ROOT, SEED_DIR

NEWS2_FILE = Path("benchmarks") / "news2" / "news2_dev.jsonl"


def news2_corpus_path() -> Path:
    """``$RAG_NEWS2_PATH``, else the shared benchmark folder beside this checkout or the workspace."""
    if os.environ.get("RAG_NEWS2_PATH"):
        return Path(os.environ["RAG_NEWS2_PATH"])
    candidates = [ROOT.parent / "shared" / NEWS2_FILE, Path("/work/shared") / NEWS2_FILE]
    return next((c for c in candidates if c.is_file()), candidates[0])


SEED_ARTICLES: dict[str, Article] = {a.id: a for a in read_sources([SEED_DIR]) if isinstance(a, Article)}
CLAIM_KEYS = ["id", "claim", "quote", "source", "class", "expected", "split", "note"]
"""The documented fields of a claims line, in file order."""

_SENTENCES = {aid: {(s.start, s.end) for s in split_sentences(a.body)} for aid, a in SEED_ARTICLES.items()}
"""Every seed sentence's ``(start, end)`` offsets, per article."""


def raw_lines(path: Path) -> list[dict[str, Any]]:
    """The file's non-blank lines as JSON objects, key order kept."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def rgb_rows() -> dict[int, dict[str, Any]]:
    """The RGB dev items by id, read from ``../shared`` (never from the repository)."""
    return {row["id"]: row for row in raw_lines(find_rgb_dev())}


def words(text: str) -> set[str]:
    """Case-folded words, curly apostrophes made straight."""
    return set(re.findall(r"\w+", text.replace("’", "'").casefold()))


# Golden files


def evidence_text(row: GoldenRow) -> str:
    return " ".join(SEED_ARTICLES[e.article_id].body[e.start : e.end] for e in row.evidence)


def assert_whole_sentence_evidence(rows: Iterable[GoldenRow]) -> None:
    """Every row's evidence, answer and tags fit its answerability.

    Unanswerable rows: no evidence, no answer, the ``unanswerable`` tag. Answerable rows: an answer and whole
    seed sentences from exactly their sources, holding an alternative of every fact group.
    """
    for row in rows:
        if not row.answerable:
            assert row.evidence == [] and row.answer is None, row.id
            assert "unanswerable" in row.tags, row.id
            continue
        assert row.evidence and row.answer, row.id
        assert {e.article_id for e in row.evidence} == set(row.sources), row.id
        for span in row.evidence:
            assert (span.start, span.end) in _SENTENCES[span.article_id], (row.id, span)
        text = evidence_text(row).casefold()
        for group in row.facts:
            assert any(alt.casefold() in text for alt in group), (row.id, group)


def assert_multi_rows_cite_each_article(rows: Iterable[GoldenRow]) -> None:
    """``multi`` exactly when a row has two or more sources, and then evidence in two or more articles."""
    for row in rows:
        assert ("multi" in row.tags) == (len(row.sources) >= 2), row.id
        if "multi" in row.tags:
            assert len({e.article_id for e in row.evidence}) >= 2, row.id


def fixed_split(rows: list[GoldenRow]) -> dict[str, str]:
    """The README's split rule, recomputed.

    Strata: answerable rows by first tag, unanswerable by distractor or not; answerable first, then by name;
    rows in file (id) order; one alternation across all; follow-ups take the parent's half.
    """

    def stratum(row: GoldenRow) -> tuple[int, str]:
        if row.answerable:
            return 0, row.tags[0]
        return 1, "distractor" if "distractor" in row.tags else "unanswerable"

    order = {r.id: i for i, r in enumerate(rows)}
    top = sorted((r for r in rows if not r.followup_of), key=lambda r: (stratum(r), order[r.id]))
    halves = {r.id: ("tune", "test")[i % 2] for i, r in enumerate(top)}
    return {r.id: halves[r.followup_of or r.id] for r in rows}


def assert_golden_split(rows: list[GoldenRow]) -> None:
    """The split follows the fixed rule and is complete and balanced.

    Balanced overall, by answerability and by tag; follow-ups share their parent's half.
    """
    assert {r.id: r.split for r in rows} == fixed_split(rows)
    assert all(r.split in ("tune", "test") for r in rows)
    halves = Counter(r.split for r in rows)
    assert abs(halves["tune"] - halves["test"]) <= 2
    for answerable in (True, False):
        counts = Counter(r.split for r in rows if r.answerable is answerable)
        assert abs(counts["tune"] - counts["test"]) <= 2, answerable
    tags = Counter((t, r.split) for r in rows for t in r.tags if not t.startswith("followup_of:"))
    for tag in {t for t, _ in tags}:
        assert abs(tags[(tag, "tune")] - tags[(tag, "test")]) <= 2, tag
        if tags[(tag, "tune")] + tags[(tag, "test")] >= 4:
            assert tags[(tag, "tune")] and tags[(tag, "test")], tag
    by_id = {r.id: r for r in rows}
    assert all(by_id[r.followup_of].split == r.split for r in rows if r.followup_of)


def assert_golden_halves_load(path: Path, rows: list[GoldenRow]) -> None:
    """``load_golden(path, half)`` gives the two disjoint halves that make up the file."""
    tune, test = load_golden(path, "tune"), load_golden(path, "test")
    assert {r.id for r in tune} | {r.id for r in test} == {r.id for r in rows}
    assert not {r.id for r in tune} & {r.id for r in test}
    assert all(r.split == "tune" for r in tune)
    assert all(r.split == "test" for r in test)


# Claims files


def assert_claim_fields_and_ids(path: Path, prefix: str) -> None:
    """Every line has the documented fields in order; ids are ``{prefix}001``, ``{prefix}002``, … and unique."""
    raw = raw_lines(path)
    assert all(list(r) == CLAIM_KEYS for r in raw)
    ids = [r["id"] for r in raw]
    assert ids == [f"{prefix}{n:03d}" for n in range(1, len(raw) + 1)]
    assert len(set(ids)) == len(ids)


def assert_seed_quotes(items: Iterable[ClaimItem]) -> None:
    """Each item's source is a seed sentence and its quote is that sentence, exactly, at its offsets."""
    for item in items:
        source = item.source
        assert isinstance(source, ArticleSource), item.id
        assert SEED_ARTICLES[source.article_id].body[source.start : source.end] == item.quote, item.id
        assert (source.start, source.end) in _SENTENCES[source.article_id], item.id


def assert_expected_and_unique(items: list[ClaimItem]) -> None:
    """Each item expects its class's verdict; no claim/quote pair is there twice."""
    assert all(i.expected == CLAIM_EXPECTED[i.claim_class] for i in items)
    assert len({(i.claim, i.quote) for i in items}) == len(items), "no duplicate pairs"


def assert_claims_add_words(items: Iterable[ClaimItem], classes: Iterable[str]) -> None:
    """Claims of these classes say something their quote does not: a word the quote lacks."""
    wanted = set(classes)
    for item in items:
        if item.claim_class in wanted:
            assert words(item.claim) - words(item.quote), item.id


def claim_splits_by_class(items: Iterable[ClaimItem]) -> dict[str, list[str]]:
    """Each class's halves, in id order."""
    per_class: dict[str, list[str]] = defaultdict(list)
    for item in sorted(items, key=lambda i: i.id):
        per_class[item.claim_class].append(item.split)
    return per_class


def assert_alternating_halves(splits: list[str], cls: str) -> None:
    """One class's halves go tune, test, tune, … in id order, and both occur."""
    assert splits == [("tune", "test")[n % 2] for n in range(len(splits))], cls
    assert {"tune", "test"} <= set(splits), cls


def assert_claim_halves_load(path: Path, items: list[ClaimItem]) -> None:
    """``load_claims(path, half)`` gives exactly that half's items, for both halves."""
    for half in ("tune", "test"):
        assert {i.id for i in load_claims(path, half)} == {i.id for i in items if i.split == half}, half
