"""Every serialisation lcgraph reads or writes, in one table: RDF syntaxes and SPARQL results.

The engine's own metadata (pyoxigraph's ``RdfFormat`` / ``QueryResultsFormat``:
media type, file extension, display name, W3C IRI, whether it carries named
graphs) is the source; this table only adds what clients send that the engine
does not know: our short names (``--format``, ``?format=``), extra file
extensions, and other media types that name the same format. The CLI looks a
format up by name or file extension, the HTTP layer by media type
(:mod:`lcgraph.api.negotiation` picks among them from ``Accept``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import IO, Protocol, cast

from pyoxigraph import QueryBoolean, QueryResultsFormat, QuerySolutions, QueryTriples, RdfFormat

Engine = RdfFormat | QueryResultsFormat
Answer = QuerySolutions | QueryBoolean | QueryTriples
"""The engine's answer to a query: solutions (SELECT), a boolean (ASK) or triples (CONSTRUCT/DESCRIBE)."""


class Writable(Protocol):
    """Where an answer is written: anything with ``write(bytes)`` (a file, a size guard, a rewriter)."""

    def write(self, data: bytes, /) -> object: ...


@dataclass(frozen=True)
class Format:
    """One serialisation: the engine's format and the names clients use for it.

    ``key`` is our canonical short name; ``names`` are more short names;
    ``also`` are other media types clients send for it (honoured in
    ``Accept`` only when named exactly); ``more_extensions`` are file
    extensions besides the engine's own. ``media`` is only for answers the engine does
    not write (an HTML page, plain JSON): their media type; ``engine`` is
    then the RDF the answer is made from.
    """

    key: str
    engine: Engine
    names: tuple[str, ...] = ()
    also: tuple[str, ...] = ()
    more_extensions: tuple[str, ...] = ()
    media: str = ""

    def __reduce__(self) -> tuple[object, tuple[str, bool]]:
        # The engine's format objects do not pickle; a format crosses a process boundary as its key.
        return (by_key, (self.key, self.is_results))

    @property
    def name(self) -> str:
        return self.key

    @property
    def label(self) -> str:
        """The engine's display name (``Turtle``, ``SPARQL Results in JSON`` …)."""
        return self.engine.name

    @property
    def media_type(self) -> str:
        """The media type we send, without parameters."""
        return self.media or self.engine.media_type.split(";", 1)[0].strip()

    @property
    def file_extension(self) -> str:
        return self.engine.file_extension

    @property
    def extensions(self) -> tuple[str, ...]:
        """Every file extension, with its dot, the engine's first (``.ttl``)."""
        return tuple(f".{e}" for e in (self.file_extension, *self.more_extensions))

    @property
    def all_names(self) -> tuple[str, ...]:
        return (self.key, *self.names)

    @property
    def is_results(self) -> bool:
        """SELECT/ASK results (else RDF)."""
        return isinstance(self.engine, QueryResultsFormat)

    @property
    def is_dataset(self) -> bool:
        """True for RDF formats that carry named graphs (TriG, N-Quads, JSON-LD)."""
        return isinstance(self.engine, RdfFormat) and self.engine.supports_datasets

    @property
    def rdf_format(self) -> RdfFormat:
        assert isinstance(self.engine, RdfFormat), f"{self.key} is not an RDF format"
        return self.engine

    @property
    def results_format(self) -> QueryResultsFormat:
        assert isinstance(self.engine, QueryResultsFormat), f"{self.key} is not a SPARQL results format"
        return self.engine

    @property
    def content_type(self) -> str:
        """The ``Content-Type`` header value (textual types say UTF-8)."""
        textual = self.media_type.startswith("text/") or self.media_type in _UTF8_TYPES
        return f"{self.media_type}; charset=utf-8" if textual else self.media_type

    @property
    def iri(self) -> str:
        """The format's IRI in the W3C list (https://www.w3.org/ns/formats/), for Service Descriptions.

        The engine knows each IRI, except that pyoxigraph 0.5 names JSON-LD
        ``https://www.w3.org/ns/formats/data/JSON-LD``; the W3C IRI is used instead.
        """
        return _W3C_IRIS.get(self.key, self.engine.iri)

    def answers_to(self, media_type: str) -> bool:
        """Is ``media_type`` (no parameters, lower case) this format's or one of its aliases?"""
        return media_type == self.media_type or media_type in self.also

    def names_format(self, value: str) -> bool:
        """Does a ``format=`` value (short name, media type or media subtype) name this format?"""
        wanted = value.strip().lower()
        bare = wanted.split(";", 1)[0].strip()
        if wanted in self.all_names or self.answers_to(bare):
            return True
        return any(bare == m.partition("/")[2] for m in (self.media_type, *self.also))


_W3C_IRIS = {"jsonld": "http://www.w3.org/ns/formats/JSON-LD"}
_UTF8_TYPES = {"application/n-triples", "application/n-quads", "application/trig"}

# -- the table -------------------------------------------------------------------------

#: SPARQL results (SELECT and ASK).
SPARQL_JSON = Format("json", QueryResultsFormat.JSON, ("srj",), ("application/json",))
SPARQL_XML = Format("xml", QueryResultsFormat.XML, ("srx",), ("application/xml", "text/xml"))
SPARQL_CSV = Format("csv", QueryResultsFormat.CSV)
# Accept: text/plain on a SELECT gets TSV (readable as text; Fuseki and Oxigraph answer text too).
SPARQL_TSV = Format("tsv", QueryResultsFormat.TSV, ("text",), ("text/plain",))

#: RDF syntaxes.
TURTLE = Format("turtle", RdfFormat.TURTLE, ("ttl",), ("application/x-turtle",))
N_TRIPLES = Format("ntriples", RdfFormat.N_TRIPLES, ("nt", "n-triples"), ("text/plain",))
N_QUADS = Format("nquads", RdfFormat.N_QUADS, ("nq", "n-quads"))
TRIG = Format("trig", RdfFormat.TRIG)
RDF_XML = Format(
    "rdfxml", RdfFormat.RDF_XML, ("rdf", "xml", "rdf/xml"), ("application/xml", "text/xml"), ("owl", "xml")
)
JSON_LD = Format("jsonld", RdfFormat.JSON_LD, ("json-ld", "json"), ("application/json",), ("json",))
N3 = Format("n3", RdfFormat.N3)

RESULTS_FORMATS: tuple[Format, ...] = (SPARQL_JSON, SPARQL_XML, SPARQL_CSV, SPARQL_TSV)
RDF_FORMATS: tuple[Format, ...] = (TURTLE, N_TRIPLES, N_QUADS, TRIG, RDF_XML, JSON_LD, N3)
#: Kept for callers that list the RDF formats (help texts, the catalogue).
FORMATS = RDF_FORMATS


class UnknownFormat(ValueError):
    """Raised when a format name, extension or media type is not one we read."""


def by_key(key: str, results: bool = False) -> Format:
    """The format with this canonical key (``results``: look among the SPARQL results formats)."""
    return next(f for f in (RESULTS_FORMATS if results else RDF_FORMATS) if f.key == key)


def format_names() -> list[str]:
    """The canonical RDF format names, for help texts and error messages."""
    return [f.key for f in RDF_FORMATS]


def by_name(name: str) -> Format:
    """An RDF format by its name or alias (``turtle``, ``ttl``, ``nq`` …)."""
    wanted = name.strip().lower()
    for f in RDF_FORMATS:
        if wanted in f.all_names:
            return f
    raise UnknownFormat(f"unknown format {name!r}; known formats: {', '.join(format_names())}")


def _by_engine(engine: RdfFormat | None) -> Format | None:
    return next((f for f in RDF_FORMATS if f.engine == engine), None) if engine is not None else None


def by_media_type(media_type: str) -> Format:
    """An RDF format by media type, as the engine reads it (parameters such as ``charset`` ignored)."""
    found = _by_engine(RdfFormat.from_media_type(media_type))
    if found is None:
        known = ", ".join(sorted({m for f in RDF_FORMATS for m in (f.media_type, *f.also)}))
        bare = media_type.split(";", 1)[0].strip().lower()
        raise UnknownFormat(f"unsupported media type {bare!r}; supported: {known}")
    return found


def by_extension(extension: str) -> Format | None:
    """An RDF format by file extension (no dot), or ``None``."""
    ext = extension.lower().lstrip(".")
    for f in RDF_FORMATS:
        if ext in f.more_extensions:
            return f
    return _by_engine(RdfFormat.from_extension(ext)) if ext != "txt" else None


def for_path(path: Path, explicit: str | None = None) -> Format:
    """The format of a file: the explicit name if given, else from its extension.

    A trailing ``.gz`` is looked through (``data.nt.gz`` is N-Triples).
    """
    if explicit:
        return by_name(explicit)
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    found = by_extension(suffixes[-1]) if suffixes else None
    if found is None:
        known = ", ".join(sorted({e for f in RDF_FORMATS for e in f.extensions}))
        raise UnknownFormat(
            f"cannot tell the format of {path.name!r} from its extension (known: {known}); pass --format"
        )
    return found


def engine_sink(output: Writable) -> IO[bytes]:
    """``output`` as the engine's serialisers take it.

    They only call ``write``; pyoxigraph's type stubs ask for a whole binary
    file, hence the cast (the one place it is made).
    """
    return cast(IO[bytes], output)


def engine_target(output: Writable | str | Path) -> IO[bytes] | str:
    """A file name, or a writer, as the engine's ``dump``/``serialize`` take it."""
    if isinstance(output, Path):
        return str(output)
    return output if isinstance(output, str) else engine_sink(output)


def write_answer(answer: Answer, output: Writable, fmt: Format) -> None:
    """Serialise a query's answer with the engine: RDF for triples, SPARQL results for solutions and booleans.

    The engine only calls ``write`` on ``output``.
    """
    sink = engine_sink(output)
    if isinstance(answer, QueryTriples):
        answer.serialize(sink, fmt.rdf_format)
    else:
        answer.serialize(sink, fmt.results_format)
