"""Validate a change against the store without validating the whole store.

For the guarded write path (and dry runs). Given the quads a write adds and
removes, we

1. find the focus nodes whose validation result the change can alter: new or
   lost targets, and every node from which some shape's reach arrives at an
   added or removed triple (the engine walks the reach backwards, on the
   store as it is now);
2. collect, from the store as it would be after the change, every triple the
   shapes of those nodes can read (their reach), into a small rdflib graph;
3. run the SHACL engine (:mod:`lcgraph.validation.engine`: pyshacl-turbo, or
   pyshacl, the reference) on those triples with only those shapes, and keep
   the results about the affected nodes.

Why this equals full validation on a store that was valid before: a result
about node f depends only on triples in f's reach; if no added or removed
triple lies in it and f's target status did not change, f's result is what
it was. Changes to the class hierarchy (``rdfs:subClassOf``) re-validate
every target. ``tests/test_validation_incremental.py`` checks the agreement
with hypothesis on random changes.

Literals are normalised on the way to rdflib: Oxigraph reports plain strings
as ``xsd:string``, which rdflib would not equal to ``sh:in`` members written
as plain literals; full validation here uses the same conversion.
"""

from __future__ import annotations

import re
import time
from collections import defaultdict
from collections.abc import Iterable

import pyoxigraph as ox
from rdflib import Graph
from rdflib.namespace import RDF, RDFS

from lcgraph.budget import checkpoint
from lcgraph.store.repository import Repository
from lcgraph.validation.engine import to_rdflib, validate_store, validate_triples
from lcgraph.validation.paths import Path, Pred
from lcgraph.validation.report import ValidationReport, findings_from_results, term_text
from lcgraph.validation.shapes import ShapeSet, TargetedShape, to_ox
from lcgraph.validation.view import ChangeView, Term, Triple

_TYPE = ox.NamedNode(str(RDF.type))
_SUBCLASS = ox.NamedNode(str(RDFS.subClassOf))
_VALUES_CHUNK = 400


class Targets:
    """Target tests on the store after the change (with the class hierarchy)."""

    def __init__(self, view: ChangeView) -> None:
        self.view = view
        self._closure: dict[frozenset[str], set[Term]] = {}
        self._types: dict[Term, set[Term]] = {}
        # Which nodes the store holds now (for walking back; shared by all shapes).
        self.in_store: dict[Term, bool] = {}

    def types(self, node: Term) -> set[Term]:
        """The node's types after the change (read once per node: every shape asks)."""
        found = self._types.get(node)
        if found is None:
            found = self._types[node] = self.view.types(node)
        return found

    def classes(self, roots: set[str]) -> set[Term]:
        """The classes in ``roots`` and all their subclasses."""
        key = frozenset(roots)
        if key not in self._closure:
            found: set[Term] = {ox.NamedNode(c) for c in roots}
            frontier = set(found)
            while frontier:
                nxt: set[Term] = {t[0] for c in frontier for t in self.view.triples(None, _SUBCLASS, c)}
                frontier = nxt - found
                found |= nxt
            self._closure[key] = found
        return self._closure[key]

    def is_target(self, shape: TargetedShape, node: Term) -> bool:
        if isinstance(node, ox.Literal):
            return node in shape.nodes
        if node in shape.nodes:
            return True
        if shape.classes and self.types(node) & self.classes(shape.classes):
            return True
        if any(self.view.has(node, ox.NamedNode(p), None) for p in shape.subjects_of):
            return True
        return any(self.view.has(None, ox.NamedNode(p), node) for p in shape.objects_of)

    def all_targets(self, shape: TargetedShape) -> set[Term]:
        found: set[Term] = set(shape.nodes)
        for c in self.classes(shape.classes) if shape.classes else ():
            found.update(t[0] for t in self.view.triples(None, _TYPE, c))
        for p in shape.subjects_of:
            found.update(t[0] for t in self.view.triples(None, ox.NamedNode(p), None))
        for p in shape.objects_of:
            found.update(t[2] for t in self.view.triples(None, ox.NamedNode(p), None))
        return found


def _in_store(store: Repository, node: Term, seen: dict[Term, bool]) -> bool:
    """Is ``node`` a subject or object of some quad in the store now? (cached in ``seen``)"""
    known = seen.get(node)
    if known is None:
        known = any(True for _ in store.quads(node)) or any(True for _ in store.quads(object=node))
        seen[node] = known
    return known


def _walk_back(
    store: Repository, prefix: Path, starts: set[Term], seen: dict[Term, bool] | None = None
) -> set[Term]:
    """Nodes ``f`` with ``f prefix n`` for some ``n`` in ``starts`` (store as it is now).

    A node the store does not hold cannot end a path of at least one step, so
    new nodes (a whole import of new entities) cost no query, unless the path
    may have length zero.
    """
    found: set[Term] = set()
    path = prefix.to_sparql()
    if seen is not None and not re.search(r"[*?]", re.sub(r"<[^>]*>", "", path)):
        starts = {n for n in starts if _in_store(store, n, seen)}
    plain = [n for n in starts if not isinstance(n, ox.BlankNode)]
    for i in range(0, len(plain), _VALUES_CHUNK):
        values = " ".join(str(n) for n in plain[i : i + _VALUES_CHUNK])
        q = f"SELECT DISTINCT ?f WHERE {{ VALUES ?n {{ {values} }} ?f {path} ?n }}"
        found.update(row["f"] for row in store.select(q, include_private=True))
    for n in starts:
        if isinstance(n, ox.BlankNode):
            q = f"SELECT DISTINCT ?f ?n WHERE {{ ?f {path} ?n }}"
            rows = store.select(q, include_private=True, substitutions={"n": n})
            found.update(row["f"] for row in rows)
    return found


def affected_nodes(shapes: ShapeSet, view: ChangeView) -> dict[Term, set[int]]:
    """Focus nodes the change can affect -> indexes of every shape that targets them.

    A node affected through one shape is checked against all its shapes, so
    that pyshacl, which finds targets in the small data graph again, sees the
    full reach of each shape it runs on that node.
    """
    targets = Targets(view)
    changed = list(view.changed_triples())
    hierarchy_changed = any(t[1] == _SUBCLASS for t, _ in changed)
    by_pred: dict[str, list[Triple]] = defaultdict(list)
    for t, _ in changed:
        by_pred[t[1].value].append(t)
    everything = [t for t, _ in changed]
    candidates: set[Term] = set()
    for shape in shapes.shapes:
        checkpoint()
        if hierarchy_changed or _global_hit(shape, by_pred):
            candidates |= targets.all_targets(shape)
        else:
            candidates |= _candidates(shape, by_pred, everything, targets, view.repo)
    result: dict[Term, set[int]] = {}
    for node in candidates:
        checkpoint()
        indexes = {i for i, shape in enumerate(shapes.shapes) if targets.is_target(shape, node)}
        if indexes:
            result[node] = indexes
    return result


def _global_hit(shape: TargetedShape, by_pred: dict[str, list[Triple]]) -> bool:
    return any(not isinstance(step, Pred) or step.iri in by_pred for step in shape.global_steps)


def _candidates(
    shape: TargetedShape,
    by_pred: dict[str, list[Triple]],
    everything: list[Triple],
    targets: Targets,
    store: Repository,
) -> set[Term]:
    found: set[Term] = set()
    if shape.classes:
        classes = targets.classes(shape.classes)
        found.update(t[0] for t in by_pred.get(_TYPE.value, ()) if t[2] in classes)
    for p in shape.subjects_of:
        found.update(t[0] for t in by_pred.get(p, ()))
    for p in shape.objects_of:
        found.update(t[2] for t in by_pred.get(p, ()))
    touched = {t[0] for t in everything} | {t[2] for t in everything}
    found.update(n for n in shape.nodes if n in touched)
    starts_by_prefix: dict[Path | None, set[Term]] = defaultdict(set)
    for prefix, step in shape.position_list:
        pool = by_pred.get(step.iri, ()) if isinstance(step, Pred) else everything
        inverse = step.inverse
        starts_by_prefix[prefix].update(t[2] if inverse else t[0] for t in pool)
    for prefix, starts in starts_by_prefix.items():
        if not starts:
            continue
        if prefix is None:
            found |= starts
        else:
            found |= _walk_back(store, prefix, starts, targets.in_store)
    return found


def collect_reach(shapes: ShapeSet, view: ChangeView, nodes_by_shape: dict[int, set[Term]]) -> set[Triple]:
    """Every triple the given shapes can read about the given nodes (after the change)."""
    out: set[Triple] = set()
    for index, nodes in nodes_by_shape.items():
        shape = shapes.shapes[index]
        shape.reach.walk(view, set(nodes), out)
        for g in shape.global_reaches:
            g.walk(view, out)
        # What makes the nodes targets, so that pyshacl finds them again.
        for n in nodes:
            if isinstance(n, ox.Literal):
                continue
            out.update(view.triples(n, _TYPE, None))
            for p in shape.subjects_of:
                out.update(view.triples(n, ox.NamedNode(p), None))
            for p in shape.objects_of:
                out.update(view.triples(None, ox.NamedNode(p), n))
    out.update(view.triples(None, _SUBCLASS, None))
    return out


def validate_change(
    shapes: ShapeSet,
    store: Repository,
    add: Iterable[ox.Quad] = (),
    remove: Iterable[ox.Quad] = (),
    hidden: Iterable[ox.NamedNode] = (),
) -> ValidationReport:
    """Validate ``store - remove + add``, looking only at what the change can affect.

    ``hidden`` graphs are left out of what is validated (a dry run for a caller who may not read them).
    """
    started = time.perf_counter()
    checkpoint()
    view = ChangeView(store, add, remove, hidden)
    affected = affected_nodes(shapes, view)
    checkpoint()
    report = ValidationReport(mode="incremental", focus_nodes=len(affected))
    if affected:
        nodes_by_shape: dict[int, set[Term]] = defaultdict(set)
        for node, indexes in affected.items():
            for i in indexes:
                nodes_by_shape[i].add(node)
        reach = collect_reach(shapes, view, nodes_by_shape)
        checkpoint()
        use = [shapes.shapes[i] for i in sorted(nodes_by_shape)]
        results = _run(reach, shapes, use)
        keep = {term_text(to_rdflib(n)) for n in affected}
        report.findings = findings_from_results(results, shapes.graph, keep)
    report.seconds = time.perf_counter() - started
    return report


def _run(triples: set[Triple], shapes: ShapeSet, use: list[TargetedShape]) -> Graph:
    """The chosen engine on a small set of triples (see :mod:`lcgraph.validation.engine`)."""
    return validate_triples(triples, shapes, use)


def validate_full(
    shapes: ShapeSet,
    store: Repository | None = None,
    data: Graph | None = None,
    *,
    triples: Iterable[Triple] | None = None,
    engine: str | None = None,
) -> ValidationReport:
    """Validate everything: the whole store (union of graphs), an rdflib graph, or triples."""
    started = time.perf_counter()
    if data is not None:
        triples = [(to_ox(s), to_ox(p), to_ox(o)) for s, p, o in data]  # type: ignore[misc]
    if triples is not None:
        results = validate_triples(triples, shapes, None, engine=engine)
    elif store is not None:
        results = validate_store(store, shapes, None, engine=engine)
    else:
        raise ValueError("give a store or a data graph")
    report = ValidationReport(mode="full")
    report.findings = findings_from_results(results, shapes.graph)
    report.focus_nodes = len({f.focus_node for f in report.findings})
    report.seconds = time.perf_counter() - started
    return report
