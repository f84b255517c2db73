"""Validated loads of big files: staged on disk, checked whole, committed whole.

For ``lcgraph load`` (and any caller with a big file). The guarded write
path (:func:`lcgraph.validation.guarded.apply_change`) holds the change as
Python quads; past a few megabytes that costs more time and memory than the
data deserve. Here the file never becomes Python objects:

1. the engine's bulk loader reads the file into a *staging* store on disk
   next to the data directory (a syntax error names its line and column; the
   real store is not touched);
2. personal statements (PDPA) are moved to ``lcg:private`` and
   ``http://schema.org/`` IRIs become ``https://schema.org/`` in the staging
   store, as the guarded path does for small writes;
3. the SHACL engine validates the store *as it would be after the load*: the
   real store and the staging store together (union of all graphs). Results
   about focus nodes the file does not mention are about data already there
   and are left out, as incremental validation leaves them out;
4. no Violation: the staged quads go into the real store through the bulk
   loader, which adds its sorted files only once all is read (so a failure
   leaves the store as it was), followed by the history record. A Violation:
   :class:`~lcgraph.validation.guarded.ValidationFailed` with the report,
   nothing written.

Reports are capped (:data:`REPORT_CAP` results listed, every result counted
and summarised per shape, rule and message), so a file that breaks 100,000
rules gives a short answer. For N-Triples and N-Quads files each listed
result carries the line of the first statement about its focus node.

Memory: no Python quads are made, but the SHACL engine reads the store and
the staged file into its own memory (measured: 1.8x the peak RSS of
``oxigraph load`` on 1.17M triples), so memory grows with the data rather
than with a batch size; and the engine's validation, not the loading,
dominates the time (``bench/bench_load.py``).

Known limit: a node already in the store and not named in the file whose
result the file changes only through a path of two or more steps (say a
sequence path ending at a new node) is not reported. None of the shapes in
``shapes/`` has such a path from a node the file cannot mention.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph

from lcgraph.access import PRIVATE_GRAPH
from lcgraph.namespaces import LCID, RDF, SCHEMA_HTTP
from lcgraph.personal import PersonalFilter, non_person_classes
from lcgraph.store import Dataset, LoadError, Repository, for_path
from lcgraph.validation.engine import engine_name, run_pyshacl, run_turbo, triples_graph, union_ntriples
from lcgraph.validation.guarded import (
    ValidationFailed,
    WriteResult,
    _history_quads,
    _lock,
    _normalise,
    default_shapes,
)
from lcgraph.validation.report import REPORT_CAP, ValidationReport, report_from_results
from lcgraph.validation.shapes import ShapeSet

# `lcgraph load` stages files at least this big (bytes; environment variable
# LCGRAPH_STAGED_LOAD_MIN_BYTES); smaller ones go through the guarded write path.
STAGED_LOAD_MIN_BYTES = int(os.environ.get("LCGRAPH_STAGED_LOAD_MIN_BYTES", 8 * 1024 * 1024))

Phase = Callable[[str, int | None], None]
"""Told when a new phase starts: its name and its size in bytes (or ``None``)."""


def _touched(staging: Repository) -> Callable[[str], bool]:
    """Is the node (as written in a report) mentioned by the staged file?"""

    def test(text: str) -> bool:
        if text.startswith("_:"):
            node: ox.NamedNode | ox.BlankNode = ox.BlankNode(text[2:])
        else:
            try:
                node = ox.NamedNode(text)
            except ValueError:
                return True
        for _ in staging.quads(node):
            return True
        for _ in staging.quads(object=node):
            return True
        return False

    return test


def validate_staged(
    shapes: ShapeSet,
    store: Repository,
    staging: Repository,
    *,
    engine: str | None = None,
    cap: int = REPORT_CAP,
) -> ValidationReport:
    """Validate ``store`` plus ``staging``; keep results about nodes the staged data mentions."""
    started = time.perf_counter()

    def both() -> Graph:
        return triples_graph((q.subject, q.predicate, q.object) for r in (store, staging) for q in r.quads())

    if (engine or engine_name()) == "pyshacl":
        results = run_pyshacl(both(), shapes, None)
    else:
        results = run_turbo(union_ntriples(store) + union_ntriples(staging), shapes, None, both)
    report = report_from_results(results, shapes.graph, keep=_touched(staging), cap=cap)
    report.mode = "staged"
    report.seconds = time.perf_counter() - started
    return report


def _fix_staged(ds: Repository, staging: Repository) -> int:
    """Normalise schema.org IRIs and route personal statements in the staging store.

    Returns how many quads changed.
    """
    old = str(SCHEMA_HTTP)
    rows = staging.select(
        "SELECT ?s ?p ?o ?g WHERE { GRAPH ?g { ?s ?p ?o } "
        f'FILTER(STRSTARTS(STR(?s), "{old}") || STRSTARTS(STR(?p), "{old}") '
        f'|| (isIRI(?o) && STRSTARTS(STR(?o), "{old}"))) }}',
        include_private=True,
    )
    fixed = [ox.Quad(r["s"], r["p"], r["o"], r["g"]) for r in rows]
    if fixed:
        staging.apply([_normalise(q) for q in fixed], fixed)
    personal = PersonalFilter(ds)
    private = ox.NamedNode(PRIVATE_GRAPH)
    # The engine narrows the candidates down to statements with a personal
    # property about something not typed as an organisation or place here.
    props = " ".join(f"<{p}>" for p in sorted(personal.properties))
    classes = " ".join(f"<{c}>" for c in sorted(non_person_classes(ds)))
    rows = staging.select(
        f"SELECT DISTINCT ?s ?p ?o WHERE {{ VALUES ?p {{ {props} }} ?s ?p ?o "
        f"FILTER NOT EXISTS {{ VALUES ?c {{ {classes} }} ?s a ?c }} }}",
        include_private=True,
    )
    candidates = [q for r in rows for q in staging.quads(r["s"], r["p"], r["o"]) if q.graph_name != private]
    if not candidates:
        return len(fixed)
    rdf_type = ox.NamedNode(str(RDF.type))
    types = [t for q in candidates for t in staging.quads(q.subject, rdf_type)]
    personal = PersonalFilter(ds, extra_types=types)
    moving = [q for q in candidates if personal.is_personal(q)]
    staging.apply([ox.Quad(q.subject, q.predicate, q.object, private) for q in moving], moving)
    return len(fixed) + len(moving)


def _lines_of(path: Path, fmt_name: str, report: ValidationReport) -> None:
    """The line of the first statement about each listed focus node (N-Triples/N-Quads only)."""
    if fmt_name not in ("ntriples", "nquads") or path.suffix.lower() == ".gz":
        return
    wanted: dict[bytes, int | None] = {}
    for f in report.findings:
        if f.focus_node:
            key = f.focus_node.encode("utf-8")
            wanted[key if key.startswith(b"_:") else b"<" + key + b">"] = None
    if not wanted:
        return
    left = len(wanted)
    with open(path, "rb") as fh:
        for number, line in enumerate(fh, 1):
            subject = line.split(None, 1)[0] if line.strip() else b""
            if subject in wanted and wanted[subject] is None:
                wanted[subject] = number
                left -= 1
                if not left:
                    break
    for f in report.findings:
        if f.focus_node and not f.focus_node.startswith("_:"):
            f.line = wanted.get(b"<" + f.focus_node.encode("utf-8") + b">")


def load_validated(
    ds: Repository,
    path: str | Path,
    *,
    graph: str | None = None,
    format: str | None = None,
    agent: str | None = None,
    shapes: ShapeSet | None = None,
    phase: Phase | None = None,
    progress: Callable[[int], None] | None = None,
    cap: int = REPORT_CAP,
) -> WriteResult:
    """Load one file validated and all-or-nothing, without holding it in Python (see the module doc).

    Returns a :class:`~lcgraph.validation.guarded.WriteResult`; raises
    :class:`~lcgraph.store.LoadError` (unreadable file) or
    :class:`~lcgraph.validation.guarded.ValidationFailed` (a Violation).
    """
    started = time.perf_counter()
    p = Path(path)
    try:
        fmt = for_path(p, format)
    except Exception as exc:
        raise LoadError(str(exc), source=str(p)) from None
    tell = phase or (lambda _name, _size: None)
    parent = ds.path.parent if ds.path is not None else None
    scratch = Path(tempfile.mkdtemp(prefix=".lcgraph-staging-", dir=parent))
    try:
        tell("reading", p.stat().st_size if p.is_file() else None)
        staging = Dataset.open(scratch / "store")
        staging.load_path(
            p, graph=graph, format=format, progress=progress, base_iri=p.resolve().as_uri(), bulk=True
        )
        with _lock:
            tell("checking", None)
            moved = _fix_staged(ds, staging)
            report = validate_staged(shapes or default_shapes(), ds, staging, cap=cap)
            if not report.conforms:
                _lines_of(p, fmt.name, report)
                for f in report.findings:
                    f.source = str(p)
                raise ValidationFailed(report)
            tell("writing", None)
            written: dict[str, object] = {}

            def record(count: int, graphs_written: list[str]) -> list[ox.Quad]:
                # The history record goes into the same bulk load as the data: both or neither.
                written.update(iri=f"{LCID}change/{_uuid()}", added=count, graphs=graphs_written)
                return _history_quads(
                    str(written["iri"]),
                    (count, 0),
                    f"file {p.name}",
                    agent,
                    False,
                    graphs_written,
                    None,
                    None,
                )

            if moved:
                # Fixed in staging: commit the staged named graphs (its default graph is their merge).
                dump = scratch / "staged.nq"
                staging.dump(dump, "nquads")
                ds.load_path(dump, format="nquads", bulk=True, afterword=record)
            else:
                # Nothing to fix: the file itself goes in (no dump, same triples).
                ds.load_path(
                    p, graph=graph, format=format, base_iri=p.resolve().as_uri(), bulk=True, afterword=record
                )
            staging.close()
            change_iri = str(written["iri"])
            added = int(written["added"])  # type: ignore[call-overload]
            graphs = list(written["graphs"])  # type: ignore[call-overload]
            ds.flush()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return WriteResult(change_iri, added, 0, report, False, time.perf_counter() - started, graphs)


def _uuid() -> str:
    return uuid.uuid4().hex


def load_checked(
    ds: Repository,
    path: Path,
    *,
    graph: str | None = None,
    format: str | None = None,
    agent: str | None = None,
    phase: Phase | None = None,
    progress: Callable[[int], None] | None = None,
) -> WriteResult:
    """``lcgraph load``'s validated load: small files through the guarded write path, big ones staged.

    Files from :data:`STAGED_LOAD_MIN_BYTES` go through :func:`load_validated`
    (``phase`` and ``progress`` report on it). Returns a
    :class:`~lcgraph.validation.guarded.WriteResult`; raises as the two routes do.
    """
    from lcgraph.validation.guarded import load_file

    if not path.is_file() or path.stat().st_size < STAGED_LOAD_MIN_BYTES:
        return load_file(ds, path, graph=graph, format=format, agent=agent)
    return load_validated(ds, path, graph=graph, format=format, agent=agent, phase=phase, progress=progress)
