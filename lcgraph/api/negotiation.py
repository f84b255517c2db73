"""Content negotiation for every route of the HTTP layer, done once, here.

For the SPARQL and Graph Store routers. A client names what it wants with
an ``Accept`` header (q-values, wildcards, several types) or, from a browser
address bar, with a ``format=`` parameter (a short name such as ``csv`` or a
media type). :func:`negotiate` picks one of the formats the route offers or
raises :class:`NotAcceptable` (406) naming what is on offer. The chosen
:class:`MediaFormat` carries the pyoxigraph format object, so the engine
serialises the answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pyoxigraph import QueryResultsFormat, RdfFormat

from lcgraph.api.errors import NotAcceptable


@dataclass(frozen=True)
class MediaFormat:
    """One serialisation the service can answer in.

    ``media_type`` is what we send in ``Content-Type``; ``also`` lists other
    media types clients use for the same format; ``names`` are the short
    names accepted by ``format=``.
    """

    key: str
    media_type: str
    engine_attr: str  # attribute of QueryResultsFormat / RdfFormat (crosses the process boundary)
    names: tuple[str, ...] = ()
    also: tuple[str, ...] = ()

    @property
    def is_results(self) -> bool:
        return self.key in _RESULT_KEYS

    @property
    def engine(self) -> QueryResultsFormat | RdfFormat:
        owner = QueryResultsFormat if self.is_results else RdfFormat
        return getattr(owner, self.engine_attr)

    @property
    def content_type(self) -> str:
        """The ``Content-Type`` header value (text types say UTF-8)."""
        textual = self.media_type.startswith("text/") or self.media_type in _UTF8_TYPES
        return f"{self.media_type}; charset=utf-8" if textual else self.media_type

    def answers_to(self, media_type: str) -> bool:
        return media_type == self.media_type or media_type in self.also

    @property
    def iri(self) -> str:
        """The format's IRI in the W3C list (https://www.w3.org/ns/formats/), for Service Descriptions.

        The engine knows each IRI, except that pyoxigraph 0.5 names JSON-LD
        ``https://www.w3.org/ns/formats/data/JSON-LD``; the W3C IRI is used instead.
        """
        return W3C_FORMAT_IRIS.get(self.key, self.engine.iri)

    def names_format(self, value: str) -> bool:
        """Does a ``format=`` value (short name, media type or media subtype) name this format?"""
        wanted = value.strip().lower()
        bare = wanted.split(";", 1)[0].strip()
        if wanted in self.names or self.answers_to(bare):
            return True
        return any(bare == m.partition("/")[2] for m in (self.media_type, *self.also))


W3C_FORMAT_IRIS = {"jsonld": "http://www.w3.org/ns/formats/JSON-LD"}


_UTF8_TYPES = {"application/n-triples", "application/n-quads", "application/trig"}
_RESULT_KEYS = {"json", "xml", "csv", "tsv"}

SPARQL_JSON = MediaFormat(
    "json", "application/sparql-results+json", "JSON", ("json", "srj"), ("application/json",)
)
SPARQL_XML = MediaFormat(
    "xml", "application/sparql-results+xml", "XML", ("xml", "srx"), ("application/xml", "text/xml")
)
SPARQL_CSV = MediaFormat("csv", "text/csv", "CSV", ("csv",))
# Accept: text/plain on a SELECT gets TSV (readable as text; Fuseki and Oxigraph answer text too).
SPARQL_TSV = MediaFormat("tsv", "text/tab-separated-values", "TSV", ("tsv", "text"), ("text/plain",))

TURTLE = MediaFormat("turtle", "text/turtle", "TURTLE", ("turtle", "ttl"), ("application/x-turtle",))
N_TRIPLES = MediaFormat(
    "ntriples", "application/n-triples", "N_TRIPLES", ("ntriples", "nt", "n-triples"), ("text/plain",)
)
RDF_XML = MediaFormat(
    "rdfxml", "application/rdf+xml", "RDF_XML", ("rdfxml", "rdf", "xml"), ("application/xml", "text/xml")
)
JSON_LD = MediaFormat(
    "jsonld", "application/ld+json", "JSON_LD", ("jsonld", "json-ld", "json"), ("application/json",)
)
N3 = MediaFormat("n3", "text/n3", "N3", ("n3",))
N_QUADS = MediaFormat("nquads", "application/n-quads", "N_QUADS", ("nquads", "nq", "n-quads"))
TRIG = MediaFormat("trig", "application/trig", "TRIG", ("trig",))

#: SELECT and ASK answers, in the order we prefer them (ASK in CSV/TSV is a bare true/false).
RESULTS_FORMATS: tuple[MediaFormat, ...] = (SPARQL_JSON, SPARQL_XML, SPARQL_CSV, SPARQL_TSV)
#: CONSTRUCT and DESCRIBE answers, and GET of one graph.
GRAPH_FORMATS: tuple[MediaFormat, ...] = (TURTLE, N_TRIPLES, RDF_XML, JSON_LD, N3, N_QUADS, TRIG)
#: Whole-dataset GET of the Graph Store.
DATASET_FORMATS: tuple[MediaFormat, ...] = (TRIG, N_QUADS)

ALL_FORMATS: tuple[MediaFormat, ...] = (*RESULTS_FORMATS, *GRAPH_FORMATS)


@dataclass(frozen=True)
class MediaRange:
    """One entry of an ``Accept`` header."""

    type: str
    subtype: str
    q: float
    order: int

    def matches(self, media_type: str) -> int:
        """How specifically this range matches ``media_type``: 2 exact, 1 ``type/*``, 0 ``*/*``, -1 no."""
        main, _, sub = media_type.partition("/")
        if self.type == "*" and self.subtype == "*":
            return 0
        if self.type != main:
            return -1
        if self.subtype == "*":
            return 1
        return 2 if self.subtype == sub else -1


def parse_accept(header: str | None) -> list[MediaRange]:
    """Parse an ``Accept`` header; malformed entries are skipped, not fatal."""
    if not header or not header.strip():
        return [MediaRange("*", "*", 1.0, 0)]
    ranges: list[MediaRange] = []
    for order, item in enumerate(header.split(",")):
        parts = [p.strip() for p in item.split(";")]
        media = parts[0].lower()
        if "/" not in media:
            if media == "*":
                media = "*/*"
            else:
                continue
        main, _, sub = media.partition("/")
        if not main or not sub:
            continue
        ranges.append(MediaRange(main, sub, _q_value(parts[1:]), order))
    return ranges


def _q_value(params: list[str]) -> float:
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "q":
            try:
                return min(max(float(value.strip()), 0.0), 1.0)
            except ValueError:
                return 0.0
    return 1.0


def _quality(ranges: Sequence[MediaRange], fmt: MediaFormat) -> float:
    """The q the client gives to ``fmt``: that of its most specific matching range."""
    best: tuple[int, float] | None = None
    for media_type in (fmt.media_type, *fmt.also):
        for r in ranges:
            specificity = r.matches(media_type)
            # An alias (e.g. application/json) only counts when named exactly.
            if specificity < 0 or (media_type != fmt.media_type and specificity < 2):
                continue
            if best is None or (specificity, r.q) > best:
                best = (specificity, r.q)
    return best[1] if best else 0.0


def by_format_parameter(value: str, offered: Sequence[MediaFormat]) -> MediaFormat | None:
    """The offered format a ``format=`` value names (short name or media type), if any."""
    for fmt in offered:
        if value.strip().lower() in fmt.names:
            return fmt
    for fmt in offered:
        if fmt.names_format(value):
            return fmt
    return None


def choose(
    accept: str | None, offered: Sequence[MediaFormat], format_param: str | None = None
) -> MediaFormat | None:
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
        if by_format_parameter(format_param, ALL_FORMATS) is None:
            return None  # names no format at all (format=docx): nothing to fall back on
    ranges = parse_accept(accept)
    best: MediaFormat | None = None
    best_q = 0.0
    for fmt in offered:
        q = _quality(ranges, fmt)
        if q > best_q:
            best, best_q = fmt, q
    return best


def negotiate(
    accept: str | None,
    offered: Sequence[MediaFormat],
    format_param: str | None = None,
    *,
    what: str = "this answer",
) -> MediaFormat:
    """Like :func:`choose`, but a client that accepts nothing on offer gets a 406."""
    fmt = choose(accept, offered, format_param)
    if fmt is None and format_param and by_format_parameter(format_param, ALL_FORMATS) is not None:
        # A client library that asked by name for a real format this kind of answer has none
        # of (SPARQLWrapper's "turtle" on a SELECT) gets the default form, which it can parse.
        return offered[0]
    if fmt is None:
        raise NotAcceptable(not_acceptable_message(offered, what, format_param))
    return fmt


def not_acceptable_message(offered: Sequence[MediaFormat], what: str, format_param: str | None) -> str:
    asked = f"format={format_param!r}" if format_param else "the Accept header"
    names = ", ".join(f"{f.media_type} (format={f.names[0]})" for f in offered)
    return f"{asked} allows none of the formats available for {what}: {names}"


def by_engine_attr(engine_attr: str, results: bool) -> MediaFormat:
    """The format a worker answered in (``results``: SELECT/ASK, else CONSTRUCT/DESCRIBE)."""
    for fmt in RESULTS_FORMATS if results else GRAPH_FORMATS:
        if fmt.engine_attr == engine_attr:
            return fmt
    raise KeyError(engine_attr)
