"""The ``rag`` command line: ingest, search, ask, check, brief, serve, doctor; each with ``--json``.

Each sub-command lives in the module named for what it works on; this package only assembles them. Commands
that belong to the development tools (``rag eval``, ``rag bench``, ``rag load``) are plugins, found by their
entry points (:mod:`rag.cli.plugins`), so the product neither imports ``evals`` nor ``bench`` to start.
"""

from __future__ import annotations

import typer

from rag.cli import answers, brief, doctor, index, plugins, serve

app = typer.Typer(no_args_is_help=True, add_completion=False, help="Cited answers over conflict news.")

for command in (index.ingest, index.search, index.articles, index.delete, answers.ask, answers.check):
    app.command()(command)
app.command("brief")(brief.brief_command)
app.command("briefings")(brief.briefings_command)
app.command("doctor")(doctor.doctor_command)
app.command("serve")(serve.serve_command)
plugins.register(app)
