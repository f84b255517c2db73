"""``/sparql``: the SPARQL 1.1 Protocol endpoint (query, update, service description).

For researchers' SPARQL clients (browser forms, SPARQLWrapper, curl,
Comunica, R) and maintainers' update scripts. Requests are read by
:mod:`lcgraph.api.protocol_request`, formats chosen by
:mod:`lcgraph.api.negotiation`, queries evaluated by the worker pool
(engine-side serialisation, time limit, size limit) and updates applied by
:mod:`lcgraph.api.write_path` under a ``write`` token. Federated ``SERVICE``
queries are refused (the service never fetches from the network for a
client). Queries usually arrive through :class:`QueryFastPath`, an ASGI
shortcut that calls the same functions as the route without the
framework's per-request machinery.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from starlette.requests import ClientDisconnect
from starlette.responses import Response, StreamingResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lcgraph.api import service_description
from lcgraph.api.auth import WRITE, Principal
from lcgraph.api.errors import ApiError, Forbidden, MethodNotAllowed, NotAcceptable, render_error
from lcgraph.api.negotiation import (
    GRAPH_FORMATS,
    RESULTS_FORMATS,
    MediaFormat,
    by_engine_attr,
    choose,
    negotiate,
    not_acceptable_message,
)
from lcgraph.api.protocol_request import (
    ALLOWED_METHODS,
    QueryOperation,
    UpdateOperation,
    parse_request,
)
from lcgraph.api.runtime import ServiceRuntime, runtime
from lcgraph.api.sparql_text import apply_using
from lcgraph.api.write_path import run_update
from lcgraph.publish.privacy import QueryRefused, public_dataset

router = APIRouter(tags=["SPARQL 1.1 Protocol"])

_DOC = """SPARQL 1.1 Protocol endpoint.

* **Query**: `GET ?query=…`, `POST` form `query=…`, or `POST` `application/sparql-query`;
  dataset with `default-graph-uri` / `named-graph-uri`. Without a dataset the default graph is
  the union of all (visible) graphs.
* **Update**: `POST` form `update=…` or `POST` `application/sparql-update` with a `write` token;
  `using-graph-uri` / `using-named-graph-uri`.
* **Formats**: by `Accept` (q-values, wildcards) or `format=` — SELECT/ASK: json, xml, csv, tsv;
  CONSTRUCT/DESCRIBE: turtle, ntriples, rdfxml, jsonld, n3, nquads, trig.
* `GET` with no query returns the Service Description.
"""


@router.api_route(
    "/sparql",
    methods=["GET", "HEAD", "POST"],
    summary="SPARQL query, update and service description",
    description=_DOC,
    response_class=Response,
)
async def sparql_endpoint(request: Request) -> Response:
    rt = runtime(request)
    body = await request.body() if request.method == "POST" else b""
    parsed = parse_request(
        request.method, request.query_params.multi_items(), request.headers.get("content-type"), body
    )
    operation = parsed.operation
    if isinstance(operation, QueryOperation):
        request.state.lcgraph_read_only = True
        return await answer_query(
            rt,
            operation,
            accept=request.headers.get("accept"),
            authorization=request.headers.get("authorization"),
            format_param=parsed.format,
            endpoint=_endpoint(request),
        )
    if isinstance(operation, UpdateOperation):
        principal = rt.tokens.require(request, WRITE, "a SPARQL update")
        return await _apply_update(request, rt, operation, principal)
    request.state.lcgraph_read_only = True
    return await _describe_service(request, rt, parsed.format)


@router.api_route("/sparql", methods=["PUT", "DELETE", "PATCH"], include_in_schema=False)
async def sparql_wrong_method(request: Request) -> Response:
    raise MethodNotAllowed(
        f"{request.method} is not a SPARQL Protocol method: "
        "send queries with GET or POST and updates with POST",
        headers={"Allow": ALLOWED_METHODS},
    )


def _endpoint(request: Request) -> str:
    return str(request.url.replace(query=""))


@lru_cache(maxsize=256)
def _formats(accept: str | None, format_param: str | None) -> tuple[MediaFormat | None, MediaFormat | None]:
    """The results and graph formats for a client (cached: clients repeat their Accept headers)."""
    return choose(accept, RESULTS_FORMATS, format_param), choose(accept, GRAPH_FORMATS, format_param)


def build_job(
    dataset: Any,
    hidden: tuple[str, ...],
    op: QueryOperation,
    accept: str | None,
    format_param: str | None,
    endpoint: str,
    max_bytes: int,
) -> dict[str, Any]:
    """The evaluation job for a query (see :func:`lcgraph.api.query_worker.evaluate`).

    Shared by this router and the front doors (:mod:`lcgraph.api.front`), so
    both decide formats and what a caller may read in the same way.
    """
    results, graph = _formats(accept, format_param)
    try:
        # One place decides what a caller's query may read (PDPA); it also refuses SERVICE.
        default, named = public_dataset(
            dataset, op.query, op.default_graphs, op.named_graphs, may_read_private=not hidden
        )
    except QueryRefused as exc:
        raise Forbidden(str(exc)) from None
    return {
        "query": op.query,
        "default_graph": [g or "" for g in default] if default is not None else None,  # "": default graph
        "named_graphs": list(named) if named is not None else None,
        "hidden": list(hidden),
        "results_format": results.engine_attr if results else None,
        "graph_format": graph.engine_attr if graph else None,
        "max_bytes": max_bytes,
        "base_iri": endpoint,
    }


def not_acceptable(kind: str, format_param: str | None) -> NotAcceptable:
    """The 406 for a query whose result ``kind`` has no format the client accepts."""
    offered, what = _NOT_ACCEPTABLE[kind]
    return NotAcceptable(not_acceptable_message(offered, what, format_param))


async def answer_query(
    rt: ServiceRuntime,
    op: QueryOperation,
    *,
    accept: str | None,
    authorization: str | None,
    format_param: str | None,
    endpoint: str,
    substitutions: dict[str, Any] | None = None,
) -> Response:
    """Evaluate a query in a worker and answer in the negotiated format (or raise :class:`ApiError`).

    ``substitutions`` binds variables to pyoxigraph terms (canned-query parameters).
    """
    principal = rt.tokens.identify_header(authorization)
    job = build_job(
        rt.dataset, rt.hidden_for(principal), op, accept, format_param, endpoint, rt.max_result_bytes
    )
    if substitutions:
        job["substitutions"] = {name: str(term) for name, term in substitutions.items()}
    try:
        answer = await rt.evaluator.run(job, rt.settings.query_timeout)
    except ApiError as exc:
        if exc.status == 406:
            raise not_acceptable(exc.message, format_param) from None
        raise
    fmt = by_engine_attr(answer.format, results=answer.kind != "graph")
    if answer.body is not None:
        return Response(answer.body, media_type=fmt.content_type, headers=_VARY)
    assert answer.stream is not None
    return StreamingResponse(answer.stream, media_type=fmt.content_type, headers=_VARY)


_VARY = {"Vary": "Accept"}
_NOT_ACCEPTABLE = {
    "results": (RESULTS_FORMATS, "SELECT/ASK results"),
    "boolean": (RESULTS_FORMATS, "SELECT/ASK results"),
    "graph": (GRAPH_FORMATS, "CONSTRUCT/DESCRIBE results"),
}


class QueryFastPath:
    """ASGI shortcut for SPARQL *queries* to ``/sparql``, the hot path of the service.

    Same parsing, negotiation, access control and evaluation as the route
    (it calls the same functions), minus the framework's per-request
    machinery. Anything that is not a query (updates, the service
    description, errors in the request) goes on to the FastAPI route, with
    the body replayed, so it is answered in exactly one place.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != "/sparql" or scope["method"] not in ("GET", "POST"):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        try:
            body = await _read_body(receive) if scope["method"] == "POST" else b""
        except ClientDisconnect:
            return  # nobody is left to answer
        except ApiError as exc:  # e.g. the body grew past the size limit
            await render_error(headers.get("accept"), exc.status, exc.message, exc.headers)(
                scope, receive, send
            )
            return
        try:
            params = parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True)
            parsed = parse_request(scope["method"], params, headers.get("content-type"), body)
        except ApiError:
            parsed = None
        if parsed is None or not isinstance(parsed.operation, QueryOperation):
            await self.app(scope, _replay(body, receive), send)
            return
        scope.setdefault("state", {})["lcgraph_read_only"] = True
        rt: ServiceRuntime = scope["app"].state.runtime
        accept = headers.get("accept")
        try:
            response = await answer_query(
                rt,
                parsed.operation,
                accept=accept,
                authorization=headers.get("authorization"),
                format_param=parsed.format,
                endpoint=_scope_endpoint(scope, headers),
            )
        except ApiError as exc:
            response = render_error(accept, exc.status, exc.message, exc.headers)
        await response(scope, receive, send)


async def _read_body(receive: Receive) -> bytes:
    parts = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect()
        parts.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(parts)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def _scope_endpoint(scope: Scope, headers: dict[str, str]) -> str:
    host = headers.get("host") or "{}:{}".format(*scope["server"])
    return f"{scope.get('scheme', 'http')}://{host}{scope.get('root_path', '')}{scope['path']}"


async def _apply_update(
    request: Request, rt: ServiceRuntime, op: UpdateOperation, principal: Principal
) -> Response:
    text = apply_using(op.update, op.using_graphs, op.using_named_graphs)
    await rt.blocking(
        run_update,
        rt.dataset,
        text,
        base_iri=_endpoint(request),
        agent=principal.name,
        access=principal.access,
    )
    rt.mark_written()
    return Response(status_code=204)


def _canned_queries(request: Request) -> tuple[tuple[str, dict[str, str]], ...]:
    registry = getattr(request.app.state, "queries", None)
    if registry is None:
        return ()
    base = str(request.base_url).rstrip("/")
    return tuple((f"{base}/queries/{n}", registry.get(n).title) for n in registry.names())


async def _describe_service(request: Request, rt: ServiceRuntime, format_param: str | None) -> Response:
    fmt = negotiate(
        request.headers.get("accept"), GRAPH_FORMATS, format_param, what="the service description"
    )
    cached = rt.description_counts
    if cached is None or cached[0] != rt.generation:
        generation = rt.generation
        default_count, counts = await rt.blocking(service_description.count_graphs, rt.dataset)
        cached = rt.description_counts = (generation, default_count, counts)
    principal = rt.tokens.identify(request)
    triples = service_description.describe(
        _endpoint(request),
        writable=rt.tokens.writable,
        default_count=cached[1],
        graph_counts=cached[2],
        hidden=rt.hidden_for(principal),
        canned=_canned_queries(request),
    )
    body = await rt.blocking(service_description.serialize, triples, fmt)
    return Response(body, media_type=fmt.content_type, headers={"Vary": "Accept"})
