"""The one guarded write path: compute the change, validate it, commit it whole.

For every module that writes to the store: the CLI (``lcgraph load``), the
Graph Store Protocol and SPARQL UPDATE routes, and the importer.

Contract
--------
``apply_change(ds, *, add_quads, remove_quads, source, agent, force=False)``
    ``add_quads``/``remove_quads`` are pyoxigraph quads (any graph). Quads
    already present are not added again; quads not present are not removed;
    a quad in both lists stays. ``http://schema.org/`` IRIs in added quads are
    normalised to ``https://schema.org/``. The store as it would be after the
    change is validated against ``shapes/`` *incrementally* (only the focus
    nodes the change can affect; see :mod:`lcgraph.validation.incremental`).

    * No Violation: the change and its history record (a PROV activity in
      ``lcg:history``) are committed in ONE engine transaction, and a
      :class:`WriteResult` comes back (warnings and infos in ``.report``).
    * A Violation: :class:`ValidationFailed` is raised carrying the
      :class:`~lcgraph.validation.report.ValidationReport`; the store is
      untouched. The HTTP layer answers 422 with ``exc.report.to_json()``.
    * ``force=True`` (administrators only; the caller checks the role)
      commits despite Violations; the write is logged on the
      ``lcgraph.writes`` logger and its history record says ``lc:forced true``.

``apply_update(ds, sparql, *, base_iri=None, agent=None, force=False)``
    Works out what a SPARQL 1.1 Update would add and remove without running it
    (:mod:`lcgraph.validation.updates`), then calls ``apply_change``. Raises
    :class:`~lcgraph.validation.updates.UpdateNotSupported` (HTTP 400) for
    ``LOAD`` and :class:`UpdateSyntaxError` (HTTP 400) for bad syntax.

``check_change(ds, *, add_quads, remove_quads)``
    The same validation without writing (dry runs).

Writes from this process are serialised by one lock, so two writes cannot
both validate against the state before the other.

One known limit: removing single blank-node quads (not a whole graph) cannot
be said in ``DELETE DATA``; those few are removed right after the
transaction, so a reader could see the moment between.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pyoxigraph as ox

from lcgraph.namespaces import DCT, GRAPH_HISTORY, LC, LCID, PROV, RDF, RDFS, SCHEMA, SCHEMA_HTTP, XSD
from lcgraph.validation.incremental import validate_change
from lcgraph.validation.report import ValidationReport
from lcgraph.validation.shapes import DEFAULT_SHAPES_DIR, ShapeSet, load_shapes

log = logging.getLogger("lcgraph.writes")

_lock = threading.RLock()


class ValidationFailed(Exception):
    """A write was refused because the data would break a shape (HTTP 422)."""

    def __init__(self, report: ValidationReport) -> None:
        self.report = report
        super().__init__(report.text(limit=5))


@dataclass
class WriteResult:
    """What an accepted write did."""

    change: str | None
    added: int
    removed: int
    report: ValidationReport
    forced: bool = False
    seconds: float = 0.0
    graphs: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        return {
            "change": self.change,
            "added": self.added,
            "removed": self.removed,
            "forced": self.forced,
            "graphs": self.graphs,
            "seconds": round(self.seconds, 4),
            "report": self.report.to_json(),
        }


@lru_cache(maxsize=4)
def _cached_shapes(path: str) -> ShapeSet:
    return load_shapes(Path(path))


def default_shapes() -> ShapeSet:
    """The repository's shapes (read once per process)."""
    return _cached_shapes(str(DEFAULT_SHAPES_DIR))


@dataclass
class Change:
    """The effective change: what is really new, what is really removed, which graphs empty out."""

    add: set[ox.Quad]
    remove: set[ox.Quad]
    clear: list[ox.NamedNode | ox.DefaultGraph]
    keep: set[ox.Quad]  # present, re-inserted after a clear


def _normalise(q: ox.Quad) -> ox.Quad:
    """``http://schema.org/`` -> ``https://schema.org/`` in every IRI of the quad."""
    old, new = str(SCHEMA_HTTP), str(SCHEMA)

    def fix(t: object) -> object:
        if isinstance(t, ox.NamedNode) and t.value.startswith(old):
            return ox.NamedNode(new + t.value[len(old) :])
        return t

    if old not in str(q):
        return q
    return ox.Quad(fix(q.subject), fix(q.predicate), fix(q.object), fix(q.graph_name))  # type: ignore[arg-type]


def compute_change(ds: object, add_quads: Iterable[ox.Quad], remove_quads: Iterable[ox.Quad]) -> Change:
    """Turn requested adds and removes into the effective change on the store now."""
    store: ox.Store = ds.store  # type: ignore[attr-defined]
    wanted_add = {_normalise(q) for q in add_quads}
    wanted_remove = {q for q in remove_quads if q in store}
    per_graph: dict[ox.NamedNode | ox.DefaultGraph, int] = defaultdict(int)
    for q in wanted_remove:
        per_graph[q.graph_name] += 1
    clear = [g for g in per_graph if _all_removed(store, g, wanted_remove)]
    cleared = set(clear)
    add = {q for q in wanted_add if q not in store or q in wanted_remove}
    keep = {q for q in add if q in wanted_remove}
    add -= keep
    remove = wanted_remove - keep
    # Quads kept in a cleared graph must be written back after the CLEAR.
    keep = {q for q in keep if q.graph_name in cleared}
    return Change(add, remove, clear, keep)


def _all_removed(store: ox.Store, graph: ox.NamedNode | ox.DefaultGraph, removing: set[ox.Quad]) -> bool:
    """True if every quad of ``graph`` is being removed (stops at the first one that is not)."""
    return all(q in removing for q in store.quads_for_pattern(None, None, None, graph))


def check_change(
    ds: object,
    *,
    add_quads: Iterable[ox.Quad] = (),
    remove_quads: Iterable[ox.Quad] = (),
    shapes: ShapeSet | None = None,
) -> ValidationReport:
    """Validate a change without writing it (``lcgraph validate``, ``POST /validate``)."""
    change = compute_change(ds, add_quads, remove_quads)
    return validate_change(shapes or default_shapes(), ds.store, change.add, change.remove)  # type: ignore[attr-defined]


def _route_personal(ds: object, quads: Iterable[ox.Quad]) -> list[ox.Quad]:
    """Personal statements (PDPA) land in ``lcg:private`` whichever graph they were sent to."""
    from lcgraph.publish.privacy import PersonalFilter, route_personal

    given = list(quads)
    return list(route_personal(given, PersonalFilter(ds, extra_types=given)))  # type: ignore[arg-type]


def apply_change(
    ds: object,
    *,
    add_quads: Iterable[ox.Quad] = (),
    remove_quads: Iterable[ox.Quad] = (),
    source: str = "unknown",
    agent: str | None = None,
    force: bool = False,
    shapes: ShapeSet | None = None,
    informed_by: str | None = None,
) -> WriteResult:
    """Validate and commit a change (see the module docstring for the contract)."""
    started = time.perf_counter()
    with _lock:
        add_quads = _route_personal(ds, add_quads)
        change = compute_change(ds, add_quads, remove_quads)
        store: ox.Store = ds.store  # type: ignore[attr-defined]
        report = validate_change(shapes or default_shapes(), store, change.add, change.remove)
        if not report.conforms:
            if not force:
                raise ValidationFailed(report)
            log.warning(
                "FORCED write by %s from %s despite %d violation(s)",
                agent or "anonymous",
                source,
                report.count("Violation"),
            )
        if not change.add and not change.remove:
            return WriteResult(
                None, 0, 0, report, force and not report.conforms, time.perf_counter() - started
            )
        change_iri = f"{LCID}change/{uuid.uuid4().hex}"
        graphs = sorted({_graph_label(q.graph_name) for q in change.add | change.remove})
        history = _history_quads(
            change_iri,
            (len(change.add), len(change.remove)),
            source,
            agent,
            force and not report.conforms,
            graphs,
            informed_by,
            report.count("Violation"),
        )
        _commit(store, change, history)
        return WriteResult(
            change_iri,
            len(change.add),
            len(change.remove),
            report,
            force and not report.conforms,
            time.perf_counter() - started,
            graphs,
        )


def _graph_label(g: ox.NamedNode | ox.DefaultGraph) -> str:
    return g.value if isinstance(g, ox.NamedNode) else "default"


def _data_block(quads: Iterable[ox.Quad]) -> str:
    """Quads as the body of ``INSERT DATA``/``DELETE DATA`` (the engine writes the terms)."""
    by_graph: dict[ox.NamedNode | ox.DefaultGraph, list[ox.Triple]] = defaultdict(list)
    for q in quads:
        by_graph[q.graph_name].append(ox.Triple(q.subject, q.predicate, q.object))
    parts = []
    for g, triples in by_graph.items():
        body = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES).decode("utf-8")
        parts.append(body if isinstance(g, ox.DefaultGraph) else f"GRAPH {g} {{\n{body}}}")
    return "\n".join(parts)


def _has_blank(q: ox.Quad) -> bool:
    return isinstance(q.subject, ox.BlankNode) or isinstance(q.object, ox.BlankNode)


def _commit(store: ox.Store, change: Change, history: list[ox.Quad]) -> None:
    """One update request = one engine transaction."""
    cleared = set(change.clear)
    removals = [q for q in change.remove if q.graph_name not in cleared]
    blank_removals = [q for q in removals if _has_blank(q)]
    plain_removals = [q for q in removals if not _has_blank(q)]
    ops = [
        ("CLEAR SILENT DEFAULT" if isinstance(g, ox.DefaultGraph) else f"CLEAR SILENT GRAPH {g}")
        for g in change.clear
    ]
    if plain_removals:
        ops.append("DELETE DATA {\n" + _data_block(plain_removals) + "\n}")
    inserts = list(change.add) + list(change.keep) + history
    existing_blanks = _existing_blank_nodes(store, change.add)
    if existing_blanks:
        # INSERT DATA would mint fresh blank nodes; these must stay linked to stored ones.
        linked = [q for q in change.add if _has_blank(q) and _blanks(q) & existing_blanks]
        inserts = [q for q in inserts if q not in set(linked)]
    else:
        linked = []
    if inserts:
        ops.append("INSERT DATA {\n" + _data_block(inserts) + "\n}")
    if ops:
        store.update(" ;\n".join(ops))
    for q in blank_removals:
        store.remove(q)
    if linked:
        store.extend(linked)


def _blanks(q: ox.Quad) -> set[ox.BlankNode]:
    return {t for t in (q.subject, q.object) if isinstance(t, ox.BlankNode)}


def _existing_blank_nodes(store: ox.Store, quads: Iterable[ox.Quad]) -> set[ox.BlankNode]:
    found: set[ox.BlankNode] = set()
    for q in quads:
        for b in _blanks(q):
            if b in found:
                continue
            for _ in store.quads_for_pattern(b, None, None, None):
                found.add(b)
                break
            else:
                for _ in store.quads_for_pattern(None, None, b, None):
                    found.add(b)
                    break
    return found


def agent_iri(agent: str | None) -> str:
    """The IRI recorded for whoever made a write (a name becomes ``lcid:agent/{name}``)."""
    name = (agent or "anonymous").strip() or "anonymous"
    if name.startswith(("http://", "https://", "urn:")):
        return name
    safe = "".join(c if c.isalnum() or c in "-._~" else "-" for c in name)
    return f"{LCID}agent/{safe}"


def _now() -> ox.Literal:
    stamp = dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return ox.Literal(stamp, datatype=ox.NamedNode(str(XSD.dateTime)))


def _history_quads(
    change_iri: str,
    counts: tuple[int, int],
    source: str,
    agent: str | None,
    forced: bool,
    graphs: list[str],
    informed_by: str | None,
    violations: int | None,
) -> list[ox.Quad]:
    """The change-set as a PROV activity in ``lcg:history``."""
    g = ox.NamedNode(str(GRAPH_HISTORY))
    c = ox.NamedNode(change_iri)
    who = ox.NamedNode(agent_iri(agent))
    integer = ox.NamedNode(str(XSD.integer))

    def q(s: ox.NamedNode, p: object, o: object) -> ox.Quad:
        return ox.Quad(s, ox.NamedNode(str(p)), o, g)  # type: ignore[arg-type]

    now = _now()
    quads = [
        q(c, RDF.type, ox.NamedNode(str(PROV.Activity))),
        q(c, RDF.type, ox.NamedNode(str(LC.ChangeSet))),
        q(c, PROV.wasAssociatedWith, who),
        q(c, PROV.startedAtTime, now),
        q(c, PROV.endedAtTime, now),
        q(c, LC.triplesAdded, ox.Literal(str(counts[0]), datatype=integer)),
        q(c, LC.triplesRemoved, ox.Literal(str(counts[1]), datatype=integer)),
        q(c, DCT.source, ox.Literal(source)),
        q(who, RDF.type, ox.NamedNode(str(PROV.Agent))),
        q(who, RDFS.label, ox.Literal((agent or "anonymous").strip() or "anonymous")),
    ]
    quads += [q(c, LC.changedGraph, ox.NamedNode(name)) for name in graphs if name != "default"]
    if forced:
        quads.append(q(c, LC.forced, ox.Literal("true", datatype=ox.NamedNode(str(XSD.boolean)))))
        if violations is not None:
            quads.append(q(c, LC.violations, ox.Literal(str(violations), datatype=integer)))
    if informed_by:
        quads.append(q(c, PROV.wasInformedBy, ox.NamedNode(informed_by)))
    return quads


def apply_update(
    ds: object,
    sparql: str,
    *,
    base_iri: str | None = None,
    agent: str | None = None,
    force: bool = False,
    shapes: ShapeSet | None = None,
) -> WriteResult:
    """Validate and commit a SPARQL 1.1 Update (see the module docstring)."""
    from lcgraph.validation.updates import update_change

    with _lock:
        add, remove = update_change(ds, sparql, base_iri=base_iri)
        return apply_change(
            ds,
            add_quads=add,
            remove_quads=remove,
            source="SPARQL UPDATE",
            agent=agent,
            force=force,
            shapes=shapes,
        )


def load_file(
    ds: object,
    path: str | Path,
    *,
    graph: str | None = None,
    format: str | None = None,
    agent: str | None = None,
    force: bool = False,
    replace: bool = False,
) -> WriteResult:
    """``lcgraph load`` through the guarded path: parse (errors name line/column), validate, commit.

    ``replace=True`` makes the target graph hold exactly the file's triples.
    """
    from lcgraph.validation.files import parse_file

    quads = parse_file(path, graph=graph, format=format)
    remove: list[ox.Quad] = []
    if replace:
        target = ox.NamedNode(graph) if graph else ox.DefaultGraph()
        remove = list(ds.store.quads_for_pattern(None, None, None, target))  # type: ignore[attr-defined]
    return apply_change(
        ds, add_quads=quads, remove_quads=remove, source=f"file {Path(path).name}", agent=agent, force=force
    )


def record_unchecked_load(
    ds: object, *, source: str, agent: str | None, added: int, graphs: list[str]
) -> str:
    """Record a bulk load that an administrator forced past validation (``lcgraph load --force``).

    Big files go through the engine's bulk loader, which is atomic but does not
    pass through :func:`apply_change`; this keeps the history complete. The
    change-set is marked ``lc:forced`` without a violation count (none was taken).
    """
    change_iri = f"{LCID}change/{uuid.uuid4().hex}"
    quads = _history_quads(change_iri, (added, 0), source, agent, True, graphs, None, None)
    ds.store.extend(quads)  # type: ignore[attr-defined]
    log.warning(
        "forced bulk load without validation: %s by %s, %d triples", source, agent or "anonymous", added
    )
    return change_iri
