"""``rag bench --profile``: where an answer's non-model time goes (pyinstrument, a dev dependency).

The chat model is replaced by an instant reply that cites the first two evidence sentences, so every
sample the profiler takes is pipeline time: rewrite, retrieval, evidence selection, verification.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rag.answer.pipeline import Answerer, AskOptions
from rag.index.ingest import ingest_paths
from rag.models.embed import QueryCache
from rag.models.llm import Message
from rag.services import Services
from rag.settings import Settings
from rag.testing.llm import FunctionModel


def _cite_first_evidence(messages: Sequence[Message]) -> str:
    """An instant reader: repeats the first two numbered evidence lines with their markers."""
    lines = [line for line in messages[-1]["content"].splitlines() if line.startswith("[")]
    return " ".join(f"{line.split('] ', 1)[1]} {line.split(' ', 1)[0]}" for line in lines[:2] if "] " in line)


def profile_answers(base: Settings, corpus: Path, questions: Sequence[str], repeats: int = 3) -> tuple[str, dict[str, Any]]:
    """Pyinstrument's text tree for ``repeats`` rounds of ``questions`` and the mean stage timings (ms)."""
    try:
        from pyinstrument import Profiler
    except ImportError as exc:
        raise RuntimeError("profiling needs pyinstrument: .venv/bin/pip install -e '.[dev]'") from exc
    with tempfile.TemporaryDirectory(prefix="rag-profile-") as scratch:
        settings = base.model_copy(update={"data_dir": Path(scratch), "chroma_url": None})
        services = Services(settings, chat_override=FunctionModel(_cite_first_evidence))
        ingest_paths([corpus], services.store, services.embedder, settings)
        answerer = Answerer(services.retriever, services.embedder, services.chat)
        answerer.ask(questions[0], AskOptions(k=settings.top_k))  # warm: embedder, BM25 index
        stages: dict[str, list[float]] = {}
        profiler = Profiler(interval=0.002)
        profiler.start()
        for _ in range(repeats):
            for question in questions:
                if isinstance(services.embedder, QueryCache):
                    services.embedder.clear()  # each round pays for its question, as a new question would
                for stage, ms in answerer.ask(question, AskOptions(k=settings.top_k)).timings.items():
                    stages.setdefault(stage, []).append(ms)
        profiler.stop()
    means = {stage: round(sum(values) / len(values), 1) for stage, values in stages.items()}
    return profiler.output_text(unicode=True, color=False, show_all=False), means
