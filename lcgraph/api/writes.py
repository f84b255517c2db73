"""HTTP routes for dry-run validation and partner imports (issue 4).

For partner organisations and data officers:

* ``POST /validate`` — an RDF body (Turtle, TriG, N-Triples, JSON-LD…) is
  checked as it would land in the store; ``?alone=true`` checks it by itself;
  ``?all=true`` (no body, admin only) validates the whole store. Nothing is written.
  A body is checked within ``Settings.dry_run_timeout`` seconds (else 503) and
  the check stops when the client disconnects.
  Answers 200 with the report (``conforms`` says whether it passed).
* ``POST /import/{template}`` — a filled-in CSV or XLSX template (multipart
  field ``file``, or the raw body with ``?filename=``) is imported whole, or
  not at all: 200 with the result, 422 with the report, 413 if too large.
  ``?dry_run=true`` only checks (anyone may; within ``Settings.dry_run_timeout``
  seconds, else 503, and stopped when the client goes). Needs a ``write`` token; ``?force=true``
  (write despite violations, logged) needs an ``admin`` token.

* ``POST /admin/history/prune?before=DATE`` — administrators remove old
  change-sets from the history; the prune is recorded as a change-set.

Reports are JSON by default and the standard ``sh:ValidationReport`` when the
client asks for ``text/turtle`` or ``application/ld+json``
(:func:`report_response`, which the 422 handler for refused writes can use too).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import json
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.responses import JSONResponse, Response

from lcgraph.access import Access
from lcgraph.api.auth import ADMIN, WRITE, registry
from lcgraph.api.bounded import ClientGone, run_bounded
from lcgraph.api.errors import BadRequest, Forbidden, NotFound, PayloadTooLarge, UnsupportedMediaType
from lcgraph.api.negotiation import JSON, REPORT_FORMATS, choose
from lcgraph.api.runtime import runtime
from lcgraph.ingest.importer import import_bytes
from lcgraph.ingest.sheets import SheetError, check_size
from lcgraph.ingest.templates import TEMPLATES, UnknownTemplate, get_template
from lcgraph.store import Format, LoadError, Repository, UnknownFormat, by_media_type
from lcgraph.validation.engine import triples_graph
from lcgraph.validation.files import parse_bytes
from lcgraph.validation.guarded import check_change, default_shapes, prune_history
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


def _flag(request: Request, name: str) -> bool:
    return request.query_params.get(name, "").lower() in ("1", "true", "yes", "on")


@router.post("/validate", summary="Check RDF (or the whole store) against the shapes; writes nothing")
async def validate(request: Request) -> Response:
    ds = runtime(request).dataset
    principal = registry(request).identify(request)
    if _flag(request, "all"):
        # The whole store, private graph included, for minutes at national scale: administrators only.
        registry(request).require(request, ADMIN, "validating the whole store")
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
    alone = _flag(request, "alone")
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


#: The "answer" to a client that has gone: nobody reads it; the access log shows 499
#: (client closed request), as proxies write it.
GONE = Response(status_code=499)


async def _upload(request: Request) -> tuple[bytes, str]:
    """The uploaded sheet and its file name (multipart ``file`` or raw body)."""
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        form = await request.form()
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise BadRequest("send the sheet as the multipart field 'file'")
        return await upload.read(), upload.filename or "upload"
    name = request.query_params.get("filename")
    if not name:
        name = "upload.xlsx" if "spreadsheetml" in content_type else "upload.csv"
    return await request.body(), name


@router.post("/import/{template}", summary="Import a filled-in CSV/XLSX template, all rows or none")
async def import_template(template: str, request: Request) -> Response:
    try:
        chosen = get_template(template)
    except UnknownTemplate as exc:
        raise NotFound(f"{exc}; templates: {', '.join(TEMPLATES)}") from None
    dry_run = _flag(request, "dry_run")
    principal = None if dry_run else registry(request).require(request, WRITE, "importing data")
    force = _flag(request, "force")
    if force and (principal is None or not principal.can(ADMIN)):
        raise Forbidden("?force=true needs a token with the 'admin' scope")
    data, filename = await _upload(request)
    caller = principal or registry(request).identify(request)
    anonymous = not caller.can(WRITE)
    try:
        check_size(len(data))
        if anonymous and len(data) > ANONYMOUS_DRY_RUN_BYTES:
            raise SheetError(
                f"ตรวจได้ไม่เกิน {ANONYMOUS_DRY_RUN_BYTES // 1024 // 1024} MB ต่อครั้งโดยไม่ใช้โทเค็น: แบ่งไฟล์",
                f"at most {ANONYMOUS_DRY_RUN_BYTES // 1024 // 1024} MB can be checked per request "
                "without a token: split the file",
            )
    except SheetError as exc:
        report = ValidationReport(
            [
                input_error(
                    exc.message_th,
                    exc.message_en,
                    source=filename,
                )
            ],
            mode="import",
        )
        return report_response(request, report, 413, {"written": False})
    ds = runtime(request).dataset
    agent = principal.name if principal is not None else None
    work = functools.partial(
        import_bytes,
        ds,
        chosen.name,
        data,
        filename,
        agent=agent,
        force=force,
        dry_run=dry_run,
        access=caller.access,
        max_rows=ANONYMOUS_DRY_RUN_ROWS if anonymous else None,
    )
    if dry_run:  # anyone may send one: bounded in time, and stopped when the client goes
        try:
            result = await run_bounded(request, "the import dry run", work)
        except ClientGone:
            return GONE
    else:
        result = await asyncio.to_thread(work)
    await request.app.state.runtime.committed(result.written and result.change is not None)
    extra = {k: v for k, v in result.to_json().items() if k != "report"}
    status = 200 if result.ok or result.written else 422
    return report_response(request, result.report, status, extra)


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
    principal = registry(request).require(request, ADMIN, "pruning the history")
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


@router.get("/import", summary="The import templates and their columns")
async def list_templates() -> JSONResponse:
    return JSONResponse(
        {
            name: {
                "label": {"th": t.label_th, "en": t.label_en},
                "class": t.rdf_class,
                "columns": [
                    {
                        "header": c.header,
                        "key": c.key,
                        "required": c.required,
                        "help": {"th": c.help_th, "en": c.help_en},
                    }
                    for c in t.columns
                ],
            }
            for name, t in TEMPLATES.items()
        }
    )
