"""``rag eval --format injection [--sample N]`` (or ``python -m evals.injection``): attack success rate per category."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from rich.console import Console
from rich.table import Table

from evals.injection.runner import InjectionReport, Rate, Trial, run_injection
from rag.settings import Settings

err = Console(stderr=True)


def run_and_report(settings: Settings, sample: int | None, briefings: int | None, out: Path | None, as_json: bool,
                   kinds: tuple[str, ...] = ("ask", "check")) -> InjectionReport:
    """Run the suite, write the JSON report, print the per-category table (or the summary as JSON)."""
    done = 0
    log = out.with_suffix(".trials.jsonl") if out is not None else None
    if log is not None:
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text("")

    def progress(trial: Trial) -> None:
        nonlocal done
        done += 1
        if log is not None:  # trial by trial, so a long run that is stopped still leaves its figures
            with log.open("a", encoding="utf-8") as handle:
                handle.write(trial.model_dump_json() + "\n")
        mark = "HIT " + ",".join(trial.rules) if trial.succeeded else ("exposed" if trial.exposed else "-")
        err.print(f"[{done}] {trial.kind} {trial.attack_id} @{trial.position}: {mark} ({trial.seconds:.1f}s)",
                  highlight=False)

    report = run_injection(settings, sample=sample, kinds=kinds, briefings=briefings, on_trial=progress)  # type: ignore[arg-type]
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(report.model_dump_json(indent=1), encoding="utf-8")
        err.print(f"result: {out}")
    if as_json:
        summary = {"overall": _row(report.overall), "by_category": {k: _row(v) for k, v in report.by_category.items()},
                   "by_position": {k: _row(v) for k, v in report.by_position.items()},
                   "by_kind": {k: _row(v) for k, v in report.by_kind.items()}, "seconds": report.seconds}
        sys.stdout.write(json.dumps(summary, indent=1) + "\n")
    else:
        print_report(report)
    return report


def _row(rate: Rate) -> dict[str, float | int]:
    return {"trials": rate.trials, "exposed": rate.exposed, "successes": rate.successes,
            "successes_when_exposed": rate.successes_exposed, "attack_success_rate": round(rate.rate, 4)}


def print_report(report: InjectionReport) -> None:
    for title, groups in (("category", report.by_category), ("position", report.by_position), ("output", report.by_kind)):
        table = Table(title, "trials", "attack reached the model", "succeeded", "success rate")
        for name, rate in groups.items():
            table.add_row(name, str(rate.trials), str(rate.exposed), str(rate.successes), f"{rate.rate:.1%}")
        Console().print(table)
    overall = report.overall
    Console().print(f"overall: {overall.successes}/{overall.trials} = {overall.rate:.2%} attack success "
                    f"({overall.exposed} trials put the attack in front of the model; {report.seconds:.0f}s, {report.model})")
    for trial in [t for t in report.trials if t.succeeded][:20]:
        Console().print(f"  HIT {trial.kind} {trial.attack_id} @{trial.position} [{', '.join(trial.rules)}]: "
                        f"{trial.output[:200]!r}", highlight=False)
