"""Four SHACL routes on the same data: pyshacl, pyshacl-turbo, pyrudof, shapes compiled to SPARQL.

Data: the ontology, the vocabularies and ``lcgraph generate --cities N``
(``BENCH_VALIDATE_CITIES``, default 10), in one engine store; shapes:
``shapes/*.ttl``. Then each bad file of ``tests/data/shapes`` (with the
ontology, vocabularies and test concepts). For every route: median wall
time (pyshacl ``BENCH_PYSHACL_REPEAT`` times, default 1, it is slow; the
others ``BENCH_REPEAT``, default 3), results per severity, and agreement
with pyshacl, the reference:

* pyshacl-turbo and pyshacl: every result (focus node, path, severity,
  constraint, shape, value) compared as multisets;
* the SPARQL route compiles only part of the shapes (see
  ``bench/shacl_sparql.py``): compared on the results of the constraint
  components it compiles;
* pyrudof: counts per severity (its report names focus node and path, but
  its SPARQL engine rejects one of our SPARQL constraints; it is then run
  without them and says so).
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar, cast

import pyoxigraph as ox
from rdflib import Graph
from rdflib.namespace import SH

from bench import shacl_sparql
from bench.common import generated_file, median
from lcgraph import resources
from lcgraph.store.dataset import OxigraphRepository
from lcgraph.validation.engine import run_pyshacl, union_graph, validate_store
from lcgraph.validation.report import findings_from_results
from lcgraph.validation.shapes import ShapeSet, load_shapes

CITIES = int(os.environ.get("BENCH_VALIDATE_CITIES", "10"))
REPEAT = int(os.environ.get("BENCH_REPEAT", "3"))
PYSHACL_REPEAT = int(os.environ.get("BENCH_PYSHACL_REPEAT", "1"))
BAD = Path(__file__).resolve().parents[1] / "tests" / "data" / "shapes"

T = TypeVar("T")


def _base_store() -> ox.Store:
    store = ox.Store()
    store.load(path=str(resources.ONTOLOGY_FILE), format=ox.RdfFormat.TURTLE)
    for f in resources.vocab_files():
        store.load(path=str(f), format=ox.RdfFormat.TURTLE)
    return store


def _timed(fn: Callable[[], T], repeat: int) -> tuple[float, T]:
    times: list[float] = []
    result: T | None = None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    # median() raised for repeat < 1: fn has run, so result is what it returned.
    return median(times), cast(T, result)


def _severities(findings: list) -> Counter[str]:
    return Counter(f.severity for f in findings)


def _keys(findings: list) -> Counter[tuple]:
    return Counter((f.focus_node, f.path, f.severity, f.constraint, f.shape, f.value) for f in findings)


def _rudof(shapes_ttl: str, data_nt: str) -> tuple[Counter[str], str]:
    import pyrudof

    def run(shapes_text: str) -> Counter[str]:
        r = pyrudof.Rudof(pyrudof.RudofConfig())
        r.read_shacl(shapes_text)
        r.read_data(data_nt, format=pyrudof.RDFFormat.NTriples)
        report = r.validate_shacl()
        return Counter(str(e.severity).rsplit("#", 1)[-1].rsplit(":", 1)[-1] for e in report)

    try:
        return run(shapes_ttl), ""
    except Exception as exc:  # pyrudof raises its own error types
        g = Graph()
        g.parse(data=shapes_ttl, format="turtle")
        g.remove((None, SH.sparql, None))
        note = f"without the SPARQL constraints ({type(exc).__name__}: {str(exc)[:80]})"
        return run(g.serialize(format="turtle")), note


def main() -> None:
    shapes = load_shapes()
    shapes_ttl = shapes.graph.serialize(format="turtle")
    compiled = shacl_sparql.compile_shapes(shapes)
    compiled_components = {c for _, c, _, _, _ in compiled.queries}
    store = _base_store()
    data = generated_file(CITIES, fmt="nt")
    store.load(path=str(data), format=ox.RdfFormat.N_TRIPLES)
    print(
        f"data: ontology + vocabularies + {data.name}: {len(store):,} triples; "
        f"SPARQL route: {len(compiled.queries)} queries, not compiled: {dict(compiled.skipped)}"
    )
    _compare("generated", store, shapes, shapes_ttl, compiled, compiled_components, PYSHACL_REPEAT, REPEAT)
    for bad in sorted(BAD.glob("bad-*.ttl")):
        small = _base_store()
        small.load(path=str(BAD / "concepts.ttl"), format=ox.RdfFormat.TURTLE)
        small.load(path=str(bad), format=ox.RdfFormat.TURTLE)
        _compare(bad.name, small, shapes, shapes_ttl, compiled, compiled_components, 1, 1)


def _repository(store: ox.Store) -> OxigraphRepository:
    """The same statements in one named graph of an in-memory repository, as the validator reads them."""
    repo = OxigraphRepository.memory()
    graph = ox.NamedNode("urn:lcgraph:bench:validate")
    repo.apply(add=[ox.Quad(q.subject, q.predicate, q.object, graph) for q in store])
    return repo


def _compare(
    title: str,
    store: ox.Store,
    shapes: ShapeSet,
    shapes_ttl: str,
    compiled: shacl_sparql.Compiled,
    compiled_components: set[str],
    ref_repeat: int,
    repeat: int,
) -> None:
    sg = shapes.graph
    repo = _repository(store)
    ref_s, ref = _timed(
        lambda: findings_from_results(run_pyshacl(union_graph(repo), shapes, None), sg), ref_repeat
    )
    turbo_s, turbo = _timed(lambda: findings_from_results(validate_store(repo, shapes), sg), repeat)
    # dump() without an output returns the bytes.
    data_nt = b"".join(
        [cast(bytes, store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph()))]
        + [cast(bytes, store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=g)) for g in store.named_graphs()]
    ).decode("utf-8")
    rudof_s, (rudof, rudof_note) = _timed(lambda: _rudof(shapes_ttl, data_nt), repeat)
    sparql_s, found = _timed(lambda: shacl_sparql.run(compiled, store), repeat)
    # Compared below with pyshacl's keys, whose focus node may be None; the counter is only read.
    sparql = cast("Counter[tuple[str | None, str, str, str]]", found)
    ref_subset = Counter(
        (
            f.focus_node,
            (f.constraint or "").rsplit("#", 1)[-1].removesuffix("ConstraintComponent"),
            f.path or "",
            f.severity,
        )
        for f in ref
        if (f.constraint or "").rsplit("#", 1)[-1].removesuffix("ConstraintComponent") in compiled_components
    )
    print(f"\n== {title}: {len(store):,} triples")
    head = f"{'route':34} {'median s':>9} {'vs pyshacl':>11} {'Violation':>10} {'Warning':>8} {'Info':>6}"
    print(head + "  agreement")
    rows = [
        ("pyshacl (reference)", ref_s, _severities(ref), "-"),
        (
            "pyshacl-turbo",
            turbo_s,
            _severities(turbo),
            "same results" if _keys(turbo) == _keys(ref) else "DIFFERENT",
        ),
        ("pyrudof", rudof_s, rudof, rudof_note or "counts only"),
        (
            "shapes as SPARQL on pyoxigraph",
            sparql_s,
            Counter(k[3] for k, n in sparql.items() for _ in range(n)),
            (
                "same on compiled part"
                if sparql == ref_subset
                else f"compiled part differs: {sum((sparql - ref_subset).values())} extra, "
                f"{sum((ref_subset - sparql).values())} missing"
            ),
        ),
    ]
    for name, seconds, counts, note in rows:
        ratio = ref_s / seconds if seconds else float("nan")
        print(
            f"{name:34} {seconds:>9.3f} {ratio:>10.1f}x {counts.get('Violation', 0):>10} "
            f"{counts.get('Warning', 0):>8} {counts.get('Info', 0):>6}  {note}"
        )


if __name__ == "__main__":
    main()
