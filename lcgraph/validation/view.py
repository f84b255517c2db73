"""The store as it would be after a change, without writing the change.

For the validation layer. SHACL here validates the *union* of all graphs
(the same default graph researchers query). A :class:`ChangeView` answers
triple patterns over "store minus removed quads plus added quads", reading
the store by index lookups, so the cost follows the size of the change and
not the size of the store.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator

import pyoxigraph as ox

from lcgraph.store.repository import Repository
from lcgraph.store.typed import Statement, Term, statement

__all__ = ["ChangeView", "Term", "Triple"]

#: What the validation layer reads: plain statements (no RDF 1.2 triple terms; see lcgraph.store.typed).
Triple = Statement


class ChangeView:
    """Read-only triples of ``repository - remove + add`` (union of all named graphs)."""

    def __init__(
        self,
        repo: Repository,
        add: Iterable[ox.Quad] = (),
        remove: Iterable[ox.Quad] = (),
        hidden: Iterable[ox.NamedNode] = (),
    ) -> None:
        self.repo = repo
        self._skip: set[object] = set(hidden)
        self.add = set(add)
        self.remove = set(remove)
        self._by_s: dict[Term, set[Triple]] = defaultdict(set)
        self._by_o: dict[Term, set[Triple]] = defaultdict(set)
        self._by_p: dict[Term, set[Triple]] = defaultdict(set)
        # Store answers to subject-bound patterns (small, and asked again for every focus node
        # that links to the same city, space or concept); the store does not change meanwhile.
        self._stored: dict[tuple[Term, Term | None, Term | None], list[Triple]] = {}
        # Subjects the store says nothing about (the new entities of a write): one lookup each.
        self._unknown: dict[Term, bool] = {}
        # Bound predicate and object (walking back from a city to the many new spaces in it).
        self._by_po: dict[tuple[Term, Term], set[Triple]] = defaultdict(set)
        for q in self.add:
            t = statement(q)
            self._by_s[t[0]].add(t)
            self._by_o[t[2]].add(t)
            self._by_p[t[1]].add(t)
            self._by_po[t[1], t[2]].add(t)

    def _added(self, s: Term | None, p: Term | None, o: Term | None) -> Iterable[Triple]:
        if s is not None:
            pool: Iterable[Triple] = self._by_s.get(s, ())
        elif o is not None and p is not None:
            return list(self._by_po.get((p, o), ()))
        elif o is not None:
            pool = self._by_o.get(o, ())
        elif p is not None:
            pool = self._by_p.get(p, ())
        else:
            pool = (t for ts in self._by_s.values() for t in ts)
        return [
            t
            for t in pool
            if (p is None or t[1] == p) and (o is None or t[2] == o) and (s is None or t[0] == s)
        ]

    def triples(self, s: Term | None, p: Term | None, o: Term | None) -> Iterator[Triple]:
        """Distinct triples matching the pattern after the change."""
        seen: set[Triple] = set()
        if s is not None:
            key = (s, p, o)
            found = self._stored.get(key)
            if found is None:
                unknown = self._unknown.get(s)
                if unknown is None:
                    unknown = self._unknown[s] = next(iter(self.repo.quads(s)), None) is None
                found = [] if unknown else list(self._from_store(s, p, o, seen))
                self._stored[key] = found
            else:
                seen.update(found)
            yield from found
        else:
            yield from self._from_store(s, p, o, seen)
        for t in self._added(s, p, o):
            if t not in seen:
                seen.add(t)
                yield t

    def _from_store(
        self, s: Term | None, p: Term | None, o: Term | None, seen: set[Triple]
    ) -> Iterator[Triple]:
        for q in self.repo.quads(s, p, o):
            if q.graph_name in self._skip or (self.remove and q in self.remove):
                continue
            t = statement(q)
            if t not in seen:
                seen.add(t)
                yield t

    def has(self, s: Term | None, p: Term | None, o: Term | None) -> bool:
        for _ in self.triples(s, p, o):
            return True
        return False

    def types(self, node: Term) -> set[Term]:
        return {t[2] for t in self.triples(node, ox.NamedNode(RDF_TYPE), None)}

    def changed_triples(self) -> Iterator[tuple[Triple, bool]]:
        """Each added (True) or removed (False) quad as a triple."""
        for q in self.add:
            yield statement(q), True
        for q in self.remove:
            yield statement(q), False


RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
