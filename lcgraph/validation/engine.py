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

import os
from collections.abc import Iterable

import pyoxigraph as ox
from rdflib import Graph, URIRef

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


def triples_store(triples: Iterable[Triple]) -> ox.Store:
    """An in-memory engine store holding ``triples`` in its default graph."""
    store = ox.Store()
    store.extend(ox.Quad(s, p, o) for s, p, o in triples)  # type: ignore[arg-type]
    return store


def validate_store(
    store: ox.Store, shapes: ShapeSet, use: list[TargetedShape] | None = None, *, engine: str | None = None
) -> Graph:
    """Validate the union of every graph of ``store``; returns the standard results graph."""
    name = engine or engine_name()
    if use is not None and not use:
        return Graph()
    if name == "pyshacl":
        from lcgraph.validation.incremental import run_pyshacl, union_graph

        return run_pyshacl(union_graph(store), shapes, use)
    options = {"allow_warnings": True, "allow_infos": True}
    names = _use_list(use)
    if names is not None:
        options["use_shapes"] = names
    _, results, _ = _compiled(shapes).validate(_union_input(store), **options)  # type: ignore[attr-defined]
    if PYSHACL_ONLY and (names is None or PYSHACL_ONLY & set(names)):
        from lcgraph.validation.incremental import run_pyshacl, union_graph

        fallback = [s for s in shapes.shapes if str(s.node) in PYSHACL_ONLY]
        results += run_pyshacl(union_graph(store), shapes, fallback)
    return results


def _union_input(store: ox.Store) -> object:
    """The store's quads as the fast engine's input, every graph folded into the default one.

    SHACL here validates the union of all graphs; given named graphs, the
    engine would validate each on its own. Each graph is written as
    N-Triples (valid N-Quads in the default graph); a triple found in two
    graphs is read once.
    """
    from pyshacl_turbo.rdf import Input

    named = list(store.named_graphs())
    # A Dataset's default graph is the merge of its named graphs: read those only. A plain
    # store with nothing but a default graph (a scratch copy) is read as it is.
    parts = [store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=g) for g in named]
    if not named:
        parts.append(store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph()))
    text = b"".join(parts).decode("utf-8")
    return Input(text, "nquads", None, {}, preserve_ids=True)
