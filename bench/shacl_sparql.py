"""A measuring prototype: our shapes compiled to SPARQL queries that select violations.

For ``bench_validate`` only (the third route of issue 19, the technique of
SHACL-SPARQL engines). Each constraint of a property shape becomes one
SELECT over the engine store (targets with the class hierarchy, the path as
a SPARQL property path, a FILTER or an aggregate for the constraint); each
SPARQL-based constraint runs as written, with ``$this`` joined to the
targets. Constraints that need nested shape evaluation (``sh:node``,
``sh:or``, qualified value shapes), ``sh:uniqueLang`` and ``sh:equals`` are
not compiled: the benchmark counts them and compares results only for what
was compiled. No messages are produced.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import cast

import pyoxigraph as ox
from rdflib import Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import SH
from rdflib.term import Node

from lcgraph.validation.shapes import ShapeSet, parse_path

SUBCLASS = "<http://www.w3.org/2000/01/rdf-schema#subClassOf>"
SKIPPED = (SH.node, SH["or"], SH.qualifiedValueShape, SH.uniqueLang, SH.equals)


@dataclass
class Compiled:
    queries: list[tuple[str, str, str, str, str]] = field(
        default_factory=list
    )  # text, component, path, severity, shape
    skipped: Counter[str] = field(default_factory=Counter)
    shapes: set[str] = field(default_factory=set)


def _n3(term: object) -> str:
    if isinstance(term, URIRef):
        return f"<{term}>"
    if isinstance(term, Literal):
        return term.n3()
    raise ValueError(term)


def _severity(g: Graph, node: Node, default: str = "Violation") -> str:
    value = g.value(node, SH.severity)
    return str(value).rsplit("#", 1)[-1] if value is not None else default


def compile_shapes(shapes: ShapeSet) -> Compiled:
    g = shapes.graph
    out = Compiled()
    for ts in shapes.shapes:
        if not ts.classes:
            continue
        target = " UNION ".join(f"{{ ?this a ?c . ?c {SUBCLASS}* <{c}> }}" for c in sorted(ts.classes))
        node = ts.node
        props = list(g.objects(node, SH.property))
        if (node, SH.path, None) in g:
            props.append(node)
        node_severity = _severity(g, node)
        for prop in props:
            _property(g, prop, target, out, node_severity)
        for sparql in g.objects(node, SH.sparql):
            _sparql(g, sparql, target, out, node_severity)
        out.shapes.add(str(node))
    return out


def _property(g: Graph, prop: Node, target: str, out: Compiled, default: str) -> None:
    path_node = g.value(prop, SH.path)
    assert path_node is not None  # compile_shapes (lcgraph) raised already for a property shape without one
    path = parse_path(g, path_node)
    p = path.to_sparql()
    sev = _severity(g, prop, default)
    shape = str(prop)
    for skip in SKIPPED:
        out.skipped[str(skip).rsplit("#", 1)[-1]] += len(list(g.objects(prop, skip)))

    def add(body: str, component: str) -> None:
        out.queries.append((body, component, p, sev, shape))

    for n in g.objects(prop, SH.minCount):
        add(
            f"SELECT ?this WHERE {{ {{ SELECT DISTINCT ?this WHERE {{ {target} }} }} "
            f"OPTIONAL {{ ?this {p} ?v }} }} GROUP BY ?this HAVING (COUNT(DISTINCT ?v) < {n})",
            "MinCount",
        )
    for n in g.objects(prop, SH.maxCount):
        add(
            f"SELECT ?this WHERE {{ {{ SELECT DISTINCT ?this WHERE {{ {target} }} }} ?this {p} ?v }} "
            f"GROUP BY ?this HAVING (COUNT(DISTINCT ?v) > {n})",
            "MaxCount",
        )

    def values(condition: str, component: str) -> None:
        add(
            f"SELECT ?this ?v WHERE {{ {{ SELECT DISTINCT ?this WHERE {{ {target} }} }} "
            f"?this {p} ?v FILTER({condition}) }}",
            component,
        )

    for d in g.objects(prop, SH.datatype):
        values(f"!isLiteral(?v) || datatype(?v) != <{d}>", "Datatype")
    for c in g.objects(prop, SH["class"]):
        values(f"NOT EXISTS {{ ?v a ?t . ?t {SUBCLASS}* <{c}> }}", "Class")
    for kind in g.objects(prop, SH.nodeKind):
        tests: dict[Node, str] = {
            SH.IRI: "!isIRI(?v)",
            SH.Literal: "!isLiteral(?v)",
            SH.BlankNodeOrIRI: "isLiteral(?v)",
            SH.BlankNode: "!isBlank(?v)",
            SH.IRIOrLiteral: "isBlank(?v)",
        }
        test = tests[kind]
        values(test, "NodeKind")
    for pattern in g.objects(prop, SH.pattern):
        flags = g.value(prop, SH.flags)
        extra = f", {Literal(str(flags)).n3()}" if flags is not None else ""
        values(f"isBlank(?v) || !REGEX(STR(?v), {Literal(str(pattern)).n3()}{extra})", "Pattern")
    for low in g.objects(prop, SH.minInclusive):
        values(f"!COALESCE(?v >= {_n3(low)}, false)", "MinInclusive")
    for high in g.objects(prop, SH.maxInclusive):
        values(f"!COALESCE(?v <= {_n3(high)}, false)", "MaxInclusive")
    for head in g.objects(prop, SH.languageIn):
        langs = " || ".join(f'langMatches(lang(?v), "{t}")' for t in Collection(g, head))
        values(f"!isLiteral(?v) || !({langs})", "LanguageIn")
    for head in g.objects(prop, SH["in"]):
        members = ", ".join(_n3(t) for t in Collection(g, head))
        values(f"?v NOT IN ({members})", "In")
    for value in g.objects(prop, SH.hasValue):
        add(
            f"SELECT DISTINCT ?this WHERE {{ {target} FILTER NOT EXISTS {{ ?this {p} {_n3(value)} }} }}",
            "HasValue",
        )


def _sparql(g: Graph, sparql: Node, target: str, out: Compiled, default: str) -> None:
    text = str(g.value(sparql, SH.select)).replace("$this", "?this")
    header = "".join(
        f"PREFIX {g.value(d, SH.prefix)}: <{g.value(d, SH.namespace)}>\n"
        for holder in g.objects(sparql, SH.prefixes)
        for d in g.objects(holder, SH.declare)
    )
    targets = f"{{ SELECT DISTINCT ?this WHERE {{ {target} }} }}"
    body = f"{header}SELECT DISTINCT ?this WHERE {{ {targets} {{ {text} }} }}"
    out.queries.append((body, "SPARQL", "", _severity(g, sparql, default), str(sparql)))


def run(compiled: Compiled, store: ox.Store) -> Counter[tuple[str, str, str, str]]:
    """Results as (focus node, component, path, severity) counts."""
    found: Counter[tuple[str, str, str, str]] = Counter()
    for text, component, path, severity, _shape in compiled.queries:
        # Every compiled query is a SELECT.
        for row in cast(ox.QuerySolutions, store.query(text, use_default_graph_as_union=True)):
            this = row["this"]
            found[(str(this.value), component, path, severity)] += 1
    return found
