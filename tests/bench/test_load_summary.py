"""``rag load``'s tally: which outcomes are the queue saying no, and which are failures."""

from __future__ import annotations

from bench.load import Outcome, _Tally, summarize


def test_a_503_with_a_retry_time_is_the_queue_saying_no_whether_at_once_or_in_the_stream() -> None:
    tally = _Tally(outcomes=[Outcome("200", 0.0, 1.0), Outcome("503", 0.0, 0.1, retry_after=4.0),
                             Outcome("stream 503", 0.0, 2.0, retry_after=3.0), Outcome("stream 503", 0.0, 2.0),
                             Outcome("stream 504", 0.0, 5.0), Outcome("stream 500", 0.0, 1.0)])
    result = summarize("http://x", users=3, elapsed=10.0, tally=tally, unfinished=0, server=None)
    assert (result.answered, result.rejected, result.deadline_504, result.unexpected_5xx) == (1, 1, 1, 2)
