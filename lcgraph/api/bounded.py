"""Dry runs with a time limit, stopped when their client goes.

For ``POST /validate`` and import dry runs (:mod:`lcgraph.api.validate`, :mod:`lcgraph.api.imports`):
anyone may send them, so their work is bounded in bytes and rows there and
in time here. :func:`run_bounded` runs the work on a worker thread with a
:class:`lcgraph.budget.Budget` in its context, and waits for the first of:
the answer; the deadline (``Settings.dry_run_timeout``), answered 503 with a
sentence saying what to do; the client disconnecting, which needs no answer.
Either way the budget is stopped and the work ends at its next checkpoint
(a row, a validation stage) instead of running on for nobody.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import time
from collections.abc import Callable
from typing import TypeVar

from starlette.requests import Request
from starlette.responses import Response

from lcgraph.api.errors import ServiceUnavailable
from lcgraph.budget import CURRENT, Budget, WorkStopped

log = logging.getLogger("lcgraph.api")

T = TypeVar("T")

#: How often the client's connection is looked at while the work runs.
POLL_SECONDS = 0.2


class ClientGone(Exception):
    """The client disconnected before the answer: nothing is sent."""


#: The "answer" to a client that has gone: nobody reads it; the access log shows 499
#: (client closed request), as proxies write it.
GONE = Response(status_code=499)


def flag(request: Request, name: str) -> bool:
    """Whether the query parameter ``name`` is set to a true value (``1``, ``true``, ``yes``, ``on``)."""
    return request.query_params.get(name, "").lower() in ("1", "true", "yes", "on")


async def _client_gone(request: Request) -> None:
    while not await request.is_disconnected():
        await asyncio.sleep(POLL_SECONDS)


def _ended(what: str, budget: Budget) -> Callable[[asyncio.Future], None]:
    """Log when work nobody waits for any more has really ended, and collect its outcome."""

    def done(task: asyncio.Future) -> None:
        error = None if task.cancelled() else task.exception()
        late = time.monotonic() - budget.stopped_at
        log.info("%s ended %.1f s after it was stopped (%d steps done)", what, late, budget.checks)
        if error is not None and not isinstance(error, WorkStopped):
            log.warning("%s ended with %r", what, error)

    return done


async def run_bounded(
    request: Request, what: str, fn: Callable[..., T], *args: object, **kwargs: object
) -> T:
    """``fn(*args, **kwargs)`` on a thread, within the dry-run time limit and while the client waits."""
    seconds = request.app.state.settings.dry_run_timeout
    budget = Budget(seconds)
    context = contextvars.copy_context()
    context.run(CURRENT.set, budget)
    work = asyncio.ensure_future(asyncio.to_thread(context.run, fn, *args, **kwargs))  # type: ignore[arg-type]
    watch = asyncio.ensure_future(_client_gone(request))
    try:
        done, _ = await asyncio.wait({work, watch}, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        watch.cancel()
    if work in done:
        try:
            return work.result()
        except WorkStopped:  # its own clock ran out a moment before ours
            pass
    gone = watch in done and not watch.cancelled() and watch.exception() is None
    budget.stop("the client went away" if gone else f"it took longer than {seconds:g} s")
    log.info("%s stopped: %s (%d steps done)", what, budget.reason, budget.checks)
    work.add_done_callback(_ended(what, budget))
    if gone:
        raise ClientGone(what)
    raise ServiceUnavailable(
        f"{what} did not finish within {seconds:g} seconds and was stopped; check a smaller part of the "
        "data at a time (split the file), or ask the operator to raise LCGRAPH_DRY_RUN_TIMEOUT",
        headers={"Retry-After": "60"},
    )
