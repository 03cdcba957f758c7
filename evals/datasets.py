"""Eval sets: the seed golden file, RGB (noise and conflict settings) and MultiHop-RAG, as rows plus a corpus."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from rag.index.corpus import make_article, read_sources
from rag.types import Article, ItemError

RGB_FILE = Path("benchmarks") / "rgb" / "en_fact_dev.jsonl"
"""The RGB dev half, in the ``shared`` folder beside the checkout; read from there, never copied in."""

Setting = Literal["noise", "conflict"]
Split = Literal["tune", "test"]
"""Halves of a golden file: thresholds are tuned on ``tune``; the gate and the README report ``test``."""


class DatasetError(ValueError):
    """A dataset, result file or eval option that cannot be used, with the reason (and line, for files)."""


class EvidenceSpan(BaseModel):
    """A sentence of an article body that answers a golden question, by character offsets."""

    model_config = ConfigDict(extra="forbid")

    article_id: str
    start: int = Field(ge=0)
    end: int
    """Exclusive; ``body[start:end]`` is one whole sentence of the article: a line, or the part of one up to a full
    stop, question or exclamation mark, a quotation kept whole. Scoring asks only whether a citation overlaps it."""

    @model_validator(mode="after")
    def _ordered(self) -> EvidenceSpan:
        if self.end <= self.start:
            raise ValueError("an evidence span needs end > start")
        return self


class GoldenRow(BaseModel):
    """One question with its expected answer, in the seed golden format."""

    model_config = ConfigDict(extra="forbid")

    id: str
    question: str
    answer: str | None
    facts: list[list[str]]
    """Groups of alternatives; a correct answer contains one alternative of every group (case-insensitive)."""
    sources: list[str]
    """Article ids that hold the answer."""
    answerable: bool
    tags: list[str] = Field(default_factory=list)
    evidence: list[EvidenceSpan] = Field(default_factory=list)
    """Gold sentences that answer the row, for citation precision and recall independent of the pipeline."""
    split: Split | None = None

    @model_validator(mode="after")
    def _consistent(self) -> GoldenRow:
        if self.answerable and not (self.facts and self.sources):
            raise ValueError("an answerable row needs facts and sources")
        if not self.answerable and self.evidence:
            raise ValueError("an unanswerable row has no evidence")
        if not {e.article_id for e in self.evidence} <= set(self.sources):
            raise ValueError("evidence must come from the row's sources")
        if not self.answerable and (self.answer is not None or self.facts or self.sources):
            raise ValueError("an unanswerable row has answer null and empty facts and sources")
        if any(not group or not all(alt.strip() for alt in group) for group in self.facts):
            raise ValueError("every fact group needs at least one non-empty alternative")
        return self

    @property
    def followup_of(self) -> str | None:
        """The id of the question this one follows in a chat (tag ``followup_of:<id>``)."""
        return next((t.split(":", 1)[1] for t in self.tags if t.startswith("followup_of:")), None)

    @property
    def conflict(self) -> bool:
        """Both claims of a conflict must be named, each cited to a source that makes it."""
        return "conflict" in self.tags


ClaimClass = Literal["supported", "paraphrase", "negation", "role_swap", "number", "date", "entity_swap",
                     "changed_predicate", "irrelevant", "stitched"]
ClaimVerdictLabel = Literal["supported", "contradicted", "unsupported"]
CLAIM_EXPECTED: dict[str, ClaimVerdictLabel] = {
    "supported": "supported", "paraphrase": "supported", "irrelevant": "unsupported", "stitched": "unsupported",
    "negation": "contradicted", "role_swap": "contradicted", "number": "contradicted", "date": "contradicted",
    "entity_swap": "contradicted", "changed_predicate": "contradicted",
}
"""The verdict a correct verifier gives each class of the claims benchmark."""


class ArticleSource(BaseModel):
    """A sentence of a seed article: ``body[start:end]`` is the quote."""

    model_config = ConfigDict(extra="forbid")

    article_id: str
    start: int = Field(ge=0)
    end: int


class RgbSource(BaseModel):
    """A passage of one RGB ``en_fact`` item, whitespace-normalised as ``rgb_set`` ingests it.

    Only the reference is versioned here; the text is read from the RGB file in ``../shared`` at load time
    (the benchmark is never copied into the repository).
    """

    model_config = ConfigDict(extra="forbid")

    rgb_id: int
    kind: Literal["positive", "negative"] = "positive"
    passage: int = Field(ge=0)


class ClaimItem(BaseModel):
    """One labelled claim/quote pair of the verifier benchmark (``claims.jsonl``)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    id: str
    claim: str = Field(min_length=1)
    quote: str = ""
    """The quote; for an RGB source it is filled from the RGB file when loaded."""
    source: ArticleSource | RgbSource
    claim_class: ClaimClass = Field(alias="class")
    expected: ClaimVerdictLabel
    split: Split
    note: str = Field(min_length=1)
    """What was changed from the quote."""

    @model_validator(mode="after")
    def _consistent(self) -> ClaimItem:
        if self.expected != CLAIM_EXPECTED[self.claim_class]:
            raise ValueError(f"class {self.claim_class} expects {CLAIM_EXPECTED[self.claim_class]}")
        if isinstance(self.source, ArticleSource) and len(self.quote) != self.source.end - self.source.start:
            raise ValueError("the quote's length does not match its offsets")
        return self


@dataclass
class EvalSet:
    """Rows to ask and the corpus to ask them over."""

    name: str
    rows: list[GoldenRow]
    articles: list[Article] = field(default_factory=list)
    corpus_paths: list[Path] = field(default_factory=list)
    detect_reprints: bool = True
    skipped: list[str] = field(default_factory=list)
    """Rows left out, with the reason in the loader's docstring."""

    def load_articles(self) -> tuple[list[Article], list[ItemError]]:
        """The in-memory articles plus everything read from the corpus paths."""
        found: list[Article] = list(self.articles)
        errors: list[ItemError] = []
        for item in read_sources(self.corpus_paths):
            (errors if isinstance(item, ItemError) else found).append(item)  # type: ignore[arg-type]
        return found, errors


def find_rgb_dev() -> Path:
    """``$RAG_RGB_PATH``, else ``../shared/benchmarks/rgb/en_fact_dev.jsonl`` beside this checkout or the workspace."""
    if os.environ.get("RAG_RGB_PATH"):
        return Path(os.environ["RAG_RGB_PATH"])
    candidates = [Path(__file__).resolve().parents[2] / "shared" / RGB_FILE, Path.cwd().parent / "shared" / RGB_FILE,
                  Path("/work/shared") / RGB_FILE]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise DatasetError(f"RGB dev file not found (looked in {', '.join(map(str, candidates))}); set RAG_RGB_PATH")


def load_golden(path: Path, split: Split | None = None) -> list[GoldenRow]:
    """Rows of a golden JSONL file; any bad line fails the whole load with its line number.

    With ``split``, only the rows of that half (follow-ups share their parent's half); a file without
    that half is an error, never an empty set.
    """
    rows: list[GoldenRow] = []
    for number, line in enumerate(_read(path).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            rows.append(GoldenRow.model_validate_json(line))
        except ValidationError as exc:
            raise DatasetError(f"{path}:{number}: {_first_error(exc)}") from None
    ids = [r.id for r in rows]
    if len(set(ids)) != len(ids):
        raise DatasetError(f"{path}: duplicate row ids")
    unknown = {r.followup_of for r in rows if r.followup_of} - set(ids)
    if unknown:
        raise DatasetError(f"{path}: follow-ups of unknown rows {sorted(unknown)}")
    if not rows:
        raise DatasetError(f"{path}: no rows")
    if split is None:
        return rows
    halves = {r.id: r.split for r in rows}
    torn = sorted(r.id for r in rows if r.followup_of and halves[r.followup_of] != r.split)
    if torn:
        raise DatasetError(f"{path}: follow-ups in another split than their parent {torn}")
    chosen = [r for r in rows if r.split == split]
    if not chosen:
        raise DatasetError(f"{path}: no rows in split {split!r}")
    return chosen


def load_claims(path: Path, split: Split | None = None) -> list[ClaimItem]:
    """Items of the verifier benchmark, optionally one half; any bad line fails the load with its line number."""
    items: list[ClaimItem] = []
    for number, line in enumerate(_read(path).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            items.append(ClaimItem.model_validate_json(line))
        except ValidationError as exc:
            raise DatasetError(f"{path}:{number}: {_first_error(exc)}") from None
    if len({i.id for i in items}) != len(items):
        raise DatasetError(f"{path}: duplicate item ids")
    if any(isinstance(i.source, RgbSource) for i in items):
        _fill_rgb_quotes(items)
    chosen = [i for i in items if split is None or i.split == split]
    if not chosen:
        raise DatasetError(f"{path}: no items" + (f" in split {split!r}" if split else ""))
    return chosen


def _fill_rgb_quotes(items: list[ClaimItem]) -> None:
    rows = {}
    for line in _read(find_rgb_dev()).splitlines():
        if line.strip():
            row = json.loads(line)
            rows[row["id"]] = row
    for item in items:
        source = item.source
        if isinstance(source, RgbSource):
            try:
                item.quote = " ".join(str(rows[source.rgb_id][source.kind][source.passage]).split())
            except (KeyError, IndexError):
                missing = f"{item.id}: RGB item {source.rgb_id} has no {source.kind} passage {source.passage}"
                raise DatasetError(missing) from None


def golden_set(dataset: Path, corpus: Sequence[Path], split: Split | None = None) -> EvalSet:
    return EvalSet(name=dataset.stem, rows=load_golden(dataset, split), corpus_paths=list(corpus))


def rgb_set(path: Path, setting: Setting) -> EvalSet:
    """RGB ``en_fact``: every item's passages become articles of one corpus, every query a row.

    Noise: ``positive`` + ``negative`` passages; the answer must be named. Conflict: ``positive`` +
    ``positive_wrong``; the answer must name both claims, each cited to a passage that makes it.
    """
    kinds = ("positive", "negative") if setting == "noise" else ("positive", "positive_wrong")
    articles: list[Article] = []
    rows: list[GoldenRow] = []
    seen: dict[str, str] = {}
    for number, line in enumerate(_read(path).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            item_id, query, answer, fake = item["id"], item["query"], item["answer"], item["fakeanswer"]
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise DatasetError(f"{path}:{number}: not an RGB item ({exc})") from None
        gold: list[str] = []
        for kind in kinds:
            for index, passage in enumerate(item.get(kind) or []):
                text = " ".join(str(passage).split())
                if not text:
                    continue
                article_id = seen.get(text)
                if article_id is None:  # the same snippet under two queries is one article
                    article_id = seen[text] = f"rgb-{item_id}-{kind}-{index}"
                    articles.append(make_article(article_id, text, title=_snippet_title(text)))
                if kind != "negative":
                    gold.append(article_id)
        truth = _answer_groups(answer)
        facts = truth + [[str(fake)]] if setting == "conflict" else truth
        rows.append(GoldenRow(
            id=f"rgb-{item_id}", question=query, answer=_answer_text(answer), facts=facts,
            sources=list(dict.fromkeys(gold)), answerable=True,
            tags=["rgb", setting] + (["conflict"] if setting == "conflict" else []),
        ))
    if not rows:
        raise DatasetError(f"{path}: no RGB items")
    return EvalSet(name=f"rgb-{setting}", rows=rows, articles=articles, detect_reprints=False)


def multihop_set(queries: Path, corpus: Path) -> EvalSet:
    """MultiHop-RAG: a JSON list of ``query, answer, question_type, evidence_list`` over a corpus JSONL.

    Evidence items are matched to corpus articles by URL, then title; ``null_query`` rows must be refused.
    """
    try:
        items = json.loads(_read(queries))
    except json.JSONDecodeError as exc:
        raise DatasetError(f"{queries}: bad JSON ({exc.msg} at line {exc.lineno})") from None
    if not isinstance(items, list):
        raise DatasetError(f"{queries}: expected a JSON list of queries")
    eval_set = EvalSet(name=queries.stem, rows=[], corpus_paths=[corpus])
    articles, _ = eval_set.load_articles()
    by_url = {a.url: a.id for a in articles if a.url}
    by_title = {a.title.strip().lower(): a.id for a in articles}
    for number, item in enumerate(items, start=1):
        try:
            query, answer, kind = item["query"], item["answer"], item.get("question_type", "")
            evidence = item.get("evidence_list") or []
        except (KeyError, TypeError) as exc:
            raise DatasetError(f"{queries}: query {number} is missing {exc}") from None
        sources = [
            sid for e in evidence
            if (sid := by_url.get(e.get("url") or "") or by_title.get(str(e.get("title", "")).strip().lower()))
        ]
        row_id, tags = f"mh-{number:04d}", ["multihop", kind or "unknown"]
        if kind == "null_query":
            eval_set.rows.append(GoldenRow(id=row_id, question=query, answer=None, facts=[], sources=[],
                                           answerable=False, tags=tags))
        elif sources:
            eval_set.rows.append(GoldenRow(id=row_id, question=query, answer=str(answer), facts=[[str(answer)]],
                                           sources=list(dict.fromkeys(sources)), answerable=True, tags=tags))
        else:  # its evidence is not in this corpus (a partial download): nothing fair to ask
            eval_set.skipped.append(row_id)
    return eval_set


def _answer_groups(answer: object) -> list[list[str]]:
    """RGB answers: a string, a list of alternatives, or a list of groups of alternatives."""
    if isinstance(answer, str):
        return [[answer]]
    if isinstance(answer, list) and answer and all(isinstance(a, list) for a in answer):
        return [[str(x) for x in group] for group in answer]
    if isinstance(answer, list) and answer:
        return [[str(x) for x in answer]]
    raise DatasetError(f"unusable RGB answer {answer!r}")


def _answer_text(answer: object) -> str:
    groups = _answer_groups(answer)
    return "; ".join(group[0] for group in groups)


def _snippet_title(text: str, words: int = 8) -> str:
    head = text.split()[:words]
    return " ".join(head) + ("…" if len(text.split()) > words else "")


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DatasetError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DatasetError(f"{path}: cannot read ({exc})") from None


def _first_error(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(p) for p in error["loc"])
    return f"{where}: {error['msg']}" if where else error["msg"]
