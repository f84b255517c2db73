"""What a SPARQL 1.1 Update would change, worked out without running it.

For the guarded write path (``apply_update``). rdflib's SPARQL parser reads
the request: each operation's kind, its ``WITH``, ``USING`` and ``USING
NAMED``, its templates and its ``WHERE`` come from the parsed operation
itself. Two parts of the text go to the engine verbatim instead:

* the body of each ``INSERT DATA`` / ``DELETE DATA``, which the engine parses
  into quads (rdflib's parser needs seconds to minutes per thousand triples,
  the engine milliseconds: ``bench/bench_updates.py``);
* the group of each ``… WHERE { … }``, which the engine evaluates as
  ``SELECT * WHERE { … }`` with the operation's dataset on the caller's view
  (the pattern of ``DELETE WHERE`` is its parsed template, written back).

Before rdflib reads the request, the one SPARQL lexer
(:func:`lcgraph.store.dataset_clause.update_groups`) finds those groups and
each is replaced by a placeholder triple naming it, so every parsed operation
carries its own data or WHERE group: nothing is paired by position. The
engine checks the syntax of this outline and of every group before any
access check or evaluation. The templates are filled with the solutions; the
graph operations (CLEAR, DROP, ADD, MOVE, COPY, CREATE) need no query. The
result is the exact quads added and removed, which ``apply_change``
validates and commits in one transaction.

Operations in one request apply in order. Once an earlier operation has
changed something, a later WHERE must see that change: it is then evaluated
on a scratch copy of the store (a RocksDB checkpoint for an on-disk store,
which costs little, or a copy for an in-memory one).

``LOAD`` is refused: the service does not fetch from the network; post the
file to the Graph Store endpoint instead.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import cast

import pyoxigraph as ox
from rdflib import BNode, URIRef, Variable
from rdflib.plugins.sparql.algebra import translateUpdate
from rdflib.plugins.sparql.parser import parseUpdate
from rdflib.plugins.sparql.parserutils import CompValue

from lcgraph.access import SYSTEM, Access
from lcgraph.store.dataset_clause import NestingTooDeep, update_groups
from lcgraph.store.graph_names import UNNAMED, InvalidGraphName, graph_iri, graph_node
from lcgraph.store.repository import Repository
from lcgraph.store.syntax import check_query, check_update, update_data
from lcgraph.validation.shapes import to_ox


class UpdateSyntaxError(ValueError):
    """The update is not valid SPARQL 1.1 Update, or not valid with the request's parameters (HTTP 400)."""


class UpdateNotSupported(ValueError):
    """The update uses an operation the guarded path does not carry out (HTTP 400)."""


class UpdateFailed(ValueError):
    """The update cannot be carried out on the store as it is (e.g. CREATE of an existing graph; HTTP 400)."""


GraphName = ox.NamedNode


@dataclass
class UpdateEffect:
    """What an update would do: quads added and removed, graphs cleared, dropped and created."""

    add: set[ox.Quad] = field(default_factory=set)
    remove: set[ox.Quad] = field(default_factory=set)
    clear: set[ox.NamedNode] = field(default_factory=set)
    drop: set[ox.NamedNode] = field(default_factory=set)
    create: set[ox.NamedNode] = field(default_factory=set)


# -- the running state ---------------------------------------------------------


class _State:
    """The store plus the operations so far (and a scratch store once a WHERE needs it)."""

    def __init__(self, ds: Repository, access: Access) -> None:
        self.ds = ds
        self.access = access
        self.added: set[ox.Quad] = set()
        self.removed: set[ox.Quad] = set()
        self.created: set[ox.NamedNode] = set()
        self.dropped: set[ox.NamedNode] = set()
        self.cleared: set[ox.NamedNode] = set()
        self._scratch: Repository | None = None
        self._stored_graphs = {ox.NamedNode(g) for g in ds.graphs()}

    def contains(self, q: ox.Quad) -> bool:
        return q in self.added or (q not in self.removed and self.ds.contains(q))

    def quads(self, graph: GraphName) -> Iterator[ox.Quad]:
        """Current quads of one graph."""
        for q in self.ds.quads(graph=graph):
            if q not in self.removed:
                yield q
        for q in self.added:
            if q.graph_name == graph:
                yield q

    def exists(self, graph: GraphName) -> bool:
        if graph in self.dropped:
            return False
        return graph in self.created or graph in self._stored_graphs

    def named_graphs(self) -> set[ox.NamedNode]:
        graphs = set(self._stored_graphs)
        graphs |= self.created | {q.graph_name for q in self.added if isinstance(q.graph_name, ox.NamedNode)}
        return graphs - self.dropped

    def readable(self) -> list[str]:
        return sorted(g.value for g in self.named_graphs() if self.access.may_read(g.value))

    def select(self, query: str, default: list[str], named: list[str]) -> ox.QuerySolutions:
        repo = self.ds if not (self.added or self.removed) else self._scratch_copy()
        found = repo.query(query, default_graph=default, named_graphs=named)
        assert isinstance(found, ox.QuerySolutions)
        return found

    def _scratch_copy(self) -> Repository:
        if self._scratch is None:
            self._scratch = self.ds.scratch_copy()
            self._scratch.apply(self.added, self.removed)
        return self._scratch

    def apply(self, add: Iterable[ox.Quad], remove: Iterable[ox.Quad]) -> None:
        """Apply one operation's effect (removals first, as SPARQL says)."""
        remove = [q for q in set(remove) if self.contains(q)]
        for q in remove:
            if q in self.added:
                self.added.discard(q)
            else:
                self.removed.add(q)
        new = [q for q in set(add) if not self.contains(q)]
        for q in new:
            self.dropped.discard(q.graph_name)
            if q in self.removed:
                self.removed.discard(q)
            else:
                self.added.add(q)
        if self._scratch is not None:
            self._scratch.apply(new, remove)

    def empty(self, graph: GraphName, *, drop: bool) -> None:
        """CLEAR (keep the graph) or DROP (remove it)."""
        self.apply([], list(self.quads(graph)))
        if drop:
            self.dropped.add(graph)
            self.created.discard(graph)
            self.cleared.discard(graph)
        else:
            self.cleared.add(graph)

    def create(self, graph: GraphName) -> None:
        self.dropped.discard(graph)
        if graph not in self._stored_graphs:
            self.created.add(graph)

    def effect(self) -> UpdateEffect:
        stored_graphs = self._stored_graphs
        return UpdateEffect(
            add=set(self.added),
            remove=set(self.removed),
            clear={g for g in self.cleared if g in stored_graphs and g not in self.dropped},
            drop={g for g in self.dropped if g in stored_graphs},
            create=set(self.created) - self.dropped,
        )

    def close(self) -> None:
        if self._scratch is not None:
            self._scratch.close()
            self._scratch = None


# -- reading the request ----------------------------------------------------------

_PLACEHOLDER = "urn:x-lcgraph:update-group:"


@dataclass(frozen=True)
class _Operation:
    """One parsed operation, the BASE/PREFIX text in force for it, and its own DATA or WHERE group."""

    op: CompValue
    header: str
    group: str | None  # as written in the request
    data: list[ox.Quad] = field(default_factory=list)  # INSERT/DELETE DATA, parsed by the engine

    @property
    def name(self) -> str:
        return str(self.op.name)

    @property
    def where(self) -> str:
        """The WHERE group of a DELETE/INSERT operation."""
        if self.group is None:
            raise UpdateSyntaxError("cannot find the WHERE clause of an operation")
        return self.group


def _get(value: object, key: str) -> object:
    """A CompValue's entry (its own ``get`` answers the key itself when missing)."""
    return dict.get(value, key) if isinstance(value, dict) else None


# rdflib's parse tree is untyped (CompValue is a dict of anything). These read its entries with the
# types the SPARQL 1.1 grammar gives them, in one place.
TreeTriple = tuple[object, object, object]
"""A triple of a template or data block: rdflib terms or variables."""


def _node(value: object, key: str) -> CompValue | None:
    """An entry that is itself a node of the tree (``insert``, ``delete``), or ``None``."""
    entry = _get(value, key)
    return entry if isinstance(entry, CompValue) else None


def _nodes(value: object, key: str) -> list[CompValue]:
    """An entry that is a list of nodes (``using``), ``[]`` when missing."""
    entry = _get(value, key)
    return [v for v in entry if isinstance(v, CompValue)] if isinstance(entry, list) else []


def _prologues(tree: object) -> list[list[CompValue]]:
    """Each operation's BASE and PREFIX declarations, in the order of the operations."""
    entry = _get(tree, "prologue")
    if not isinstance(entry, list):
        return []
    return [[d for d in declarations if isinstance(d, CompValue)] for declarations in entry]


def _triples(block: object) -> list[TreeTriple]:
    """A block's triples in the default graph (``[]`` when it has none)."""
    entry = _get(block, "triples")
    return cast(list[TreeTriple], list(entry)) if isinstance(entry, Iterable) else []


def _quads(block: object) -> dict[object, list[TreeTriple]]:
    """A block's ``GRAPH`` parts: graph name (or variable) -> its triples."""
    entry = _get(block, "quads")
    return cast(dict[object, list[TreeTriple]], dict(entry)) if isinstance(entry, Mapping) else {}


def _read(sparql: str, base_iri: str | None) -> list[_Operation]:
    """Parse the request (see the module docstring); :class:`UpdateSyntaxError` if it is not SPARQL.

    Every syntax error is found here, before any access check or evaluation.
    """
    try:
        found = update_groups(sparql)
    except NestingTooDeep as exc:
        raise UpdateSyntaxError(str(exc)) from None
    nonce = uuid.uuid4().hex
    groups: dict[str, str] = {}
    pieces: list[str] = []
    done = 0
    for number, (start, end) in enumerate(found):
        iri = f"{_PLACEHOLDER}{nonce}:{number}"
        groups[iri] = sparql[start:end]
        pieces += [sparql[done:start], f"{{ <{iri}> <{iri}> <{iri}> }}"]
        done = end
    pieces.append(sparql[done:])
    outline = "".join(pieces)
    # The engine has the last word on syntax: the outline here (it runs nothing on an empty
    # store), each DATA and WHERE group below.
    try:
        check_update(outline, base_iri=base_iri)
    except SyntaxError as exc:
        raise UpdateSyntaxError(f"not a valid SPARQL 1.1 update: {exc}") from None
    except Exception:  # noqa: BLE001
        pass  # e.g. CLEAR of a graph the empty store lacks: not a syntax problem
    try:
        tree = parseUpdate(outline)
        prologues = _prologues(tree)
        algebra = translateUpdate(tree, base=base_iri)
    except Exception as exc:  # pyparsing and rdflib raise several types
        raise UpdateSyntaxError(f"not a valid SPARQL 1.1 update: {exc}") from None
    ops = list(algebra.algebra) if algebra else []
    header = f"BASE <{base_iri}>\n" if base_iri else ""
    operations = []
    for prologue, op in zip(prologues, ops, strict=False):
        header += _prologue_text(prologue)
        if op.name == "Load":
            raise UpdateNotSupported(
                "LOAD is not carried out here: the service does not fetch from the "
                "network. POST the file to /store instead."
            )
        if op.name in ("InsertData", "DeleteData"):
            operation = _Operation(op, header, _group(groups, op))
            operation = replace(operation, data=_data(operation))
        elif op.name == "Modify":
            operation = _Operation(op, header, _group(groups, _get(op, "where")))
            _check_where(operation)
        else:
            operation = _Operation(op, header, None)
        operations.append(operation)
    return operations


def _prologue_text(declarations: Iterable[CompValue]) -> str:
    """One operation's BASE and PREFIX declarations, as SPARQL (they hold for what follows)."""
    lines = []
    for decl in declarations:
        if decl.name == "Base":
            lines.append(f"BASE <{decl['iri']}>\n")
        elif decl.name == "PrefixDecl":
            lines.append(f"PREFIX {_get(decl, 'prefix') or ''}: <{decl['iri']}>\n")
    return "".join(lines)


def _group(groups: dict[str, str], value: object) -> str | None:
    """The DATA or WHERE group whose placeholder an operation's part holds (``None``: none)."""
    if isinstance(value, URIRef):
        return groups.get(str(value))
    if isinstance(value, dict):
        items: Iterable[object] = value.values()
    elif isinstance(value, (list, tuple)):
        items = value
    else:
        return None
    for item in items:
        found = _group(groups, item)
        if found is not None:
            return found
    return None


# -- operations ------------------------------------------------------------------


def _graph(value: object) -> GraphName:
    """A graph named in an update (rdflib says ``DEFAULT`` for the default graph)."""
    if value is None or (isinstance(value, str) and value.upper() == "DEFAULT"):
        return graph_node(None)
    text = _LOCAL_ESCAPE.sub(r"\1", str(value)) if "\\" in str(value) else str(value)
    try:
        return graph_node(text)
    except InvalidGraphName as exc:
        raise UpdateSyntaxError(str(exc)) from None


def _data(operation: _Operation) -> list[ox.Quad]:
    """The quads of an INSERT DATA / DELETE DATA, parsed by the engine (blank nodes are fresh)."""
    if operation.group is None:
        raise UpdateSyntaxError(f"cannot find the data of an {operation.name} operation")
    try:
        quads = update_data(f"{operation.header}INSERT DATA {operation.group}")
    except SyntaxError as exc:
        raise UpdateSyntaxError(f"not a valid SPARQL 1.1 update: {exc}") from None
    if operation.name == "DeleteData" and any(
        isinstance(t, ox.BlankNode) for q in quads for t in (q.subject, q.object)
    ):
        raise UpdateSyntaxError("not a valid SPARQL 1.1 update: DELETE DATA allows no blank nodes")
    default = graph_node(None)
    return [
        q if isinstance(q.graph_name, ox.NamedNode) else ox.Quad(q.subject, q.predicate, q.object, default)
        for q in quads
    ]


def _check_where(operation: _Operation) -> None:
    """Let the engine parse a WHERE group (on an empty store: nothing is evaluated)."""
    try:
        check_query(f"{operation.header}SELECT * WHERE {operation.where}")
    except SyntaxError as exc:
        raise UpdateSyntaxError(f"not a valid SPARQL 1.1 update: {exc}") from None


def _check_templates(op: CompValue, default: GraphName, data: list[ox.Quad], access: Access) -> None:
    """Refuse (403) an operation whose data or template names a graph the caller may not change.

    Checked before anything is evaluated, so the answer never depends on what the graph holds.
    """
    for g in sorted({graph_iri(q.graph_name) for q in data}):
        access.check_write(g)
    blocks: list[CompValue | None] = []
    if op.name == "DeleteWhere":
        blocks.append(op)
    elif op.name == "Modify":
        blocks += [_node(op, "insert"), _node(op, "delete")]
    for block in blocks:
        if block is None:
            continue
        if _triples(block):
            access.check_write(default.value)
        for name in _quads(block):
            if not isinstance(name, Variable):
                access.check_write(_graph(name).value)


_LOCAL_ESCAPE = re.compile(r"\\([_~.\-!$&'()*+,;=/?#@%])")


def _ox(term: object) -> object:
    """rdflib term -> pyoxigraph term, undoing ``\\/``-style escapes rdflib leaves in prefixed names."""
    if isinstance(term, URIRef) and "\\" in term:
        term = URIRef(_LOCAL_ESCAPE.sub(r"\1", str(term)))
    return to_ox(term)


def _term_text(term: object) -> str:
    return f"?{term}" if isinstance(term, Variable) else str(_ox(term))


def _pattern_text(block: CompValue) -> str:
    """A ``DELETE WHERE`` template as the group pattern it also is (SPARQL allows no blank node there)."""

    def triples(items: Iterable[tuple[object, object, object]]) -> str:
        return " ".join(" ".join(_term_text(t) for t in spo) + " ." for spo in items)

    parts = [triples(_triples(block))]
    for g, items in _quads(block).items():
        name = g if isinstance(g, Variable) else URIRef(_graph(g).value)
        parts.append(f"GRAPH {_term_text(name)} {{ {triples(items)} }}")
    return "{ " + " ".join(parts) + " }"


def _template(
    block: CompValue, default: GraphName
) -> Iterator[tuple[GraphName | Variable, object, object, object]]:
    for s, p, o in _triples(block):
        yield default, s, p, o
    for g, triples in _quads(block).items():
        graph: GraphName | Variable = g if isinstance(g, Variable) else _graph(g)
        for s, p, o in triples:
            yield graph, s, p, o


def _fill(t: object, row: ox.QuerySolution, fresh: dict[BNode, ox.BlankNode]) -> object:
    """A template term for one solution (template blank nodes are fresh per solution)."""
    if isinstance(t, Variable):
        return row[str(t)]
    if isinstance(t, BNode):
        return fresh.setdefault(t, ox.BlankNode())
    return _ox(t)


def _instantiate(
    block: CompValue | None, default: GraphName, solutions: list[ox.QuerySolution]
) -> list[ox.Quad]:
    """Fill a DELETE/INSERT template with each solution (unbound or ill-formed quads are skipped)."""
    if block is None:
        return []
    template = list(_template(block, default))
    out: list[ox.Quad] = []
    for row in solutions:
        fresh: dict[BNode, ox.BlankNode] = {}
        for g, s, p, o in template:
            graph = _fill(g, row, fresh) if isinstance(g, Variable) else g
            s2, p2, o2 = _fill(s, row, fresh), _fill(p, row, fresh), _fill(o, row, fresh)
            if None in (graph, s2, p2, o2) or isinstance(s2, ox.Literal) or not isinstance(p2, ox.NamedNode):
                continue
            if isinstance(graph, ox.DefaultGraph):
                graph = graph_node(graph)
            if not isinstance(graph, ox.NamedNode):
                continue
            out.append(ox.Quad(s2, p2, o2, graph))  # type: ignore[arg-type]
    return out


def _solutions(
    state: _State,
    operation: _Operation,
    where: str,
    protocol_using: tuple[list[str], list[str]] | None,
) -> list[ox.QuerySolution]:
    """Evaluate one WHERE on the caller's view of the store as it is at this point of the request."""
    access = state.access
    op = operation.op
    using = _nodes(op, "using")
    defaults = [_graph(u["default"]).value for u in using if _get(u, "default") is not None]
    named = [_graph(u["named"]).value for u in using if _get(u, "named") is not None]
    if protocol_using is not None and (protocol_using[0] or protocol_using[1]):
        defaults, named = list(protocol_using[0]), list(protocol_using[1])
    if defaults or named:
        default = defaults
        names = named
    elif _get(op, "withClause") is not None:
        default = [_graph(op["withClause"]).value]
        names = state.readable()
    else:
        default = [UNNAMED.value]
        names = state.readable()
    for g in (*default, *names):
        access.check_read(g)
    try:
        return list(state.select(f"{operation.header}SELECT * WHERE {where}", default, names))
    except SyntaxError as exc:
        raise UpdateSyntaxError(f"cannot evaluate the WHERE clause: {exc}") from None


def _graph_op(state: _State, op: CompValue) -> None:
    """CLEAR, DROP, CREATE, ADD, MOVE, COPY on the running state (SPARQL 1.1's rules on graph existence)."""
    access = state.access
    silent = bool(_get(op, "silent"))
    if op.name in ("Clear", "Drop"):
        drop = op.name == "Drop"
        target = op["graphiri"]
        if isinstance(target, str) and target.upper() in ("ALL", "NAMED"):
            # Only the graphs this caller may change (the others are not theirs to empty).
            graphs = sorted(
                (g for g in state.named_graphs() if access.may_write(g.value)), key=lambda g: g.value
            )
            if target.upper() == "NAMED":
                graphs = [g for g in graphs if g != UNNAMED]
            for g in graphs:
                state.empty(g, drop=drop)
            return
        graph = _graph(target)
        if not state.exists(graph):
            if graph == UNNAMED:
                return  # the default graph always exists and is empty
            if silent:
                return
            raise UpdateFailed(f"{op.name.upper()} failed: the graph <{graph.value}> does not exist")
        state.empty(graph, drop=drop and graph != UNNAMED)
        return
    if op.name == "Create":
        graph = _graph(op["graphiri"])
        if state.exists(graph):
            if silent:
                return
            raise UpdateFailed(f"CREATE failed: the graph <{graph.value}> already exists")
        state.create(graph)
        return
    source, target = (_graph(g) for g in op["graph"])
    access.check_read(source.value)
    if not state.exists(source) and source != UNNAMED:
        if silent:
            return
        raise UpdateFailed(f"{op.name.upper()} failed: the source graph <{source.value}> does not exist")
    if source == target:
        return
    moved = [ox.Quad(q.subject, q.predicate, q.object, target) for q in state.quads(source)]
    if op.name in ("Move", "Copy"):
        if state.exists(target):
            state.empty(target, drop=False)
        else:
            state.create(target)
    state.apply(moved, [])
    if op.name == "Move":
        state.empty(source, drop=source != UNNAMED)


def _check_protocol_using(operations: list[_Operation], using: tuple[list[str], list[str]] | None) -> None:
    """The Protocol's using-graph-uri/using-named-graph-uri exclude an operation's own WITH/USING."""
    if using is None or not (using[0] or using[1]):
        return
    for number, operation in enumerate(operations, start=1):
        if _get(operation.op, "withClause") is not None or _get(operation.op, "using"):
            raise UpdateSyntaxError(
                f"operation {number} of the update names its own dataset (WITH/USING) and the request "
                "also has using-graph-uri/using-named-graph-uri; the SPARQL Protocol forbids both at once"
            )


def update_change(
    ds: Repository,
    sparql: str,
    *,
    base_iri: str | None = None,
    access: Access = SYSTEM,
    using: tuple[list[str], list[str]] | None = None,
) -> UpdateEffect:
    """What a SPARQL update would do, given the store now and what the caller may read.

    ``using``: the Protocol's ``using-graph-uri`` and ``using-named-graph-uri``
    (they replace every WHERE's dataset; an operation with its own ``WITH`` or
    ``USING`` is then refused). Raises :class:`lcgraph.access.AccessDenied`
    when a template names a graph the caller may not write (before any WHERE
    is evaluated), or a WHERE, USING, WITH or the source of ADD/COPY/MOVE names
    a graph the caller may not read.
    """
    operations = _read(sparql, base_iri)
    _check_protocol_using(operations, using)
    defaults: list[GraphName] = []
    for operation in operations:
        op = operation.op
        defaults.append(_graph(_get(op, "withClause")) if _get(op, "withClause") is not None else UNNAMED)
        _check_templates(op, defaults[-1], operation.data, access)
    state = _State(ds, access)
    try:
        for operation, default in zip(operations, defaults, strict=True):
            op = operation.op
            if operation.name == "InsertData":
                state.apply(operation.data, [])
            elif operation.name == "DeleteData":
                state.apply([], operation.data)
            elif operation.name == "DeleteWhere":
                rows = _solutions(state, operation, _pattern_text(op), using)
                state.apply([], _instantiate(op, default, rows))
            elif operation.name == "Modify":
                rows = _solutions(state, operation, operation.where, using)
                state.apply(
                    _instantiate(_node(op, "insert"), default, rows),
                    _instantiate(_node(op, "delete"), default, rows),
                )
            else:
                _graph_op(state, op)
        return state.effect()
    finally:
        state.close()
