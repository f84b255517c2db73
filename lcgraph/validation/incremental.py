"""Validate a change against the store without validating the whole store.

For the guarded write path (and dry runs). Given the quads a write adds and
removes, we

1. find the focus nodes whose validation result the change can alter: new or
   lost targets, and every node from which some shape's reach arrives at an
   added or removed triple (the engine walks the reach backwards, on the
   store as it is now);
2. collect, from the store as it would be after the change, every triple the
   shapes of those nodes can read (their reach), and every added triple;
3. run the SHACL engine (:mod:`lcgraph.validation.engine`: pyshacl-turbo, or
   pyshacl, the reference) on those triples with only those shapes, and keep
   the results about the affected nodes.

Why this equals full validation on a store that was valid before: a result
about node f depends only on triples in f's reach; if no added or removed
triple lies in it and f's target status did not change, f's result is what
it was. More triples of the graph after the change (the added ones that lie
in no affected node's reach) cannot change a result about an affected node.
Nodes the store does not hold cost no store lookup beyond the first
(:class:`~lcgraph.validation.view.StoreProbe`). Changes to the class
hierarchy (``rdfs:subClassOf``) re-validate every target.
``tests/test_validation_incremental.py`` checks the agreement with
hypothesis on random changes.

Literals are normalised on the way to rdflib: Oxigraph reports plain strings
as ``xsd:string``, which rdflib would not equal to ``sh:in`` members written
as plain literals; full validation here uses the same conversion.
"""

from __future__ import annotations

import os
import re
import time
from collections import defaultdict
from collections.abc import Iterable
from functools import lru_cache

import pyoxigraph as ox
from rdflib import Graph
from rdflib.namespace import RDF, RDFS

from lcgraph.budget import checkpoint
from lcgraph.store.repository import Repository
from lcgraph.validation.engine import (
    engine_name,
    run_turbo,
    to_rdflib,
    triples_graph,
    validate_store,
    validate_triples,
)
from lcgraph.validation.paths import Path, Pred
from lcgraph.validation.report import ValidationReport, findings_from_results, term_text
from lcgraph.validation.shapes import ShapeSet, TargetedShape, to_ox
from lcgraph.validation.view import ChangeView, StoreProbe, Term, Triple

_TYPE = ox.NamedNode(str(RDF.type))
_SUBCLASS = ox.NamedNode(str(RDFS.subClassOf))
_VALUES_CHUNK = 400


class Targets:
    """Target tests on the store after the change (with the class hierarchy)."""

    def __init__(self, view: ChangeView, shapes: ShapeSet | None = None) -> None:
        self.view = view
        self._closure: dict[frozenset[str], set[Term]] = {}
        self._types: dict[Term, set[Term]] = {}
        # Class -> the shapes that target its instances (subclasses included).
        self._by_class: dict[Term, list[int]] = defaultdict(list)
        self._by_node: dict[Term, list[int]] = defaultdict(list)
        self._by_relation: list[tuple[int, TargetedShape]] = []
        for i, shape in enumerate(shapes.shapes if shapes is not None else ()):
            for c in self.classes(shape.classes) if shape.classes else ():
                self._by_class[c].append(i)
            for n in shape.nodes:
                self._by_node[n].append(i)
            if shape.subjects_of or shape.objects_of:
                self._by_relation.append((i, shape))

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

    def shapes_of(self, node: Term) -> set[int]:
        """Indexes of every shape (of the set given at construction) that targets ``node``."""
        found = set(self._by_node.get(node, ()))
        if isinstance(node, ox.Literal):
            return found
        by_class = self._by_class
        for c in self.types(node):
            found.update(by_class.get(c, ()))
        for i, shape in self._by_relation:
            if i not in found and self.is_target(shape, node):
                found.add(i)
        return found

    def all_targets(self, shape: TargetedShape) -> set[Term]:
        found: set[Term] = set(shape.nodes)
        for c in self.classes(shape.classes) if shape.classes else ():
            found.update(t[0] for t in self.view.triples(None, _TYPE, c))
        for p in shape.subjects_of:
            found.update(t[0] for t in self.view.triples(None, ox.NamedNode(p), None))
        for p in shape.objects_of:
            found.update(t[2] for t in self.view.triples(None, ox.NamedNode(p), None))
        return found


def _walk_back(
    store: Repository, prefix: Path, starts: set[Term], probe: StoreProbe | None = None
) -> set[Term]:
    """Nodes ``f`` with ``f prefix n`` for some ``n`` in ``starts`` (store as it is now).

    A node the store does not hold cannot end a path of at least one step, so
    new nodes (a whole import of new entities) cost no query, unless the path
    may have length zero.
    """
    found: set[Term] = set()
    path = prefix.to_sparql()
    if probe is not None and not re.search(r"[*?]", re.sub(r"<[^>]*>", "", path)):
        starts = probe.held(starts)
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


class _Changed:
    """The changed triples, indexed once for every shape's questions."""

    def __init__(self, view: ChangeView) -> None:
        self.everything: list[Triple] = view.added + view.removed
        self.by_pred: dict[str, list[Triple]] = defaultdict(list)
        for t in self.everything:
            self.by_pred[t[1].value].append(t)
        self.subjects: set[Term] = {t[0] for t in self.everything}
        self.objects: set[Term] = {t[2] for t in self.everything}
        self.touched = self.subjects | self.objects
        self._ends: dict[tuple[str | None, bool], set[Term]] = {}
        # Class -> subjects of the changed rdf:type triples naming it.
        self.typed: dict[Term, set[Term]] = defaultdict(set)
        for t in self.by_pred.get(_TYPE.value, ()):
            self.typed[t[2]].add(t[0])

    def ends(self, predicate: str | None, inverse: bool) -> set[Term]:
        """Subjects (objects if ``inverse``) of the changed triples with ``predicate`` (any if ``None``)."""
        key = (predicate, inverse)
        known = self._ends.get(key)
        if known is not None:
            return known
        if predicate is None:
            found = self.objects if inverse else self.subjects
        else:
            i = 2 if inverse else 0
            found = {t[i] for t in self.by_pred.get(predicate, ())}
        self._ends[key] = found
        return found


def affected_nodes(shapes: ShapeSet, view: ChangeView) -> dict[Term, set[int]]:
    """Focus nodes the change can affect -> indexes of every shape that targets them.

    A node affected through one shape is checked against all its shapes, so
    that pyshacl, which finds targets in the small data graph again, sees the
    full reach of each shape it runs on that node.
    """
    targets = Targets(view, shapes)
    changed = _Changed(view)
    hierarchy_changed = _SUBCLASS.value in changed.by_pred
    candidates: set[Term] = set()
    walked: dict[tuple[str, frozenset[Term]], set[Term]] = {}
    for shape in shapes.shapes:
        checkpoint()
        if hierarchy_changed or _global_hit(shape, changed.by_pred):
            candidates |= targets.all_targets(shape)
        else:
            candidates |= _candidates(shape, changed, targets, view, walked)
    result: dict[Term, set[int]] = {}
    for node in candidates:
        indexes = targets.shapes_of(node)
        if indexes:
            result[node] = indexes
    return result


def _global_hit(shape: TargetedShape, by_pred: dict[str, list[Triple]]) -> bool:
    return any(not isinstance(step, Pred) or step.iri in by_pred for step in shape.global_steps)


def _candidates(
    shape: TargetedShape,
    changed: _Changed,
    targets: Targets,
    view: ChangeView,
    walked: dict[tuple[str, frozenset[Term]], set[Term]],
) -> set[Term]:
    found: set[Term] = set()
    if shape.classes:
        for c in targets.classes(shape.classes):
            found |= changed.typed.get(c, set())
    for p in shape.subjects_of:
        found |= changed.ends(p, False)
    for p in shape.objects_of:
        found |= changed.ends(p, True)
    found.update(n for n in shape.nodes if n in changed.touched)
    starts_by_prefix: dict[Path | None, set[Term]] = defaultdict(set)
    for prefix, step in shape.position_list:
        starts_by_prefix[prefix] |= changed.ends(step.iri if isinstance(step, Pred) else None, step.inverse)
    for prefix, starts in starts_by_prefix.items():
        if not starts:
            continue
        if prefix is None:
            found |= starts
            continue
        # The same path from the same nodes is walked back once for all shapes.
        key = (prefix.to_sparql(), frozenset(starts))
        back = walked.get(key)
        if back is None:
            back = walked[key] = _walk_back(view.repo, prefix, starts, view.probe)
        found |= back
    return found


def collect_reach(shapes: ShapeSet, view: ChangeView, nodes_by_shape: dict[int, set[Term]]) -> set[Triple]:
    """What the given shapes can read about the given nodes (after the change), but the added triples.

    The engine gets every added triple besides (``view.added``, see :func:`validate_change`):
    more triples of the graph after the change cannot alter a result about these nodes, and
    the added ones need not be collected one by one.
    """
    out: set[Triple] = set()
    for index, nodes in nodes_by_shape.items():
        shape = shapes.shapes[index]
        shape.reach.walk(view, set(nodes), out)
        for g in shape.global_reaches:
            g.walk(view, out)
        # What makes the nodes targets, so that pyshacl finds them again.
        resources = [n for n in nodes if not isinstance(n, ox.Literal)]
        out.update(view.out_of(resources, _TYPE)[1])
        for p in shape.subjects_of:
            out.update(view.out_of(resources, ox.NamedNode(p))[1])
        for p in shape.objects_of:
            predicate = ox.NamedNode(p)
            for n in resources:
                out.update(view.into(n, predicate))
    out.update(view.triples(None, _SUBCLASS, None))
    return out


def validate_change(
    shapes: ShapeSet,
    store: Repository,
    add: Iterable[ox.Quad] = (),
    remove: Iterable[ox.Quad] = (),
    hidden: Iterable[ox.NamedNode] = (),
    probe: StoreProbe | None = None,
) -> ValidationReport:
    """Validate ``store - remove + add``, looking only at what the change can affect.

    ``hidden`` graphs are left out of what is validated (a dry run for a caller who may not read them).
    ``probe``: what the caller already asked the store about the change's nodes.
    """
    started = time.perf_counter()
    checkpoint()
    view = ChangeView(store, add, remove, hidden, probe)
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
        results = _run([*reach, *view.added], shapes, use)
        keep = {term_text(to_rdflib(n)) for n in affected}
        report.findings = findings_from_results(results, shapes.graph, keep)
    report.seconds = time.perf_counter() - started
    return report


def _run(triples: list[Triple], shapes: ShapeSet, use: list[TargetedShape]) -> Graph:
    """The chosen engine on a small set of triples (see :mod:`lcgraph.validation.engine`).

    The fast engine reads N-Triples text, written here straight from the terms (each term's
    own N-Triples form): making an engine triple of each first cost ten times as much.
    """
    engine = _engine()
    if engine != "turbo":
        return validate_triples(triples, shapes, use, engine=engine)
    text = "".join([f"{s} {p} {o} .\n" for s, p, o in triples])
    return run_turbo(text, shapes, use, lambda: triples_graph(triples))


def _engine() -> str:
    """:func:`engine_name`, read again only when its environment variable changes.

    Reading the settings costs 3 ms, 3% of a small write.
    """
    setting = tuple(v for k, v in os.environ.items() if k.upper() == _ENGINE_VARIABLE)
    return _engine_for(setting)


_ENGINE_VARIABLE = "LCGRAPH_SHACL_ENGINE"


@lru_cache(maxsize=8)
def _engine_for(setting: tuple[str, ...]) -> str:
    return engine_name()


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
