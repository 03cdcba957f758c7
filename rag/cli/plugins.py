"""Sub-commands from other packages, found by entry point (group ``conflict_rag.commands``) and loaded on use.

``rag eval`` (the eval suite, :mod:`evals`) and ``rag bench`` / ``rag load`` (:mod:`bench`) register themselves in
``pyproject.toml``; ``rag --help`` lists them without importing them, and their own ``--help`` comes from the
command itself once it is loaded. A plugin whose package is not installed is reported with a sentence.
"""

from __future__ import annotations

from importlib.metadata import EntryPoint, entry_points

import typer

GROUP = "conflict_rag.commands"
PASS_THROUGH = {"allow_extra_args": True, "ignore_unknown_options": True, "help_option_names": []}


def register(app: typer.Typer) -> None:
    """Add one pass-through command per entry point in :data:`GROUP`."""
    for point in sorted(entry_points(group=GROUP), key=lambda p: p.name):
        app.command(point.name, help=f"(from {point.module}; `rag {point.name} --help` for its options)",
                    context_settings=PASS_THROUGH, add_help_option=False)(_runner(point))


def _runner(point: EntryPoint):  # noqa: ANN202 - a typer callback
    def run(ctx: typer.Context) -> None:
        try:
            command = point.load()
        except ImportError as exc:
            typer.echo(f"error: `rag {point.name}` needs {point.module}, which is not installed ({exc}); "
                       "install the development extras: pip install -e '.[dev]'", err=True)
            raise typer.Exit(2) from None
        single = typer.Typer(add_completion=False)
        single.command(point.name)(command)
        single(ctx.args, prog_name=f"rag {point.name}")

    return run
