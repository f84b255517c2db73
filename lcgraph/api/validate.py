"""``POST /validate``: check RDF (or the whole store) against the shapes; nothing is written.

For partner organisations and data officers (issue 4). An RDF body (Turtle,
TriG, N-Triples, JSON-LD…) is checked as it would land in the store;
``?alone=true`` checks it by itself; ``?all=true`` (no body, admin only)
validates the whole store. A body is checked within
``Settings.dry_run_timeout`` seconds (else 503) and the check stops when the
client disconnects. Answers 200 with the report (``conforms`` says whether it
passed).

Reports are JSON by default and the standard ``sh:ValidationReport`` when the
client asks for ``text/turtle`` or ``application/ld+json``
(:func:`report_response`, which the imports of :mod:`lcgraph.api.imports` and
the 422 handler for refused writes use too).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from lcgraph.access import Access
from lcgraph.api.auth import ADMIN, WRITE, tokens
from lcgraph.api.bounded import GONE, ClientGone, flag, run_bounded
from lcgraph.api.errors import BadRequest, PayloadTooLarge, UnsupportedMediaType
from lcgraph.api.negotiation import JSON, REPORT_FORMATS, choose
from lcgraph.api.runtime import runtime
from lcgraph.store import Format, LoadError, Repository, UnknownFormat, by_media_type
from lcgraph.validation.engine import triples_graph
from lcgraph.validation.files import parse_bytes
from lcgraph.validation.guarded import check_change, default_shapes
from lcgraph.validation.incremental import validate_full
from lcgraph.validation.report import ValidationReport, input_error

router = APIRouter(tags=["writes"])

#: What a request without a write token may have checked: bounded work for anyone.
ANONYMOUS_DRY_RUN_BYTES = 1024 * 1024
ANONYMOUS_DRY_RUN_ROWS = 2000


def report_response(
    request: Request, report: ValidationReport, status: int = 200, extra: dict[str, Any] | None = None
) -> Response:
    """The report in the form the client asks for: JSON (default), Turtle or JSON-LD."""
    fmt = choose(request.headers.get("accept"), REPORT_FORMATS) or JSON
    if fmt is not JSON:
        return Response(report.serialize(fmt.media_type), status_code=status, media_type=fmt.media_type)
    body = dict(extra or {})
    body["report"] = report.to_json()
    body.setdefault("conforms", report.conforms)
    return Response(json.dumps(body, ensure_ascii=False), status_code=status, media_type="application/json")


@router.post("/validate", summary="Check RDF (or the whole store) against the shapes; writes nothing")
async def validate(request: Request) -> Response:
    ds = runtime(request).dataset
    principal = tokens(request).identify(request)
    if flag(request, "all"):
        # The whole store, private graph included, for minutes at national scale: administrators only.
        tokens(request).require(request, ADMIN, "validating the whole store")
        report = await asyncio.to_thread(validate_full, default_shapes(), ds)
        return report_response(request, report)
    body = await request.body()
    if not principal.can(WRITE) and len(body) > ANONYMOUS_DRY_RUN_BYTES:
        raise PayloadTooLarge(
            f"without a token, at most {ANONYMOUS_DRY_RUN_BYTES // 1024 // 1024} MiB can be checked "
            "per request; split the data or use a token with the write scope"
        )
    content_type = request.headers.get("content-type", "")
    if not body.strip():
        raise BadRequest("send the RDF to check in the request body (or use ?all=true for the whole store)")
    try:
        fmt = by_media_type(content_type or "text/turtle")
    except UnknownFormat as exc:
        raise UnsupportedMediaType(str(exc)) from None
    graph = request.query_params.get("graph")
    alone = flag(request, "alone")
    try:
        report, status = await run_bounded(
            request, "the validation", _validate, ds, body, fmt, graph, alone, principal.access
        )
    except ClientGone:
        return GONE
    return report_response(request, report, status)


def _validate(
    ds: Repository, body: bytes, fmt: Format, graph: str | None, alone: bool, access: Access
) -> tuple[ValidationReport, int]:
    """Read and check a ``/validate`` body (on a worker thread, within the dry-run budget)."""
    try:
        quads = parse_bytes(body, fmt, graph=graph, source="request body")
    except LoadError as exc:
        report = ValidationReport(
            [
                input_error(
                    f"อ่าน RDF ไม่ได้: {exc.problem}",
                    f"cannot read the RDF: {exc.problem}",
                    source="request body",
                    line=exc.line,
                    column=exc.column,
                    constraint="https://w3id.org/lcgraph/def#ParseError",
                )
            ]
        )
        return report, 400
    if alone:
        return _validate_alone(quads), 200
    return check_change(ds, add_quads=quads, access=access), 200


def _validate_alone(quads: list) -> ValidationReport:
    data = triples_graph((q.subject, q.predicate, q.object) for q in quads)
    return validate_full(default_shapes(), None, data)
