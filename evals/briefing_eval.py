"""``rag eval --format briefing``: make a briefing over a corpus in a scratch index, score it, gate it.

The scoring and the gate are :mod:`evals.briefing_metrics` (which loads none of the pipeline); this module runs
the briefing pipeline and hands it the result.
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from evals.boilerplate import load_boilerplate
from evals.briefing_metrics import check_briefing_gate, load_briefing_golden, score_briefing_full
from evals.datasets import DatasetError
from rag.briefing.models import Briefing

BRIEFING_DATASET = Path("evals/datasets/briefing_golden.json")


class BriefingEvalResult(BaseModel):
    dataset: str
    model: str
    created: dt.datetime
    metrics: dict[str, float | int | None]
    details: dict[str, Any]
    briefing: Briefing


def run_briefing_eval(golden_path: Path, corpus: Sequence[Path], settings: Any, services: Any = None,
                      split: str | None = None, reuse_data_dir: bool = False) -> BriefingEvalResult:
    """Ingest ``corpus`` into a scratch index, brief on the golden file's topic, and score one half.

    With ``services`` given, or ``reuse_data_dir``, the index already there is briefed as it is.
    """
    from rag.briefing import BriefingOptions, generate_briefing
    from rag.index.ingest import ingest_paths
    from rag.services import Services

    golden = load_briefing_golden(golden_path).half(split)
    boilerplate = load_boilerplate(golden_path.parent / golden.boilerplate) if golden.boilerplate else []
    if services is None and reuse_data_dir:
        services = Services(settings)
        if not services.store.list_articles():
            raise DatasetError(f"{settings.data_dir}: --data-dir holds no articles; ingest the corpus first")
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
    briefing = generate_briefing(services, BriefingOptions(topic=golden.topic))
    bodies = {a.id: a.body for a in services.store.list_articles()}
    scored = score_briefing_full(briefing, golden, bodies, boilerplate)
    name = golden_path.stem + (f"-{split}" if split else "")
    return BriefingEvalResult(dataset=name, model=briefing.model, created=dt.datetime.now(dt.UTC),
                              metrics=scored["metrics"], details=scored["details"], briefing=briefing)


def briefing_command(dataset: Path | None, corpus: Sequence[Path] | None, backend: str | None, model: str | None,
                     out: Path | None, gate: Path | None, as_json: bool, split: str | None = None,
                     data_dir: Path | None = None) -> None:
    """The ``--format briefing`` branch of ``rag eval``: brief over the corpus, score, write the result, gate."""
    import sys

    import typer
    from rich.console import Console

    from rag.settings import Settings

    err = Console(stderr=True)
    values: dict[str, Any] = {k: v for k, v in (("backend", backend), ("local_model", model), ("data_dir", data_dir))
                              if v is not None}
    try:
        result = run_briefing_eval(dataset or BRIEFING_DATASET, corpus or [Path("corpus/seeds")], Settings(**values),
                                   split=split, reuse_data_dir=data_dir is not None)
        failures = check_briefing_gate(result.metrics, gate) if gate else []
    except DatasetError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    destination = out or Path(".rag") / "evals" / f"briefing-{dt.datetime.now():%Y%m%d-%H%M%S}.json"
    destination.parent.mkdir(parents=True, exist_ok=True)
    destination.write_text(result.model_dump_json(indent=1), encoding="utf-8")
    err.print(f"result: {destination}")
    shown = ("missed", "unsupported", "boilerplate", "off_topic")
    summary = result.metrics | {"missed": {k: v for k, v in result.details.items() if k.endswith(shown)}}
    if as_json:
        sys.stdout.write(json.dumps(summary | ({"gate": failures} if gate else {}), indent=1) + "\n")
    else:
        for name, value in result.metrics.items():
            err.print(f"{name:24} {value}")
    for failure in failures:
        err.print(f"[red]gate:[/red] {failure}")
    if failures:
        raise typer.Exit(1)
