"""Briefing time for ``rag bench``: the seed corpus and a window of synthetic articles, when briefings exist."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from typing import Any

from rag.services import Services
from rag.settings import Settings


def measure_briefing(services: Services, settings: Settings, window: int, tick: Callable[[str], None],
                     notes: list[str]) -> dict[str, Any] | None:
    """Seconds to brief the seed corpus and a ``window``-article window; ``None`` until ``rag.briefing`` can run."""
    if importlib.util.find_spec("rag.briefing.run") is None:
        notes.append("briefing time not measured: rag.briefing has no runnable pipeline in this checkout yet")
        tick("briefing (not available)")
        return None
    return None
