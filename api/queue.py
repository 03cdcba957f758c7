"""The model's queue: one generation at a time, a bounded line of waiting requests, and 503 beyond it.

The in-process model is not thread-safe and the verifier's judge shares it, so one answer runs at a time. A request
reserves a place in the line when it is admitted (before a streamed response starts, so a full line is a real 503,
not an error event); the worker thread then waits for its turn, in order, and gives the model back when done.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from pydantic import BaseModel

from rag.answer import AnswerCancelled


class QueueFull(Exception):
    """The line of waiting requests is full; ``retry_after`` is when a place is likely free (seconds)."""

    def __init__(self, waiting: int, retry_after: int) -> None:
        super().__init__(f"the model is busy and {waiting} requests are already waiting; try again in {retry_after} s")
        self.retry_after = retry_after


class DeadlineExceeded(Exception):
    """The request's model work did not finish, or did not get the model, within its deadline."""

    def __init__(self, seconds: float | None = None) -> None:
        limit = f"the {seconds:g} s" if seconds is not None else "the time"
        super().__init__(f"the answer took longer than {limit} this server allows; try again later")


class QueueStatus(BaseModel):
    """``GET /v1/queue``: the model's line now, and since the process started."""

    running: int
    """Answers holding the model (0 or 1)."""
    waiting: int
    max_waiting: int
    peak_waiting: int
    """The most requests seen waiting behind a running one."""
    rejected: int
    """Requests turned away with 503 because the line was full."""
    mean_run_s: float
    """Recent average time an answer holds the model (the basis of ``Retry-After``)."""


class Ticket:
    """A place in the line, from admission until the model is released (or the request gives up)."""

    def __init__(self, queue: ModelQueue) -> None:
        self._queue = queue
        self.state = "waiting"
        """``waiting``, ``running``, ``done`` or ``withdrawn``."""

    def withdraw(self) -> None:
        """Leave the line if still waiting (client gone, response finished); a running ticket is left alone."""
        self._queue._withdraw(self)


class ModelQueue:
    """One running ticket and at most ``max_waiting`` waiting ones, served in arrival order."""

    def __init__(self, max_waiting: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.max_waiting = max_waiting
        self._clock = clock
        self._changed = threading.Condition()
        self._line: deque[Ticket] = deque()
        self._running: Ticket | None = None
        self._mean_run_s = 5.0  # a first guess for Retry-After, replaced as answers are timed
        self.peak_waiting = 0
        """The most requests seen waiting behind a running one."""
        self.rejected = 0

    def reserve(self) -> Ticket:
        """A place in the line, or :class:`QueueFull` at once when ``max_waiting`` requests already wait."""
        with self._changed:
            if self._waiting() >= self.max_waiting and (self._running is not None or self._line):
                self.rejected += 1
                raise QueueFull(self._waiting(), self._retry_after())
            ticket = Ticket(self)
            self._line.append(ticket)
            self.peak_waiting = max(self.peak_waiting, self._waiting())
            return ticket

    @contextmanager
    def slot(self, ticket: Ticket | None = None, deadline: float | None = None,
             cancelled: Callable[[], bool] | None = None) -> Iterator[None]:
        """Hold the model for the ``with`` body: reserve (unless given a ticket), wait for the turn, release.

        Raises :class:`QueueFull` (no place), :class:`DeadlineExceeded` (the turn did not come by ``deadline``, a
        :func:`time.monotonic` time) or ``AnswerCancelled`` (``cancelled()`` became true or the ticket was withdrawn).
        """
        ticket = ticket or self.reserve()
        self._wait_for_turn(ticket, deadline, cancelled)
        started = self._clock()
        try:
            yield
        finally:
            self._release(ticket, self._clock() - started)

    def status(self) -> QueueStatus:
        with self._changed:
            return QueueStatus(running=int(self._running is not None), waiting=self._waiting(),
                               max_waiting=self.max_waiting, peak_waiting=self.peak_waiting, rejected=self.rejected,
                               mean_run_s=round(self._mean_run_s, 2))

    def _waiting(self) -> int:
        """Admitted requests behind the one that holds the model (or is about to take it)."""
        return max(0, len(self._line) + (self._running is not None) - 1)

    def _wait_for_turn(self, ticket: Ticket, deadline: float | None, cancelled: Callable[[], bool] | None) -> None:
        with self._changed:
            while not (self._running is None and self._line and self._line[0] is ticket):
                if ticket.state == "withdrawn" or (cancelled is not None and cancelled()):
                    self._drop(ticket)
                    raise AnswerCancelled("the client went away while waiting for the model")
                now = self._clock()
                if deadline is not None and now >= deadline:
                    self._drop(ticket)
                    raise DeadlineExceeded()
                # Woken by every release or withdrawal; the timeout only re-checks the client and the deadline.
                self._changed.wait(0.1 if deadline is None else max(0.0, min(0.1, deadline - now)))
            self._line.popleft()
            self._running = ticket
            ticket.state = "running"

    def _release(self, ticket: Ticket, seconds: float) -> None:
        with self._changed:
            if self._running is ticket:
                self._running = None
                self._mean_run_s = 0.7 * self._mean_run_s + 0.3 * seconds
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

    def _retry_after(self) -> int:
        """Seconds until a place in the line is likely free: one answer's time, on recent average."""
        return max(1, min(300, math.ceil(self._mean_run_s)))
