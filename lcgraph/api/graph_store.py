"""``/store``: the SPARQL 1.1 Graph Store HTTP Protocol (indirect identification).

For maintainers who load and fetch whole graphs. ``?graph=IRI`` names a
named graph, ``?default`` the default graph, and neither the whole dataset
(TriG/N-Quads). GET/HEAD read (404 for a missing graph); PUT replaces, POST
adds (``multipart/form-data`` sends several files into one graph), DELETE
drops: 201 when a graph is created, 204 otherwise. POST of triples to
``/store`` itself creates a new graph and answers its IRI in ``Location``.
Writes need a ``write`` token and are all-or-nothing: an unparsable body
answers 400 naming the line and column and leaves the store as it was.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import pyoxigraph as ox
from fastapi import APIRouter, Depends, Request
from starlette.datastructures import UploadFile
from starlette.responses import Response, StreamingResponse

from lcgraph.api import streaming
from lcgraph.api.auth import WRITE, Principal, caller, requires
from lcgraph.api.errors import BadRequest, Forbidden, NotFound, UnsupportedMediaType
from lcgraph.api.negotiation import DATASET_FORMATS, GRAPH_FORMATS, negotiate
from lcgraph.api.protocol_request import check_iri, media_type_of
from lcgraph.api.protocol_writes import (
    Part,
    Written,
    add_to_dataset,
    add_to_graph,
    delete_graph,
    graph_exists,
    replace_dataset,
    replace_graph,
)
from lcgraph.api.runtime import ServiceRuntime, runtime
from lcgraph.namespaces import LCG, PREFIXES
from lcgraph.publish.privacy import QueryRefused, check_graph_readable
from lcgraph.store import Format, UnknownFormat, by_media_type, for_path
from lcgraph.store.formats import Writable
from lcgraph.store.graph_names import graph_node

router = APIRouter(tags=["SPARQL 1.1 Graph Store Protocol"])

_ALL = object()  # the target "whole dataset"
Target = str | None | object  # a graph IRI, None for the default graph, or _ALL

_DOC = """Graph Store Protocol, indirect identification: `?graph=IRI`, `?default`, or neither
(the whole dataset, in TriG or N-Quads). Writes need a `write` token."""


_PARAMETERS = [
    {
        "name": "graph",
        "in": "query",
        "required": False,
        "schema": {"type": "string", "format": "iri"},
        "description": "The named graph (absolute IRI).",
    },
    {
        "name": "default",
        "in": "query",
        "required": False,
        "schema": {"type": "string"},
        "description": "Present (no value): the default graph. Neither: the whole store.",
    },
]
_RDF_BODY = {
    media: {"schema": {"type": "string", "format": "binary"}}
    for media in (
        "text/turtle",
        "application/n-triples",
        "application/rdf+xml",
        "application/ld+json",
        "application/trig",
        "application/n-quads",
        "multipart/form-data",
    )
}
_WRITE_EXTRA = {
    "parameters": _PARAMETERS,
    "requestBody": {
        "required": True,
        "description": "RDF (a triple format for a graph, TriG or "
        "N-Quads for the whole store); multipart for several files.",
        "content": _RDF_BODY,
    },
}


def _target(request: Request) -> Target:
    params = request.query_params
    graphs = params.getlist("graph")
    has_default = "default" in params
    if graphs and has_default:
        raise BadRequest("name either ?graph=IRI or ?default, not both")
    if len(graphs) > 1:
        raise BadRequest(f"the request names {len(graphs)} graphs; name one ?graph=IRI")
    if graphs:
        return check_iri(graphs[0], "graph")
    return None if has_default else _ALL


def _label(target: Target) -> str:
    if target is _ALL:
        return "the whole store"
    return "the default graph" if target is None else f"graph <{target}>"


def _input_format(content_type: str | None, filename: str | None = None) -> Format:
    media, _ = media_type_of(content_type)
    if media and media not in ("application/octet-stream",):
        try:
            return by_media_type(media)
        except UnknownFormat as exc:
            raise UnsupportedMediaType(str(exc)) from None
    if filename:
        try:
            return for_path(Path(filename))
        except UnknownFormat as exc:
            raise UnsupportedMediaType(str(exc)) from None
    raise UnsupportedMediaType("the request has no Content-Type: name the RDF format (e.g. text/turtle)")


async def _parts(request: Request) -> list[Part]:
    content_type = request.headers.get("content-type")
    media, params = media_type_of(content_type)
    if media == "multipart/form-data":
        return await _multipart_parts(request)
    fmt = _input_format(content_type)
    charset = params.get("charset")
    if charset and charset.lower() not in ("utf-8", "utf8"):
        raise UnsupportedMediaType(f"charset={charset} is not supported; send UTF-8")
    return [Part(await request.body(), fmt)]


async def _multipart_parts(request: Request) -> list[Part]:
    parts: list[Part] = []
    async with request.form() as form:
        for name, value in form.multi_items():
            if not isinstance(value, UploadFile):
                raise BadRequest(f"form field {name!r} is not a file; send each RDF document as a file part")
            fmt = _input_format(value.content_type, value.filename)
            parts.append(Part(await value.read(), fmt, value.filename or name))
    if not parts:
        raise BadRequest("the multipart body has no file parts")
    return parts


def _check_private(rt: ServiceRuntime, principal: Principal, target: Target) -> None:
    if isinstance(target, str):
        try:
            check_graph_readable(target, may_read_private=not rt.hidden_for(principal))
        except QueryRefused as exc:
            raise Forbidden(str(exc)) from None


# -- reading -----------------------------------------------------------------------


def _dump(
    rt: ServiceRuntime, target: Target, fmt: Format, hidden: tuple[str, ...]
) -> Callable[[Writable], None]:
    repo = rt.dataset
    prefixes = PREFIXES if fmt.key in ("turtle", "trig", "n3") else None

    def write(output: Writable) -> None:
        if target is _ALL:
            # Every named graph the caller may read.
            repo.dump(output, fmt, prefixes=prefixes, exclude=hidden)
        else:
            graph = graph_node(str(target) if isinstance(target, str) else None).value
            repo.dump(output, fmt, graph=graph, prefixes=prefixes)

    return write


@router.api_route(
    "/store",
    methods=["GET", "HEAD"],
    summary="Graph Store: read a graph or the whole store",
    description=_DOC,
    response_class=Response,
    operation_id="store_get",
    openapi_extra={"parameters": _PARAMETERS},
)
async def store_get(request: Request, principal: Annotated[Principal, Depends(caller)]) -> Response:
    rt = runtime(request)
    target = _target(request)
    _check_private(rt, principal, target)
    offered = DATASET_FORMATS if target is _ALL else GRAPH_FORMATS
    fmt = negotiate(
        request.headers.get("accept"), offered, request.query_params.get("format"), what=_label(target)
    )
    if target is not _ALL and not await rt.blocking(graph_exists, rt.dataset, target):
        raise NotFound(f"{_label(target)} does not exist in this store")
    headers = {"Vary": "Accept"}
    if request.method == "HEAD":
        return Response(media_type=fmt.content_type, headers=headers)
    stream = streaming.start(_dump(rt, target, fmt, rt.hidden_for(principal)))
    return StreamingResponse(stream.chunks(), media_type=fmt.content_type, headers=headers)


_writer = requires(WRITE, "writing to the Graph Store")

# -- writing -----------------------------------------------------------------------


async def _written(rt: ServiceRuntime, written: Written, location: str | None = None) -> Response:
    await rt.committed(written.changed)
    if written.created:
        headers = {"Location": location} if location else None
        return Response(status_code=201, headers=headers)
    return Response(status_code=204)


@router.put(
    "/store",
    summary="Graph Store: replace a graph or the whole store",
    description=_DOC,
    response_class=Response,
    status_code=204,
    operation_id="store_put",
    openapi_extra=_WRITE_EXTRA,
)
async def store_put(request: Request, principal: Annotated[Principal, Depends(_writer)]) -> Response:
    rt = runtime(request)
    target = _target(request)
    _check_private(rt, principal, target)
    parts = await _parts(request)
    if target is _ALL:
        hidden = rt.hidden_for(principal)
        await rt.blocking(_refuse_hidden_quads, parts, hidden, rt, principal)
        written = await rt.blocking(
            replace_dataset, rt.dataset, parts, agent=principal.name, access=principal.access
        )
        return await _written(rt, written)
    written = await rt.blocking(
        replace_graph, rt.dataset, target, parts, agent=principal.name, access=principal.access
    )
    return await _written(rt, written)


@router.post(
    "/store",
    summary="Graph Store: add to a graph, to the store, or create a new graph",
    description=_DOC,
    response_class=Response,
    status_code=204,
    operation_id="store_post",
    openapi_extra=_WRITE_EXTRA,
)
async def store_post(request: Request, principal: Annotated[Principal, Depends(_writer)]) -> Response:
    rt = runtime(request)
    target = _target(request)
    _check_private(rt, principal, target)
    parts = await _parts(request)
    if target is _ALL and all(p.format.is_dataset for p in parts):
        await rt.blocking(_refuse_hidden_quads, parts, rt.hidden_for(principal), rt, principal)
        written = await rt.blocking(
            add_to_dataset, rt.dataset, parts, agent=principal.name, access=principal.access
        )
        return await _written(rt, written)
    if target is _ALL:
        # Triples posted to the store itself: a new graph, named by us (GSP §5.5).
        new_graph = str(LCG[f"upload/{uuid.uuid4().hex}"])
        written = await rt.blocking(
            add_to_graph, rt.dataset, new_graph, parts, agent=principal.name, access=principal.access
        )
        return await _written(rt, Written(written.changed, True), new_graph)
    written = await rt.blocking(
        add_to_graph, rt.dataset, target, parts, agent=principal.name, access=principal.access
    )
    return await _written(rt, written)


@router.delete(
    "/store",
    summary="Graph Store: delete a graph",
    description=_DOC,
    response_class=Response,
    status_code=204,
    operation_id="store_delete",
    openapi_extra={"parameters": _PARAMETERS},
)
async def store_delete(request: Request, principal: Annotated[Principal, Depends(_writer)]) -> Response:
    rt = runtime(request)
    target = _target(request)
    if target is _ALL:
        raise BadRequest("DELETE needs ?graph=IRI or ?default; the whole store is not deleted over HTTP")
    _check_private(rt, principal, target)
    written = await rt.blocking(
        delete_graph, rt.dataset, target, agent=principal.name, access=principal.access
    )
    if written is None:
        raise NotFound(f"{_label(target)} does not exist in this store")
    return await _written(rt, written)


def _refuse_hidden_quads(
    parts: list[Part], hidden: tuple[str, ...], rt: ServiceRuntime, principal: Principal
) -> None:
    """A dataset body may not write into a graph the caller cannot read."""
    if not hidden:
        return
    for part in parts:
        if not part.format.is_dataset:
            continue
        try:
            for quad in ox.parse(part.data, format=part.format.rdf_format):
                if isinstance(quad.graph_name, ox.NamedNode):
                    rt.check_readable(principal, [quad.graph_name.value])
        except (SyntaxError, ValueError):
            return  # the write path reports the syntax error with its line and column
