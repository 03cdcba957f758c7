"""Briefing scoring: which golden key points a briefing covers, and how much of it is cited and supported."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from evals.datasets import DatasetError
from evals.independent import lexically_supported
from evals.metrics import cited_text, missing_groups
from rag.types import AnswerSentence, Citation


class KeyPoint(BaseModel):
    """A point a good briefing on the corpus must make, with the facts that show it is made."""

    model_config = ConfigDict(extra="forbid")

    id: str
    point: str
    facts: list[list[str]]
    sources: list[str]


def load_key_points(path: Path) -> list[KeyPoint]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return [KeyPoint.model_validate(k) for k in data["key_points"]]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise DatasetError(f"{path}: not a briefing golden file ({exc})") from None


def score_briefing(
    sentences: Sequence[AnswerSentence], citations: Mapping[int, Citation], key_points: Sequence[KeyPoint]
) -> dict[str, Any]:
    """Key-point coverage and the shares of sentences cited and supported.

    A point is covered when every fact group is in the text, sourced when the sentences citing one of the
    point's sources state it; a sentence is supported when the quotes it cites hold its words, numbers, names.
    """
    text = " ".join(s.text for s in sentences)
    covered, sourced = [], []
    for point in key_points:
        if not missing_groups(text, point.facts):
            covered.append(point.id)
        citing = " ".join(
            s.text for s in sentences if any(n in citations and citations[n].article_id in point.sources for n in s.citations)
        )
        if citing and not missing_groups(citing, point.facts):
            sourced.append(point.id)
    cited = [s for s in sentences if any(n in citations for n in s.citations)]
    supported = [
        s for s in cited if lexically_supported(s.text, cited_text(s, citations))
    ]
    total = len(sentences)
    return {
        "key_point_coverage": round(len(covered) / len(key_points), 4) if key_points else None,
        "key_point_sourced": round(len(sourced) / len(key_points), 4) if key_points else None,
        "sentences_cited": round(len(cited) / total, 4) if total else None,
        "sentences_supported": round(len(supported) / total, 4) if total else None,
        "covered": covered,
        "missed": [p.id for p in key_points if p.id not in covered],
    }
