"""Personal data under Thailand's PDPA: what is personal, where it lives, what the public sees.

For every publishing path (SPARQL endpoint, Graph Store GET, IRI pages,
exports, search). Which statements are personal, and that they live in the
named graph ``lcg:private``, is :mod:`lcgraph.personal`'s (the write path
needs it too). Here:

- The *public view* of the dataset is every graph except ``lcg:private``:
  its default graph is the union of the store's default graph and the public
  named graphs, its named graphs are the public ones. A request with a
  read-private token sees everything.

:func:`public_dataset` is the single function the SPARQL service calls to
turn a query (and the protocol's ``default-graph-uri``/``named-graph-uri``)
into the graphs the engine may read. Because pyoxigraph lets an explicit
dataset override the query's own ``FROM``/``FROM NAMED``, the query's
dataset clause is read here, honoured, and checked for the private graph.
``SERVICE`` is refused for every caller: the engine would otherwise fetch
remote (or loopback) URLs on the caller's behalf.
"""

from __future__ import annotations

from collections.abc import Sequence

import pyoxigraph as ox

from lcgraph.access import PRIVATE_GRAPH
from lcgraph.personal import PersonalFilter
from lcgraph.store import Repository
from lcgraph.store.dataset_clause import DatasetClause, DatasetClauseError
from lcgraph.store.dataset_clause import read_dataset_clause as _read
from lcgraph.store.graph_names import graph_iri


class QueryRefused(Exception):
    """A query or graph request the public view cannot answer (HTTP 403)."""

    status = 403


# -- which graphs are public -------------------------------------------------


def public_graphs(ds: Repository) -> list[str]:
    """The named graphs everyone may read (all but ``lcg:private``), sorted."""
    return [g for g in ds.graphs() if g != PRIVATE_GRAPH]


def readable_graphs(ds: Repository, may_read_private: bool) -> list[str]:
    """The named graphs a caller may read."""
    return ds.graphs() if may_read_private else public_graphs(ds)


def graph_readable(graph: str, may_read_private: bool) -> bool:
    """May this caller read ``graph`` (e.g. by a Graph Store GET)?"""
    return may_read_private or graph != PRIVATE_GRAPH


def check_graph_readable(graph: str, may_read_private: bool) -> None:
    """Raise :class:`QueryRefused` if ``graph`` is private and the caller may not read it."""
    if not graph_readable(graph, may_read_private):
        raise QueryRefused(
            f"the graph <{graph}> holds personal data (Thailand PDPA); reading it needs a token "
            "with the read-private scope"
        )


# -- the dataset a query may see ---------------------------------------------


def read_dataset_clause(query: str) -> DatasetClause:
    """The query's ``FROM``/``FROM NAMED``/``SERVICE`` (see :mod:`lcgraph.store.dataset_clause`)."""
    try:
        return _read(query)
    except DatasetClauseError as exc:
        raise QueryRefused(str(exc)) from None


GraphList = list[str | None]
"""Graphs for the engine; ``None`` is the store's default graph."""


def public_dataset(
    ds: Repository,
    query_text: str,
    default_graph_uris: Sequence[str] | None = None,
    named_graph_uris: Sequence[str] | None = None,
    may_read_private: bool = False,
) -> tuple[GraphList | None, list[str] | None]:
    """The (default graphs, named graphs) to give the engine for this query and caller.

    ``default_graph_uris``/``named_graph_uris`` are the SPARQL Protocol's
    parameters (``None`` when absent); when either is given they replace the
    query's ``FROM``/``FROM NAMED``, as the Protocol says. ``(None, None)``
    means "let the engine use its usual dataset" (only for callers who may
    read private data and name no dataset). Pass the result to
    ``Dataset.query(default_graph=…, named_graphs=…)``: explicit lists
    override the query's own dataset clause inside pyoxigraph.

    Raises :class:`QueryRefused` for ``SERVICE`` and for a request that
    names the private graph without the right.
    """
    clause = read_dataset_clause(query_text)
    if clause.uses_service:
        raise QueryRefused(
            "SERVICE (federated query) is not run by this endpoint: the server never fetches other "
            "URLs on a client's behalf; run the remote part on its own endpoint"
        )
    if default_graph_uris is not None or named_graph_uris is not None:
        default, named = list(default_graph_uris or ()), list(named_graph_uris or ())
    elif clause.names_dataset:
        default, named = clause.default, clause.named
    else:
        # The caller's own view (store/dataset.py's dataset_arguments: public, or with lcg:private).
        return None, None
    if not may_read_private:
        for g in (*default, *named):
            check_graph_readable(g, may_read_private)
    return list(default), named


def misplaced_personal(ds: Repository) -> list[ox.Quad]:
    """Personal statements found outside ``lcg:private`` (each one is a PDPA leak to fix)."""
    personal = PersonalFilter(ds)
    found: list[ox.Quad] = []
    for p in sorted(personal.properties):
        for q in ds.quads(predicate=ox.NamedNode(p)):
            if graph_iri(q.graph_name) != PRIVATE_GRAPH and personal.is_personal(q):
                found.append(q)
    return found


def move_misplaced_personal(ds: Repository) -> int:
    """Move misplaced personal statements into ``lcg:private`` in one transaction; return how many."""
    found = misplaced_personal(ds)
    if not found:
        return 0
    private = ox.NamedNode(PRIVATE_GRAPH)
    ds.apply([ox.Quad(q.subject, q.predicate, q.object, private) for q in found], found)
    return len(found)
