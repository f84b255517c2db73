"""Which statements are personal data under Thailand's PDPA, and where they belong.

The rules both the write path (:mod:`lcgraph.validation`) and publishing
(:mod:`lcgraph.publish`) follow, so they live below both, beside
:mod:`lcgraph.access`:

- A property is *personal* when the ontology marks it ``lc:personalData
  true`` (e-mail, telephone, personal address, birth date, national ID …).
- A statement is personal when its property is personal and its subject is
  not known to be an organisation or a place (an office e-mail is public; an
  administrator's is not; an untyped subject is treated as a person).
- Personal statements live in the named graph ``lcg:private``
  (:data:`lcgraph.access.PRIVATE_GRAPH`); :func:`route_personal` moves them
  there on the way in.

What the public may read of the store is :mod:`lcgraph.publish.privacy`'s.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import pyoxigraph as ox

from lcgraph.access import PRIVATE_GRAPH
from lcgraph.namespaces import FOAF, LC, ORG, RDF, RDFS, SCHEMA, sparql_prefixes
from lcgraph.store import Repository

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


def personal_properties(ds: Repository) -> frozenset[str]:
    """Properties marked ``lc:personalData true`` in the store's ontology (plus the built-in list)."""
    rows = ds.select(
        sparql_prefixes("lc", "xsd") + "SELECT DISTINCT ?p { ?p lc:personalData ?flag "
        "FILTER(?flag = true || STR(?flag) = 'true') }"
    )
    return BUILT_IN_PERSONAL | {r["p"].value for r in rows if isinstance(r["p"], ox.NamedNode)}


def non_person_classes(ds: Repository) -> frozenset[str]:
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

    def __init__(self, ds: Repository, extra_types: Iterable[ox.Quad] = ()) -> None:
        self._ds = ds
        self.properties = personal_properties(ds)
        self._non_person = non_person_classes(ds)
        self._cache: dict[ox.NamedNode | ox.BlankNode | ox.Triple, bool] = {}
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
