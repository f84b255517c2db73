"""Content negotiation for every route of the HTTP layer, done once, here.

For the SPARQL and Graph Store routers. A client names what it wants with
an ``Accept`` header (q-values, wildcards, several types) or, from a browser
address bar, with a ``format=`` parameter (a short name such as ``csv`` or a
media type). :func:`negotiate` picks one of the formats the route offers or
raises :class:`NotAcceptable` (406) naming what is on offer. The formats are
entries of the one format table (:mod:`lcgraph.store.formats`, derived from the
engine's own metadata); the chosen one carries the pyoxigraph format object, so
the engine serialises the answer. ``Accept`` itself is parsed by
:mod:`lcgraph.api.accept`; no route reads it any other way.
"""

from __future__ import annotations

from collections.abc import Sequence

from pyoxigraph import RdfFormat

from lcgraph.api.accept import named, parse_accept, quality
from lcgraph.api.errors import NotAcceptable
from lcgraph.store.formats import (
    JSON_LD,
    N3,
    N_QUADS,
    N_TRIPLES,
    RDF_FORMATS,
    RDF_XML,
    RESULTS_FORMATS,
    SPARQL_CSV,
    SPARQL_JSON,
    SPARQL_TSV,
    SPARQL_XML,
    TRIG,
    TURTLE,
    Format,
)

__all__ = [
    "DATASET_FORMATS",
    "GRAPH_FORMATS",
    "HTML",
    "JSON",
    "JSON_LD",
    "N3",
    "N_QUADS",
    "N_TRIPLES",
    "RDF_XML",
    "REPORT_FORMATS",
    "RESULTS_FORMATS",
    "SPARQL_CSV",
    "SPARQL_JSON",
    "SPARQL_TSV",
    "SPARQL_XML",
    "TRIG",
    "TURTLE",
    "Format",
    "choose",
    "named",
    "negotiate",
]

#: CONSTRUCT and DESCRIBE answers, and GET of one graph (SELECT/ASK: ``RESULTS_FORMATS``, in the
#: order we prefer them; ASK in CSV/TSV is a bare true/false).
GRAPH_FORMATS: tuple[Format, ...] = (TURTLE, N_TRIPLES, RDF_XML, JSON_LD, N3, N_QUADS, TRIG)
#: Whole-dataset GET of the Graph Store.
DATASET_FORMATS: tuple[Format, ...] = (TRIG, N_QUADS)

#: Answers the engine does not write: a page for people (made from the Turtle of the same
#: description) and plain JSON (search hits, validation reports).
HTML = Format("html", RdfFormat.TURTLE, ("html",), ("application/xhtml+xml",), media="text/html")
JSON = Format("json", RdfFormat.JSON_LD, ("json",), ("application/problem+json",), media="application/json")
#: A validation report: JSON by default, or the standard ``sh:ValidationReport`` as RDF.
REPORT_FORMATS: tuple[Format, ...] = (JSON, TURTLE, JSON_LD)
_KNOWN: tuple[Format, ...] = (*RESULTS_FORMATS, *RDF_FORMATS)


def by_format_parameter(value: str, offered: Sequence[Format]) -> Format | None:
    """The offered format a ``format=`` value names (short name or media type), if any."""
    for fmt in offered:
        if value.strip().lower() in fmt.all_names:
            return fmt
    for fmt in offered:
        if fmt.names_format(value):
            return fmt
    return None


def choose(accept: str | None, offered: Sequence[Format], format_param: str | None = None) -> Format | None:
    """The best offered format for this client, or ``None`` if it accepts none.

    ``format=`` wins over ``Accept`` when it names a format on offer; one that
    names none (SPARQLWrapper sends ``format=xml`` for RDF/XML and JSON-LD alike,
    ``format=rdf+xml``, ``format=turtle`` on a SELECT …) leaves the choice to
    ``Accept``. Among formats with the same q the route's own order decides
    (its first format is its default).
    """
    if format_param:
        named = by_format_parameter(format_param, offered)
        if named is not None:
            return named
        if by_format_parameter(format_param, _KNOWN) is None:
            return None  # names no format at all (format=docx): nothing to fall back on
    ranges = parse_accept(accept)
    best: Format | None = None
    best_q = 0.0
    for fmt in offered:
        q = quality(ranges, fmt.media_type, fmt.also)
        if q > best_q:
            best, best_q = fmt, q
    return best


def negotiate(
    accept: str | None,
    offered: Sequence[Format],
    format_param: str | None = None,
    *,
    what: str = "this answer",
) -> Format:
    """Like :func:`choose`, but a client that accepts nothing on offer gets a 406."""
    fmt = choose(accept, offered, format_param)
    if fmt is None and format_param and by_format_parameter(format_param, _KNOWN) is not None:
        # A client library that asked by name for a real format this kind of answer has none
        # of (SPARQLWrapper's "turtle" on a SELECT) gets the default form, which it can parse.
        return offered[0]
    if fmt is None:
        raise NotAcceptable(not_acceptable_message(offered, what, format_param))
    return fmt


def not_acceptable_message(offered: Sequence[Format], what: str, format_param: str | None) -> str:
    asked = f"format={format_param!r}" if format_param else "the Accept header"
    names = ", ".join(f"{f.media_type} (format={f.key})" for f in offered)
    return f"{asked} allows none of the formats available for {what}: {names}"
