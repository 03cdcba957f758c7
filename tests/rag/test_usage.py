"""Token usage: recorded per call inside a metering block, estimated for models that report none."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence

import pytest

from rag.models.llm import Message
from rag.models.usage import MeteredModel, Usage, estimate_tokens, metering, record_usage
from rag.testing.llm import QueueModel


@pytest.mark.parametrize(("text", "tokens"), [("", 0), ("abc", 1), ("abcd", 1), ("abcde", 2), ("x" * 400, 100)])
def test_an_estimate_is_four_characters_a_token_rounded_up(text: str, tokens: int) -> None:
    assert estimate_tokens(text) == tokens


def test_a_meter_sums_the_calls_made_inside_it_and_only_in_its_own_thread() -> None:
    record_usage(Usage(prompt_tokens=99))  # no meter open: nothing to count into, nothing fails
    with metering() as meter:
        record_usage(Usage(prompt_tokens=10, completion_tokens=2))
        other = threading.Thread(target=record_usage, args=(Usage(prompt_tokens=1000),))
        other.start()
        other.join()
        with metering() as inner:
            record_usage(Usage(prompt_tokens=5, completion_tokens=1, estimated=True))
        record_usage(Usage(prompt_tokens=3, completion_tokens=3))
    assert inner.total == Usage(prompt_tokens=5, completion_tokens=1, estimated=True)
    assert meter.total == Usage(prompt_tokens=13, completion_tokens=5) and meter.total.total_tokens == 18


class ReportingModel(QueueModel):
    """A fake backend that records its own usage, as the real ones do."""

    reports_usage = True

    def stream(self, messages: Sequence[Message], max_tokens: int = 256) -> Iterator[str]:
        record_usage(Usage(prompt_tokens=7, completion_tokens=3))
        yield from super().stream(messages, max_tokens)


def test_a_metered_model_estimates_a_silent_model_and_leaves_a_reporting_one_alone() -> None:
    question: list[Message] = [{"role": "system", "content": "x" * 40}, {"role": "user", "content": "y" * 8}]
    with metering() as meter:
        assert MeteredModel(QueueModel(["z" * 30])).complete(question) == "z" * 30
        assert MeteredModel(ReportingModel(["z" * 30])).complete(question) == "z" * 30
        stopped = MeteredModel(QueueModel(["z" * 30])).stream(question)
        next(stopped)
        stopped.close()  # type: ignore[attr-defined]  # the client left after the first piece (7 characters)
    assert meter.calls == [Usage(prompt_tokens=12, completion_tokens=8, estimated=True),
                           Usage(prompt_tokens=7, completion_tokens=3),
                           Usage(prompt_tokens=12, completion_tokens=2, estimated=True)]
