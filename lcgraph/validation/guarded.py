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

Every write is checked against the access model (:mod:`lcgraph.access`):
a quad in a graph the caller may not write is refused (403) before anything
is validated or written; so is a string value that the private graph holds,
written anywhere public.

What is validated is what is committed: the commit writes the very quads
that were validated (blank nodes keep their identities). A change that only
adds quads is written as quads in one engine transaction, with its history
record. One known limit, for changes that also remove: quads with blank
nodes cannot be said in SPARQL text, so they are written in a second engine
transaction right after the first, and a reader could see
the moment between.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pyoxigraph as ox

from lcgraph.access import PRIVATE_GRAPH, SYSTEM, Access, AccessDenied
from lcgraph.budget import checkpoint
from lcgraph.namespaces import DCT, GRAPH_HISTORY, LC, LCID, PROV, RDF, RDFS, SCHEMA, SCHEMA_HTTP, XSD
from lcgraph.personal import PersonalFilter, route_personal
from lcgraph.store.dataset import PRIVATE, stored
from lcgraph.store.graph_names import graph_iri, graph_node
from lcgraph.store.repository import Repository
from lcgraph.validation.files import parse_file
from lcgraph.validation.incremental import validate_change
from lcgraph.validation.report import ValidationReport
from lcgraph.validation.shapes import DEFAULT_SHAPES_DIR, ShapeSet, load_shapes
from lcgraph.validation.updates import update_change
from lcgraph.validation.view import StoreProbe

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
    """The effective change: what is really new, what is really removed, and graph operations."""

    add: set[ox.Quad]
    remove: set[ox.Quad]
    clear: set[ox.NamedNode] = field(default_factory=set)
    drop: set[ox.NamedNode] = field(default_factory=set)
    create: set[ox.NamedNode] = field(default_factory=set)

    def graphs(self) -> set[ox.NamedNode]:
        touched = {q.graph_name for q in self.add | self.remove}
        return {g for g in touched | self.clear | self.drop | self.create if isinstance(g, ox.NamedNode)}

    def is_empty(self) -> bool:
        return not (self.add or self.remove or self.clear or self.drop or self.create)


def _normalise(q: ox.Quad) -> ox.Quad:
    """``http://schema.org/`` -> ``https://schema.org/`` in every IRI of the quad."""
    old, new = str(SCHEMA_HTTP), str(SCHEMA)

    def fix(t: object) -> object:
        if isinstance(t, ox.NamedNode) and t.value.startswith(old):
            return ox.NamedNode(new + t.value[len(old) :])
        return t

    q = stored(q)
    if old not in str(q):
        return q
    return ox.Quad(fix(q.subject), fix(q.predicate), fix(q.object), fix(q.graph_name))  # type: ignore[arg-type]


def compute_change(
    ds: Repository,
    add_quads: Iterable[ox.Quad],
    remove_quads: Iterable[ox.Quad],
    *,
    clear: Iterable[ox.NamedNode] = (),
    drop: Iterable[ox.NamedNode] = (),
    create: Iterable[ox.NamedNode] = (),
    probe: StoreProbe | None = None,
) -> Change:
    """Turn requested adds, removes and graph operations into the effective change on the store now.

    ``probe`` (shared with the validation that follows) knows which subjects the store holds: a
    quad about a subject it has never seen is new without asking for the quad itself.
    """
    probe = probe or StoreProbe(ds)
    emptied = {*clear, *drop}
    wanted_add = {_normalise(q) for q in add_quads}
    wanted_remove = {stored(q) for q in remove_quads}
    for g in emptied:
        wanted_remove.update(ds.quads(graph=g))
    wanted_remove = {q for q in wanted_remove if ds.contains(q)}
    has_subject = probe.has_subject
    add = {q for q in wanted_add if q in wanted_remove or not has_subject(q.subject) or not ds.contains(q)}
    keep = {q for q in add if q in wanted_remove}
    # A quad both removed and added stays, unless its graph is emptied (then it is written back).
    add -= {q for q in keep if q.graph_name not in emptied}
    remove = wanted_remove - {q for q in keep if q.graph_name not in emptied}
    existing = {g for g in emptied | set(create) if ds.has_graph(g.value)}
    return Change(
        add,
        remove,
        clear={g for g in clear if g in existing},
        drop={g for g in drop if g in existing},
        create={g for g in create if not ds.has_graph(g.value)},
    )


def check_change(
    ds: Repository,
    *,
    add_quads: Iterable[ox.Quad] = (),
    remove_quads: Iterable[ox.Quad] = (),
    shapes: ShapeSet | None = None,
    access: Access = SYSTEM,
    probe: StoreProbe | None = None,
) -> ValidationReport:
    """Validate a change without writing it (``lcgraph validate``, ``POST /validate``).

    A caller who may not read the private graph is answered from the store
    without it, so the report cannot tell them anything about personal data.
    ``probe``: what the caller already asked the store about the change's nodes.
    """
    if probe is None or not probe.usable(ds, ds.version()):
        probe = StoreProbe(ds)
    change = compute_change(ds, add_quads, remove_quads, probe=probe)
    checkpoint()
    hidden = () if access.may_read(PRIVATE_GRAPH) else (PRIVATE,)
    return validate_change(
        shapes or default_shapes(), ds, change.add, change.remove, hidden=hidden, probe=probe
    )


def _route_personal(ds: Repository, quads: Iterable[ox.Quad]) -> tuple[list[ox.Quad], set[ox.Quad]]:
    """Personal statements (PDPA) land in ``lcg:private`` whichever graph they were sent to.

    Returns the quads and the set of those the write path moved there.
    """
    given = [stored(q) for q in quads]
    routed = list(route_personal(given, PersonalFilter(ds, extra_types=given)))
    moved = {r for g, r in zip(given, routed, strict=True) if g != r}
    return routed, moved


def _check_access(
    ds: Repository, change: Change, access: Access, routed: set[ox.Quad], private_ok: bool = False
) -> None:
    """Refuse (403) a change that touches a graph the caller may not write, or publishes a personal value."""
    if access.system:
        return
    for q in change.add:
        access.check_write(graph_iri(q.graph_name), routed=q in routed or private_ok)
    for q in change.remove:
        access.check_write(graph_iri(q.graph_name), routed=private_ok)
    for g in change.clear | change.drop | change.create:
        access.check_write(g.value)
    # A personal value copied under another predicate or onto another subject stays personal.
    for q in change.add:
        o = q.object
        if q.graph_name == PRIVATE or not isinstance(o, ox.Literal) or o.datatype.value not in _STRINGS:
            continue
        for _ in ds.quads(object=o, graph=PRIVATE):
            raise AccessDenied(
                f"the value {o} is personal data (PDPA) held in the private graph; it may not be "
                f"written to <{graph_iri(q.graph_name)}>, where people without the read-private scope read it"
            )


_STRINGS = {
    "http://www.w3.org/2001/XMLSchema#string",
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString",
}


def apply_change(
    ds: Repository,
    *,
    add_quads: Iterable[ox.Quad] = (),
    remove_quads: Iterable[ox.Quad] = (),
    clear: Iterable[ox.NamedNode] = (),
    drop: Iterable[ox.NamedNode] = (),
    create: Iterable[ox.NamedNode] = (),
    source: str = "unknown",
    agent: str | None = None,
    force: bool = False,
    shapes: ShapeSet | None = None,
    informed_by: str | None = None,
    access: Access = SYSTEM,
    private_ok: bool = False,
    probe: StoreProbe | None = None,
) -> WriteResult:
    """Validate and commit a change (see the module docstring for the contract).

    ``private_ok``: the caller (the importer) replaces the personal statements of the
    entities it writes, so a write token may change the private graph for it.
    ``probe``: what the caller already asked the store about the change's nodes (the
    importer's); it is used only if the store has not changed since.
    """
    started = time.perf_counter()
    with _lock:
        # What is checked is what is committed: another process writing the same store in
        # between makes the commit fail (ConcurrentChange, 409) instead of landing unchecked.
        version = ds.version()
        add_list, routed = _route_personal(ds, add_quads)
        if probe is None or not probe.usable(ds, version):
            probe = StoreProbe(ds, version)
        change = compute_change(
            ds, add_list, remove_quads, clear=clear, drop=drop, create=create, probe=probe
        )
        _check_access(ds, change, access, routed, private_ok)
        # A caller who may not read personal data is validated on the public view: whether a
        # write is refused must not tell them what the private graph holds.
        hidden = () if access.may_read(PRIVATE_GRAPH) else (PRIVATE,)
        report = validate_change(
            shapes or default_shapes(), ds, change.add, change.remove, hidden=hidden, probe=probe
        )
        if not report.conforms:
            if not force:
                raise ValidationFailed(report)
            log.warning(
                "FORCED write by %s from %s despite %d violation(s)",
                agent or "anonymous",
                source,
                report.count("Violation"),
            )
        if change.is_empty():
            return WriteResult(
                None, 0, 0, report, force and not report.conforms, time.perf_counter() - started
            )
        change_iri = f"{LCID}change/{uuid.uuid4().hex}"
        graphs = sorted(g.value for g in change.graphs())
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
        ds.apply(
            [*change.add, *history],
            change.remove,
            clear=change.clear,
            drop=change.drop,
            create=change.create,
            expect_version=version,
        )
        return WriteResult(
            change_iri,
            len(change.add),
            len(change.remove),
            report,
            force and not report.conforms,
            time.perf_counter() - started,
            graphs,
        )


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
    quads += [q(c, LC.changedGraph, ox.NamedNode(name)) for name in graphs]
    if forced:
        quads.append(q(c, LC.forced, ox.Literal("true", datatype=ox.NamedNode(str(XSD.boolean)))))
        if violations is not None:
            quads.append(q(c, LC.violations, ox.Literal(str(violations), datatype=integer)))
    if informed_by:
        quads.append(q(c, PROV.wasInformedBy, ox.NamedNode(informed_by)))
    return quads


def apply_update(
    ds: Repository,
    sparql: str,
    *,
    base_iri: str | None = None,
    agent: str | None = None,
    force: bool = False,
    shapes: ShapeSet | None = None,
    access: Access = SYSTEM,
    using: tuple[list[str], list[str]] | None = None,
) -> WriteResult:
    """Validate and commit a SPARQL 1.1 Update, evaluated on the caller's view (see the module docstring).

    ``using``: the protocol's ``using-graph-uri`` and ``using-named-graph-uri`` lists.
    """
    with _lock:
        effect = update_change(ds, sparql, base_iri=base_iri, access=access, using=using)
        return apply_change(
            ds,
            add_quads=effect.add,
            remove_quads=effect.remove,
            clear=effect.clear,
            drop=effect.drop,
            create=effect.create,
            source="SPARQL UPDATE",
            agent=agent,
            force=force,
            shapes=shapes,
            access=access,
        )


def load_file(
    ds: Repository,
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
    quads = parse_file(path, graph=graph, format=format)
    remove: list[ox.Quad] = []
    if replace:
        remove = list(ds.quads(graph=graph_node(graph)))
    return apply_change(
        ds, add_quads=quads, remove_quads=remove, source=f"file {Path(path).name}", agent=agent, force=force
    )


def forced_load_record(*, source: str, agent: str | None) -> Callable[[int, list[str]], list[ox.Quad]]:
    """The history record of a bulk load an administrator forced past validation (``lcgraph load --force``).

    Returned as an afterword for :meth:`Dataset.load_path`, so the record is
    written in the same bulk load as the data (a load killed at any moment
    leaves both or neither). The change-set is marked ``lc:forced`` without a
    violation count (none was taken) and names every graph the file wrote.
    """

    def record(added: int, graphs: list[str]) -> list[ox.Quad]:
        change_iri = f"{LCID}change/{uuid.uuid4().hex}"
        log.warning(
            "forced bulk load without validation: %s by %s, %d triples", source, agent or "anonymous", added
        )
        return _history_quads(change_iri, (added, 0), source, agent, True, graphs, None, None)

    return record


# -- pruning the history: the one explicit, recorded edit of lcg:history ----------------------------


@dataclass(frozen=True)
class PruneResult:
    """What a history prune removed, and the change-set that records it."""

    change: str
    before: str
    change_sets: int
    triples: int

    def to_json(self) -> dict[str, object]:
        return {
            "change": self.change,
            "before": self.before,
            "removed_change_sets": self.change_sets,
            "removed_triples": self.triples,
        }


def prune_history(ds: Repository, before: dt.datetime, *, agent: str | None) -> PruneResult:
    """Remove the change-sets that ended before ``before``; record the prune as a change-set of its own.

    For administrators (``POST /admin/history/prune``, ``lcgraph history
    prune``): the history is otherwise append-only. The record (``lc:HistoryPrune``,
    a change-set) says who pruned, when, up to which time, and how many
    change-sets and triples went; it is written in the same transaction as
    the removal, and prune records themselves are never pruned. Agents that no
    remaining change-set names go too. Raises ``ValueError`` for a time in the future.
    """
    if before.tzinfo is None:
        before = before.replace(tzinfo=dt.UTC)
    if before > dt.datetime.now(dt.UTC):
        raise ValueError(f"{before.isoformat()} is in the future: only past change-sets can be pruned")
    history = ox.NamedNode(str(GRAPH_HISTORY))
    stamp = ox.Literal(before.isoformat().replace("+00:00", "Z"), datatype=ox.NamedNode(str(XSD.dateTime)))
    with _lock:
        version = ds.version()
        remove = _pruned_quads(ds, history, stamp)
        pruned = {q.subject for q in remove}
        if pruned:
            remove += _orphaned_agents(ds, history, pruned, agent)
        change_iri = f"{LCID}change/prune-{uuid.uuid4().hex}"
        record = _history_quads(
            change_iri, (0, len(remove)), f"history prune before {stamp.value}", agent, False,
            [str(GRAPH_HISTORY)], None, None,
        )  # fmt: skip
        c = ox.NamedNode(change_iri)
        removed = ox.Literal(str(len(pruned)), datatype=ox.NamedNode(str(XSD.integer)))
        record += [
            ox.Quad(c, ox.NamedNode(str(p)), o, history)
            for p, o in (
                (RDF.type, ox.NamedNode(str(LC.HistoryPrune))),
                (LC.prunedBefore, stamp),
                (LC.changeSetsRemoved, removed),
            )
        ]
        ds.apply(record, remove, expect_version=version)
    log.warning(
        "HISTORY PRUNE by %s: %d change-sets (%d triples) before %s removed; recorded as %s",
        agent or "anonymous", len(pruned), len(remove), stamp.value, change_iri,
    )  # fmt: skip
    return PruneResult(change_iri, stamp.value, len(pruned), len(remove))


def _pruned_quads(ds: Repository, history: ox.NamedNode, before: ox.Literal) -> list[ox.Quad]:
    """Every triple of the change-sets (not prune records) that ended before ``before``."""
    query = (
        f"SELECT ?c ?p ?o WHERE {{ GRAPH {history} {{ ?c a <{LC.ChangeSet}> ; <{PROV.endedAtTime}> ?t ."
        f" FILTER(?t < {before}) FILTER NOT EXISTS {{ ?c a <{LC.HistoryPrune}> }} ?c ?p ?o }} }}"
    )
    return [ox.Quad(r["c"], r["p"], r["o"], history) for r in ds.select(query)]


def _orphaned_agents(ds: Repository, history: ox.NamedNode, pruned: set, agent: str | None) -> list[ox.Quad]:
    """The triples of agents whom only pruned change-sets name (the pruning agent stays)."""
    associated = ox.NamedNode(str(PROV.wasAssociatedWith))
    rows = ds.select(f"SELECT ?c ?a WHERE {{ GRAPH {history} {{ ?c {associated} ?a }} }}")
    named_by_pruned = {r["a"] for r in rows if r["c"] in pruned}
    still_named = {r["a"] for r in rows if r["c"] not in pruned} | {ox.NamedNode(agent_iri(agent))}
    orphans = sorted((a for a in named_by_pruned - still_named if isinstance(a, ox.NamedNode)), key=str)
    if not orphans:
        return []
    values = " ".join(str(a) for a in orphans)
    query = f"SELECT ?a ?p ?o WHERE {{ VALUES ?a {{ {values} }} GRAPH {history} {{ ?a ?p ?o }} }}"
    return [ox.Quad(r["a"], r["p"], r["o"], history) for r in ds.select(query)]
