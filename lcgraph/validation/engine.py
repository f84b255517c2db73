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
import os
from collections.abc import Callable, Iterable

import pyoxigraph as ox
from rdflib import Graph, URIRef

from lcgraph.store.repository import Repository
from lcgraph.validation.shapes import ShapeSet, TargetedShape
from lcgraph.validation.view import Triple

ENGINES = ("turbo", "pyshacl")
# IRIs of shapes the fast engine cannot evaluate (checked by pyshacl instead).
PYSHACL_ONLY: frozenset[str] = frozenset()


def engine_name() -> str:
    """The engine in use (``LCGRAPH_SHACL_ENGINE``, default ``turbo``)."""
    name = os.environ.get("LCGRAPH_SHACL_ENGINE", "turbo").strip().lower() or "turbo"
    if name not in ENGINES:
        raise ValueError(f"LCGRAPH_SHACL_ENGINE must be one of {', '.join(ENGINES)}, not {name!r}")
    return name


_COMPILED: dict[int, tuple[ShapeSet, object]] = {}


def _compiled(shapes: ShapeSet) -> object:
    """The fast engine's compiled form of ``shapes`` (made once per shape set)."""
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
        from lcgraph.validation.incremental import run_pyshacl, union_graph

        return run_pyshacl(union_graph(store), shapes, use)
    return run_turbo(union_ntriples(store), shapes, use, lambda: _union_rdflib(store))


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
    from lcgraph.validation.incremental import run_pyshacl, triples_graph

    if (engine or engine_name()) == "pyshacl":
        return run_pyshacl(triples_graph(triples), shapes, use)
    text = ox.serialize((ox.Triple(s, p, o) for s, p, o in triples), format=ox.RdfFormat.N_TRIPLES)
    return run_turbo(text.decode("utf-8"), shapes, use, lambda: triples_graph(triples))


def _union_rdflib(store: Repository) -> Graph:
    from lcgraph.validation.incremental import union_graph

    return union_graph(store)


def run_turbo(
    text: str, shapes: ShapeSet, use: list[TargetedShape] | None, as_graph: Callable[[], Graph]
) -> Graph:
    """pyshacl-turbo on N-Triples text (every graph folded into one), with the pyshacl-only shapes after."""
    from pyshacl_turbo.rdf import Input

    options = {"allow_warnings": True, "allow_infos": True}
    names = _use_list(use)
    if names is not None:
        options["use_shapes"] = names
    data = Input(text, "nquads", None, {}, preserve_ids=True)
    _, results, _ = _compiled(shapes).validate(data, **options)  # type: ignore[attr-defined]
    if PYSHACL_ONLY and (names is None or PYSHACL_ONLY & set(names)):
        from lcgraph.validation.incremental import run_pyshacl

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
