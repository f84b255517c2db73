"""``POST /admin/history/prune?before=DATE``: administrators remove old change-sets from the history.

The prune is itself recorded as a change-set (:func:`lcgraph.validation.guarded.prune_history`).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import JSONResponse

from lcgraph.api.auth import ADMIN, tokens
from lcgraph.api.errors import BadRequest
from lcgraph.api.runtime import runtime
from lcgraph.validation.guarded import prune_history

router = APIRouter(tags=["writes"])


@router.post(
    "/admin/history/prune",
    summary="Remove old change-sets from the history (admin; recorded)",
    tags=["admin"],
)
async def prune_history_route(
    request: Request,
    before: Annotated[
        str,
        Query(
            description="Remove change-sets that ended before this ISO 8601 date or time (UTC if no zone)."
        ),
    ],
) -> JSONResponse:
    """Remove the change-sets that ended before ``before`` (ISO date or date-time, UTC if no zone).

    The one way to edit the history graph, for administrators only (401
    without a token, 403 without the admin scope). The prune is itself
    recorded as a change-set (``lc:HistoryPrune``: who, when, up to when,
    how many), written with the removal; prune records are never pruned.
    """
    principal = tokens(request).require(request, ADMIN, "pruning the history")
    try:
        when = dt.datetime.fromisoformat(before)
    except ValueError:
        raise BadRequest(
            f"before={before!r} is not a date: give an ISO 8601 date or time, e.g. before=2025-01-01"
        ) from None
    try:
        result = await asyncio.to_thread(prune_history, runtime(request).dataset, when, agent=principal.name)
    except ValueError as exc:
        raise BadRequest(str(exc)) from None
    await request.app.state.runtime.committed(True)
    return JSONResponse(result.to_json())
