"""Reading a SPARQL 1.1 Protocol request into one operation.

For the ``/sparql`` router. The W3C Recommendation allows a query by GET
(``query=``), by URL-encoded POST, or by POST of ``application/sparql-query``;
an update by URL-encoded POST or POST of ``application/sparql-update``. The
dataset comes from ``default-graph-uri``/``named-graph-uri`` (queries) and
``using-graph-uri``/``using-named-graph-uri`` (updates). Everything the
Recommendation forbids is refused here with a message that names the
problem, before the engine sees anything.

This module is pure (no HTTP objects), so it is tested directly.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import parse_qsl

import pyoxigraph as ox

from lcgraph.api.errors import BadRequest, MethodNotAllowed, UnsupportedMediaType

FORM = "application/x-www-form-urlencoded"
SPARQL_QUERY = "application/sparql-query"
SPARQL_UPDATE = "application/sparql-update"

QUERY_DATASET = ("default-graph-uri", "named-graph-uri")
UPDATE_DATASET = ("using-graph-uri", "using-named-graph-uri")
ALLOWED_METHODS = "GET, HEAD, POST, OPTIONS"


@dataclass(frozen=True)
class QueryOperation:
    """A query and the dataset the protocol named for it (``None``: not named)."""

    query: str
    default_graphs: tuple[str, ...] | None = None
    named_graphs: tuple[str, ...] | None = None


@dataclass(frozen=True)
class UpdateOperation:
    """An update and the ``USING``/``USING NAMED`` graphs the protocol named."""

    update: str
    using_graphs: tuple[str, ...] = ()
    using_named_graphs: tuple[str, ...] = ()


@dataclass(frozen=True)
class ServiceDescriptionRequest:
    """GET of the endpoint with no operation: the client wants the service description."""


@dataclass(frozen=True)
class ProtocolRequest:
    """What a request to ``/sparql`` asks for, plus the browser's ``format=`` choice."""

    operation: QueryOperation | UpdateOperation | ServiceDescriptionRequest
    format: str | None = None


Params = Sequence[tuple[str, str]]


def media_type_of(content_type: str | None) -> tuple[str, dict[str, str]]:
    """Split a ``Content-Type`` value into its bare media type and parameters."""
    if not content_type:
        return "", {}
    parts = content_type.split(";")
    params: dict[str, str] = {}
    for part in parts[1:]:
        name, _, value = part.partition("=")
        params[name.strip().lower()] = value.strip().strip('"')
    return parts[0].strip().lower(), params


def require_utf8(content_type: str | None) -> None:
    """Refuse a body declared in any charset but UTF-8 (the Protocol's only encoding)."""
    _, params = media_type_of(content_type)
    charset = params.get("charset")
    if charset and charset.lower().replace("_", "-") not in ("utf-8", "utf8"):
        raise UnsupportedMediaType(
            f"the request body is declared as charset={charset}; the SPARQL Protocol requires UTF-8"
        )


def decode_utf8(body: bytes, what: str) -> str:
    """Decode a body as UTF-8, naming the byte offset of the first bad byte."""
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest(
            f"the {what} is not valid UTF-8 (byte {exc.start}: {exc.reason}); send it as UTF-8"
        ) from None


def parse_request(method: str, url_params: Params, content_type: str | None, body: bytes) -> ProtocolRequest:
    """Turn the parts of an HTTP request into one protocol operation, or raise a 4xx."""
    method = method.upper()
    if method in ("GET", "HEAD"):
        return _from_params(url_params, via="GET")
    if method != "POST":
        raise MethodNotAllowed(
            f"{method} is not a SPARQL Protocol method: send queries with GET or POST and updates with POST",
            headers={"Allow": ALLOWED_METHODS},
        )
    media, _ = media_type_of(content_type)
    if media == FORM:
        require_utf8(content_type)
        form = parse_qsl(decode_utf8(body, "URL-encoded form"), keep_blank_values=True)
        return _from_params([*url_params, *form], via="POST")
    if media == SPARQL_QUERY:
        require_utf8(content_type)
        _refuse_operation_params(url_params, "query", media)
        text = decode_utf8(body, "query")
        return ProtocolRequest(_query(text, url_params), _format(url_params))
    if media == SPARQL_UPDATE:
        require_utf8(content_type)
        _refuse_operation_params(url_params, "update", media)
        text = decode_utf8(body, "update")
        return ProtocolRequest(_update(text, url_params), _format(url_params))
    if not media:
        raise UnsupportedMediaType(
            "a POST to the SPARQL endpoint needs a Content-Type: application/x-www-form-urlencoded, "
            "application/sparql-query or application/sparql-update"
        )
    raise UnsupportedMediaType(
        f"Content-Type {media} is not a SPARQL Protocol body; use application/x-www-form-urlencoded, "
        "application/sparql-query or application/sparql-update"
    )


def _from_params(params: Params, *, via: str) -> ProtocolRequest:
    queries = _values(params, "query")
    updates = _values(params, "update")
    fmt = _format(params)
    if queries and updates:
        raise BadRequest("the request carries both query= and update=; send one operation per request")
    if len(queries) > 1:
        raise BadRequest(f"the request carries {len(queries)} query= parameters; send exactly one")
    if len(updates) > 1:
        raise BadRequest(f"the request carries {len(updates)} update= parameters; send exactly one")
    if updates:
        if via == "GET":
            raise MethodNotAllowed(
                "updates cannot be sent with GET: POST them (form field update= or "
                "Content-Type application/sparql-update)",
                headers={"Allow": ALLOWED_METHODS},
            )
        return ProtocolRequest(_update(updates[0], params), fmt)
    if queries:
        return ProtocolRequest(_query(queries[0], params), fmt)
    if via == "GET":
        _refuse_dataset_without_operation(params)
        return ProtocolRequest(ServiceDescriptionRequest(), fmt)
    raise BadRequest("the form carries neither query= nor update=")


def _query(text: str, params: Params) -> QueryOperation:
    if not text.strip():
        raise BadRequest("the query is empty")
    _refuse(params, UPDATE_DATASET, "queries (use default-graph-uri / named-graph-uri)")
    default = _iris(params, "default-graph-uri")
    named = _iris(params, "named-graph-uri")
    return (
        QueryOperation(text, default or None, named or None) if (default or named) else QueryOperation(text)
    )


def _update(text: str, params: Params) -> UpdateOperation:
    if not text.strip():
        raise BadRequest("the update is empty")
    _refuse(params, QUERY_DATASET, "updates (use using-graph-uri / using-named-graph-uri)")
    return UpdateOperation(text, _iris(params, "using-graph-uri"), _iris(params, "using-named-graph-uri"))


def _values(params: Params, name: str) -> list[str]:
    return [v for k, v in params if k == name]


def _format(params: Params) -> str | None:
    """The browser's ``format=`` choice: the first non-empty value.

    Some clients (SPARQLWrapper) repeat it as a short name and a media type.
    """
    return next((v for v in _values(params, "format") if v.strip()), None)


def _iris(params: Params, name: str) -> tuple[str, ...]:
    out: list[str] = []
    for value in _values(params, name):
        out.append(check_iri(value, name))
    return tuple(dict.fromkeys(out))


def check_iri(value: str, param: str) -> str:
    """Return ``value`` if it is an absolute IRI, else a 400 naming the parameter."""
    try:
        ox.NamedNode(value)
    except ValueError as exc:
        raise BadRequest(f"{param}={value!r} is not an absolute IRI: {exc}") from None
    return value


def _refuse(params: Params, names: Iterable[str], what: str) -> None:
    for name in names:
        if _values(params, name):
            raise BadRequest(f"{name} does not apply to {what}")


def _refuse_operation_params(params: Params, kind: str, media: str) -> None:
    if _values(params, "query") or _values(params, "update"):
        raise BadRequest(
            f"the {kind} is in the body ({media}); do not also send query= or update= in the URL"
        )


def _refuse_dataset_without_operation(params: Params) -> None:
    for name in (*QUERY_DATASET, *UPDATE_DATASET):
        if _values(params, name):
            raise BadRequest(f"{name} was given but there is no query= to apply it to")
