"""What a SPARQL 1.1 Update would change, worked out without running it.

For the guarded write path (``apply_update``). The update text is read
twice: rdflib's parser gives each operation's kind and templates, and a small
scanner cuts out each ``WHERE { … }`` block as written. Each WHERE is then
evaluated *by the engine* as ``SELECT * WHERE { … }`` (with the WITH/USING
dataset), and the templates are filled with the solutions; ``INSERT DATA``,
``DELETE DATA`` and the graph operations (CLEAR, DROP, ADD, MOVE, COPY)
need no query. The result is the exact quads added and removed, which
``apply_change`` validates and commits in one transaction.

Operations in one request apply in order. Once an earlier operation has
changed something, a later WHERE must see that change: it is then evaluated
on a scratch copy of the store (a RocksDB checkpoint for an on-disk store,
which costs little, or a copy for an in-memory one).

``LOAD`` is refused: the service does not fetch from the network; post the
file to the Graph Store endpoint instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import pyoxigraph as ox
from rdflib import BNode, URIRef, Variable
from rdflib.plugins.sparql.algebra import translateUpdate
from rdflib.plugins.sparql.parser import parseUpdate
from rdflib.plugins.sparql.parserutils import CompValue

from lcgraph.access import SYSTEM, Access
from lcgraph.store.dataset import UNNAMED, Dataset
from lcgraph.store.dataset_clause import NestingTooDeep, check_nesting
from lcgraph.store.repository import Repository
from lcgraph.store.syntax import check_update
from lcgraph.validation.shapes import to_ox


class UpdateSyntaxError(ValueError):
    """The update is not valid SPARQL 1.1 Update (HTTP 400)."""


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


# -- cutting the WHERE blocks out of the text ---------------------------------

_IRI = re.compile(r"<[^<>\"{}|^`\\\x00-\x20]*>")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _skip_string(text: str, i: int) -> int:
    """Index just after the string literal starting at ``i``."""
    quote = text[i]
    long = text.startswith(quote * 3, i)
    end_mark = quote * 3 if long else quote
    j = i + (3 if long else 1)
    while j < len(text):
        if text[j] == "\\":
            j += 2
            continue
        if text.startswith(end_mark, j):
            return j + len(end_mark)
        j += 1
    raise UpdateSyntaxError("a string is not closed")


def where_blocks(text: str) -> list[str]:
    """The ``{ … }`` after each top-level ``WHERE``, in order, as written."""
    blocks: list[str] = []
    depth = 0
    i = 0
    pending_where = False
    start = 0
    while i < len(text):
        c = text[i]
        if c == "\\":  # an escaped character in a prefixed name (ex:a\' or ex:a\#)
            i += 2
            continue
        if c == "#":
            nl = text.find("\n", i)
            i = len(text) if nl < 0 else nl + 1
            continue
        if c in "\"'":
            i = _skip_string(text, i)
            continue
        if c == "<":
            m = _IRI.match(text, i)
            if m:
                i = m.end()
                continue
        if c == "{":
            if depth == 0 and pending_where:
                start = i
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0 and pending_where:
                blocks.append(text[start : i + 1])
                pending_where = False
        elif depth == 0 and (c.isalpha() or c == "_"):
            m = _WORD.match(text, i)
            assert m is not None
            if m.group(0).upper() == "WHERE" and (
                i == 0 or not (text[i - 1].isalnum() or text[i - 1] in ":_?$")
            ):
                pending_where = True
            i = m.end()
            continue
        i += 1
    return blocks


def prologue(text: str) -> str:
    """Every BASE and PREFIX declaration in the request (they hold for what follows)."""
    decls = re.findall(r"(?i)\b(PREFIX\s+[\w.-]*:\s*<[^>]*>|BASE\s+<[^>]*>)", text)
    return "\n".join(decls) + "\n"


# -- the running state ---------------------------------------------------------


class _State:
    """The store plus the operations so far (and a scratch store once a WHERE needs it)."""

    def __init__(self, ds: Dataset, access: Access) -> None:
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
        graphs |= self.created | {q.graph_name for q in self.added}
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


# -- operations ------------------------------------------------------------------


def _get(value: object, key: str) -> object:
    """A CompValue's entry (its own ``get`` answers the key itself when missing)."""
    return dict.get(value, key) if isinstance(value, dict) else None  # type: ignore[arg-type]


def _graph(value: object) -> GraphName:
    """A graph named in an update; the default graph of updates is the unnamed graph."""
    if value is None or (isinstance(value, str) and value.upper() == "DEFAULT"):
        return UNNAMED
    text = _LOCAL_ESCAPE.sub(r"\1", str(value)) if "\\" in str(value) else str(value)
    try:
        return ox.NamedNode(text)
    except ValueError as exc:
        raise UpdateSyntaxError(f"not a valid graph IRI <{text}>: {exc}") from None


def _check_templates(op: CompValue, default: GraphName, access: Access) -> None:
    """Refuse (403) an operation whose template names a graph the caller may not change.

    Checked before anything is evaluated, so the answer never depends on what the graph holds.
    """
    blocks: list[object] = []
    if op.name in ("InsertData", "DeleteData", "DeleteWhere"):
        blocks.append(op)
    elif op.name == "Modify":
        blocks += [_get(op, "insert"), _get(op, "delete")]
    for block in blocks:
        if block is None:
            continue
        if _get(block, "triples"):
            access.check_write(default.value)
        for g in _get(block, "quads") or {}:
            if not isinstance(g, Variable):
                access.check_write(_graph(g).value)


_LOCAL_ESCAPE = re.compile(r"\\([_~.\-!$&'()*+,;=/?#@%])")


def _ox(term: object) -> object:
    """rdflib term -> pyoxigraph term, undoing ``\\/``-style escapes rdflib leaves in prefixed names."""
    if isinstance(term, URIRef) and "\\" in term:
        term = URIRef(_LOCAL_ESCAPE.sub(r"\1", str(term)))
    return to_ox(term)


def _ground(quads: CompValue | None, default: GraphName) -> list[ox.Quad]:
    """Quads of an INSERT DATA / DELETE DATA block (blank nodes are fresh)."""
    if quads is None:
        return []
    fresh: dict[BNode, ox.BlankNode] = {}
    out = []
    for g, s, p, o in _template(quads, default):
        terms = [fresh.setdefault(t, ox.BlankNode()) if isinstance(t, BNode) else _ox(t) for t in (s, p, o)]
        out.append(ox.Quad(terms[0], terms[1], terms[2], g))  # type: ignore[arg-type]
    return out


def _template(
    block: CompValue, default: GraphName
) -> Iterator[tuple[GraphName | Variable, object, object, object]]:
    for s, p, o in _get(block, "triples") or []:
        yield default, s, p, o
    for g, triples in (_get(block, "quads") or {}).items():
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
                graph = UNNAMED
            if not isinstance(graph, ox.NamedNode):
                continue
            out.append(ox.Quad(s2, p2, o2, graph))  # type: ignore[arg-type]
    return out


def _solutions(
    state: _State, op: CompValue, where: str, header: str, protocol_using: tuple[list[str], list[str]] | None
) -> list[ox.QuerySolution]:
    """Evaluate one WHERE on the caller's view of the store as it is at this point of the request."""
    access = state.access
    using = _get(op, "using") or []
    defaults = [str(u["default"]) for u in using if _get(u, "default") is not None]
    named = [str(u["named"]) for u in using if _get(u, "named") is not None]
    if protocol_using is not None and (protocol_using[0] or protocol_using[1]):
        defaults, named = list(protocol_using[0]), list(protocol_using[1])
    if defaults or named:
        default = defaults
        names = named
    elif _get(op, "withClause") is not None:
        default = [str(op["withClause"])]
        names = state.readable()
    else:
        default = [UNNAMED.value]
        names = state.readable()
    for g in (*default, *names):
        access.check_read(g)
    try:
        return list(state.select(f"{header}SELECT * WHERE {where}", default, names))
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


def _parse(sparql: str, base_iri: str | None) -> list[CompValue]:
    try:
        check_nesting(sparql)
    except NestingTooDeep as exc:
        raise UpdateSyntaxError(str(exc)) from None
    try:
        parsed = translateUpdate(parseUpdate(sparql), base=base_iri)
    except Exception as exc:  # pyparsing and rdflib raise several types
        raise UpdateSyntaxError(f"not a valid SPARQL 1.1 update: {exc}") from None
    ops = list(parsed.algebra)
    for op in ops:
        if op.name == "Load":
            raise UpdateNotSupported(
                "LOAD is not carried out here: the service does not fetch from the "
                "network. POST the file to /store instead."
            )
    # The engine has the last word on syntax (it runs nothing on an empty store).
    try:
        check_update(sparql, base_iri=base_iri)
    except SyntaxError as exc:
        raise UpdateSyntaxError(f"not a valid SPARQL 1.1 update: {exc}") from None
    except Exception:  # noqa: BLE001
        pass  # e.g. CLEAR of a graph the empty store lacks: not a syntax problem
    return ops


def update_change(
    ds: Dataset,
    sparql: str,
    *,
    base_iri: str | None = None,
    access: Access = SYSTEM,
    using: tuple[list[str], list[str]] | None = None,
) -> UpdateEffect:
    """What a SPARQL update would do, given the store now and what the caller may read.

    Raises :class:`lcgraph.access.AccessDenied` when a WHERE, USING, WITH or
    the source of ADD/COPY/MOVE names a graph the caller may not read.
    """
    ops = _parse(sparql, base_iri)
    wheres = iter(where_blocks(sparql))
    header = (f"BASE <{base_iri}>\n" if base_iri else "") + prologue(sparql)
    state = _State(ds, access)
    try:
        for op in ops:
            default: GraphName = (
                _graph(_get(op, "withClause")) if _get(op, "withClause") is not None else UNNAMED
            )
            _check_templates(op, default, access)
            if op.name == "InsertData":
                state.apply(_ground(op, default), [])
            elif op.name == "DeleteData":
                state.apply([], _ground(op, default))
            elif op.name in ("Modify", "DeleteWhere"):
                where = next(wheres, None)
                if where is None:
                    raise UpdateSyntaxError("cannot find the WHERE clause of an operation")
                rows = _solutions(state, op, where, header, using)
                if op.name == "DeleteWhere":
                    state.apply([], _instantiate(op, default, rows))
                else:
                    state.apply(
                        _instantiate(_get(op, "insert"), default, rows),
                        _instantiate(_get(op, "delete"), default, rows),
                    )
            else:
                _graph_op(state, op)
        return state.effect()
    finally:
        state.close()
