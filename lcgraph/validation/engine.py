"""Which SHACL engine runs the shapes: pyshacl-turbo (default) or pyshacl (the reference).

For the validation layer (incremental checks of writes, full checks of a
store or a file, validated bulk loads). Both engines take the same shapes
graph and return the same standard results graph, so everything downstream
(:func:`lcgraph.validation.report.findings_from_results`) is shared.

* ``turbo``: pyshacl-turbo, a SHACL engine written in Rust with pyshacl's
  API. It reads a pyoxigraph store directly (N-Quads handed over in one
  piece, no rdflib graph in between); 3-13x faster than pyshacl on our
  shapes and test files (``bench/bench_validate.py``), with the same results focus node by
  focus node, path by path, severity by severity, message by message
  (``tests/test_validation_engines.py``).
* ``pyshacl``: the reference, on an rdflib graph. Chosen with the
  environment variable ``LCGRAPH_SHACL_ENGINE=pyshacl``; the differential
  tests run both.

Shapes the fast engine cannot evaluate would go to pyshacl
(:data:`PYSHACL_ONLY`): today none of ours needs it (SPARQL constraints and
qualified value shapes included: checked against pyshacl in the tests).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import pyoxigraph as ox
import pyshacl.shape as shape_module
from pyshacl import Validator
from pyshacl.constraints import ALL_CONSTRAINT_PARAMETERS, CONSTRAINT_PARAMETERS_MAP
from pyshacl.graph_abstraction import DataGraph
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import XSD
from rdflib.plugins.sparql import prepareQuery
from rdflib.plugins.sparql.sparql import Query
from rdflib.query import Processor, Result
from rdflib.term import Identifier

from lcgraph.config import Settings
from lcgraph.store.repository import Repository
from lcgraph.store.typed import statement
from lcgraph.validation.shapes import ShapeSet, TargetedShape
from lcgraph.validation.view import Term, Triple

if TYPE_CHECKING:
    import pyshacl_turbo

ENGINES = ("turbo", "pyshacl")
# IRIs of shapes the fast engine cannot evaluate (checked by pyshacl instead).
PYSHACL_ONLY: frozenset[str] = frozenset()
_XSD_STRING = str(XSD.string)


def engine_name() -> str:
    """The engine in use (``LCGRAPH_SHACL_ENGINE``, default ``turbo``)."""
    name = Settings.from_env().shacl_engine.strip().lower() or "turbo"
    if name not in ENGINES:
        raise ValueError(f"LCGRAPH_SHACL_ENGINE must be one of {', '.join(ENGINES)}, not {name!r}")
    return name


_COMPILED: dict[int, tuple[ShapeSet, pyshacl_turbo.CompiledShapes]] = {}


def _compiled(shapes: ShapeSet) -> pyshacl_turbo.CompiledShapes:
    """The fast engine's compiled form of ``shapes`` (made once per shape set)."""
    # Imported on first validation: the query processes of `lcgraph serve` never validate, and
    # pyshacl-turbo (with the importlib_metadata it reads its version with) adds 26-140 ms to
    # each one's start after everything else the app loads (python -X importtime, 6 runs on the
    # shared CI machine, 2026-12-04).
    import pyshacl_turbo

    held = _COMPILED.get(id(shapes))
    if held is None or held[0] is not shapes:
        if len(_COMPILED) > 8:
            _COMPILED.clear()
        held = (shapes, pyshacl_turbo.CompiledShapes(shapes.graph))
        _COMPILED[id(shapes)] = held
    return held[1]


def _use_list(use: list[TargetedShape] | None) -> list[str] | None:
    """The shape IRIs to run (with the named shapes they use), or ``None`` for all."""
    if use is None or not all(isinstance(s.node, URIRef) for s in use):
        return None
    return sorted({str(s.node) for s in use} | {r for s in use for r in s.referenced})


def validate_store(
    store: Repository, shapes: ShapeSet, use: list[TargetedShape] | None = None, *, engine: str | None = None
) -> Graph:
    """Validate the union of every named graph of a repository; returns the standard results graph."""
    if use is not None and not use:
        return Graph()
    if (engine or engine_name()) == "pyshacl":
        return run_pyshacl(union_graph(store), shapes, use)
    return run_turbo(union_ntriples(store), shapes, use, lambda: union_graph(store))


def validate_triples(
    triples: Iterable[Triple],
    shapes: ShapeSet,
    use: list[TargetedShape] | None = None,
    *,
    engine: str | None = None,
) -> Graph:
    """Validate a set of triples held in memory (a change's reach, a file)."""
    if use is not None and not use:
        return Graph()
    triples = list(triples)
    if (engine or engine_name()) == "pyshacl":
        return run_pyshacl(triples_graph(triples), shapes, use)
    text = ox.serialize((ox.Triple(s, p, o) for s, p, o in triples), format=ox.RdfFormat.N_TRIPLES)
    assert text is not None  # no output given: the bytes are returned
    return run_turbo(text.decode("utf-8"), shapes, use, lambda: triples_graph(triples))


def run_turbo(
    text: str, shapes: ShapeSet, use: list[TargetedShape] | None, as_graph: Callable[[], Graph]
) -> Graph:
    """pyshacl-turbo on N-Triples text (every graph folded into one), with the pyshacl-only shapes after."""
    options: dict[str, bool | list[str]] = {"allow_warnings": True, "allow_infos": True}
    names = _use_list(use)
    if names is not None:
        options["use_shapes"] = names
    from pyshacl_turbo.rdf import Input  # see _compiled

    data = Input(text, "nquads", None, {}, preserve_ids=True)
    _, results, _ = _compiled(shapes).validate(data, **options)
    if PYSHACL_ONLY and (names is None or PYSHACL_ONLY & set(names)):
        fallback = [s for s in shapes.shapes if str(s.node) in PYSHACL_ONLY]
        results += run_pyshacl(as_graph(), shapes, fallback)
    return results


def union_ntriples(store: Repository) -> str:
    """The repository's named graphs as N-Triples, one after another.

    SHACL here validates the union of all graphs; given named graphs, the
    engine would validate each on its own. Each graph is written as
    N-Triples (valid N-Quads in the default graph); a triple found in two
    graphs is read once.
    """
    out = io.BytesIO()
    for g in store.graphs():
        store.dump(out, "ntriples", graph=g)
    return out.getvalue().decode("utf-8")


# -- pyshacl, the reference engine, on rdflib graphs ----------------------------


class _ParameterList(list[object]):
    """pyshacl's list of constraint parameters, answering ``in`` from a set."""

    def __init__(self, items: Iterable[object]) -> None:
        super().__init__(items)
        self._members = frozenset(self)

    def __contains__(self, item: object) -> bool:
        return item in self._members


def _speed_up_pyshacl() -> None:
    """Pre-fill pyshacl's own cache of constraint parameters with a set-backed list.

    For every shape it evaluates, pyshacl tests each predicate of the shape
    for membership in a ~40-item list; on a 10,000-row import that linear
    scan was 45% of pyshacl's time (profiled). Same items, same order; only
    ``in`` is faster. If pyshacl stops using this cache, nothing changes.
    """
    if not isinstance(getattr(shape_module, "CONSTRAINT_PARAMS", (None,))[0], _ParameterList):
        # A module global of pyshacl that its type information does not declare.
        shape_module.CONSTRAINT_PARAMS = (  # type: ignore[attr-defined]
            _ParameterList(ALL_CONSTRAINT_PARAMETERS),
            CONSTRAINT_PARAMETERS_MAP,
        )


_speed_up_pyshacl()


def to_rdflib(term: Term) -> URIRef | BNode | Literal:
    """pyoxigraph term -> rdflib term (``xsd:string`` literals become plain)."""
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if term.language:
        return Literal(term.value, lang=term.language)
    if term.datatype.value == _XSD_STRING:
        return Literal(term.value)
    return Literal(term.value, datatype=URIRef(term.datatype.value))


@lru_cache(maxsize=1024)
def _prepared(text: str, namespaces: tuple[tuple[str, str], ...]) -> Query:
    return prepareQuery(text, initNs=dict(namespaces))


class PreparedQueryGraph(Graph):
    """An rdflib graph that parses each SPARQL text once.

    pyshacl sends the same constraint query for every focus node; parsing it
    (pyparsing, ~30 ms) would cost more than evaluating it on a small graph.
    """

    def query(
        self,
        query_object: str | Query,
        processor: str | Processor = "sparql",
        result: str | type[Result] = "sparql",
        initNs: Mapping[str, Any] | None = None,  # noqa: N803 - rdflib's names
        initBindings: Mapping[str, Identifier] | None = None,  # noqa: N803
        use_store_provided: bool = True,
        **kwargs: Any,
    ) -> Result:
        if isinstance(query_object, str):
            namespaces = tuple(sorted((str(k), str(v)) for k, v in dict(initNs or {}).items()))
            query_object = _prepared(query_object, namespaces)
        return super().query(
            query_object,
            processor,
            result,
            initNs,
            initBindings,
            use_store_provided,
            **kwargs,
        )


def triples_graph(triples: Iterable[Triple]) -> Graph:
    g = PreparedQueryGraph()
    add = g.add
    for s, p, o in triples:
        add((to_rdflib(s), to_rdflib(p), to_rdflib(o)))
    return g


def run_pyshacl(data: Graph, shapes: ShapeSet, use: list[TargetedShape] | None) -> Graph:
    """pyshacl on ``data`` with the given shapes (all if ``None``); returns the results graph."""
    options: dict[str, object] = {"inference": "none", "allow_warnings": True, "allow_infos": True}
    if use is not None:
        if not use:
            return Graph()
        if all(isinstance(s.node, URIRef) for s in use):
            options["use_shapes"] = sorted(
                {str(s.node) for s in use} | {r for s in use for r in s.referenced}
            )
    validator = Validator(DataGraph.from_rdflib(data), shacl_graph=shapes.graph, options=options)
    _, results, _ = validator.run()
    return results


def union_graph(store: Repository) -> Graph:
    """The union of every named graph in the store as one rdflib graph (for full validation)."""
    return triples_graph(statement(q) for q in store.quads())
