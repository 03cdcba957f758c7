from __future__ import annotations

import json

import typer
from typer.testing import CliRunner

from rag.briefing import BriefingOptions, generate_briefing
from rag.cli.brief import register
from rag.services import Services

app = typer.Typer()
register(app)
runner = CliRunner()


def test_briefings_lists_and_shows_stored_briefings_and_resume_prints_json(seeded_services: Services) -> None:
    briefing = generate_briefing(seeded_services, BriefingOptions())
    data_dir = str(seeded_services.settings.data_dir)
    listed = runner.invoke(app, ["briefings", "--data-dir", data_dir, "--json"])
    assert listed.exit_code == 0 and [row["id"] for row in json.loads(listed.stdout)] == [briefing.id]
    shown = runner.invoke(app, ["briefings", "show", briefing.id, "--data-dir", data_dir, "--format", "html"])
    assert shown.exit_code == 0 and shown.stdout.startswith("<!doctype html>")
    missing = runner.invoke(app, ["briefings", "show", "nope", "--data-dir", data_dir])
    assert missing.exit_code == 1 and "no briefing with id 'nope'" in missing.output
    # Every stage is saved, so resuming needs no model: it prints the same briefing as JSON.
    resumed = runner.invoke(app, ["brief", "--resume", briefing.run_id, "--data-dir", data_dir, "--json"])
    assert resumed.exit_code == 0, resumed.output
    data = json.loads(resumed.stdout)
    assert data["sections"] == json.loads(briefing.model_dump_json())["sections"]
    assert all(t["resumed"] for name, t in data["timings"].items() if name != "render")


def test_bad_options_are_clear_errors(seeded_services: Services) -> None:
    data_dir = str(seeded_services.settings.data_dir)
    bad_since = runner.invoke(app, ["brief", "--since", "soonish", "--data-dir", data_dir])
    assert bad_since.exit_code == 2 and "use a date" in bad_since.output
    no_dir = runner.invoke(app, ["brief", "--daily", "--data-dir", data_dir])
    assert no_dir.exit_code == 2 and "--daily needs --dir" in no_dir.output
    bad_run = runner.invoke(app, ["brief", "--resume", "nope", "--data-dir", data_dir])
    assert bad_run.exit_code == 1 and "no briefing run 'nope'" in bad_run.output
