"""``/sparql``: the SPARQL 1.1 Protocol endpoint (query, update, service description).

For researchers' SPARQL clients (browser forms, SPARQLWrapper, curl,
Comunica, R) and maintainers' update scripts. Requests are read by
:mod:`lcgraph.api.protocol_request`, queries answered by the one query
path (:mod:`lcgraph.api.query_service`: formats, privacy, time and size
limits, engine-side serialisation) and updates applied by
:mod:`lcgraph.api.protocol_writes` under a ``write`` token. Federated ``SERVICE``
queries are refused (the service never fetches from the network for a
client).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.routing import APIRoute
from starlette.responses import Response

from lcgraph.api import query_service, service_description
from lcgraph.api.auth import WRITE, Principal, caller, tokens
from lcgraph.api.errors import MethodNotAllowed
from lcgraph.api.negotiation import GRAPH_FORMATS, negotiate
from lcgraph.api.protocol_request import (
    ALLOWED_METHODS,
    FORM,
    SPARQL_QUERY,
    SPARQL_UPDATE,
    QueryOperation,
    UpdateOperation,
    parse_request,
)
from lcgraph.api.protocol_writes import run_update
from lcgraph.api.runtime import ServiceRuntime, runtime

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


_BODY = {
    "requestBody": {
        "required": False,
        "description": "A query or update (POST only): a form, or the text itself.",
        "content": {
            FORM: {
                "schema": {
                    "type": "object",
                    "properties": {
                        "query": {"type": "string"},
                        "update": {"type": "string"},
                        "default-graph-uri": {"type": "array", "items": {"type": "string"}},
                        "named-graph-uri": {"type": "array", "items": {"type": "string"}},
                        "using-graph-uri": {"type": "array", "items": {"type": "string"}},
                        "using-named-graph-uri": {"type": "array", "items": {"type": "string"}},
                    },
                }
            },
            SPARQL_QUERY: {"schema": {"type": "string"}},
            SPARQL_UPDATE: {"schema": {"type": "string"}},
        },
    },
    "responses": {
        "200": {
            "description": "Query results or the service description, in the negotiated format",
            "content": {
                "application/sparql-results+json": {},
                "application/sparql-results+xml": {},
                "text/csv": {},
                "text/tab-separated-values": {},
                "text/turtle": {},
                "application/n-triples": {},
                "application/ld+json": {},
                "application/rdf+xml": {},
            },
        },
        "204": {"description": "The update was applied"},
    },
}

IriList = Annotated[list[str] | None, Query(description="An absolute IRI (repeatable).")]


class ProtocolRoute(APIRoute):
    """``/sparql``: documented by its endpoint's declared parameters, run without FastAPI's solving of them.

    The protocol reader (:func:`parse_request`) reads every parameter
    itself, in order, and the caller is identified as the :func:`caller`
    dependency does, so FastAPI's per-request dependency solving and
    parameter validation would only repeat work; on the busiest route it
    cost about a tenth of a query process's time. OpenAPI still shows the
    parameters, the body, the media types and the security scheme.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        endpoint = self.endpoint

        async def handler(request: Request) -> Response:
            principal = tokens(request).identify(request)
            response: Response = await endpoint(request, principal)
            return response

        return handler


async def sparql_endpoint(
    request: Request,
    principal: Annotated[Principal, Depends(caller)],
    query: Annotated[str | None, Query(description="The SPARQL query (GET, or POST form).")] = None,
    format: Annotated[
        str | None, Query(description="Answer format (json, xml, csv, tsv, turtle, …); overrides Accept.")
    ] = None,
    default_graph_uri: Annotated[IriList, Query(alias="default-graph-uri")] = None,
    named_graph_uri: Annotated[IriList, Query(alias="named-graph-uri")] = None,
    using_graph_uri: Annotated[IriList, Query(alias="using-graph-uri")] = None,
    using_named_graph_uri: Annotated[IriList, Query(alias="using-named-graph-uri")] = None,
) -> Response:
    # The declared parameters document the protocol; the protocol reader sees them all, in order.
    rt = runtime(request)
    body = await request.body() if request.method == "POST" else b""
    parsed = parse_request(
        request.method, request.query_params.multi_items(), request.headers.get("content-type"), body
    )
    operation = parsed.operation
    if isinstance(operation, QueryOperation):
        return await answer_query(
            rt,
            operation,
            principal,
            accept=request.headers.get("accept"),
            format_param=parsed.format,
            endpoint=_endpoint(request),
        )
    if isinstance(operation, UpdateOperation):
        principal = rt.tokens.require(request, WRITE, "a SPARQL update")
        return await _apply_update(request, rt, operation, principal)
    return await _describe_service(request, rt, principal, parsed.format)


router.add_api_route(
    "/sparql",
    sparql_endpoint,
    methods=["GET", "HEAD", "POST"],
    summary="SPARQL query, update and service description",
    description=_DOC,
    response_class=Response,
    operation_id="sparql",
    openapi_extra=_BODY,
    route_class_override=ProtocolRoute,
)


@router.api_route("/sparql", methods=["PUT", "DELETE", "PATCH"], include_in_schema=False)
async def sparql_wrong_method(request: Request) -> Response:
    raise MethodNotAllowed(
        f"{request.method} is not a SPARQL Protocol method: "
        "send queries with GET or POST and updates with POST",
        headers={"Allow": ALLOWED_METHODS},
    )


def _endpoint(request: Request) -> str:
    return str(request.url.replace(query=""))


async def answer_query(
    rt: ServiceRuntime,
    op: QueryOperation,
    principal: Principal,
    *,
    accept: str | None,
    format_param: str | None,
    endpoint: str,
    substitutions: dict[str, Any] | None = None,
) -> Response:
    """Answer a query for ``principal`` through the query service (or raise :class:`ApiError`).

    ``substitutions`` binds variables to pyoxigraph terms (canned-query parameters).
    """
    job = query_service.make_job(
        op,
        may_read_private=not rt.hidden_for(principal),
        accept=accept,
        format_param=format_param,
        base_iri=endpoint,
        max_bytes=rt.settings.max_result_bytes,
        timeout=rt.settings.query_timeout,
        substitutions=substitutions,
    )
    return await query_service.answer(rt.view(), job, rt.on_stuck)


async def _apply_update(
    request: Request, rt: ServiceRuntime, op: UpdateOperation, principal: Principal
) -> Response:
    changed = await rt.blocking(
        run_update,
        rt.dataset,
        op.update,
        using=(list(op.using_graphs), list(op.using_named_graphs)),
        base_iri=_endpoint(request),
        agent=principal.name,
        access=principal.access,
    )
    await rt.committed(changed)
    return Response(status_code=204)


def _canned_queries(request: Request) -> tuple[tuple[str, dict[str, str]], ...]:
    registry = getattr(request.app.state, "queries", None)
    if registry is None:
        return ()
    base = str(request.base_url).rstrip("/")
    return tuple((f"{base}/queries/{n}", registry.get(n).title) for n in registry.names())


async def _describe_service(
    request: Request, rt: ServiceRuntime, principal: Principal, format_param: str | None
) -> Response:
    fmt = negotiate(
        request.headers.get("accept"), GRAPH_FORMATS, format_param, what="the service description"
    )
    view = rt.view()
    cached = rt.description_counts
    if cached is None or cached[0] != view.generation:
        default_count, counts = await rt.blocking(service_description.count_graphs, view.dataset)
        cached = rt.description_counts = (view.generation, default_count, counts)
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
