"""The shapes, read once, and what each one looks at in the data.

For incremental validation. From the shapes themselves (not from a list
kept by hand) we work out, for every shape that has targets:

* its targets (``sh:targetClass`` with the class hierarchy, ``sh:targetNode``,
  ``sh:targetSubjectsOf``, ``sh:targetObjectsOf``, implicit class targets);
* its *reach*: a tree of paths from the focus node following ``sh:property``
  paths (inverse, sequence, alternative and repeated paths), nested shapes
  (``sh:node``, ``sh:qualifiedValueShape``, ``sh:and/or/not/xone``), the
  ``rdf:type`` of value nodes that ``sh:class`` tests, the properties that
  ``sh:equals``/``sh:lessThan``… compare with, every property of a closed
  shape, and the triple patterns of SPARQL constraints.

The reach serves twice: walked forward it collects exactly the triples a
shape can read about a focus node (the data graph pyshacl gets); split into
positions it tells which focus nodes an added or removed triple can affect.
A SPARQL pattern not connected to ``$this`` makes its shape *global* for the
predicates it uses: a change to those re-validates every target.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path as FsPath

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef, Variable
from rdflib import paths as rpaths
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS, SH
from rdflib.plugins.sparql.algebra import translateGroupGraphPattern, translateQuery
from rdflib.plugins.sparql.parser import parseQuery
from rdflib.plugins.sparql.parserutils import CompValue
from rdflib.plugins.sparql.sparql import Query
from rdflib.term import Node

from lcgraph.validation.paths import Alt, AnyStep, Path, Pred, Repeat, Seq, Step, concat
from lcgraph.validation.view import ChangeView, Term, Triple

# The repository's shapes directory (lcgraph/validation/shapes.py -> repo root).
DEFAULT_SHAPES_DIR = FsPath(__file__).resolve().parents[2] / "shapes"

_NESTED_LISTS = (SH["and"], SH["or"], SH["xone"])
_COMPARISONS = (SH.equals, SH.disjoint, SH.lessThan, SH.lessThanOrEquals)
_MAX_NESTING = 12


class ShapesError(ValueError):
    """The shapes use something incremental validation cannot follow."""


@dataclass
class Reach:
    """What a shape reads from a node: paths to further nodes and what it reads there.

    ``anchor`` is set when the node is a constant of a SPARQL pattern: walking
    on from it starts at the constant.
    """

    edges: list[tuple[Path, Reach]] = field(default_factory=list)
    anchor: Term | None = None

    def walk(self, view: ChangeView, nodes: set[Term], out: set[Triple], depth: int = 0) -> None:
        """Add to ``out`` every triple this reach reads from ``nodes``."""
        if self.anchor is not None:
            nodes = {self.anchor}
        if not nodes or depth > 64:
            return
        for path, child in self.edges:
            values = path.walk(view, nodes, out)
            child.walk(view, values, out, depth + 1)

    def positions(self, prefix: Path | None = None, depth: int = 0) -> Iterator[tuple[Path | None, Step]]:
        """Every step of the tree with the path from the focus node to it."""
        if depth > 64:
            return
        for path, child in self.edges:
            for pre, step in path.positions():
                yield concat(prefix, pre), step
            yield from child.positions(concat(prefix, path), depth + 1)


@dataclass
class TargetedShape:
    """A shape with targets: who its focus nodes are and what it reads."""

    node: URIRef | BNode
    classes: set[str] = field(default_factory=set)
    nodes: set[Term] = field(default_factory=set)
    subjects_of: set[str] = field(default_factory=set)
    objects_of: set[str] = field(default_factory=set)
    reach: Reach = field(default_factory=Reach)
    # Named shapes this one uses (sh:property, sh:node, …): pyshacl skips
    # named shapes left out of ``use_shapes``, so they are passed along.
    referenced: set[str] = field(default_factory=set)
    global_reaches: list[GlobalReach] = field(default_factory=list)

    @cached_property
    def position_list(self) -> list[tuple[Path | None, Step]]:
        return list(self.reach.positions())

    @cached_property
    def global_steps(self) -> list[Step]:
        return [step for r in self.global_reaches for _, step in r.reach.positions()]


@dataclass
class ShapeSet:
    """The shapes graph and the targeted shapes compiled from it."""

    graph: Graph
    shapes: list[TargetedShape]
    sources: list[str]

    @property
    def shape_iris(self) -> list[str]:
        return [str(s.node) for s in self.shapes if isinstance(s.node, URIRef)]


def load_shapes(source: str | FsPath | Graph | None = None) -> ShapeSet:
    """Read shapes from a directory of ``*.ttl`` files, one file, or a graph."""
    if isinstance(source, Graph):
        return compile_shapes(source, ["<graph>"])
    path = FsPath(source) if source is not None else DEFAULT_SHAPES_DIR
    files = sorted(path.glob("*.ttl")) if path.is_dir() else [path]
    if not files:
        raise ShapesError(f"no shapes (*.ttl) found in {path}")
    g = Graph()
    for f in files:
        g.parse(f, format="turtle")
    return compile_shapes(g, [str(f) for f in files])


def compile_shapes(g: Graph, sources: list[str]) -> ShapeSet:
    """Compile every shape that has a target into a :class:`TargetedShape`."""
    found: list[TargetedShape] = []
    for node in sorted(_targeted_nodes(g), key=str):
        if (node, SH.deactivated, Literal(True)) in g:
            continue
        ts = TargetedShape(node)
        _read_targets(g, node, ts)
        compiler = _Compiler(g, ts)
        ts.referenced = _referenced(g, node)
        if (node, SH.path, None) in g:
            compiler.property_shape(node, ts.reach, 0)
        else:
            compiler.node_constraints(node, ts.reach, 0)
        found.append(ts)
    return ShapeSet(g, found, sources)


_SHAPE_LINKS = (SH.property, SH.node, SH.qualifiedValueShape, SH["not"])


def _referenced(g: Graph, root: Node) -> set[str]:
    """IRIs of the shapes reachable from ``root`` through shape-valued parameters."""
    seen: set[Node] = set()
    todo = [root]
    while todo:
        node = todo.pop()
        if node in seen:
            continue
        seen.add(node)
        for link in _SHAPE_LINKS:
            todo.extend(g.objects(node, link))
        for lst in _NESTED_LISTS:
            for head in g.objects(node, lst):
                todo.extend(Collection(g, head))
    return {str(n) for n in seen if isinstance(n, URIRef)}


def _targeted_nodes(g: Graph) -> set[URIRef | BNode]:
    nodes: set[URIRef | BNode] = set()
    for p in (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf, SH.target):
        nodes.update(s for s in g.subjects(p, None))  # type: ignore[misc]
    for kind in (SH.NodeShape, SH.PropertyShape):
        for s in g.subjects(RDF.type, kind):
            if (s, RDF.type, RDFS.Class) in g:
                nodes.add(s)  # type: ignore[arg-type]
    return nodes


def _read_targets(g: Graph, node: URIRef | BNode, ts: TargetedShape) -> None:
    if (node, SH.target, None) in g:
        raise ShapesError(
            f"shape {node} uses sh:target (SPARQL-based targets), which lcgraph does not support"
        )
    ts.classes.update(str(c) for c in g.objects(node, SH.targetClass))
    if (node, RDF.type, RDFS.Class) in g:
        ts.classes.add(str(node))
    ts.nodes.update(to_ox(n) for n in g.objects(node, SH.targetNode))
    ts.subjects_of.update(str(p) for p in g.objects(node, SH.targetSubjectsOf))
    ts.objects_of.update(str(p) for p in g.objects(node, SH.targetObjectsOf))


class _Compiler:
    """Turns one shape's constraints into a :class:`Reach` tree."""

    def __init__(self, g: Graph, ts: TargetedShape) -> None:
        self.g = g
        self.ts = ts
        self.components = _components(g)

    def node_constraints(self, shape: Node, here: Reach, depth: int) -> None:
        """Constraints of ``shape`` applied to the nodes at ``here``."""
        if depth > _MAX_NESTING:
            return
        g = self.g
        if (shape, SH["class"], None) in g:
            here.edges.append((Pred(str(RDF.type)), Reach()))
        if (shape, SH.closed, Literal(True)) in g:
            here.edges.append((AnyStep(), Reach()))
        for prop in g.objects(shape, SH.property):
            self.property_shape(prop, here, depth + 1)
        for nested in self._nested(shape):
            self.node_constraints(nested, here, depth + 1)
        for sparql in g.objects(shape, SH.sparql):
            self.sparql_constraint(sparql, here, None)
        for validator in self._custom_validators(shape, SH.nodeValidator):
            self.sparql_constraint(validator, here, None)

    def _custom_validators(self, shape: Node, kind: URIRef) -> Iterator[Node]:
        """Validators of SPARQL-based constraint components whose parameters ``shape`` sets."""
        for params, validators in self.components:
            if params and all((shape, p, None) in self.g for p in params):
                chosen = validators.get(kind) or validators.get(SH.validator)
                if chosen is not None:
                    yield chosen

    def property_shape(self, prop: Node, parent: Reach, depth: int) -> None:
        """A property shape on the nodes at ``parent``: follow its path."""
        g = self.g
        path_node = g.value(prop, SH.path)
        if path_node is None:
            raise ShapesError(f"property shape {prop} has no sh:path")
        path = parse_path(g, path_node)
        child = Reach()
        parent.edges.append((path, child))
        for cmp in _COMPARISONS:
            for other in g.objects(prop, cmp):
                parent.edges.append((Pred(str(other)), Reach()))
        # Value nodes are checked against the constraints of the property shape
        # (sh:class, sh:node, …) just as a node shape checks its focus nodes.
        self.node_constraints_values(prop, child, depth)
        for sparql in g.objects(prop, SH.sparql):
            self.sparql_constraint(sparql, parent, path)
        for validator in self._custom_validators(prop, SH.propertyValidator):
            self.sparql_constraint(validator, parent, path)

    def node_constraints_values(self, prop: Node, child: Reach, depth: int) -> None:
        g = self.g
        if (prop, SH["class"], None) in g:
            child.edges.append((Pred(str(RDF.type)), Reach()))
        for nested in self._nested(prop):
            self.node_constraints(nested, child, depth + 1)
        for qualified in g.objects(prop, SH.qualifiedValueShape):
            self.node_constraints(qualified, child, depth + 1)
        for nested_prop in g.objects(prop, SH.property):
            self.property_shape(nested_prop, child, depth + 1)

    def _nested(self, shape: Node) -> Iterator[Node]:
        g = self.g
        yield from g.objects(shape, SH.node)
        yield from g.objects(shape, SH["not"])
        for lst in _NESTED_LISTS:
            for head in g.objects(shape, lst):
                yield from Collection(g, head)

    def sparql_constraint(self, sparql: Node, here: Reach, path: Path | None) -> None:
        """Add the triple patterns of a SPARQL-based constraint to the reach."""
        g = self.g
        if (sparql, SH.deactivated, Literal(True)) in g:
            return
        text = g.value(sparql, SH.select) or g.value(sparql, SH.ask)
        if text is None:
            raise ShapesError(f"SPARQL constraint {sparql} has no sh:select or sh:ask")
        query = str(text)
        if path is not None:
            query = query.replace("$PATH", path.to_sparql())
        patterns = _query_patterns(_prefix_header(g, sparql) + query)
        # ASK validators test each value node as $value.
        value = Variable("value")
        if path is not None:
            patterns.append((Variable("this"), path, value))
        else:
            this = Variable("this")
            patterns = [
                (this if s == value else s, this if p == value else p, this if o == value else o)
                for s, p, o in patterns
            ]
        _, rest = _tree_from(patterns, Variable("this"), here)
        while rest:
            root = Reach()
            start = _global_start(rest)
            seed: str | None = None
            if isinstance(start, URIRef):
                root.anchor = to_ox(start)
            else:
                subject, predicate, _ = rest[0]
                if not isinstance(predicate, URIRef):
                    raise ShapesError(
                        f"SPARQL constraint {sparql}: a pattern not connected to $this needs "
                        "a constant predicate or term"
                    )
                seed, start = str(predicate), subject
            _, rest = _tree_from(rest, start, root)
            self.ts.global_reaches.append(GlobalReach(root, seed))


@dataclass
class GlobalReach:
    """Patterns of a SPARQL constraint that are not connected to ``$this``.

    Walking starts at the constant ``reach.anchor`` or, without one, at every
    subject of the ``seed`` predicate.
    """

    reach: Reach
    seed: str | None = None

    def walk(self, view: ChangeView, out: set[Triple]) -> None:
        if self.seed is None:
            self.reach.walk(view, set(), out)
            return
        starts: set[Term] = {t[0] for t in view.triples(None, ox.NamedNode(self.seed), None)}
        self.reach.walk(view, starts, out)


def _components(g: Graph) -> list[tuple[list[Node | None], dict[URIRef, Node | None]]]:
    """SPARQL-based constraint components: their parameters and validators."""
    found = []
    for c in g.subjects(RDF.type, SH.ConstraintComponent):
        params = [
            g.value(p, SH.path)
            for p in g.objects(c, SH.parameter)
            if (p, SH.optional, Literal(True)) not in g
        ]
        validators = {
            kind: g.value(c, kind)
            for kind in (SH.validator, SH.nodeValidator, SH.propertyValidator)
            if g.value(c, kind) is not None
        }
        found.append((params, validators))
    return found


def _global_start(patterns: list[tuple[object, object, object]]) -> object | None:
    """A constant to start walking a pattern group not connected to ``$this``."""
    for s, _, o in patterns:
        for term in (s, o):
            if isinstance(term, URIRef):
                return term
    return None


def _tree_from(
    patterns: list[tuple[object, object, object]], start: object, root: Reach
) -> tuple[dict[object, Reach], list[tuple[object, object, object]]]:
    """Walk the patterns from ``start``; returns the reach of each term and the unused patterns.

    Patterns are followed subject-to-object whenever possible and backwards
    (object to subject) only when nothing else connects them: walking back
    from a city over ``lc:city`` would reach everything in the city, so a
    pattern like ``?space lc:city ?c`` is reached from ``?space``, not ``?c``.
    """
    reaches: dict[object, Reach] = {start: root}
    left = list(patterns)

    def follow(pattern: tuple[object, object, object], here: object, there: object, inverse: bool) -> None:
        path = _pattern_path(pattern[1])
        if inverse:
            path = path.inverted()
        if there in reaches:
            reaches[here].edges.append((path, Reach()))
        else:
            anchor = to_ox(there) if isinstance(there, (URIRef, Literal)) else None
            reaches[there] = Reach(anchor=anchor)
            reaches[here].edges.append((path, reaches[there]))

    while left:
        forward = next((p for p in left if p[0] in reaches), None)
        if forward is not None:
            left.remove(forward)
            follow(forward, forward[0], forward[2], inverse=False)
            continue
        backward = next((p for p in left if p[2] in reaches), None)
        if backward is None:
            break
        left.remove(backward)
        follow(backward, backward[2], backward[0], inverse=True)
    return reaches, left


def _pattern_path(p: object) -> Path:
    if isinstance(p, Path):
        return p
    if isinstance(p, URIRef):
        return Pred(str(p))
    if isinstance(p, Variable):
        return AnyStep()
    if isinstance(p, rpaths.InvPath):
        return _pattern_path(p.arg).inverted()
    if isinstance(p, rpaths.SequencePath):
        return Seq(tuple(_pattern_path(a) for a in p.args))
    if isinstance(p, rpaths.AlternativePath):
        return Alt(tuple(_pattern_path(a) for a in p.args))
    if isinstance(p, rpaths.MulPath):
        inner = _pattern_path(p.path)
        return Repeat(inner, min_one=p.mod == "+", once=p.mod == "?")
    if isinstance(p, rpaths.NegatedPath):
        return Alt((AnyStep(), AnyStep(True)))
    raise ShapesError(f"cannot follow the SPARQL path {p!r}")


def _prefix_header(g: Graph, sparql: Node) -> str:
    lines = []
    for holder in g.objects(sparql, SH.prefixes):
        for decl in g.objects(holder, SH.declare):
            prefix, ns = g.value(decl, SH.prefix), g.value(decl, SH.namespace)
            if prefix is not None and ns is not None:
                lines.append(f"PREFIX {prefix}: <{ns}>\n")
    return "".join(lines)


def _query_patterns(text: str) -> list[tuple[object, object, object]]:
    """Every triple pattern in a SELECT query, wherever it is nested."""
    try:
        query: Query = translateQuery(parseQuery(text))
    except Exception as exc:  # the parser raises several unrelated types
        raise ShapesError(f"cannot read SPARQL constraint: {exc}") from None
    found: list[tuple[object, object, object]] = []
    _collect(query.algebra, found, set())
    return found


def _collect(node: object, found: list[tuple[object, object, object]], seen: set[int]) -> None:
    if id(node) in seen:
        return
    seen.add(id(node))
    if isinstance(node, CompValue):
        if node.name == "BGP":
            found.extend(tuple(t) for t in node.get("triples") or [])
        elif node.name in ("Builtin_EXISTS", "Builtin_NOTEXISTS") and node.get("graph") is not None:
            # rdflib leaves the pattern inside EXISTS untranslated until evaluation.
            graph = node["graph"]
            if getattr(graph, "name", "") == "GroupGraphPatternSub":
                graph = translateGroupGraphPattern(graph)
            _collect(graph, found, seen)
            return
        for value in node.values():
            _collect(value, found, seen)
    elif isinstance(node, (list, tuple)):
        for item in node:
            _collect(item, found, seen)


def parse_path(g: Graph, node: Node) -> Path:
    """Turn a SHACL path in the shapes graph into a :class:`Path`."""
    if isinstance(node, URIRef):
        return Pred(str(node))
    if (node, RDF.first, None) in g:
        return Seq(tuple(parse_path(g, item) for item in Collection(g, node)))
    inv = g.value(node, SH.inversePath)
    if inv is not None:
        return parse_path(g, inv).inverted()
    alt = g.value(node, SH.alternativePath)
    if alt is not None:
        return Alt(tuple(parse_path(g, item) for item in Collection(g, alt)))
    for pred, min_one, once in (
        (SH.zeroOrMorePath, False, False),
        (SH.oneOrMorePath, True, False),
        (SH.zeroOrOnePath, False, True),
    ):
        inner = g.value(node, pred)
        if inner is not None:
            return Repeat(parse_path(g, inner), min_one, once)
    raise ShapesError(f"unsupported SHACL path at {node}")


def to_ox(term: object) -> Term:
    """rdflib term -> pyoxigraph term."""
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise TypeError(f"not an RDF term: {term!r}")
