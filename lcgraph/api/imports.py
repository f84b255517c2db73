"""``/import``: partner spreadsheets (CSV or XLSX templates) imported whole, or not at all.

For partner organisations and data officers (issue 4).

* ``GET /import`` — the templates and their columns.
* ``POST /import/{template}`` — a filled-in template (multipart field
  ``file``, or the raw body with ``?filename=``) is imported whole, or not at
  all: 200 with the result, 422 with the report, 413 if too large.
  ``?dry_run=true`` only checks (anyone may; within
  ``Settings.dry_run_timeout`` seconds, else 503, and stopped when the client
  goes). Needs a ``write`` token; ``?force=true`` (write despite violations,
  logged) needs an ``admin`` token.

The report is answered as :func:`lcgraph.api.validate.report_response` answers it.
"""

from __future__ import annotations

import asyncio
import functools

from fastapi import APIRouter, Request
from starlette.responses import JSONResponse, Response

from lcgraph.api.auth import ADMIN, WRITE, tokens
from lcgraph.api.bounded import GONE, ClientGone, flag, run_bounded
from lcgraph.api.errors import BadRequest, Forbidden, NotFound
from lcgraph.api.runtime import runtime
from lcgraph.api.validate import ANONYMOUS_DRY_RUN_BYTES, ANONYMOUS_DRY_RUN_ROWS, report_response
from lcgraph.ingest.importer import import_bytes
from lcgraph.ingest.sheets import SheetError, check_size
from lcgraph.ingest.templates import TEMPLATES, UnknownTemplate, get_template
from lcgraph.validation.report import ValidationReport, input_error

router = APIRouter(tags=["writes"])


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
    dry_run = flag(request, "dry_run")
    principal = None if dry_run else tokens(request).require(request, WRITE, "importing data")
    force = flag(request, "force")
    if force and (principal is None or not principal.can(ADMIN)):
        raise Forbidden("?force=true needs a token with the 'admin' scope")
    data, filename = await _upload(request)
    caller = principal or tokens(request).identify(request)
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
