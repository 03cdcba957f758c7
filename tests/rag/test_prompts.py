from __future__ import annotations

import pytest

from rag.prompts import PromptError, list_prompts, load_prompt, prompt_variables, render_prompt


@pytest.mark.parametrize("name", list_prompts())
def test_every_prompt_renders_with_exactly_its_variables(name: str) -> None:
    variables = prompt_variables(load_prompt(name))
    text = render_prompt(name, **{v: f"<{v} value>" for v in variables})
    assert all(f"<{v} value>" in text for v in variables)


def test_the_answer_prompts_exist_and_fence_the_evidence() -> None:
    assert {"answer_system", "answer_user", "rewrite_system", "rewrite_user"} <= set(list_prompts())
    assert "<evidence>\n{evidence}\n</evidence>" in load_prompt("answer_user")


def test_missing_or_extra_variables_are_errors() -> None:
    with pytest.raises(PromptError, match="missing"):
        render_prompt("answer_user", question="q")
    with pytest.raises(PromptError, match="unexpected"):
        render_prompt("answer_user", question="q", evidence="e", extra="x")
    with pytest.raises(PromptError):
        load_prompt("no_such_prompt")


def test_values_with_braces_are_inserted_verbatim() -> None:
    assert "{question}" in render_prompt("answer_user", question="q", evidence="{question}")
