"""The model's queue: ``slots`` generations at a time, a bounded line of waiting requests, and an honest 503 beyond it.

The in-process model is not thread-safe and the verifier's judge shares it, so it has one slot: one answer runs at a
time. A served model (an OpenAI-compatible endpoint that batches requests: vLLM, llama.cpp's server with parallel
slots) takes ``RAG_MAX_CONCURRENT`` at once. A request
reserves a place in the line when it is admitted (before a streamed response starts, so a refusal is a real 503,
not an error event); the worker thread then waits for its turn, in order, and gives the model back when done.

A request is refused at once, with ``Retry-After``, when the line is full or when the work ahead of it (at the recent
mean time of each kind of work) and its own would not be done by its deadline: it could never have been answered
in time, so it is not left to wait for a 504. An admitted request that can no longer expect to be done in time
(the work ahead ran longer than its mean) leaves with the same 503 as soon as that is known; a 504 is kept for work
that started and overran.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager

from pydantic import BaseModel

from rag.answer.pipeline import AnswerCancelled

EXPECTED_ANSWER_S = 30.0
"""How long an answer is assumed to hold the model before one has been timed (``RAG_EXPECTED_ANSWER_S``)."""
RECENT_WEIGHT = 0.3
"""Weight of the latest timing in the running mean: the mean follows the last few answers."""
WAITING_LEEWAY = 0.25
"""A waiting request is sent away once its expected end is past its deadline by more than this share of its own
mean time: an estimate that drifted a little since admission (the work ahead took the model a moment later than
counted) does not turn away a request it admitted, while one that a slower answer put out of reach is told at once."""


class ModelBusy(Exception):
    """The model cannot take this request in time (503); ``retry_after`` is when to try again (whole seconds, ≥ 1)."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class QueueFull(ModelBusy):
    """The line of waiting requests is full."""

    def __init__(self, waiting: int, retry_after: int) -> None:
        super().__init__(f"the model is busy and {waiting} requests are already waiting; try again in {retry_after} s",
                         retry_after)


class WaitTooLong(ModelBusy):
    """The work ahead of this request (on recent timings) leaves no time to do it before its deadline."""


class DeadlineExceeded(Exception):
    """The request's model work started but did not finish within its deadline (504)."""

    def __init__(self, seconds: float | None = None) -> None:
        limit = f"the {seconds:g} s" if seconds is not None else "the time"
        super().__init__(f"the answer took longer than {limit} this server allows; try again later")


class QueueStatus(BaseModel):
    """``GET /v1/queue``: the model's line now, and since the process started."""

    running: int
    """Answers holding the model (at most ``slots``)."""
    slots: int = 1
    """How many may hold it at once (1 for the in-process model)."""
    waiting: int
    max_waiting: int
    peak_waiting: int
    """The most requests seen waiting behind a running one."""
    rejected: int
    """Requests turned away with 503: the line was full, or the wait left no time to answer them by their deadline
    (at admission, or later while they waited)."""
    mean_run_s: float
    """Recent mean time an answer holds the model (a prior until one has been timed)."""
    expected_wait_s: float
    """How long an answer arriving now would wait for the model: the work ahead of it at its recent mean times."""


class Ticket:
    """A place in the line, from admission until the model is released (or the request gives up)."""

    def __init__(self, queue: ModelQueue, kind: str, admitted: float, within_s: float | None) -> None:
        self._queue = queue
        self.kind = kind
        """What the work is (``answer``, ``check``, ``briefing``): each kind has its own mean time."""
        self.within_s = within_s
        """Seconds from admission the work must be done in (``None``: no limit)."""
        self.deadline = None if within_s is None else admitted + within_s
        """When it must be done, on the queue's clock (:func:`time.monotonic` unless a test gives another)."""
        self.started_at: float | None = None
        self.state = "waiting"
        """``waiting``, ``running``, ``done`` or ``withdrawn``."""

    def withdraw(self) -> None:
        """Leave the line if still waiting (client gone, response finished); a running ticket is left alone."""
        self._queue._withdraw(self)

    def late(self) -> Exception:
        """What the client is told when its deadline passes: 504 once the work started, 503 while it still waited."""
        return self._queue._late(self)


class ModelQueue:
    """At most ``slots`` running tickets and ``max_waiting`` waiting ones, served in arrival order.

    ``expected_s`` maps a kind of work to the seconds it is assumed to hold the model until one has been timed
    (kinds not named take the ``answer`` prior); after that each kind's time is a running mean of its recent runs.
    """

    def __init__(self, max_waiting: int, expected_s: Mapping[str, float] | None = None,
                 clock: Callable[[], float] = time.monotonic, slots: int = 1) -> None:
        if slots < 1:
            raise ValueError("a model queue needs at least one slot")
        self.max_waiting = max_waiting
        self.slots = slots
        self._clock = clock
        self._changed = threading.Condition()
        self._line: deque[Ticket] = deque()
        self._running: list[Ticket] = []
        self._priors = {"answer": EXPECTED_ANSWER_S, **(expected_s or {})}
        self._means: dict[str, float] = {}
        """Kind → recent mean seconds holding the model, for the kinds that have been timed."""
        self.peak_waiting = 0
        """The most requests seen waiting behind a running one."""
        self.rejected = 0

    def reserve(self, kind: str = "answer", within_s: float | None = None) -> Ticket:
        """A place in the line, or :class:`ModelBusy` at once.

        :class:`QueueFull` when ``max_waiting`` requests already wait; :class:`WaitTooLong` when the work ahead and
        this request's own would, at their recent mean times, not be done within ``within_s`` seconds. A request
        with nothing ahead of it is always admitted: only running it can tell.
        """
        with self._changed:
            busy = len(self._running) >= self.slots or bool(self._line)
            if busy and self._waiting() >= self.max_waiting:
                self.rejected += 1
                raise QueueFull(self._waiting(), self._retry_after_full())
            ticket = Ticket(self, kind, self._clock(), within_s)
            if busy and within_s is not None:
                wait = self._expected_start(len(self._line))
                if (over := wait + self._mean(kind) - within_s) > 0:
                    self.rejected += 1
                    raise WaitTooLong(self._too_long(ticket, wait), _seconds(over))
            self._line.append(ticket)
            self.peak_waiting = max(self.peak_waiting, self._waiting())
            return ticket

    @contextmanager
    def slot(self, ticket: Ticket | None = None, within_s: float | None = None,
             cancelled: Callable[[], bool] | None = None,
             on_wait: Callable[[int, float], None] | None = None) -> Iterator[None]:
        """Hold the model for the ``with`` body: reserve (unless given a ticket) ``within_s``, wait for the turn, release.

        While it waits, ``on_wait(ahead, expected_wait_s)`` is told each time the number of requests ahead changes.

        Raises :class:`ModelBusy` (no place, or no time left to do the work: :meth:`reserve`, and while waiting) or
        ``AnswerCancelled`` (``cancelled()`` became true or the ticket was withdrawn). Only runs that finished or
        overran their deadline are timed into the mean.
        """
        ticket = ticket or self.reserve(within_s=within_s)
        self._wait_for_turn(ticket, cancelled, on_wait)
        started = self._clock()
        timed = True
        try:
            yield
        except BaseException as exc:
            timed = isinstance(exc, DeadlineExceeded)  # an overrun is a timing; a cancel or a crash stopped early
            raise
        finally:
            self._release(ticket, self._clock() - started if timed else None)

    def status(self) -> QueueStatus:
        with self._changed:
            return QueueStatus(running=len(self._running), slots=self.slots, waiting=self._waiting(),
                               max_waiting=self.max_waiting, peak_waiting=self.peak_waiting, rejected=self.rejected,
                               mean_run_s=round(self._mean("answer"), 2),
                               expected_wait_s=round(self._expected_start(len(self._line)), 2))

    def _waiting(self) -> int:
        """Admitted requests that will not get a free slot as soon as one is taken (those beyond the slots)."""
        return max(0, len(self._line) + len(self._running) - self.slots)

    def _mean(self, kind: str) -> float:
        return self._means.get(kind, self._priors.get(kind, self._priors["answer"]))

    def _expected_start(self, position: int) -> float:
        """Seconds until the ticket at ``position`` in the line is likely to get the model.

        Each slot frees when its running work ends (at its kind's mean); each ticket ahead takes the slot that frees
        first, in line order (the line is served in order), so the ticket waits for the slot free after them.
        """
        now = self._clock()
        free = sorted(max(0.0, self._mean(t.kind) - (now - (now if t.started_at is None else t.started_at)))
                      for t in self._running)
        free += [0.0] * (self.slots - len(free))
        for ahead in list(self._line)[:position]:
            free[0] += self._mean(ahead.kind)
            free.sort()
        return free[0]

    def _wait_for_turn(self, ticket: Ticket, cancelled: Callable[[], bool] | None,
                       on_wait: Callable[[int, float], None] | None) -> None:
        told = None
        with self._changed:
            while not (len(self._running) < self.slots and self._line and self._line[0] is ticket):
                if ticket.state == "withdrawn" or ticket not in self._line or (cancelled is not None and cancelled()):
                    self._drop(ticket)
                    raise AnswerCancelled("the client went away while waiting for the model")
                position = self._line.index(ticket)
                wait = self._expected_start(position)
                if (ahead := max(0, position + len(self._running) - self.slots + 1)) != told and on_wait is not None:
                    on_wait(ahead, wait)
                told = ahead
                # Re-checked on every change: once the work ahead and its own (a slow answer raises the means, a
                # running one that overruns delays the rest) would end clearly past the deadline, the request
                # leaves now: its turn would turn it away by the same sum, so it is told as soon as that is known,
                # not after waiting out most of its deadline.
                if self._out_of_time(ticket, wait, WAITING_LEEWAY * self._mean(ticket.kind)):
                    self._drop(ticket)
                    self.rejected += 1
                    raise WaitTooLong(self._no_time_left(ticket), self._retry_after_for(ticket))
                # Woken by every release or withdrawal; the timeout only re-checks the client and the deadline.
                self._changed.wait(0.1)
            if told is not None and self._out_of_time(ticket, 0.0):
                # Its turn came after a wait that left too little time for its own run: it would only overrun.
                self._drop(ticket)
                self.rejected += 1
                raise WaitTooLong(self._no_time_left(ticket), self._retry_after_for(ticket))
            self._line.popleft()
            self._running.append(ticket)
            ticket.state = "running"
            ticket.started_at = self._clock()

    def _out_of_time(self, ticket: Ticket, wait: float, leeway: float = 0.0) -> bool:
        """Whether ``ticket``'s work, starting in ``wait`` s, would end over ``leeway`` s past its deadline (by its mean)."""
        end = self._clock() + wait + self._mean(ticket.kind)
        return ticket.deadline is not None and end > ticket.deadline + leeway

    def _release(self, ticket: Ticket, seconds: float | None) -> None:
        with self._changed:
            if ticket in self._running:
                self._running.remove(ticket)
                if seconds is not None:
                    last = self._means.get(ticket.kind)  # the first timing replaces the prior
                    self._means[ticket.kind] = seconds if last is None else (
                        (1 - RECENT_WEIGHT) * last + RECENT_WEIGHT * seconds)
            ticket.state = "done"
            self._changed.notify_all()

    def _withdraw(self, ticket: Ticket) -> None:
        with self._changed:
            if ticket.state == "waiting":
                self._drop(ticket)
                ticket.state = "withdrawn"
                self._changed.notify_all()

    def _drop(self, ticket: Ticket) -> None:
        if ticket in self._line:
            self._line.remove(ticket)
            self._changed.notify_all()

    def _late(self, ticket: Ticket) -> Exception:
        with self._changed:
            if ticket.state == "running" or ticket.state == "done":
                return DeadlineExceeded(ticket.within_s)
            return WaitTooLong(self._no_time_left(ticket), self._retry_after_for(ticket))

    def _retry_after_full(self) -> int:
        """Seconds until a place in the line is likely free: what is left of the running work."""
        return _seconds(self._expected_start(0) or self._mean("answer"))

    def _retry_after_for(self, ticket: Ticket) -> int:
        """Seconds until a request like ``ticket``, arriving anew, would likely fit in its time."""
        within = ticket.within_s or 0.0
        return _seconds(self._expected_start(len(self._line)) + self._mean(ticket.kind) - within)

    def _too_long(self, ticket: Ticket, wait: float) -> str:
        ahead = len(self._line) + len(self._running)
        own = self._mean(ticket.kind)
        return (f"the model is busy: the {ahead} requests ahead of this one need about {wait:.0f} s and this one about "
                f"{own:.0f} s more, over the {ticket.within_s:g} s this server allows; "
                f"try again in {_seconds(wait + own - (ticket.within_s or 0.0))} s")

    def _no_time_left(self, ticket: Ticket) -> str:
        return (f"the model did not become free in time to do this within the {ticket.within_s or 0:g} s this server "
                f"allows; try again in {self._retry_after_for(ticket)} s")


def _seconds(value: float) -> int:
    """A ``Retry-After`` value: whole seconds, at least 1."""
    return max(1, math.ceil(value))
