"""Validated loads of big files: staged on disk, checked whole, committed whole.

For ``lcgraph load`` (and any caller with a big file). The guarded write
path (:func:`lcgraph.validation.guarded.apply_change`) holds the change as
Python quads; past a few megabytes that costs more time and memory than the
data deserve. Here the file never becomes Python objects.

On a local store (:func:`_load_side_copy`), the file is loaded once:

1. a *side copy* of the store is made beside it (hard links, instant:
   :meth:`~lcgraph.store.dataset.OxigraphRepository.side_copy`) and the
   engine's bulk loader reads the file into it, :data:`LOAD_CHUNK` quads per
   call (a syntax error names its line and column; the store is not touched);
2. personal statements (PDPA) are moved to ``lcg:private`` and
   ``http://schema.org/`` IRIs become ``https://schema.org/`` in the copy,
   as the guarded path does for small writes (skipped when a byte search
   shows an N-Triples/N-Quads file holds neither);
3. the SHACL engine validates the copy, the store *as it would be after the
   load*, in batches of focus nodes (:func:`validate_side_copy_batches`:
   each batch with the triples its shapes can read), or whole when
   ``LCGRAPH_STAGED_BATCH_NODES=0`` (:func:`validate_side_copy`; for an
   N-Triples file taken as it is: the store's dump and the file's own
   text). Results about nodes the file added nothing about are about data
   already there and are left out, as incremental validation leaves them
   out;
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

Memory: in batches it follows the batch size (and the bulk loader's
chunk), besides the IRIs the file names and the focus nodes, which are
kept to order and choose the batches; whole, the SHACL engine holds the
store and the file. The engine's validation dominates the time
(``BENCH_LOAD_PHASES=1 python -m bench load``; ``bench/RESULTS.md``).

Known limit: a node already in the store and not named in the file whose
result the file changes only through a path of two or more steps (say a
sequence path ending at a new node) is not reported. None of the shapes in
``shapes/`` has such a path from a node the file cannot mention.
"""

from __future__ import annotations

import gzip
import re
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, cast

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
    to_rdflib,
    triples_graph,
    union_graph,
    union_ntriples,
    validate_triples,
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
from lcgraph.validation.incremental import Targets, collect_reach
from lcgraph.validation.report import (
    REPORT_CAP,
    SEVERITIES,
    ValidationReport,
    ValidationResult,
    report_from_results,
    term_text,
)
from lcgraph.validation.shapes import ShapeSet
from lcgraph.validation.view import ChangeView, Term, Triple

# Quads per call of the engine's bulk loader into a scratch store (side copy, staging): its memory
# follows this, not the file (1.17M triples: peak 2,016 MB in one call, 877 MB in calls of 500,000).
LOAD_CHUNK = 500_000
# IRIs per VALUES block when reading a batch's triples.
_VALUES = 2_000


def staged_load_min_bytes() -> int:
    """`lcgraph load` stages files at least this big (``LCGRAPH_STAGED_LOAD_MIN_BYTES``); smaller ones
    go through the guarded write path."""
    return Settings.from_env().staged_load_min_bytes


def staged_batch_nodes() -> int:
    """How many focus nodes of a side copy are validated at a time (``LCGRAPH_STAGED_BATCH_NODES``; 0: all
    at once, the engine reading the whole store and file)."""
    return Settings.from_env().staged_batch_nodes


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


def _report_node(text: str) -> ox.NamedNode | ox.BlankNode | None:
    """The node a report names (an IRI or ``_:label``), or ``None`` if the text is neither."""
    if text.startswith("_:"):
        return ox.BlankNode(text[2:])
    try:
        return ox.NamedNode(text)
    except ValueError:
        return None


def _touched(staging: Repository) -> Callable[[str], bool]:
    """Is the node (as written in a report) mentioned by the staged file?"""

    def test(text: str) -> bool:
        node = _report_node(text)
        return node is None or staging.has_quad(node) or staging.has_quad(object=node)

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
            p,
            graph=graph,
            format=format,
            progress=progress,
            base_iri=p.resolve().as_uri(),
            bulk=True,
            chunk=LOAD_CHUNK,
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
                chunk=LOAD_CHUNK,
            )
            tell("normalising", None)
            fixed, moved = _fix_staged(ds, copy) if _may_need_fixing(ds, p, fmt_name) else (0, 0)
            # An N-Triples file the loader took as it is: the engine reads the file itself beside the
            # store (dumping the copy would decode every statement back out of the database).
            as_is = fmt_name == "ntriples" and p.suffix.lower() != ".gz" and not fixed + moved
            batch = staged_batch_nodes()
            if batch:
                nodes = FileNodes.read(p, format, fixed=bool(fixed))
                report = validate_side_copy_batches(
                    shapes or default_shapes(), ds, copy, nodes, batch=batch, cap=cap, phase=tell
                )
            else:
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
            node = _report_node(text)
            if node is None:
                seen[text] = True
                return True
            in_copy = count(copy, node)
            # A blank node the copy does not have is one of the file's own (labelled as in the file).
            seen[text] = not in_copy or in_copy != count(store, node)
        return seen[text]

    return test


# -- batch-wise validation of a side copy ------------------------------------------------------


@dataclass
class FileNodes:
    """The IRIs a file names as subject or object, in the order it first names them."""

    order: dict[str, int] = field(default_factory=dict)

    @classmethod
    def read(cls, path: Path, format: str | None = None, *, fixed: bool = False) -> FileNodes:
        """Parse the file again (the engine's parser, nothing kept but the IRIs).

        ``fixed``: ``http://schema.org/`` IRIs were rewritten in the copy; both forms are kept.
        """
        fmt = for_path(path, format)
        order: dict[str, int] = {}
        old, new = str(SCHEMA_HTTP), "https://schema.org/"
        with gzip.open(path, "rb") if path.suffix.lower() == ".gz" else open(path, "rb") as fh:
            source = cast(IO[bytes], fh)
            for item in ox.parse(source, format=fmt.rdf_format, base_iri=path.resolve().as_uri()):
                for term in (item.subject, item.object):
                    if isinstance(term, ox.NamedNode) and term.value not in order:
                        order[term.value] = len(order)
                        if fixed and term.value.startswith(old):
                            order.setdefault(new + term.value[len(old) :], len(order))
        return cls(order)

    def position(self, node: Term) -> int:
        return (
            self.order.get(node.value, len(self.order)) if isinstance(node, ox.NamedNode) else len(self.order)
        )


class _BatchView(ChangeView):
    """The copy as it is, for walking one batch's reach (no change: a read-only stand-in).

    Each node's triples are read once. The batch's focus nodes, then the IRIs
    their triples point at, are read by one query per block of IRIs, which
    the engine writes out as N-Triples and the parser reads back: cheaper
    than a lookup per node, which stays for whatever else the walk reaches.
    """

    def __init__(self, repo: Repository, nodes: Iterable[Term]) -> None:
        super().__init__(repo)
        self._subjects: dict[Term, list[Triple]] = {}
        self._patterns: dict[tuple[Term | None, Term | None], list[Triple]] = {}
        first = self._read_subjects(nodes)
        self._read_subjects({t[2] for t in first if isinstance(t[2], ox.NamedNode)})

    def _read_subjects(self, nodes: Iterable[Term]) -> list[Triple]:
        wanted = [n for n in nodes if isinstance(n, ox.NamedNode) and n not in self._subjects]
        read: list[Triple] = []
        for i in range(0, len(wanted), _VALUES):
            part = wanted[i : i + _VALUES]
            for n in part:
                self._subjects[n] = []
            values = " ".join(str(n) for n in part)
            answer = self.repo.query(
                f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ VALUES ?s {{ {values} }} ?s ?p ?o }}",
                include_private=True,
            )
            if not isinstance(answer, ox.QueryTriples):
                raise TypeError("a CONSTRUCT query answered without triples")
            text = answer.serialize(format=ox.RdfFormat.N_TRIPLES)
            for t in ox.parse(text, format=ox.RdfFormat.N_TRIPLES):
                triple = statement(t)
                self._subjects[triple[0]].append(triple)
                read.append(triple)
        return read

    def triples(self, s: Term | None, p: Term | None, o: Term | None) -> Iterator[Triple]:
        if s is not None:
            found = self._subjects.get(s)
            if found is None:
                found = self._subjects[s] = list(dict.fromkeys(statement(q) for q in self.repo.quads(s)))
            return iter([t for t in found if (p is None or t[1] == p) and (o is None or t[2] == o)])
        key = (p, o)
        found = self._patterns.get(key)
        if found is None:
            found = self._patterns[key] = list(
                dict.fromkeys(statement(q) for q in self.repo.quads(None, p, o))
            )
        return iter(found)


def _focus_of_file(
    shapes: ShapeSet, store: Repository, copy: Repository, nodes: FileNodes
) -> dict[Term, set[int]]:
    """The copy's focus nodes the file changed -> indexes of the shapes that target them.

    The same nodes whole validation of the copy keeps results about
    (:func:`validate_side_copy`): targets the file names (or its blank nodes)
    about which the copy says more than the store.
    """
    targets = Targets(ChangeView(copy))
    changed = _changed_by_file(store, copy)
    verdict: dict[Term, bool] = {}

    def wanted(node: Term) -> bool:
        known = verdict.get(node)
        if known is None:
            if isinstance(node, ox.NamedNode) and node.value not in nodes.order:
                known = False
            elif isinstance(node, ox.Literal):
                known = True  # as whole validation keeps them
            elif not store.has_quad(node) and not store.has_quad(object=node):
                known = True  # new to the store: the file's
            else:
                known = changed(term_text(to_rdflib(node)))
            verdict[node] = known
        return known

    focus: dict[Term, set[int]] = {}
    for i, shape in enumerate(shapes.shapes):
        queries = []
        if shape.classes:
            classes = " ".join(str(c) for c in targets.classes(shape.classes))
            queries.append(f"SELECT DISTINCT ?f WHERE {{ VALUES ?c {{ {classes} }} ?f a ?c }}")
        queries += [
            f"SELECT DISTINCT ?f WHERE {{ ?f {ox.NamedNode(p)} ?v }}" for p in sorted(shape.subjects_of)
        ]
        queries += [
            f"SELECT DISTINCT ?f WHERE {{ ?v {ox.NamedNode(p)} ?f }}" for p in sorted(shape.objects_of)
        ]
        for node in shape.nodes:  # sh:targetNode: kept as whole validation keeps them
            if isinstance(node, ox.Literal) or changed(term_text(to_rdflib(node))):
                focus.setdefault(node, set()).add(i)
        found: list[Term] = []
        for q in queries:
            answer = copy.query(q, include_private=True)
            if not isinstance(answer, ox.QuerySolutions):
                raise TypeError("a SELECT query answered without solutions")
            found.extend(row["f"] for row in answer)
        for node in found:
            if wanted(node):
                focus.setdefault(node, set()).add(i)
    return focus


def validate_side_copy_batches(
    shapes: ShapeSet,
    store: Repository,
    copy: Repository,
    nodes: FileNodes,
    *,
    batch: int,
    cap: int = REPORT_CAP,
    phase: Phase | None = None,
    engine: str | None = None,
) -> ValidationReport:
    """:func:`validate_side_copy`, ``batch`` focus nodes at a time: memory follows the batch.

    The focus nodes (the copy's targets the file changed) are taken in the
    order the file names them. For each batch, the triples their shapes can
    read (the shapes' reach, as incremental validation walks it: paths,
    ``sh:node``/``sh:class`` links, SPARQL constraint patterns) are read from
    the copy and handed to the SHACL engine with those shapes; results about
    the batch's nodes are kept, counted and summarised, and the rest is let
    go before the next batch. A result depends only on triples in its focus
    node's reach, so this equals validating the copy whole
    (``tests/test_bulk_load.py`` compares the two).
    """
    started = time.perf_counter()
    tell = phase or (lambda _name, _size: None)
    tell("handing over", None)
    focus = _focus_of_file(shapes, store, copy, nodes)
    order = sorted(focus, key=lambda n: (nodes.position(n), str(n)))
    tell("validating", None)
    merged = _MergedReport(cap)
    for start in range(0, len(order), batch):
        part = order[start : start + batch]
        by_shape: dict[int, set[Term]] = {}
        for n in part:
            for i in focus[n]:
                by_shape.setdefault(i, set()).add(n)
        reach = collect_reach(shapes, _BatchView(copy, part), by_shape)
        results = validate_triples(reach, shapes, [shapes.shapes[i] for i in sorted(by_shape)], engine=engine)
        del reach
        keep = {term_text(to_rdflib(n)) for n in part}
        merged.add(report_from_results(results, shapes.graph, keep=keep.__contains__, cap=cap))
    tell("reporting", None)
    report = merged.report()
    report.mode = "staged"
    report.seconds = time.perf_counter() - started
    return report


class _MergedReport:
    """Batch reports added up: at most ``cap`` results listed, every one counted and summarised."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.findings: list[ValidationResult] = []
        self.totals = dict.fromkeys(SEVERITIES, 0)
        self.groups: dict[tuple[str, ...], dict[str, Any]] = {}
        self.focus_nodes = 0

    def add(self, part: ValidationReport) -> None:
        for s in SEVERITIES:
            self.totals[s] += part.count(s)
        self.focus_nodes += part.focus_nodes
        if part.truncated:
            entries = [dict(g) for g in part.summary]
        else:
            entries = [
                {
                    "count": 1,
                    "severity": f.severity,
                    "shape": f.shape,
                    "constraint": f.constraint,
                    "path": f.path,
                    "message": {"th": f.message_th, "en": f.message_en},
                    "example": f.focus_node,
                }
                for f in part.findings
            ]
        for entry in entries:
            key = tuple(str(entry.get(k)) for k in ("severity", "shape", "constraint", "path"))
            held = self.groups.get(key)
            if held is None:
                self.groups[key] = entry
            else:
                held["count"] += entry["count"]
        self.findings = sorted(
            [*self.findings, *part.findings],
            key=lambda f: (SEVERITIES.index(f.severity), f.focus_node or "", f.path or ""),
        )[: self.cap]

    def report(self) -> ValidationReport:
        report = ValidationReport(mode="staged", focus_nodes=self.focus_nodes)
        report.findings = list(self.findings)
        if sum(self.totals.values()) > self.cap:
            report.totals = dict(self.totals)
            report.summary = sorted(self.groups.values(), key=lambda g: -int(g["count"]))
        return report


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
