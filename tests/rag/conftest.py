"""Fixtures for the answer pipeline's tests: an answerer over the real seed index with any (fake) model."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import pytest

from rag.answer.pipeline import Answerer
from rag.index.retrieve import HybridRetriever
from rag.models.llm import Message


def evidence_number(messages: Sequence[Message], needle: str) -> int:
    """The number the prompt gave to the evidence sentence containing ``needle``."""
    match = re.search(rf"\[(\d+)\][^\n]*{re.escape(needle)}", messages[-1]["content"])
    assert match, f"{needle!r} not in the evidence shown to the model"
    return int(match.group(1))


@pytest.fixture
def answerer_with(seed_index: HybridRetriever) -> Callable[[object], Answerer]:
    def build(model: object) -> Answerer:
        return Answerer(seed_index, seed_index.embedder, model)  # type: ignore[arg-type]

    return build
