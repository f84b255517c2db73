"""Validated loads of big files: staged on disk, checked whole, committed whole.

For ``lcgraph load`` (and any caller with a big file). The guarded write
path (:func:`lcgraph.validation.guarded.apply_change`) holds the change as
Python quads; past a few megabytes that costs more time and memory than the
data deserve. Here the file never becomes Python objects.

On a local store (:func:`_load_side_copy`), the file is loaded once:

1. a *side copy* of the store is made beside it (hard links, instant:
   :meth:`~lcgraph.store.dataset.OxigraphRepository.side_copy`) and the
   engine's bulk loader reads the file into it (a syntax error names its line
   and column; the store is not touched);
2. personal statements (PDPA) are moved to ``lcg:private`` and
   ``http://schema.org/`` IRIs become ``https://schema.org/`` in the copy,
   as the guarded path does for small writes (skipped when a byte search
   shows an N-Triples/N-Quads file holds neither);
3. the SHACL engine validates the copy, the store *as it would be after the
   load* (for an N-Triples file taken as it is: the store's dump and the
   file's own text). Results about nodes the file added nothing about are
   about data already there and are left out, as incremental validation
   leaves them out;
4. no Violation: the change-set is recorded in the copy and the copy
   replaces the store in one directory swap
   (:meth:`~lcgraph.store.dataset.OxigraphRepository.take_over`). A
   Violation: :class:`~lcgraph.validation.guarded.ValidationFailed` with the
   report, the copy removed, nothing written.

Elsewhere (remote stores, or ``LCGRAPH_STAGED_SIDE_COPY=0``), the file goes
into a *staging* store, store + staging are validated together, and the
staged quads then go into the store through its bulk loader, which adds its
sorted files only once all is read, with the history record.

Reports are capped (:data:`REPORT_CAP` results listed, every result counted
and summarised per shape, rule and message), so a file that breaks 100,000
rules gives a short answer. For N-Triples and N-Quads files each listed
result carries the line of the first statement about its focus node.

Memory: no Python quads are made, but the SHACL engine reads the store and
the file into its own memory, so memory grows with the data rather than
with a batch size; the engine's validation dominates the time
(``BENCH_LOAD_PHASES=1 python -m bench load``; ``bench/RESULTS.md``).

Known limit: a node already in the store and not named in the file whose
result the file changes only through a path of two or more steps (say a
sequence path ending at a new node) is not reported. None of the shapes in
``shapes/`` has such a path from a node the file cannot mention.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph

from lcgraph.access import PRIVATE_GRAPH
from lcgraph.config import Settings
from lcgraph.namespaces import LCID, RDF, SCHEMA_HTTP
from lcgraph.personal import PersonalFilter, non_person_classes, personal_properties
from lcgraph.store import Dataset, LoadError, OxigraphRepository, Repository, for_path
from lcgraph.store.typed import statement
from lcgraph.validation.engine import (
    engine_name,
    run_pyshacl,
    run_turbo,
    triples_graph,
    union_graph,
    union_ntriples,
)
from lcgraph.validation.guarded import (
    ValidationFailed,
    WriteResult,
    _history_quads,
    _lock,
    _normalise,
    default_shapes,
    load_file,
)
from lcgraph.validation.report import REPORT_CAP, ValidationReport, report_from_results
from lcgraph.validation.shapes import ShapeSet


def staged_load_min_bytes() -> int:
    """`lcgraph load` stages files at least this big (``LCGRAPH_STAGED_LOAD_MIN_BYTES``); smaller ones
    go through the guarded write path."""
    return Settings.from_env().staged_load_min_bytes


def side_copy() -> bool:
    """Load into a side copy of an on-disk store and swap it in (``LCGRAPH_STAGED_SIDE_COPY=0``: the
    staging store and a second bulk load into the store, as for remote stores)."""
    return Settings.from_env().staged_side_copy


Phase = Callable[[str, int | None], None]


@dataclass
class _Loaded:
    """What a bulk load told its afterword: the quads read and the graphs written (and the change's IRI)."""

    iri: str = ""
    count: int = 0
    graphs: list[str] = field(default_factory=list)


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
    phase: Phase | None = None,
) -> ValidationReport:
    """Validate ``store`` plus ``staging``; keep results about nodes the staged data mentions."""
    started = time.perf_counter()
    tell = phase or (lambda _name, _size: None)

    def both() -> Graph:
        return triples_graph(statement(q) for r in (store, staging) for q in r.quads())

    if (engine or engine_name()) == "pyshacl":
        tell("handing over", None)
        data = both()
        tell("validating", None)
        results = run_pyshacl(data, shapes, None)
    else:
        tell("handing over", None)
        text = union_ntriples(store) + union_ntriples(staging)
        tell("validating", None)
        results = run_turbo(text, shapes, None, both)
        del text
    tell("reporting", None)
    report = report_from_results(results, shapes.graph, keep=_touched(staging), cap=cap)
    report.mode = "staged"
    report.seconds = time.perf_counter() - started
    return report


def _fix_staged(ds: Repository, staging: Repository) -> tuple[int, int]:
    """Normalise schema.org IRIs and route personal statements in the staging store.

    Returns how many quads were normalised and how many moved to ``lcg:private``.
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
        return len(fixed), 0
    rdf_type = ox.NamedNode(str(RDF.type))
    types = [t for q in candidates for t in staging.quads(q.subject, rdf_type)]
    personal = PersonalFilter(ds, extra_types=types)
    moving = [q for q in candidates if personal.is_personal(q)]
    staging.apply([ox.Quad(q.subject, q.predicate, q.object, private) for q in moving], moving)
    return len(fixed), len(moving)


def _may_need_fixing(ds: Repository, path: Path, fmt_name: str) -> bool:
    """Can the file hold an ``http://schema.org/`` IRI or a personal property? (False: it cannot.)

    N-Triples and N-Quads write every IRI in full between angle brackets, so
    a byte search of the file answers exactly; for other formats (prefixed
    names, relative IRIs) and compressed files the answer is "maybe".
    """
    if fmt_name not in ("ntriples", "nquads") or path.suffix.lower() == ".gz":
        return True
    needles = [f"<{SCHEMA_HTTP}".encode()] + [f"<{p}>".encode() for p in personal_properties(ds)]
    overlap = max(len(n) for n in needles) - 1
    tail = b""
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 23):
            window = tail + chunk
            if any(n in window for n in needles):
                return True
            tail = window[-overlap:]
    return False


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
    if isinstance(ds, OxigraphRepository) and ds.path is not None and side_copy():
        return _load_side_copy(ds, p, fmt.name, graph, format, agent, shapes, tell, progress, cap, started)
    parent = ds.path.parent if ds.path is not None else None
    scratch = Path(tempfile.mkdtemp(prefix=".lcgraph-staging-", dir=parent))
    try:
        tell("reading", p.stat().st_size if p.is_file() else None)
        staging = Dataset.open(scratch / "store")
        staging.load_path(
            p, graph=graph, format=format, progress=progress, base_iri=p.resolve().as_uri(), bulk=True
        )
        with _lock:
            tell("normalising", None)
            moved = sum(_fix_staged(ds, staging)) if _may_need_fixing(ds, p, fmt.name) else 0
            report = validate_staged(shapes or default_shapes(), ds, staging, cap=cap, phase=tell)
            if not report.conforms:
                _lines_of(p, fmt.name, report)
                for f in report.findings:
                    f.source = str(p)
                raise ValidationFailed(report)
            tell("writing", None)
            written = _Loaded(iri=f"{LCID}change/{_uuid()}")

            def record(count: int, graphs_written: list[str]) -> list[ox.Quad]:
                # The history record goes into the same bulk load as the data: both or neither.
                written.count, written.graphs = count, graphs_written
                return _history_quads(
                    written.iri,
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
            change_iri, added, graphs = written.iri, written.count, list(written.graphs)
            ds.flush()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return WriteResult(change_iri, added, 0, report, False, time.perf_counter() - started, graphs)


def _load_side_copy(
    ds: OxigraphRepository,
    p: Path,
    fmt_name: str,
    graph: str | None,
    format: str | None,
    agent: str | None,
    shapes: ShapeSet | None,
    tell: Phase,
    progress: Callable[[int], None] | None,
    cap: int,
    started: float,
) -> WriteResult:
    """The file loaded once, into a copy of the store beside it, validated there, swapped in.

    The copy starts as hard links to the store's files (no data copied); the
    bulk loader adds the file to it; the SHACL engine validates the copy (the
    store as it would be after the load); only then does the copy replace the
    store, in one directory swap. A refused file leaves the store untouched
    (the copy is removed).
    """
    with _lock:
        copy = ds.side_copy()
        try:
            tell("reading", p.stat().st_size if p.is_file() else None)
            loaded = _Loaded()

            def counted(count: int, graphs_written: list[str]) -> list[ox.Quad]:
                loaded.count, loaded.graphs = count, graphs_written
                return []

            copy.load_path(
                p,
                graph=graph,
                format=format,
                progress=progress,
                base_iri=p.resolve().as_uri(),
                bulk=True,
                afterword=counted,
            )
            tell("normalising", None)
            fixed, moved = _fix_staged(ds, copy) if _may_need_fixing(ds, p, fmt_name) else (0, 0)
            # An N-Triples file the loader took as it is: the engine reads the file itself beside the
            # store (dumping the copy would decode every statement back out of the database).
            as_is = fmt_name == "ntriples" and p.suffix.lower() != ".gz" and not fixed + moved
            report = validate_side_copy(
                shapes or default_shapes(), ds, copy, cap=cap, phase=tell, file=p if as_is else None
            )
            if not report.conforms:
                _lines_of(p, fmt_name, report)
                for f in report.findings:
                    f.source = str(p)
                raise ValidationFailed(report)
            tell("writing", None)
            added = loaded.count
            graphs = sorted(set(loaded.graphs) | ({PRIVATE_GRAPH} if moved else set()))
            change_iri = f"{LCID}change/{_uuid()}"
            copy.apply(
                _history_quads(change_iri, (added, 0), f"file {p.name}", agent, False, graphs, None, None)
            )
            copy.flush()
            ds.take_over(copy)
        finally:
            copy.close()
    return WriteResult(change_iri, added, 0, report, False, time.perf_counter() - started, graphs)


def validate_side_copy(
    shapes: ShapeSet,
    store: Repository,
    copy: Repository,
    *,
    cap: int = REPORT_CAP,
    phase: Phase | None = None,
    file: Path | None = None,
) -> ValidationReport:
    """Validate ``copy`` (the store with a file added); keep results about nodes the file changed.

    A node is kept when the store did not have it, or when the copy holds more
    statements about it (as subject or object) than the store: the file added
    some. Results about nodes the file left alone are about data already there.

    ``file``: an N-Triples file that went into the copy unchanged; the engine
    then reads the store and the file (its blank nodes keep the file's labels
    and are all kept) instead of the copy.
    """
    started = time.perf_counter()
    tell = phase or (lambda _name, _size: None)
    tell("handing over", None)
    text = None
    if file is not None:
        text = union_ntriples(store)
        if _blank_labels(text.encode("utf-8")) & _file_blank_labels(file):
            text = None  # a label the store has too: the engine would join two blank nodes
        else:
            text += file.read_text("utf-8")
    if text is None:
        text = union_ntriples(copy)
    tell("validating", None)
    results = run_turbo(text, shapes, None, lambda: union_graph(copy))
    del text
    tell("reporting", None)
    report = report_from_results(results, shapes.graph, keep=_changed_by_file(store, copy), cap=cap)
    report.mode = "staged"
    report.seconds = time.perf_counter() - started
    return report


_BLANK = re.compile(rb"_:([A-Za-z0-9_\-]+(?:\.+[A-Za-z0-9_\-]+)*)")


def _blank_labels(text: bytes) -> set[bytes]:
    """Every blank node label in N-Triples text (and perhaps some look-alikes inside literals)."""
    return set(_BLANK.findall(text))


def _file_blank_labels(path: Path) -> set[bytes]:
    """:func:`_blank_labels` of a file, read in chunks cut at line ends."""
    labels: set[bytes] = set()
    tail = b""
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 23):
            window = tail + chunk
            cut = window.rfind(b"\n") + 1
            labels |= _blank_labels(window[:cut])
            tail = window[cut:]
    return labels | _blank_labels(tail)


def _changed_by_file(store: Repository, copy: Repository) -> Callable[[str], bool]:
    """Does the copy say more about the node (as written in a report) than the store?"""
    seen: dict[str, bool] = {}

    def count(r: Repository, node: ox.NamedNode | ox.BlankNode) -> int:
        return sum(1 for _ in r.quads(node)) + sum(1 for _ in r.quads(object=node))

    def test(text: str) -> bool:
        if text not in seen:
            if text.startswith("_:"):
                node: ox.NamedNode | ox.BlankNode = ox.BlankNode(text[2:])
            else:
                try:
                    node = ox.NamedNode(text)
                except ValueError:
                    seen[text] = True
                    return True
            in_copy = count(copy, node)
            # A blank node the copy does not have is one of the file's own (labelled as in the file).
            seen[text] = not in_copy or in_copy != count(store, node)
        return seen[text]

    return test


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

    Files from :func:`staged_load_min_bytes` go through :func:`load_validated`
    (``phase`` and ``progress`` report on it). Returns a
    :class:`~lcgraph.validation.guarded.WriteResult`; raises as the two routes do.
    """
    if not path.is_file() or path.stat().st_size < staged_load_min_bytes():
        return load_file(ds, path, graph=graph, format=format, agent=agent)
    return load_validated(ds, path, graph=graph, format=format, agent=agent, phase=phase, progress=progress)
