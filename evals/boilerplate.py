"""Boilerplate patterns found by hand on a real feed, and where they turn up in what the product shows.

The eval's own check, independent of ingest's cross-page masking (:mod:`rag.index.boilerplate` is not imported):
a briefing sentence, an answer or a quote that holds a listed pattern is page furniture shown as news.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from evals.datasets import DatasetError


class BoilerplatePattern(BaseModel):
    """A piece of page furniture found on several pages of the corpus (exact text, or a Python regex)."""

    model_config = ConfigDict(extra="ignore")

    id: str
    pattern: str
    regex: bool = False
    kind: str = ""

    def found_in(self, text: str) -> bool:
        return bool(re.search(self.pattern, text)) if self.regex else self.pattern in text


def load_boilerplate(path: Path) -> list[BoilerplatePattern]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return [BoilerplatePattern.model_validate(p) for p in data["patterns"]]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise DatasetError(f"{path}: not a boilerplate pattern file ({exc})") from None


def boilerplate_found(texts: Sequence[str], patterns: Sequence[BoilerplatePattern]) -> list[dict[str, str]]:
    """Each text (sentence or quote) that holds a pattern, with the pattern's id."""
    return [{"pattern": p.id, "text": t} for t in texts for p in patterns if p.found_in(t)]


def boilerplate_rows(rows: Sequence[object], patterns: Sequence[BoilerplatePattern]) -> list[dict[str, str]]:
    """Each answer (its text or a cited quote) of ``rows`` (:class:`evals.metrics.RowResult`) holding a pattern.

    A refusal's text is left out: it names the closest articles by their titles, which are the feed's metadata,
    not text shown as an answer; the quotes it shows apart are searched like any other.
    """
    found = []
    for row in rows:
        answer = [] if getattr(row, "refused", False) else [str(getattr(row, "answer", ""))]
        texts = [*answer, *(c.quote for c in getattr(row, "citations", {}).values())]
        found += [{"row": str(getattr(row, "id", "")), **hit} for hit in boilerplate_found(texts, patterns)]
    return found
