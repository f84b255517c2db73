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
from lcgraph.store.typed import Statement, Term, as_stored, statement

__all__ = ["ChangeView", "StoreProbe", "Term", "Triple"]

#: What the validation layer reads: plain statements (no RDF 1.2 triple terms; see lcgraph.store.typed).
Triple = Statement


class StoreProbe:
    """Which nodes the store holds at all (asked once per node, for the whole write).

    A write of new entities (an import) names thousands of subjects the store
    has never seen; knowing that, nothing else need be asked about them: not
    whether their quads are already there, not what the store says about them.
    The answers are about the store as it is now, every graph included; they
    only ever save a lookup whose answer would be empty.
    """

    def __init__(self, repo: Repository, version: str | None = None) -> None:
        self.repo = repo
        #: The store's version the answers are for (when the probe is kept for a later write).
        self.version = version
        #: node -> whether the store holds it as a subject (for the nodes asked about so far).
        self.subjects: dict[Term | ox.Triple, bool] = {}
        self._anywhere: dict[Term, bool] = {}
        self._held: set[Term] = set()

    def usable(self, repo: Repository, version: str) -> bool:
        """May a write on ``repo`` at ``version`` reuse these answers?"""
        return self.repo is repo and self.version is not None and self.version == version

    def has_subject(self, node: Term | ox.Triple) -> bool:
        """Is ``node`` the subject of some quad in the store?"""
        known = self.subjects.get(node)
        if known is None:
            known = self.subjects[node] = not isinstance(node, ox.Literal) and self.repo.has_quad(node)
        return known

    def holds(self, node: Term) -> bool:
        """Is ``node`` the subject or the object of some quad in the store?"""
        known = self._anywhere.get(node)
        if known is None:
            known = self.has_subject(node) or self.repo.has_quad(object=node)
            self._anywhere[node] = known
            if known:
                self._held.add(node)
        return known

    def held(self, nodes: set[Term]) -> set[Term]:
        """Those of ``nodes`` the store holds (see :meth:`holds`); each node is asked about once."""
        for n in nodes - self._anywhere.keys():
            self.holds(n)
        return nodes & self._held


class ChangeView:
    """Read-only triples of ``repository - remove + add`` (union of all named graphs)."""

    def __init__(
        self,
        repo: Repository,
        add: Iterable[ox.Quad] = (),
        remove: Iterable[ox.Quad] = (),
        hidden: Iterable[ox.NamedNode] = (),
        probe: StoreProbe | None = None,
    ) -> None:
        self.repo = repo
        self.probe = probe if probe is not None and probe.repo is repo else StoreProbe(repo)
        self._skip: set[object] = set(hidden)
        self.add = as_stored(set(add))
        self.remove = set(remove)
        # Each quad read as a triple once (reading a quad's terms makes new Python objects).
        self.added: list[Triple] = [statement(q) for q in self.add]
        self.removed: list[Triple] = [statement(q) for q in self.remove]
        # The added triples by bound predicate and object (walking back from a city to the many new
        # spaces in it) and by bound subject and predicate (walking forward from new entities).
        by_sp: dict[tuple[Term, Term], set[Triple]] = defaultdict(set)
        for t in self.added:
            by_sp[t[0], t[1]].add(t)
        self._by_sp = by_sp
        self._p: dict[Term, list[Triple]] | None = None
        self._po: dict[Term, dict[Term, set[Triple]]] = {}
        self._nodes: dict[int, dict[Term, list[Triple]]] = {}
        # Store answers to subject-bound patterns (small, and asked again for every focus node
        # that links to the same city, space or concept); the store does not change meanwhile.
        self._stored: dict[tuple[Term, Term | None, Term | None], list[Triple]] = {}
        self._out: dict[tuple[Term, Term], list[Triple]] = {}
        self._about: dict[Term, dict[Term, list[Triple]] | None] = {}
        self._about_set: dict[Term, set[Triple]] = {}
        self._asked: dict[Term, int] = {}
        self._into: dict[tuple[Term, Term], list[Triple]] = {}

    def _by_p(self) -> dict[Term, list[Triple]]:
        """The added triples by predicate (made when first asked)."""
        if self._p is None:
            self._p = defaultdict(list)
            for t in self.added:
                self._p[t[1]].append(t)
        return self._p

    def _po_for(self, p: Term) -> dict[Term, set[Triple]]:
        """The added triples with predicate ``p`` by object (made when first asked, per predicate)."""
        found = self._po.get(p)
        if found is None:
            found = self._po[p] = defaultdict(set)
            for t in self._by_p().get(p, ()):
                found[t[2]].add(t)
        return found

    def _by_node(self, position: int) -> dict[Term, list[Triple]]:
        """The added triples by subject (``position`` 0) or by object (2), made when first asked."""
        found = self._nodes.get(position)
        if found is None:
            found = self._nodes[position] = defaultdict(list)
            for t in self.added:
                found[t[position]].append(t)
        return found

    def _added(self, s: Term | None, p: Term | None, o: Term | None) -> Iterable[Triple]:
        if s is not None and p is not None:
            pool: Iterable[Triple] = self._by_sp.get((s, p), ())
        elif o is not None and p is not None:
            return list(self._po_for(p).get(o, ()))
        elif s is not None:
            pool = self._by_node(0).get(s, ())
        elif o is not None:
            pool = self._by_node(2).get(o, ())
        elif p is not None:
            return list(self._by_p().get(p, ()))
        else:
            pool = self.added
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
                found = list(self._from_store(s, p, o, seen)) if self.probe.has_subject(s) else []
                self._stored[key] = found
            else:
                seen.update(found)
            yield from found
        elif o is None or self.probe.holds(o):
            yield from self._from_store(s, p, o, seen)
        for t in self._added(s, p, o):
            if t not in seen:
                seen.add(t)
                yield t

    def out(self, s: Term, p: Term) -> list[Triple]:
        """The triples ``s p ?o`` after the change (remembered: the shapes ask again and again)."""
        key = (s, p)
        found = self._out.get(key)
        if found is None:
            if not self.probe.has_subject(s):
                found = list(self._by_sp.get(key, ()))
            else:
                # The first predicate asked of a stored node is read alone (links such as a city are
                # asked for their type only); from the second on, everything about it at once.
                asked = self._asked[s] = self._asked.get(s, 0) + 1
                described = self._described(s) if asked > 1 else None
                if described is None:
                    found = list(self.triples(s, p, None))
                else:
                    found = list(described.get(p, ()))
                    found += [t for t in self._by_sp.get(key, ()) if t not in self._stored_set(s)]
            self._out[key] = found
        return found

    def _described(self, s: Term) -> dict[Term, list[Triple]] | None:
        """What the store says about ``s``, by predicate, read in one lookup (``None``: too much).

        The shapes ask a stored entity for many of its predicates; one read of
        all its statements costs about what one read of a single predicate does.
        """
        if s in self._about:
            return self._about[s]
        by_p: dict[Term, list[Triple]] | None = defaultdict(list)
        for n, t in enumerate(self._from_store(s, None, None, set())):
            if n >= _DESCRIBE_LIMIT:
                by_p = None
                break
            by_p[t[1]].append(t)  # type: ignore[index]
        self._about[s] = by_p
        return by_p

    def _stored_set(self, s: Term) -> set[Triple]:
        found = self._about_set.get(s)
        if found is None:
            described = self._about.get(s) or {}
            found = self._about_set[s] = {t for ts in described.values() for t in ts}
        return found

    def out_of(self, nodes: Iterable[Term], p: Term) -> tuple[list[Triple], list[Triple]]:
        """The triples ``n p ?o`` after the change, for every ``n`` in ``nodes`` (see :meth:`out`).

        Returned twice: all of them, and those about nodes the store holds. The others are
        all added triples, which the validation hands to the engine anyway.
        """
        walked: list[Triple] = []
        stored: list[Triple] = []
        subject = self.probe.subjects
        by_sp = self._by_sp
        for n in nodes:
            if subject.get(n) is False:  # a node the store does not hold: only what the change adds
                added = by_sp.get((n, p))
                if added:
                    walked += added
            else:
                found = self.out(n, p)
                walked += found
                stored += found
        return walked, stored

    def into(self, o: Term, p: Term) -> list[Triple]:
        """The triples ``?s p o`` after the change (remembered)."""
        key = (o, p)
        found = self._into.get(key)
        if found is None:
            if self.probe.holds(o):
                found = list(self.triples(None, p, o))
            else:
                found = list(self._po_for(p).get(o, ()))
            self._into[key] = found
        return found

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
        if s is not None and p is not None and o is None:
            return bool(self.out(s, p))
        if o is not None and p is not None and s is None:
            return bool(self.into(o, p))
        for _ in self.triples(s, p, o):
            return True
        return False

    def types(self, node: Term) -> set[Term]:
        return {t[2] for t in self.out(node, _RDF_TYPE)}

    def changed_triples(self) -> Iterator[tuple[Triple, bool]]:
        """Each added (True) or removed (False) quad as a triple."""
        for t in self.added:
            yield t, True
        for t in self.removed:
            yield t, False


# Stored entities with more statements than this are read predicate by predicate.
_DESCRIBE_LIMIT = 256

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
_RDF_TYPE = ox.NamedNode(RDF_TYPE)
