"""``python -m rag.cli`` runs the ``rag`` command line."""

from rag.cli import app

app(prog_name="rag")
