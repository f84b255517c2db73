"""Linked-data routes: IRI dereferencing, the ontology, exports, JSON-LD context, DCAT/VoID, search.

For partners' browsers and programs. Every route reads the public view of
the dataset (no personal data) unless the request carries a token with the
``read-private`` scope. Routes:

- ``/id/{path}`` (instances: ``LCGRAPH_BASE_IRI`` + path), ``/vocab/{path}``
  (concepts and schemes), ``/graph/{path}`` (named graphs), ``/ontology/{term}``:
  the concise bounded description of the IRI, by content negotiation
  (HTML, Turtle, JSON-LD, N-Triples, RDF/XML; ``?format=`` overrides
  ``Accept``; ``?format=schemaorg`` gives the schema.org view);
- ``/def`` and ``/ontology``: the ontology document (each term has an anchor);
- ``/export``: the whole public dataset or a slice (``city``, ``partner``,
  ``graph``, ``class``), any RDF format, streamed; ``gzip=true`` for a
  ``.gz`` file, or ``Accept-Encoding: gzip`` for a compressed transfer;
- ``/context.jsonld``; ``/.well-known/void`` and ``/catalog`` (DCAT + VoID);
- ``/search?q=``: labels and descriptions in Thai and English.

Answers carry ``Vary``, ``Link`` (alternate formats), ``ETag`` (from the
store's state tag) and ``Cache-Control``; ``If-None-Match`` gets a 304.
"""

from __future__ import annotations

import hashlib
import io
import json
from typing import Any

import pyoxigraph as ox
from fastapi import APIRouter, Request
from starlette.responses import HTMLResponse, JSONResponse, Response, StreamingResponse

from lcgraph.api.auth import READ_PRIVATE, tokens
from lcgraph.api.errors import BadRequest, Forbidden, NotFound
from lcgraph.api.negotiation import (
    HTML,
    JSON,
    JSON_LD,
    N_QUADS,
    N_TRIPLES,
    RDF_XML,
    TRIG,
    TURTLE,
    Format,
    negotiate,
)
from lcgraph.api.runtime import runtime
from lcgraph.namespaces import GRAPH_ONTOLOGY, LC, LCG, LCV, PREFIXES
from lcgraph.publish import catalog as catalog_module
from lcgraph.publish import exports, pages
from lcgraph.publish.describe import describe, ontology_terms
from lcgraph.publish.jsonld import jsonld_context, schema_org_view
from lcgraph.publish.privacy import QueryRefused
from lcgraph.publish.search import index_for
from lcgraph.publish.state import state_tag
from lcgraph.store import Repository, by_name
from lcgraph.web.layout import page_for

router = APIRouter(tags=["linked data"])

# The engine field is not used for HTML: pages are rendered by Jinja2.
#: Resource descriptions. Turtle first: a client that accepts anything (curl) gets RDF.
RESOURCE_FORMATS = (TURTLE, HTML, JSON_LD, N_TRIPLES, RDF_XML)
CATALOG_FORMATS = (TURTLE, HTML, JSON_LD, N_TRIPLES, RDF_XML)
#: Exports. TriG first: it keeps the graph (and so the source) of every statement.
EXPORT_FORMATS = (TRIG, N_QUADS, TURTLE, N_TRIPLES, JSON_LD, RDF_XML)
SEARCH_FORMATS = (JSON, HTML)
SCHEMA_ORG = "schemaorg"


# -- shared helpers ---------------------------------------------------------------


def _dataset(request: Request) -> Repository:
    return runtime(request).dataset


def _may_read_private(request: Request) -> bool:
    return tokens(request).identify(request).can(READ_PRIVATE)


def _linker(request: Request) -> pages.Linker:
    return pages.Linker(request.app.state.settings.base_iri)


def _server_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _etag(ds: Repository, *parts: object) -> str:
    digest = hashlib.blake2b(repr(parts).encode(), digest_size=6).hexdigest()
    return f'"{state_tag(ds)}-{digest}"'


def _not_modified(request: Request, etag: str) -> bool:
    wanted = request.headers.get("if-none-match")
    return wanted is not None and (wanted.strip() == "*" or etag in [t.strip() for t in wanted.split(",")])


def _cache_headers(etag: str, private: bool, vary: str = "Accept") -> dict[str, str]:
    return {
        "ETag": etag,
        # A read-private answer may hold personal data: never in a shared cache.
        "Cache-Control": "private, no-store" if private else "public, max-age=60",
        "Vary": f"{vary}, Authorization, Cookie, Accept-Language",
    }


def _alternates(request: Request, formats: tuple[Format, ...]) -> list[tuple[str, str, str]]:
    base = str(request.url.replace(query=""))
    return [(f.key, f.media_type, f"{base}?format={f.key}") for f in formats if f is not HTML]


def _link_header(alternates: list[tuple[str, str, str]]) -> str:
    return ", ".join(f'<{url}>; rel="alternate"; type="{media}"' for _, media, url in alternates)


def _negotiate(request: Request, formats: tuple[Format, ...], what: str) -> Format:
    return negotiate(request.headers.get("accept"), formats, request.query_params.get("format"), what=what)


def _refused(exc: QueryRefused) -> Forbidden:
    return Forbidden(str(exc))


# -- IRI dereferencing ---------------------------------------------------------------


@router.api_route("/id/{path:path}", methods=["GET", "HEAD"], summary="Dereference an instance IRI")
def instance(request: Request, path: str) -> Response:
    return _resource(request, request.app.state.settings.base_iri + path)


@router.api_route("/vocab/{path:path}", methods=["GET", "HEAD"], summary="Dereference a concept IRI")
def concept(request: Request, path: str) -> Response:
    return _resource(request, str(LCV) + path)


@router.api_route("/graph/{path:path}", methods=["GET", "HEAD"], summary="Describe a named graph")
def graph(request: Request, path: str) -> Response:
    return _resource(request, str(LCG) + path)


@router.api_route("/ontology/{term}", methods=["GET", "HEAD"], summary="One term of the ontology")
def ontology_term(request: Request, term: str) -> Response:
    return _resource(request, str(LC) + term)


def _resource(request: Request, iri: str) -> Response:
    try:
        ox.NamedNode(iri)
    except ValueError:
        raise NotFound(
            f"<{iri}> is not a valid IRI (it holds a character IRIs cannot, such as a space, a quote or "
            "a brace), so nothing is published under it"
        ) from None
    ds = _dataset(request)
    private = _may_read_private(request)
    wants_schema = request.query_params.get("format", "").lower() == SCHEMA_ORG
    fmt = JSON_LD if wants_schema else _negotiate(request, RESOURCE_FORMATS, "an IRI description")
    alternates = _alternates(request, RESOURCE_FORMATS)
    etag = _etag(ds, iri, fmt.key, wants_schema, private, page_for(request).lang)
    headers = _cache_headers(etag, private)
    headers["Link"] = _link_header(alternates)
    if _not_modified(request, etag):
        return Response(status_code=304, headers=headers)
    desc = describe(ds, iri, may_read_private=private)
    if desc is None:
        return _not_found(request, iri, fmt)
    page_url = str(request.url.replace(query=""))
    if wants_schema:
        body = json.dumps(schema_org_view(desc, page_url), ensure_ascii=False, indent=1).encode()
        return Response(body, media_type="application/ld+json", headers=headers)
    if fmt is HTML:
        html = pages.render_resource(
            desc, _linker(request), alternates, schema_org_view(desc, page_url), page_for(request)
        )
        return HTMLResponse(html, headers=headers)
    headers["Content-Location"] = f"{page_url}?format={fmt.key}"
    return Response(desc.serialize(fmt.rdf_format), media_type=fmt.content_type, headers=headers)


def _not_found(request: Request, iri: str, fmt: Format) -> Response:
    message = (
        f"the published dataset has nothing about <{iri}>; search by name at /search?q=…, "
        "or see /catalog for what is published"
    )
    if fmt is not HTML:
        raise NotFound(message)
    tail = iri.rstrip("/#").rsplit("/", 1)[-1].replace("-", " ")
    hits = index_for(_dataset(request)).search(tail, limit=8) if tail else []
    return HTMLResponse(
        pages.render_not_found(iri, hits, _linker(request), page_for(request)), status_code=404
    )


# -- the ontology ----------------------------------------------------------------------


@router.api_route("/def", methods=["GET", "HEAD"], summary="The ontology (terms are /def#term)")
@router.api_route("/ontology", methods=["GET", "HEAD"], summary="The ontology document")
def ontology(request: Request) -> Response:
    ds = _dataset(request)
    fmt = _negotiate(request, RESOURCE_FORMATS, "the ontology")
    alternates = _alternates(request, RESOURCE_FORMATS)
    etag = _etag(ds, "ontology", fmt.key, page_for(request).lang)
    headers = _cache_headers(etag, False)
    headers["Link"] = _link_header(alternates)
    if _not_modified(request, etag):
        return Response(status_code=304, headers=headers)
    graph_iri = str(GRAPH_ONTOLOGY)
    if not ds.has_graph(graph_iri):
        raise NotFound("the ontology is not loaded in this store: run `lcgraph init`")
    if fmt is HTML:
        terms = ontology_terms(ds, graph_iri)
        return HTMLResponse(
            pages.render_ontology(terms, _linker(request), alternates, page_for(request)), headers=headers
        )
    out = _ontology_bytes(ds, graph_iri, fmt)
    return Response(out, media_type=fmt.content_type, headers=headers)


def _ontology_bytes(ds: Repository, graph_iri: str, fmt: Format) -> bytes:
    buffer = io.BytesIO()
    ds.dump(buffer, by_name(fmt.key), graph=graph_iri, prefixes=PREFIXES)
    return buffer.getvalue()


# -- exports ------------------------------------------------------------------------------


@router.api_route("/export", methods=["GET", "HEAD"], summary="Download the public dataset or a slice")
def export(
    request: Request,
    city: str | None = None,
    partner: str | None = None,
    graph: str | None = None,
    gzip: bool = False,
) -> Response:
    ds = _dataset(request)
    private = _may_read_private(request)
    cls = request.query_params.get("class")
    fmt = _negotiate(request, EXPORT_FORMATS, "exports")
    store_fmt = by_name(fmt.key)
    try:
        sl = exports.resolve_slice(
            ds, city=city, partner=partner, graph=graph, cls=cls, may_read_private=private
        )
    except exports.UnknownSlice as exc:
        raise NotFound(str(exc)) from None
    except exports.BadSlice as exc:
        raise BadRequest(str(exc)) from None
    except QueryRefused as exc:
        raise _refused(exc) from None
    encoded = not gzip and "gzip" in request.headers.get("accept-encoding", "").lower()
    etag = _etag(ds, "export", sl, fmt.key, gzip, encoded, private)
    headers = _cache_headers(etag, private, vary="Accept, Accept-Encoding")
    name = exports.file_name(sl, store_fmt, gzip)
    headers["Content-Disposition"] = f'attachment; filename="{name}"'
    if encoded:
        headers["Content-Encoding"] = "gzip"
    if _not_modified(request, etag):
        return Response(status_code=304, headers=headers)
    media = "application/gzip" if gzip else fmt.content_type
    if request.method == "HEAD":
        return Response(media_type=media, headers=headers)
    stream = exports.stream_export(ds, store_fmt, sl, may_read_private=private, gzip=gzip or encoded)
    return StreamingResponse(stream, media_type=media, headers=headers)


# -- JSON-LD context, DCAT/VoID ---------------------------------------------------------------


@router.api_route("/context.jsonld", methods=["GET", "HEAD"], summary="JSON-LD context with short keys")
def context(request: Request) -> Response:
    body = json.dumps(jsonld_context(), ensure_ascii=False, indent=1).encode()
    etag = '"' + hashlib.blake2b(body, digest_size=8).hexdigest() + '"'
    headers = {"ETag": etag, "Cache-Control": "public, max-age=3600"}
    if _not_modified(request, etag):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/ld+json", headers=headers)


@router.api_route("/.well-known/void", methods=["GET", "HEAD"], summary="VoID description (RFC 5785)")
@router.api_route("/catalog", methods=["GET", "HEAD"], summary="DCAT catalog and VoID description")
def catalog(request: Request) -> Response:
    ds = _dataset(request)
    fmt = _negotiate(request, CATALOG_FORMATS, "the dataset description")
    server = _server_url(request)
    etag = _etag(ds, "catalog", fmt.key, server, page_for(request).lang)
    headers = _cache_headers(etag, False)
    headers["Link"] = _link_header(_alternates(request, CATALOG_FORMATS))
    if _not_modified(request, etag):
        return Response(status_code=304, headers=headers)
    settings = catalog_module.CatalogSettings.from_settings(request.app.state.settings, server)
    triples = catalog_module.catalog(ds, settings)
    if fmt is HTML:
        summary = catalog_module.summarize(triples, settings)
        alternates = _alternates(request, CATALOG_FORMATS)
        return HTMLResponse(
            pages.render_catalog(summary, _linker(request), alternates, page_for(request, "catalog")),
            headers=headers,
        )
    return Response(
        catalog_module.serialize_catalog(triples, fmt.rdf_format),
        media_type=fmt.content_type,
        headers=headers,
    )


# -- search ---------------------------------------------------------------------------------------


@router.api_route("/search", methods=["GET", "HEAD"], summary="Search labels in Thai and English")
def search(request: Request, q: str = "", limit: int = 20) -> Response:
    fmt = _negotiate(request, SEARCH_FORMATS, "search results")
    if not 1 <= limit <= 200:
        raise BadRequest(f"limit must be between 1 and 200, got {limit}")
    linker = _linker(request)
    if not q.strip():
        if fmt is HTML:
            return HTMLResponse(pages.render_search("", [], linker, page_for(request, "search")))
        raise BadRequest("give the words to look for as ?q=… (Thai or English)")
    ds = _dataset(request)
    classes = _class_filter(request.query_params.get("class"))
    hits = index_for(ds).search(q, limit=limit, classes=classes)
    if fmt is HTML:
        return HTMLResponse(
            pages.render_search(q, hits, linker, page_for(request, "search")), headers={"Vary": "Accept"}
        )
    return JSONResponse(
        {"query": q, "count": len(hits), "hits": [_hit_json(h, linker) for h in hits]},
        headers={"Vary": "Accept"},
    )


def _class_filter(value: str | None) -> set[str] | None:
    if not value:
        return None
    prefix, sep, local = value.partition(":")
    if sep and prefix in PREFIXES and not local.startswith("//"):
        return {PREFIXES[prefix] + local}
    return {value if "://" in value else str(LC) + value}


def _hit_json(hit: Any, linker: pages.Linker) -> dict[str, Any]:
    return {
        "iri": hit.iri,
        "page": linker.href(hit.iri),
        "labels": hit.labels,
        "classes": hit.classes,
        "score": hit.score,
        "matched_words": hit.matched,
    }
