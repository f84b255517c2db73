"""Personal data under Thailand's PDPA: what is personal, where it lives, what the public sees.

For every publishing path (SPARQL endpoint, Graph Store GET, IRI pages,
exports, search) and for the write path. The rules, in one place:

- A property is *personal* when the ontology marks it ``lc:personalData
  true`` (e-mail, telephone, personal address, birth date, national ID …).
  A statement is personal when its property is personal and its subject is
  not known to be an organisation or a place (an office e-mail is public; an
  administrator's is not; an untyped subject is treated as a person).
- Personal statements live in the named graph ``lcg:private``.
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

from collections.abc import Iterable, Iterator, Sequence

import pyoxigraph as ox

from lcgraph.namespaces import FOAF, GRAPH_PRIVATE, LC, ORG, RDF, RDFS, SCHEMA, sparql_prefixes
from lcgraph.store import Dataset
from lcgraph.store.dataset_clause import DatasetClause, DatasetClauseError
from lcgraph.store.dataset_clause import read_dataset_clause as _read

PRIVATE_GRAPH = str(GRAPH_PRIVATE)

#: Used when the store holds no ontology (a bare store, a test): the same
#: properties ontology/lcgraph.ttl marks with ``lc:personalData true``.
BUILT_IN_PERSONAL = frozenset(
    str(p)
    for p in (
        SCHEMA.email,
        SCHEMA.telephone,
        SCHEMA.address,
        SCHEMA.birthDate,
        FOAF.mbox,
        FOAF.phone,
        LC.nationalId,
    )
)

#: Classes whose instances are not people (and the ontology's sub-classes of them).
NON_PERSON_ROOTS = tuple(
    str(c) for c in (ORG.Organization, SCHEMA.Organization, FOAF.Organization, SCHEMA.Place)
)


class QueryRefused(Exception):
    """A query or graph request the public view cannot answer (HTTP 403)."""

    status = 403


# -- which graphs are public -------------------------------------------------


def public_graphs(ds: Dataset) -> list[str]:
    """The named graphs everyone may read (all but ``lcg:private``), sorted."""
    return [g for g in ds.graphs() if g != PRIVATE_GRAPH]


def readable_graphs(ds: Dataset, may_read_private: bool) -> list[str]:
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
    ds: Dataset,
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


# -- which statements are personal ---------------------------------------------


def personal_properties(ds: Dataset) -> frozenset[str]:
    """Properties marked ``lc:personalData true`` in the store's ontology (plus the built-in list)."""
    rows = ds.select(
        sparql_prefixes("lc", "xsd") + "SELECT DISTINCT ?p { ?p lc:personalData ?flag "
        "FILTER(?flag = true || STR(?flag) = 'true') }"
    )
    return BUILT_IN_PERSONAL | {r["p"].value for r in rows if isinstance(r["p"], ox.NamedNode)}


def non_person_classes(ds: Dataset) -> frozenset[str]:
    """Organisation and place classes (with their sub-classes in the ontology)."""
    # One branch per root with the root written in (Virtuoso evaluates a `*` path only from a constant).
    branches = " UNION ".join(f"{{ ?c <{RDFS.subClassOf}>* <{c}> }}" for c in sorted(NON_PERSON_ROOTS))
    rows = ds.select(f"SELECT DISTINCT ?c {{ {branches} }}")
    return frozenset(NON_PERSON_ROOTS) | {r["c"].value for r in rows if isinstance(r["c"], ox.NamedNode)}


class PersonalFilter:
    """Tells personal statements from public ones, for one store state.

    Build it once per export or page (two small queries), then call
    :meth:`is_personal` per quad: only quads with a personal property cost a
    lookup, and subjects are cached.
    """

    def __init__(self, ds: Dataset, extra_types: Iterable[ox.Quad] = ()) -> None:
        self._ds = ds
        self.properties = personal_properties(ds)
        self._non_person = non_person_classes(ds)
        self._cache: dict[ox.NamedNode | ox.BlankNode, bool] = {}
        self._pending_types: dict[object, set[str]] = {}
        for q in extra_types:
            if q.predicate.value == str(RDF.type) and isinstance(q.object, ox.NamedNode):
                self._pending_types.setdefault(q.subject, set()).add(q.object.value)

    def is_personal(self, quad: ox.Quad | ox.Triple) -> bool:
        """True if this statement is personal data (PDPA) and so belongs in ``lcg:private``."""
        if quad.predicate.value not in self.properties:
            return False
        subject = quad.subject
        if subject not in self._cache:
            self._cache[subject] = not self._is_non_person(subject)
        return self._cache[subject]

    def _is_non_person(self, subject: object) -> bool:
        if self._pending_types.get(subject, set()) & self._non_person:
            return True
        if not isinstance(subject, ox.NamedNode):
            return False
        rows = self._ds.select(f"SELECT DISTINCT ?c {{ {subject} a ?c }}")
        return any(r["c"].value in self._non_person for r in rows if "c" in r)


def route_personal(quads: Iterable[ox.Quad], personal: PersonalFilter) -> Iterator[ox.Quad]:
    """For the write path: the same quads, with personal statements moved to ``lcg:private``."""
    private = ox.NamedNode(PRIVATE_GRAPH)
    for q in quads:
        if personal.is_personal(q) and q.graph_name != private:
            yield ox.Quad(q.subject, q.predicate, q.object, private)
        else:
            yield q


def misplaced_personal(ds: Dataset) -> list[ox.Quad]:
    """Personal statements found outside ``lcg:private`` (each one is a PDPA leak to fix)."""
    personal = PersonalFilter(ds)
    found: list[ox.Quad] = []
    for p in sorted(personal.properties):
        for q in ds.quads(predicate=ox.NamedNode(p)):
            if q.graph_name.value != PRIVATE_GRAPH and personal.is_personal(q):
                found.append(q)
    return found


def move_misplaced_personal(ds: Dataset) -> int:
    """Move misplaced personal statements into ``lcg:private`` in one transaction; return how many."""
    found = misplaced_personal(ds)
    if not found:
        return 0
    private = ox.NamedNode(PRIVATE_GRAPH)
    ds.apply([ox.Quad(q.subject, q.predicate, q.object, private) for q in found], found)
    return len(found)
