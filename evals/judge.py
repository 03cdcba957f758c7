"""Optional LLM-judge grading through any OpenAI-compatible endpoint: reported beside the metrics, never gated."""

from __future__ import annotations

import re
from collections.abc import Sequence

from evals.metrics import RowResult
from evals.text import strip_markers
from rag.models.llm import ChatModel, LLMError, Message, OpenAICompatibleModel
from rag.models.prompts import render_prompt
from rag.settings import Settings

_VERDICT = re.compile(r"\b(yes|no)\b", re.I)


def build_judge(settings: Settings) -> ChatModel | None:
    """The judge endpoint from ``RAG_JUDGE_BASE_URL`` / ``RAG_JUDGE_MODEL``; ``None`` when none is configured."""
    if not settings.judge_base_url:
        return None
    return OpenAICompatibleModel(settings.judge_base_url, settings.judge_api_key.get_secret_value(), settings.judge_model,
                                 settings.llm_timeout_s, settings.llm_retries)


def judge_row(judge: ChatModel, row: RowResult) -> bool | None:
    """YES/NO from the judge for an answerable row; ``None`` when the judge gave no usable verdict."""
    messages: list[Message] = [
        {"role": "system", "content": render_prompt("judge_system")},
        {"role": "user", "content": render_prompt("judge_user", question=row.question, reference=row.expected or "",
                                                  candidate=strip_markers(row.answer).replace("<", "‹"))},
    ]
    try:
        reply = judge.complete(messages, max_tokens=4)
    except LLMError:
        return None
    match = _VERDICT.search(reply)
    return match.group(1).lower() == "yes" if match else None


def judge_metrics(judge: ChatModel, rows: Sequence[RowResult]) -> dict[str, float | int | None]:
    """Grade every answerable row in place (``row.judge``) and return the judged accuracy."""
    verdicts = []
    for row in rows:
        if row.answerable:
            row.judge = judge_row(judge, row)
            verdicts.append(row.judge)
    graded = [v for v in verdicts if v is not None]
    accuracy = round(sum(graded) / len(graded), 4) if graded else None
    return {"judge_accuracy": accuracy, "judge_ungraded": len(verdicts) - len(graded)}
