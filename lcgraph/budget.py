"""Bounded work: a stop flag that long-running steps check, set at a deadline or when the client goes.

For the dry runs of the API (``POST /validate``, import dry runs) and the
code they call (sheet reading, the import's row builder, incremental
validation). The API sets a :class:`Budget` in the context the work runs
in; the work calls :func:`checkpoint` between steps (a row, a validation
stage) and stops with :class:`WorkStopped` once the budget is spent. Code
run without a budget (the CLI, ordinary writes) is not affected.

A step that runs inside the engine (one SHACL validation call) is not
interrupted; the row and byte limits keep such a step short.
"""

from __future__ import annotations

import threading
import time
from contextvars import ContextVar


class WorkStopped(Exception):
    """The work was stopped: its time ran out or nobody waits for its answer any more."""


class Budget:
    """A deadline and a stop flag for one piece of work."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds
        self._stopped = threading.Event()
        self.reason = ""
        self.checks = 0
        self.stopped_at = 0.0

    def stop(self, reason: str) -> None:
        if not self._stopped.is_set():
            self.reason = reason
            self.stopped_at = time.monotonic()
            self._stopped.set()

    @property
    def stopped(self) -> bool:
        return self._stopped.is_set()

    def check(self) -> None:
        self.checks += 1
        if not self._stopped.is_set() and time.monotonic() > self.deadline:
            self.stop(f"it took longer than {self.seconds:g} s")
        if self._stopped.is_set():
            raise WorkStopped(self.reason)


CURRENT: ContextVar[Budget | None] = ContextVar("lcgraph_budget", default=None)


def checkpoint() -> None:
    """Stop here (:class:`WorkStopped`) if the current work's budget is spent; else nothing."""
    budget = CURRENT.get()
    if budget is not None:
        budget.check()
