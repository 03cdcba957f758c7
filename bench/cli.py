"""``rag bench``: print the speed-and-scale ratios as a table, JSON or Markdown; or write a synthetic corpus."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

if TYPE_CHECKING:  # the measuring code loads only when a benchmark runs, not on every `rag` start
    from bench.run import BenchResult

_console = Console()
_err = Console(stderr=True)


def bench_command(
    quick: Annotated[bool, typer.Option("--quick", help="The one-minute subset CI runs (1k chunks, one question).")] = False,
    parts: Annotated[str | None, typer.Option("--parts", help="Only these: answers,peer,briefing,ingest,curve.")] = None,
    sizes: Annotated[str | None, typer.Option("--sizes", help="Retrieval curve sizes in chunks: 1000,10000,100000.")] = None,
    eval_result: Annotated[
        Path | None, typer.Option("--eval-result", help="A `rag eval` JSON result: quality beside the peer's.")
    ] = None,
    ingest_corpus: Annotated[
        Path | None, typer.Option("--ingest-corpus", help="Time the ingest part on this corpus, not synthetic articles.")
    ] = None,
    ingest_articles: Annotated[
        int | None, typer.Option("--ingest-articles", min=0, help="Articles the ingest part takes (0: all of the corpus).")
    ] = None,
    make_corpus: Annotated[int | None, typer.Option("--make-corpus", min=0, help="Write N synthetic articles, stop.")] = None,
    out: Annotated[Path, typer.Option("--out", help="Folder for --make-corpus.")] = Path(".rag/synthetic"),
    seed: Annotated[int, typer.Option("--seed", help="Seed for --make-corpus.")] = 0,
    profile: Annotated[bool, typer.Option("--profile", help="Profile an answer's non-model time (pyinstrument).")] = False,
    markdown: Annotated[bool, typer.Option("--markdown", help="Print Markdown tables (for the README).")] = False,
    save: Annotated[Path | None, typer.Option("--save", help="Also write the JSON result to this file.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")] = False,
) -> None:
    """Measure speed and scale as ratios taken in one run: pipeline overhead, retrieval curve, ingest, peer, memory."""
    if make_corpus is not None:
        from evals.synthetic import write_corpus

        path = write_corpus(make_corpus, out, seed)
        if as_json:
            sys.stdout.write(json.dumps({"path": str(path), "articles": make_corpus}) + "\n")
        else:
            _console.print(f"wrote {make_corpus} synthetic articles to {path}")
        return
    from bench.run import PARTS, SEED_DIR, BenchConfig, run_bench, seed_questions
    from rag.settings import Settings

    if profile:
        from bench.profile import profile_answers

        try:
            tree, stages = profile_answers(Settings(), SEED_DIR, seed_questions(2)[:4])
        except RuntimeError as exc:
            raise typer.BadParameter(str(exc), param_hint="--profile") from exc
        if as_json:
            sys.stdout.write(json.dumps({"stages_ms": stages, "profile": tree}, indent=2) + "\n")
        else:
            _console.print(tree, highlight=False, markup=False)
            _console.print("mean ms per stage: " + ", ".join(f"{k} {v:,.1f}" for k, v in stages.items()))
        return

    try:
        size_list = [int(s) for s in sizes.split(",")] if sizes else None
    except ValueError as exc:
        raise typer.BadParameter("--sizes takes whole numbers separated by commas, e.g. 1000,10000") from exc
    if size_list is not None and any(s < 10 for s in size_list):
        raise typer.BadParameter("every size must be at least 10 chunks")
    if eval_result is not None and not eval_result.is_file():
        raise typer.BadParameter(f"no eval result file at {eval_result}")
    part_list = [p.strip() for p in parts.split(",") if p.strip()] if parts else None
    if part_list is not None and (not part_list or set(part_list) - set(PARTS)):
        raise typer.BadParameter(f"--parts takes a comma-separated subset of {','.join(PARTS)}")
    if ingest_corpus is not None and not ingest_corpus.exists():
        raise typer.BadParameter(f"no corpus at {ingest_corpus}", param_hint="--ingest-corpus")
    overrides: dict[str, Any] = {
        k: v for k, v in {"sizes": size_list, "eval_result": eval_result, "parts": part_list,
                          "ingest_corpus": ingest_corpus, "ingest_articles": ingest_articles}.items() if v is not None}
    config = BenchConfig.quick(**overrides) if quick else BenchConfig(**overrides)
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=_err, transient=True) as progress:
        task = progress.add_task("rag bench", total=config.steps())
        result = run_bench(Settings(), config, lambda what: progress.update(task, advance=1, description=what),
                           on_part=None if save is None else lambda so_far: _save(save, so_far))
    if as_json:
        sys.stdout.write(result.model_dump_json(indent=2) + "\n")
    elif markdown:
        sys.stdout.write(render_markdown(result))
    else:
        _print_tables(result)


def _save(path: Path, result: BenchResult) -> None:
    path.write_text(result.model_dump_json(indent=2), encoding="utf-8")


def _rows(result: BenchResult) -> list[tuple[str, str, str, str]]:
    from bench.run import GOALS

    rows = []
    for key, (op, goal) in GOALS.items():
        value = result.ratios.get(key)
        met = result.met.get(key)
        rows.append((key, "–" if value is None else f"{value:.3f}", f"{op} {goal}",
                     "–" if met is None else ("yes" if met else "no")))
    return rows


def _curve_rows(result: BenchResult) -> list[tuple[str, ...]]:
    return [(f"{p.chunks:,}", f"{p.articles:,}", f"{p.ours_p50_ms:.1f} / {p.ours_p95_ms:.1f}",
             f"{p.raw_p50_ms:.1f} / {p.raw_p95_ms:.1f}", f"{p.p50_ratio:.2f} / {p.p95_ratio:.2f}",
             f"{p.bm25_add_1pct_s:.2f}", f"{p.bm25_rebuild_s:.2f}", f"{p.bm25_load_ms:.0f}", f"{p.peak_rss_mib:,.0f}")
            for p in result.curve]


CURVE_HEADER = ("chunks", "articles", "ours p50/p95 ms", "raw query p50/p95 ms", "ratio p50/p95",
                "BM25 update after +1% s", "BM25 full build s", "BM25 open ms", "peak RSS MiB")


def _print_tables(result: BenchResult) -> None:
    table = Table("ratio", "value", "goal", "met", title="rag bench")
    for row in _rows(result):
        table.add_row(*row)
    _console.print(table)
    curve = Table(*CURVE_HEADER, title="retrieval curve")
    for cells in _curve_rows(result):
        curve.add_row(*cells)
    _console.print(curve)
    _console.print("peak RSS MiB: " + ", ".join(f"{k} {v:,.0f}" for k, v in result.peak_rss_mib.items()))
    for note in result.notes:
        _console.print(f"note: {note}")


def render_markdown(result: BenchResult) -> str:
    """The two tables and the memory peaks as Markdown."""
    lines = ["| ratio | value | goal | met |", "|---|---:|---|---|"]
    lines += [f"| {k} | {v} | {g} | {m} |" for k, v, g, m in _rows(result)]
    lines += ["", "| " + " | ".join(CURVE_HEADER) + " |", "|" + "---:|" * len(CURVE_HEADER)]
    lines += ["| " + " | ".join(row) + " |" for row in _curve_rows(result)]
    lines += ["", "Peak RSS (MiB): " + ", ".join(f"{k} {v:,.0f}" for k, v in result.peak_rss_mib.items()), ""]
    return "\n".join(lines) + "\n"
