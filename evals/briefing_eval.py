"""``rag eval --format briefing``: make a briefing over a corpus in a scratch index and score it against the golden.

Scores (deterministic, recomputed from the article text rather than trusted from the pipeline):
key-point coverage; contested points with both sides cited to the right articles (or, where the golden says
nobody answered, "no response in the sources"); timeline events with the right resolved date; the share of
sentences whose citation overlaps an article sentence that an independent checker accepts; and the numbers
and names absent from what each sentence cites.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from evals.briefing_metrics import KeyPoint
from evals.datasets import DatasetError
from evals.metrics import missing_groups
from rag.briefing.models import Briefing, BriefSentence, Citation, Side
from rag.index.chunking import split_sentences

BRIEFING_DATASET = Path("evals/datasets/briefing_golden.json")
HIGHER_IS_BETTER = ("key_point_coverage", "contested_both_sides", "timeline_dates", "independent_support")
LOWER_IS_BETTER = ("unsupported_sentences", "unsupported_entities")
_WORD = re.compile(r"[A-Za-z][\w’'-]*|\d[\d,.]*")
_FUNCTION = frozenset("a an the and or but of in on at by for from to with as is are was were be been has have had it its "
                      "this that these those they them their he she his her we who which not no also said says".split())


class GoldSide(BaseModel):
    model_config = ConfigDict(extra="forbid")

    who: str
    facts: list[list[str]]
    sources: list[str]


class GoldContested(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    point: str
    claim: GoldSide
    response: GoldSide | None
    """``None``: the sources record no response; the briefing must say so."""


class GoldEvent(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    date: str | None
    date_text: str | None = None
    facts: list[list[str]]
    source: str


class BriefingGolden(BaseModel):
    model_config = ConfigDict(extra="ignore")

    corpus: str
    key_points: list[KeyPoint]
    contested: list[GoldContested] = Field(default_factory=list)
    timeline: list[GoldEvent] = Field(default_factory=list)


class BriefingEvalResult(BaseModel):
    dataset: str
    model: str
    created: dt.datetime
    metrics: dict[str, float | int | None]
    details: dict[str, Any]
    briefing: Briefing


def load_briefing_golden(path: Path) -> BriefingGolden:
    try:
        return BriefingGolden.model_validate_json(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DatasetError(f"{path}: not a briefing golden file ({exc})") from None


# Scoring ------------------------------------------------------------------------------------------------


def _side_text(side: Side) -> str:
    return " ".join([side.text, *(c.quote for c in side.citations)])


def _side_matches(side: Side | None, gold: GoldSide) -> bool:
    return (side is not None and side.who.lower().startswith(gold.who.lower())
            and not missing_groups(_side_text(side), gold.facts) and any(c.article_id in gold.sources for c in side.citations))


def contested_found(briefing: Briefing, gold: GoldContested) -> bool:
    """Some point states the gold claim cited to a right article, and the response (or its absence) likewise."""
    for point in briefing.contested:
        if not _side_matches(point.claim, gold.claim):
            continue
        if gold.response is None and point.response is None:
            return True
        if gold.response is not None and _side_matches(point.response, gold.response):
            return True
    return False


def event_found(briefing: Briefing, gold: GoldEvent) -> bool:
    return any(e.date == gold.date and not missing_groups(e.event, gold.facts)
               and any(c.article_id == gold.source for c in e.citations)
               and (gold.date is not None or (gold.date_text or "").lower() in e.date_text.lower())
               for e in briefing.timeline)


def _content(text: str) -> set[str]:
    return {re.sub(r"(?:’s|'s|es|s|ed|ing)$", "", w.lower()) for w in _WORD.findall(text) if w.lower() not in _FUNCTION}


def _names_numbers(text: str) -> set[str]:
    return {w.rstrip(".,") for w in _WORD.findall(text) if w[0].isdigit() or (w[0].isupper() and w.lower() not in _FUNCTION)}


def independently_supported(sentence: str, article_sentence: str) -> bool:
    """The eval's own check (no stemming, no pipeline code): names and numbers present, 60% of content words."""
    lower = article_sentence.lower()
    if any(n.lower() not in lower for n in _names_numbers(sentence) if len(n) > 1 or n.isdigit()):
        return False
    words = _content(sentence)
    return bool(words) and len(words & _content(article_sentence)) / len(words) >= 0.6


def unsupported_entities(sentence: str, cited: str) -> list[str]:
    lower = cited.lower()
    return sorted(n for n in _names_numbers(sentence) if n.lower() not in lower)


def _briefing_sentences(briefing: Briefing) -> list[BriefSentence]:
    sides = [s for p in briefing.contested for s in (p.claim, p.response) if s is not None]
    return [*briefing.all_sentences(),
            *(BriefSentence(text=s.text, citations=s.citations[:1]) for s in sides),
            *(BriefSentence(text=e.event, citations=e.citations) for e in briefing.timeline)]


def _quote_holds(citation: Citation, bodies: Mapping[str, str]) -> bool:
    body = bodies.get(citation.article_id)
    return body is not None and body[citation.start:citation.end] == citation.quote


def score_briefing_full(briefing: Briefing, golden: BriefingGolden, bodies: Mapping[str, str]) -> dict[str, Any]:
    """Metrics and the ids behind them; ``bodies`` maps article id to text."""
    sentences = _briefing_sentences(briefing)
    everything = " ".join(s.text for s in sentences)
    covered = [k.id for k in golden.key_points if not missing_groups(everything, k.facts)]
    contested = [g.id for g in golden.contested if contested_found(briefing, g)]
    dated = [g.id for g in golden.timeline if event_found(briefing, g)]
    supported, entities, unsupported = 0, 0, []
    for sentence in sentences:
        ok = False
        for citation in sentence.citations:
            if not _quote_holds(citation, bodies):
                continue
            spans = [s for s in split_sentences(bodies[citation.article_id])
                     if s.start < citation.end and citation.start < s.end]
            ok = ok or any(independently_supported(sentence.text, s.text) for s in spans)
        cited = " ".join(c.quote for c in sentence.citations)
        missing = unsupported_entities(sentence.text, cited)
        entities += len(missing)
        supported += ok
        if not ok or missing:
            unsupported.append(sentence.text)
    total = len(sentences)
    metrics = {
        "key_point_coverage": round(len(covered) / len(golden.key_points), 4) if golden.key_points else None,
        "contested_both_sides": round(len(contested) / len(golden.contested), 4) if golden.contested else None,
        "timeline_dates": round(len(dated) / len(golden.timeline), 4) if golden.timeline else None,
        "independent_support": round(supported / total, 4) if total else None,
        "unsupported_sentences": len(unsupported),
        "unsupported_entities": entities,
        "sentences": total,
        "dropped": briefing.dropped,
        "replaced": briefing.replaced,
    }
    details = {"covered": covered, "missed": [k.id for k in golden.key_points if k.id not in covered],
               "contested_found": contested, "contested_missed": [g.id for g in golden.contested if g.id not in contested],
               "timeline_found": dated, "timeline_missed": [g.id for g in golden.timeline if g.id not in dated],
               "unsupported": unsupported}
    return {"metrics": metrics, "details": details}


# Running and gating ---------------------------------------------------------------------------------------


def run_briefing_eval(golden_path: Path, corpus: Sequence[Path], settings: Any, services: Any = None) -> BriefingEvalResult:
    """Ingest ``corpus`` into a scratch data directory (unless ``services`` is given), brief, and score."""
    from rag.briefing import BriefingOptions, generate_briefing
    from rag.index.ingest import ingest_paths
    from rag.services import Services

    golden = load_briefing_golden(golden_path)
    if services is None:
        scratch = Path(tempfile.mkdtemp(prefix="briefing-eval-"))
        update: dict[str, Any] = {"data_dir": scratch, "chroma_url": None, "database_url": None}
        if settings.backend == "local" and settings.model_path is None:  # the model stays where it was assembled
            from rag.models.files import MODELS, ensure_model

            update["model_path"] = ensure_model(MODELS[settings.local_model], settings.models_dir)
        services = Services(settings.model_copy(update=update))
        report = ingest_paths(list(corpus), services.store, services.embedder, services.settings)
        if report.failed:
            raise DatasetError(f"corpus did not ingest: {report.failed[0].source}: {report.failed[0].reason}")
    briefing = generate_briefing(services, BriefingOptions())
    bodies = {a.id: a.body for a in services.store.list_articles()}
    scored = score_briefing_full(briefing, golden, bodies)
    return BriefingEvalResult(dataset=golden_path.stem, model=briefing.model, created=dt.datetime.now(dt.UTC),
                              metrics=scored["metrics"], details=scored["details"], briefing=briefing)


def check_briefing_gate(metrics: Mapping[str, Any], baseline_path: Path) -> list[str]:
    """Every gated metric worse than the committed baseline, as sentences."""
    try:
        baseline = json.loads(baseline_path.read_text(encoding="utf-8"))
        floors: dict[str, float] = baseline["metrics"]
    except (OSError, ValueError, KeyError) as exc:
        raise DatasetError(f"{baseline_path}: not a briefing baseline ({exc})") from None
    failures = []
    for name, floor in floors.items():
        value = metrics.get(name)
        if name not in HIGHER_IS_BETTER + LOWER_IS_BETTER:
            raise DatasetError(f"{baseline_path}: unknown metric {name!r}")
        if value is None:
            failures.append(f"{name}: missing from the run (baseline {floor})")
        elif name in HIGHER_IS_BETTER and value < floor - 1e-9:
            failures.append(f"{name}: {value} is below the baseline {floor}")
        elif name in LOWER_IS_BETTER and value > floor + 1e-9:
            failures.append(f"{name}: {value} is above the baseline {floor}")
    return failures


def briefing_command(dataset: Path | None, corpus: Sequence[Path] | None, backend: str | None, model: str | None,
                     out: Path | None, gate: Path | None, as_json: bool) -> None:
    """The ``--format briefing`` branch of ``rag eval``: brief over the corpus, score, write the result, gate."""
    import sys

    import typer
    from rich.console import Console

    from rag.settings import Settings

    err = Console(stderr=True)
    values: dict[str, Any] = {k: v for k, v in (("backend", backend), ("local_model", model)) if v is not None}
    try:
        result = run_briefing_eval(dataset or BRIEFING_DATASET, corpus or [Path("corpus/seeds")], Settings(**values))
        failures = check_briefing_gate(result.metrics, gate) if gate else []
    except DatasetError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    destination = out or Path(".rag") / "evals" / f"briefing-{dt.datetime.now():%Y%m%d-%H%M%S}.json"
    destination.parent.mkdir(parents=True, exist_ok=True)
    destination.write_text(result.model_dump_json(indent=1), encoding="utf-8")
    err.print(f"result: {destination}")
    summary = result.metrics | {"missed": {k: v for k, v in result.details.items() if k.endswith(("missed", "unsupported"))}}
    if as_json:
        sys.stdout.write(json.dumps(summary | ({"gate": failures} if gate else {}), indent=1) + "\n")
    else:
        for name, value in result.metrics.items():
            err.print(f"{name:24} {value}")
    for failure in failures:
        err.print(f"[red]gate:[/red] {failure}")
    if failures:
        raise typer.Exit(1)
