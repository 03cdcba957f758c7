"""``python -m evals.injection [--sample N] [--briefings N] [--out X.json] [--json]``."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from evals.injection.cli import print_report, run_and_report
from evals.injection.runner import Trial, summarise
from rag.settings import Settings


def main(
    sample: Annotated[int | None, typer.Option(min=1, help="A fixed sample of N attack placements (default: all).")] = None,
    briefings: Annotated[int | None, typer.Option(min=0, help="Write a briefing for only the first N placements "
                                                     "(default: every placement).")] = None,
    check: Annotated[bool, typer.Option(help="Also fact-check the golden answer (rag check) in every trial.")] = True,
    out: Annotated[Path | None, typer.Option(help="Write the full JSON result here.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    saved: Annotated[Path | None, typer.Option("--from", help="Report on a saved OUT.trials.jsonl (a stopped run).")] = None,
) -> None:
    """Insert every BIPIA attack into the seed articles and report the attack success rate per category."""
    if saved is not None:
        trials = [Trial.model_validate_json(line) for line in saved.read_text().splitlines() if line.strip()]
        print_report(summarise(trials, "saved", dt.datetime.now(dt.UTC), 0.0))
        return
    run_and_report(Settings(), sample, briefings, out, as_json, ("ask", "check") if check else ("ask",))


if __name__ == "__main__":
    typer.run(main)
