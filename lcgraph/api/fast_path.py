"""Plain ``/sparql`` queries answered without FastAPI's request handling: the route's functions, fewer layers.

For ``create_app``: the innermost middleware of every lcgraph app, so the
body limit, CORS, the access log, the write forwarding and the
``Cache-Control``/``Vary`` marking of authenticated answers apply to it as
to any route. A query sent as ``GET ?query=``, as a form ``query=`` or as
``application/sparql-query`` (a body of at most :data:`MAX_BODY` bytes) is
answered here by the functions the ``/sparql`` route calls, in the same
order: the caller from its credentials (:meth:`TokenRegistry.identify_header`),
the protocol reader (:func:`parse_request`), the job (:func:`query_service.make_job`:
formats, privacy, limits) and the one query path (:func:`query_service.answer`),
whose errors become answers through the app's own exception handlers.

Everything else goes on to the documented route, untouched: other methods
and paths, updates, the service description, several ``Authorization``
headers, credentials or requests the reader or the job builder refuses (the
route refuses them with the same status and message), bigger or chunked
bodies, and every request when ``LCGRAPH_FAST_QUERIES=false``.

What it saves per query is FastAPI's and Starlette's routing, request
objects, exception and exit-stack layers, and — for a query asked before —
the protocol reading and negotiation: the job is remembered under a digest
of everything it was made from (method, query string, body, ``Accept``,
``Content-Type``, the endpoint's address and whether the caller may read
private data), at most :data:`JOB_CACHE_BYTES` of jobs per process.
"""

from __future__ import annotations

import hashlib

from starlette.datastructures import URL, QueryParams
from starlette.middleware.exceptions import ExceptionMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lcgraph.api import query_service
from lcgraph.api.auth import Principal
from lcgraph.api.errors import ApiError
from lcgraph.api.forwarding import read_body, replay
from lcgraph.api.protocol_request import FORM, SPARQL_QUERY, QueryOperation, media_type_of, parse_request
from lcgraph.api.query_service import DigestCache, QueryJob
from lcgraph.api.runtime import ServiceRuntime

MAX_BODY = 16 * 1024
"""POSTed queries up to this declared ``Content-Length`` are answered here; bigger ones by the route."""
JOB_CACHE_BYTES = 4 * 1024 * 1024
"""Jobs remembered per process, counted by the size of their query text."""


class FastQueries:
    """ASGI middleware: answers plain SPARQL queries to ``/sparql`` itself; everything else goes on."""

    def __init__(self, app: ASGIApp, runtime: ServiceRuntime) -> None:
        self.app = app
        self.runtime = runtime
        self.jobs = DigestCache(JOB_CACHE_BYTES)
        self.answered = 0  # queries answered here (the rest went on to the route)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["path"] != "/sparql"
            or scope["method"] not in ("GET", "POST")
            or not self.runtime.settings.fast_queries
        ):
            await self.app(scope, receive, send)
            return
        authorization: list[bytes] = []
        accept = content_type = host = length = None
        for name, value in scope["headers"]:
            if name == b"authorization":
                authorization.append(value)
            elif name == b"accept" and accept is None:
                accept = value
            elif name == b"content-type" and content_type is None:
                content_type = value
            elif name == b"host" and host is None:
                host = value
            elif name == b"content-length" and length is None:
                length = value
        if len(authorization) > 1:
            await self.app(scope, receive, send)  # the route refuses it
            return
        body = b""
        if scope["method"] == "POST":
            media = media_type_of(content_type.decode("latin-1") if content_type else None)[0]
            limit = min(MAX_BODY, self.runtime.settings.max_body_bytes or MAX_BODY)
            if (
                media not in (FORM, SPARQL_QUERY)
                or length is None
                or not length.isdigit()
                or int(length) > limit
            ):
                await self.app(scope, receive, send)
                return
            read = await read_body(receive)
            if read is None:
                return  # the client left (as a query process's write forwarding does)
            body, receive = read, replay(read, receive)
        try:
            principal = self.runtime.tokens.identify_header(
                authorization[0].decode("latin-1") if authorization else None
            )
            job = self._job(scope, body, principal, accept, content_type, host)
        except ApiError:
            job = None
        if job is None:
            await self.app(scope, receive, send)
            return
        self.answered += 1
        await self._answer(scope, receive, send, job)

    def _job(
        self,
        scope: Scope,
        body: bytes,
        principal: Principal,
        accept: bytes | None,
        content_type: bytes | None,
        host: bytes | None,
    ) -> QueryJob | None:
        """The job for this query (remembered by digest), or ``None`` if it is not a plain query."""
        rt = self.runtime
        may_read_private = not rt.hidden_for(principal)
        key = hashlib.blake2b(
            b"\0".join(
                (
                    scope["method"].encode(),
                    scope["query_string"],
                    body,
                    accept or b"-",
                    content_type or b"-",
                    host or b"-",
                    repr((scope.get("scheme"), scope.get("server"), scope.get("root_path"))).encode(),
                    b"private" if may_read_private else b"public",
                )
            ),
            digest_size=20,
        ).digest()
        job: QueryJob | None = self.jobs.get(key)
        if job is not None:
            return job
        # As the route reads it (sparql_endpoint, answer_query).
        params = QueryParams(scope["query_string"]).multi_items()
        parsed = parse_request(scope["method"], params, _text(content_type), body)
        if not isinstance(parsed.operation, QueryOperation):
            return None
        job = query_service.make_job(
            parsed.operation,
            may_read_private=may_read_private,
            accept=_text(accept),
            format_param=parsed.format,
            base_iri=str(URL(scope=scope).replace(query="")),
            max_bytes=rt.settings.max_result_bytes,
            timeout=rt.settings.query_timeout,
        )
        self.jobs.put(key, job, 400 + len(job.query))
        return job

    async def _answer(self, scope: Scope, receive: Receive, send: Send, job: QueryJob) -> None:
        started = False

        async def sending(message: Message) -> None:
            nonlocal started
            started = True
            await send(message)

        try:
            response = await query_service.answer(self.runtime.view(), job, self.runtime.on_stuck)
            await response(scope, receive, sending)
        except Exception as exc:
            if started:
                raise  # as on the route: the connection is cut
            await _handled(scope, exc)(scope, receive, send)


def _handled(scope: Scope, exc: Exception) -> ASGIApp:
    """``exc`` met by the app's exception handlers, as the route's errors meet them."""

    async def raising(scope: Scope, receive: Receive, send: Send) -> None:
        raise exc

    handlers = {
        kind: handler
        for kind, handler in scope["app"].exception_handlers.items()
        if kind not in (500, Exception)  # those belong to the server-error layer, outside this one
    }
    return ExceptionMiddleware(raising, handlers=handlers)


def _text(value: bytes | None) -> str | None:
    return value.decode("latin-1") if value is not None else None
