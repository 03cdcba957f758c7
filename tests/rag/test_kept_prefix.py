"""Kept prompt leads: the real 0.5B model evaluates only what follows a lead it has seen, with the same reply."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.models.kept_prefix import MIN_SHARED_TOKENS, common_prefix, lead_key
from rag.models.llm import LlamaCppModel, Message

INSTRUCTIONS = ("You answer questions about a shipping report using only the report. Answer in one short sentence. "
                "Copy names and numbers exactly. If the report does not say, reply exactly: NOT IN SOURCES")
EXAMPLE: list[Message] = [
    {"role": "user", "content": "Report: The ferry Aster left Brindisi at dawn.\nQuestion: Where did the Aster leave?"},
    {"role": "assistant", "content": "The Aster left Brindisi."},
]


def asking(question: str, report: str) -> list[Message]:
    return [{"role": "system", "content": INSTRUCTIONS}, *EXAMPLE,
            {"role": "user", "content": f"Report: {report}\nQuestion: {question}"}]


OTHER: list[Message] = [{"role": "system", "content": "Rewrite the user's question so that it stands alone, in one line. "
                                                      "Keep every name the user gave."},
                        {"role": "user", "content": "And the second one?"}]


def test_the_lead_is_every_message_but_the_last() -> None:
    one = asking("Which port?", "The tanker Lyra docked at Gdansk.")
    two = asking("How many crew?", "The Lyra carried 21 crew.")
    assert lead_key(one) == lead_key(two) != ""
    assert lead_key(one) != lead_key(OTHER)
    assert lead_key(one[-1:]) == ""  # a lone message has no lead
    assert common_prefix([1, 2, 3, 4], [1, 2, 9]) == 2 and common_prefix([], [1]) == 0


@pytest.mark.model
def test_a_lead_is_loaded_back_after_another_prompt_and_the_reply_is_unchanged(gguf_path: Path) -> None:
    model = LlamaCppModel(gguf_path, threads=2, context=2048)
    model.complete(asking("Which port did the Lyra dock at?", "The tanker Lyra docked at Gdansk on Monday."), 24)
    model.complete(asking("How many crew did the Lyra carry?", "The Lyra carried 21 crew, the operator said."), 24)
    model.complete(OTHER, 24)  # another prompt takes over the model's cache
    llama = model._llama
    held_before = common_prefix([int(t) for t in llama.input_ids[: llama.n_tokens]],
                                model.leads._kept[lead_key(asking("?", "."))].state.ids.tolist())

    question = asking("Who owns the Lyra?", "The Lyra is owned by Baltic Tankers AS, registry files show.")
    loads = model.leads.loads
    warm = model.complete(question, 24)
    assert held_before < MIN_SHARED_TOKENS  # the other prompt had replaced the lead ...
    assert model.leads.loads == loads + 1  # ... so it was loaded back rather than evaluated again

    model.forget()
    cold = model.complete(question, 24)
    assert model.leads.loads == loads + 1
    assert warm == cold and "Baltic Tankers" in warm


@pytest.mark.model
def test_a_primed_lead_serves_the_first_question(gguf_path: Path) -> None:
    model = LlamaCppModel(gguf_path, threads=2, context=2048)
    model.prime(asking("?", ".")[:-1])
    model.complete(OTHER, 8)  # something else ran in between
    loads = model.leads.loads
    reply = model.complete(asking("Where did the Lyra dock?", "The tanker Lyra docked at Gdansk on Monday."), 24)
    assert model.leads.loads == loads + 1 and "Gdansk" in reply
