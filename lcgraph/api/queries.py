"""Canned queries over HTTP: ``/queries`` lists them, ``/queries/{name}`` runs one.

For programs and spreadsheets that want a stable URL per question, in any
result format the SPARQL endpoint offers (``Accept`` or ``format=``).
Parameters come from the query string, are checked against the query's
declared types, and are bound as RDF terms by the engine. The query runs
through the same worker, time limit and privacy rules as ``/sparql``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import JSONResponse, Response

from lcgraph.api.auth import Principal, caller
from lcgraph.api.errors import BadRequest, NotFound
from lcgraph.api.protocol_request import QueryOperation
from lcgraph.api.runtime import runtime
from lcgraph.api.sparql import answer_query
from lcgraph.queries import CannedQueries, CannedQuery, ParameterError
from lcgraph.web import routes as web_routes

router = APIRouter(tags=["Canned queries"])

# Query-string names that steer the answer rather than fill a parameter.
_CONTROL = {"format", "lang"}


def canned_queries(request: Request) -> CannedQueries:
    return request.app.state.queries


def _listing(request: Request, reg: CannedQueries) -> list[dict[str, Any]]:
    base = str(request.base_url).rstrip("/")
    return [{**reg.get(n).describe(), "url": f"{base}/queries/{n}"} for n in reg.names()]


@router.get("/queries", summary="The canned queries, with titles, descriptions and parameters")
def list_queries(request: Request) -> Response:
    if web_routes.wants_page(request):
        return web_routes.queries_page(request)
    return JSONResponse({"queries": _listing(request, canned_queries(request))})


@router.get(
    "/queries/{name}",
    summary="Run a canned query",
    description=(
        "Runs the named query with the parameters given in the query string (see `/queries` for "
        "each one's parameters and types). The answer format follows `Accept` or `format=` "
        "(json, xml, csv, tsv; turtle, ntriples, jsonld … for CONSTRUCT). Unknown names answer "
        "404 and bad parameters 400, each listing what is valid."
    ),
)
async def run_query(
    request: Request, name: str, principal: Annotated[Principal, Depends(caller)]
) -> Response:
    if web_routes.wants_page(request):
        return web_routes.canned_page(request, name)
    reg = canned_queries(request)
    try:
        query = reg.get(name)
    except KeyError as exc:
        raise NotFound(str(exc.args[0])) from None
    given = {k: v for k, v in request.query_params.items() if k not in _CONTROL}
    try:
        bound = query.bind(given)
    except ParameterError as exc:
        raise BadRequest(str(exc)) from None
    rt = runtime(request)
    return await answer_query(
        rt,
        QueryOperation(query.sparql),
        principal,
        accept=request.headers.get("accept"),
        format_param=request.query_params.get("format"),
        endpoint=str(request.url.replace(query="")),
        substitutions=bound,
    )


_OPENAPI_TYPES = {
    "iri": {"type": "string", "format": "iri"},
    "string": {"type": "string"},
    "date": {"type": "string", "description": "Common Era (2023-08-22) or Buddhist Era (22/08/2566)"},
    "integer": {"type": "integer"},
    "decimal": {"type": "number"},
}


def _openapi_parameters(query: CannedQuery) -> list[dict[str, Any]]:
    params = [
        {
            "name": p.name,
            "in": "query",
            "required": p.required and p.default is None,
            "description": p.description,
            "schema": {**_OPENAPI_TYPES[p.type], **({"default": p.default} if p.default else {})},
        }
        for p in query.parameters
    ]
    params.append(
        {
            "name": "format",
            "in": "query",
            "required": False,
            "description": "json, xml, csv or tsv (else the Accept header decides)",
            "schema": {"type": "string"},
        }
    )
    return params


def _endpoint_for(name: str) -> Any:
    async def endpoint(request: Request, principal: Annotated[Principal, Depends(caller)]) -> Response:
        return await run_query(request, name, principal)

    return endpoint


def document_each_query(app: FastAPI, reg: CannedQueries) -> None:
    """Give every canned query its own documented route, so the OpenAPI docs list each one.

    The routes answer exactly as ``/queries/{name}`` does; they only add the
    query's title, description and typed parameters to ``/docs``.
    """
    for name in reg.names():
        query = reg.get(name)

        app.add_api_route(
            f"/queries/{name}",
            _endpoint_for(name),
            methods=["GET"],
            tags=["Canned queries"],
            summary=query.title.get("en", name),
            description=f"{query.description.get('en', '')}\n\n{query.title.get('th', '')}: "
            f"{query.description.get('th', '')}",
            operation_id=f"canned_{name.replace('-', '_')}",
            openapi_extra={"parameters": _openapi_parameters(query)},
        )
