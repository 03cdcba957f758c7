"""Reports a person reads: metrics side by side, then one row per question with the answer and why it failed.

HTML (autoescaped: answers quote article text) or Markdown, chosen by the report file's suffix.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from evals.datasets import DatasetError
from evals.metrics import METRIC_KEYS
from evals.results import EvalResult, PipelineRun

SUMMARY_KEYS = ("rows", "pass_rate", *METRIC_KEYS)
_TEMPLATES = Path(__file__).parent / "templates"


@dataclass
class Column:
    label: str
    run: PipelineRun


def columns(results: Sequence[EvalResult]) -> list[Column]:
    """One column per (dataset, pipeline, model) run."""
    return [Column(f"{r.dataset} · {run.pipeline} · {_short(run.model)}", run) for r in results for run in r.runs]


def _short(model: str) -> str:
    return model.rsplit("/", 1)[-1].removesuffix("-instruct")


def fmt(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.3f}" if value <= 1 else f"{value:,.0f}"
    return str(value)


def render_html(results: Sequence[EvalResult], gate: list[str] | None = None) -> str:
    env = Environment(loader=FileSystemLoader(_TEMPLATES), autoescape=select_autoescape(["html", "j2"]))
    template = env.get_template("report.html.j2")
    return template.render(results=results, columns=columns(results), metric_keys=SUMMARY_KEYS, fmt=fmt, gate=gate,
                           title=", ".join(r.dataset for r in results))


def metrics_table(results: Sequence[EvalResult]) -> str:
    """The Markdown metrics table (what the README's Quality section is generated from)."""
    cols = columns(results)
    lines = ["| metric | " + " | ".join(c.label for c in cols) + " |", "|---|" + "---:|" * len(cols)]
    lines += [f"| {key} | " + " | ".join(fmt(c.run.metrics.get(key)) for c in cols) + " |" for key in SUMMARY_KEYS]
    return "\n".join(lines)


def render_markdown(results: Sequence[EvalResult], gate: list[str] | None = None) -> str:
    parts = ["# Eval report", ""]
    for r in results:
        parts.append(f"- {r.dataset}: {r.corpus.get('articles')} articles, run {r.created_at:%Y-%m-%d %H:%M} UTC, "
                     f"k={r.config.get('k')}, top_k={r.config.get('top_k')}")
    parts += ["", "## Metrics", "", metrics_table(results), ""]
    if gate is not None:
        parts += ["## Gate", ""] + ([f"- FAIL {f}" for f in gate] or ["Every gated metric is at or above the baseline."])
        parts.append("")
    for r in results:
        parts += [f"## Questions: {r.dataset}", "",
                  "| id | question | expected | " + " | ".join(run.pipeline for run in r.runs) + " |",
                  "|---|---|---|" + "---|" * len(r.runs)]
        for index, row in enumerate(r.runs[0].rows):
            expected = row.expected if row.expected is not None else "(unanswerable: should refuse)"
            cells = [_cell(run.rows[index]) for run in r.runs]
            parts.append(f"| {row.id} | {_md(row.question)} | {_md(expected)} | " + " | ".join(cells) + " |")
        parts.append("")
    return "\n".join(parts)


def _cell(row: Any) -> str:
    verdict = "**PASS**" if row.passed else "**FAIL**"
    why = f" — {'; '.join(row.why)}" if row.why else ""
    sources = "; ".join(f"[{n}] {c.article_id}@{c.start}-{c.end}" for n, c in row.citations.items())
    return _md(f"{verdict} ({row.mode}){why}: {row.answer}") + (f"<br>{_md(sources)}" if sources else "")


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ").replace("<", "&lt;")


def write_report(path: Path, results: Sequence[EvalResult], gate: list[str] | None = None) -> None:
    """HTML for ``.html``/``.htm``, Markdown for ``.md``; anything else is an error before any work is lost."""
    suffix = path.suffix.lower()
    if suffix in (".html", ".htm"):
        text = render_html(results, gate)
    elif suffix in (".md", ".markdown"):
        text = render_markdown(results, gate)
    else:
        raise DatasetError(f"report {path}: use a .html or .md file name")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def load_result(path: Path) -> EvalResult:
    try:
        return EvalResult.model_validate_json(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DatasetError(f"{path}: not a rag eval result ({exc})") from None
