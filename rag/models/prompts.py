"""Prompts are files in ``prompts/``; this loader fills them and refuses missing or unexpected variables."""

from __future__ import annotations

import json
import string
from functools import lru_cache
from pathlib import Path

PROMPTS_DIR = Path(__file__).resolve().parents[2] / "prompts"


class PromptError(KeyError):
    """A prompt file is missing, or was given the wrong variables."""


@lru_cache
def load_prompt(name: str) -> str:
    path = PROMPTS_DIR / f"{name}.txt"
    if not path.is_file():
        raise PromptError(f"no prompt file {path}")
    return path.read_text(encoding="utf-8")


def prompt_variables(template: str) -> set[str]:
    """Names of the ``{placeholders}`` in a template."""
    return {field for _, field, _, _ in string.Formatter().parse(template) if field}


def render_prompt(name: str, **values: str) -> str:
    """Fill prompt ``name`` with exactly its variables; values are inserted verbatim, never re-parsed."""
    template = load_prompt(name)
    expected = prompt_variables(template)
    missing, extra = expected - values.keys(), values.keys() - expected
    if missing or extra:
        raise PromptError(f"prompt {name!r}: missing {sorted(missing)}, unexpected {sorted(extra)}")
    return template.format(**values)


def list_prompts() -> list[str]:
    return sorted(path.stem for path in PROMPTS_DIR.glob("*.txt"))


@lru_cache
def load_examples(name: str) -> tuple[tuple[tuple[str, ...], str, str], ...]:
    """Worked examples in ``prompts/<name>.json``: (evidence sentences, question, answer) each."""
    path = PROMPTS_DIR / f"{name}.json"
    if not path.is_file():
        raise PromptError(f"no examples file {path}")
    try:
        return tuple((tuple(item["evidence"]), item["question"], item["answer"]) for item in json.loads(path.read_text("utf-8")))
    except (ValueError, KeyError, TypeError) as exc:
        raise PromptError(f"{path}: each example needs evidence, question and answer ({exc})") from None
