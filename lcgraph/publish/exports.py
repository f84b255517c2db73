"""Exports of the public dataset, whole or sliced, streamed with bounded memory.

For partners who download data (``/export``, ``lcgraph export``). A slice is
one city, one partner, one named graph or one class. Quads are read from the
store lazily and written by the engine's serialiser
(``pyoxigraph.serialize`` over an iterator), so memory stays flat however big
the dump: a CONSTRUCT would be simpler, but the engine keeps every
constructed triple in a set to drop repeats (measured here: 691 MB for 1M
triples, against 90 MB streaming). Slices are selected by a SPARQL SELECT the
engine evaluates and streams. In a triple format (Turtle, N-Triples,
RDF/XML) the graphs are merged; a triple stated in two graphs may then be
written twice, which describes the same RDF graph. TriG, N-Quads and
JSON-LD keep each statement's graph, so the source of every fact travels
with it.

The private graph (PDPA) is left out unless the caller may read it; as a
second guard a personal statement misfiled in a public graph is dropped too.
"""

from __future__ import annotations

import contextlib
import gzip as gzip_module
import logging
import os
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import pyoxigraph as ox

from lcgraph.namespaces import LC, LCG, LCID, ORG, PREFIXES, SCHEMA
from lcgraph.personal import PersonalFilter
from lcgraph.publish.privacy import check_graph_readable, readable_graphs
from lcgraph.store import Format, Repository, by_name
from lcgraph.store.formats import engine_sink

log = logging.getLogger("lcgraph.publish")

CHUNK = 64 * 1024

# Who counts as "of a partner": the statements that tie a resource to an agent.
PARTNER_LINKS = (
    SCHEMA.provider,
    SCHEMA.organizer,
    SCHEMA.funder,
    LC.managedBy,
    LC.party,
    ORG.member,
    ORG.memberOf,
    ORG.subOrganizationOf,
    LC.openedBy,
)
CITY_LINKS = (LC.city, ORG.member, LC.party)


class UnknownSlice(LookupError):
    """A slice names a city, partner, graph or class the public dataset does not have (HTTP 404)."""

    status = 404

    def __init__(self, kind: str, wanted: str, known: list[str]) -> None:
        self.kind = kind
        self.wanted = wanted
        self.known = known
        shown = ", ".join(known[:60]) + (" …" if len(known) > 60 else "")
        super().__init__(
            f"no {kind} {wanted!r} in the published dataset; known {kind} values: {shown or '(none)'}"
        )


class BadSlice(ValueError):
    """A slice request that cannot be understood (HTTP 400)."""

    status = 400


@dataclass(frozen=True)
class Slice:
    """What to export: everything (``kind == "all"``) or the resources of one city/partner/graph/class."""

    kind: str = "all"
    iri: str | None = None

    @property
    def label(self) -> str:
        """A short name for file names (``city-phayao``, ``all``)."""
        if self.iri is None:
            return "all"
        tail = self.iri.rstrip("/#").rsplit("/", 1)[-1].rsplit("#", 1)[-1]
        return f"{self.kind}-{tail}"


# -- resolving what the caller asked for -----------------------------------------


def _instances(ds: Repository, classes: Iterable[str], may_read_private: bool) -> list[str]:
    values = " ".join(f"<{c}>" for c in classes)
    query = f"SELECT DISTINCT ?x {{ VALUES ?c {{ {values} }} ?x a ?c FILTER(isIRI(?x)) }} ORDER BY ?x"
    rows = ds.select(query, include_private=may_read_private)
    return [r["x"].value for r in rows]


def known_cities(ds: Repository, may_read_private: bool = False) -> list[str]:
    """IRIs of the learning cities in the dataset."""
    return _instances(ds, [str(LC.LearningCity)], may_read_private)


def known_partners(ds: Repository, may_read_private: bool = False) -> list[str]:
    """IRIs of the partner organisations and networks in the dataset."""
    return _instances(ds, [str(LC.PartnerOrganisation), str(LC.Network)], may_read_private)


def known_classes(ds: Repository, may_read_private: bool = False) -> list[str]:
    """Classes that have at least one instance."""
    rows = ds.select(
        "SELECT DISTINCT ?c { ?x a ?c FILTER(isIRI(?c)) } ORDER BY ?c",
        include_private=may_read_private,
    )
    return [r["c"].value for r in rows]


def _pick(wanted: str, known: list[str], namespace: str, kind: str) -> str:
    """Match ``wanted`` (a full IRI, a CURIE or a slug) against ``known`` IRIs."""
    candidates = [wanted, namespace + wanted]
    prefix, sep, local = wanted.partition(":")
    if sep and prefix in PREFIXES:
        candidates.append(PREFIXES[prefix] + local)
    for c in candidates:
        if c in known:
            return c
    raise UnknownSlice(kind, wanted, known)


def resolve_slice(
    ds: Repository,
    *,
    city: str | None = None,
    partner: str | None = None,
    graph: str | None = None,
    cls: str | None = None,
    may_read_private: bool = False,
) -> Slice:
    """Turn the caller's slice options into a :class:`Slice`, or raise :class:`UnknownSlice`.

    Each option takes a full IRI or a short form: ``city="phayao"``,
    ``partner="unesco-bangkok"``, ``graph="seed/gnlc-members"``,
    ``cls="LearningSpace"`` or ``cls="lc:LearningSpace"``.
    """
    given = {
        k: v
        for k, v in (("city", city), ("partner", partner), ("graph", graph), ("class", cls))
        if v is not None and v.strip() != ""
    }
    if len(given) > 1:
        raise BadSlice(f"choose one slice at a time, not {' and '.join(given)}")
    if not given:
        return Slice()
    kind, wanted = next(iter(given.items()))
    wanted = wanted.strip()
    if kind == "city":
        return Slice(kind, _pick(wanted, known_cities(ds, may_read_private), str(LCID) + "city/", kind))
    if kind == "partner":
        known = known_partners(ds, may_read_private)
        try:
            return Slice(kind, _pick(wanted, known, str(LCID) + "partner/", kind))
        except UnknownSlice:
            return Slice(kind, _pick(wanted, known, str(LCID) + "network/", kind))
    if kind == "graph":
        iri = wanted if "://" in wanted else str(LCG) + wanted.removeprefix("lcg:")
        check_graph_readable(iri, may_read_private)
        return Slice(kind, _pick(iri, readable_graphs(ds, may_read_private), str(LCG), kind))
    return Slice(kind, _pick(wanted, known_classes(ds, may_read_private), str(LC), kind))


# -- reading the quads of a slice --------------------------------------------------


def _members_pattern(sl: Slice) -> str:
    target = f"<{sl.iri}>"
    if sl.kind == "class":
        return f"?m a {target}"
    links = CITY_LINKS if sl.kind == "city" else PARTNER_LINKS
    path = "|".join(f"<{p}>" for p in links)
    return f"{{ VALUES ?m {{ {target} }} }} UNION {{ ?m {path} {target} }}"


def _slice_query(sl: Slice) -> str:
    # Members first (a small distinct set), then their statements and those of
    # the blank nodes they own, each with its graph.
    return (
        "SELECT ?s ?p ?o ?g WHERE { "
        f"{{ SELECT DISTINCT ?m WHERE {{ {_members_pattern(sl)} }} }} "
        "GRAPH ?g { { ?m ?p ?o BIND(?m AS ?s) } UNION { ?m ?q ?s FILTER(isBlank(?s)) ?s ?p ?o } } }"
    )


def iter_quads(ds: Repository, sl: Slice, *, may_read_private: bool = False) -> Iterator[ox.Quad]:
    """The quads of a slice, read lazily from the store."""
    graphs = readable_graphs(ds, may_read_private)
    personal = None if may_read_private else PersonalFilter(ds)
    if sl.kind == "all":
        sources = [ox.NamedNode(g) for g in graphs]
        quads: Iterator[ox.Quad] = (q for g in sources for q in ds.quads(graph=g))
    elif sl.kind == "graph":
        assert sl.iri is not None
        quads = ds.quads(graph=sl.iri)
    else:
        rows = ds.query(_slice_query(sl), include_private=may_read_private)
        assert isinstance(rows, ox.QuerySolutions)
        quads = (ox.Quad(r[0], r[1], r[2], r[3]) for r in rows)
    if personal is None:
        return quads
    return (q for q in quads if not personal.is_personal(q))


# -- writing ------------------------------------------------------------------------


def media_type(fmt: Format, gzip: bool = False) -> str:
    return "application/gzip" if gzip else fmt.media_type


def file_name(sl: Slice, fmt: Format, gzip: bool = False) -> str:
    """A download name such as ``lcgraph-city-phayao.ttl.gz``."""
    return f"lcgraph-{sl.label}{fmt.extensions[0]}" + (".gz" if gzip else "")


def write_export(
    ds: Repository,
    output: IO[bytes] | str | Path,
    fmt: Format | str,
    sl: Slice | None = None,
    *,
    may_read_private: bool = False,
    gzip: bool = False,
) -> None:
    """Write a slice (default: the whole public dataset) to a binary stream or a file path.

    This is the function ``lcgraph export`` calls: resolve the slice with
    :func:`resolve_slice` first, so a bad name fails before any byte is written.
    """
    fmt = by_name(fmt) if isinstance(fmt, str) else fmt
    sl = sl or Slice()
    if isinstance(output, (str, Path)):
        with open(output, "wb") as fh:
            write_export(ds, fh, fmt, sl, may_read_private=may_read_private, gzip=gzip)
        return
    if gzip:
        with gzip_module.GzipFile(fileobj=output, mode="wb", compresslevel=6, mtime=0) as zipped:
            _serialize(ds, zipped, fmt, sl, may_read_private)
        return
    _serialize(ds, output, fmt, sl, may_read_private)


def _serialize(
    ds: Repository, output: IO[bytes] | gzip_module.GzipFile, fmt: Format, sl: Slice, may_read_private: bool
) -> None:
    quads = iter_quads(ds, sl, may_read_private=may_read_private)
    prefixes = dict(PREFIXES) if fmt.name in ("turtle", "trig", "rdfxml", "n3") else None
    out = engine_sink(output)  # a GzipFile too: the engine only calls write()
    if fmt.is_dataset:
        ox.serialize(quads, out, format=fmt.rdf_format, prefixes=prefixes)
    else:
        ox.serialize((q.triple for q in quads), out, format=fmt.rdf_format, prefixes=prefixes)


def stream_export(
    ds: Repository, fmt: Format, sl: Slice, *, may_read_private: bool = False, gzip: bool = False
) -> Iterator[bytes]:
    """The export as a stream of byte chunks, for an HTTP response.

    The engine writes into a pipe from a background thread; this generator
    reads it. The pipe holds at most a few kilobytes, so a slow client slows
    the writer instead of filling memory. Closing the generator early (the
    client went away) closes the pipe, and the writer stops.
    """
    read_fd, write_fd = os.pipe()
    writer = os.fdopen(write_fd, "wb", buffering=CHUNK)

    def produce() -> None:
        try:
            write_export(ds, writer, fmt, sl, may_read_private=may_read_private, gzip=gzip)
        except BrokenPipeError:
            pass  # the client stopped reading
        except Exception:  # noqa: BLE001 - the response has started; all we can do is log and stop
            log.exception("export of %s as %s failed mid-stream", sl.label, fmt.name)
        finally:
            with contextlib.suppress(BrokenPipeError):
                writer.close()

    thread = threading.Thread(target=produce, name=f"export-{sl.label}", daemon=True)
    thread.start()
    with os.fdopen(read_fd, "rb", buffering=0) as reader:
        while chunk := reader.read(CHUNK):
            yield chunk
    thread.join()
