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
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

import pyoxigraph as ox
from rdflib import BNode, URIRef, Variable
from rdflib.plugins.sparql.algebra import translateUpdate
from rdflib.plugins.sparql.parser import parseUpdate
from rdflib.plugins.sparql.parserutils import CompValue

from lcgraph.validation.shapes import to_ox


class UpdateSyntaxError(ValueError):
    """The update is not valid SPARQL 1.1 Update (HTTP 400)."""


class UpdateNotSupported(ValueError):
    """The update uses an operation the guarded path does not carry out (HTTP 400)."""


GraphName = ox.NamedNode | ox.DefaultGraph


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

    def __init__(self, ds: object) -> None:
        self.ds = ds
        self.store: ox.Store = ds.store  # type: ignore[attr-defined]
        self.added: set[ox.Quad] = set()
        self.removed: set[ox.Quad] = set()
        self._scratch: ox.Store | None = None
        self._scratch_dir: str | None = None

    def contains(self, q: ox.Quad) -> bool:
        return q in self.added or (q not in self.removed and q in self.store)

    def quads(self, graph: GraphName | None) -> Iterator[ox.Quad]:
        """Current quads of one graph (``None``: every graph)."""
        for q in self.store.quads_for_pattern(None, None, None, graph):
            if q not in self.removed:
                yield q
        for q in self.added:
            if graph is None or q.graph_name == graph:
                yield q

    def named_graphs(self) -> set[ox.NamedNode]:
        graphs = {g for g in self.store.named_graphs() if isinstance(g, ox.NamedNode)}
        graphs |= {q.graph_name for q in self.added if isinstance(q.graph_name, ox.NamedNode)}
        return graphs

    def select(self, query: str, **kwargs: object) -> ox.QuerySolutions:
        store = self.store if not (self.added or self.removed) else self._scratch_store()
        return store.query(query, **kwargs)  # type: ignore[return-value]

    def _scratch_store(self) -> ox.Store:
        if self._scratch is None:
            path = getattr(self.ds, "path", None)
            if path is not None:
                self._scratch_dir = tempfile.mkdtemp(prefix="lcgraph-update-")
                target = Path(self._scratch_dir) / "copy"
                self.store.backup(str(target))
                self._scratch = ox.Store(str(target))
            else:
                self._scratch = ox.Store()
                self._scratch.bulk_extend(self.store.quads_for_pattern(None, None, None, None))
            for q in self.removed:
                self._scratch.remove(q)
            self._scratch.extend(self.added)
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
            if q in self.removed:
                self.removed.discard(q)
            else:
                self.added.add(q)
        if self._scratch is not None:
            for q in remove:
                self._scratch.remove(q)
            self._scratch.extend(new)

    def close(self) -> None:
        self._scratch = None
        if self._scratch_dir:
            shutil.rmtree(self._scratch_dir, ignore_errors=True)


# -- operations ------------------------------------------------------------------


def _get(value: object, key: str) -> object:
    """A CompValue's entry (its own ``get`` answers the key itself when missing)."""
    return dict.get(value, key) if isinstance(value, dict) else None  # type: ignore[arg-type]


def _graph(value: object) -> GraphName:
    if value is None or (isinstance(value, str) and value.upper() == "DEFAULT"):
        return ox.DefaultGraph()
    return ox.NamedNode(str(value))


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
            if not isinstance(graph, (ox.NamedNode, ox.DefaultGraph)):
                continue
            out.append(ox.Quad(s2, p2, o2, graph))  # type: ignore[arg-type]
    return out


def _solutions(state: _State, op: CompValue, where: str, header: str) -> list[ox.QuerySolution]:
    kwargs: dict[str, object] = {}
    using = _get(op, "using") or []
    defaults = [u["default"] for u in using if _get(u, "default") is not None]
    named = [u["named"] for u in using if _get(u, "named") is not None]
    if defaults or named:
        kwargs["default_graph"] = [ox.NamedNode(str(u)) for u in defaults] or [ox.DefaultGraph()]
        kwargs["named_graphs"] = [ox.NamedNode(str(u)) for u in named]
    elif _get(op, "withClause") is not None:
        kwargs["default_graph"] = [ox.NamedNode(str(op["withClause"]))]
    try:
        return list(state.select(f"{header}SELECT * WHERE {where}", **kwargs))
    except SyntaxError as exc:
        raise UpdateSyntaxError(f"cannot evaluate the WHERE clause: {exc}") from None


def _graph_op(state: _State, op: CompValue) -> tuple[list[ox.Quad], list[ox.Quad]]:
    """CLEAR, DROP, ADD, MOVE, COPY, CREATE as quads added and removed."""
    if op.name in ("Clear", "Drop"):
        target = op["graphiri"]
        if isinstance(target, str) and target.upper() in ("ALL", "NAMED"):
            graphs: list[GraphName] = sorted(state.named_graphs(), key=str)
            if target.upper() == "ALL":
                graphs.append(ox.DefaultGraph())
        else:
            graphs = [_graph(target)]
        return [], [q for g in graphs for q in state.quads(g)]
    if op.name == "Create":
        return [], []
    source, target = (_graph(g) for g in op["graph"])
    if source == target:
        return [], []
    moved = [ox.Quad(q.subject, q.predicate, q.object, target) for q in state.quads(source)]
    remove: list[ox.Quad] = []
    if op.name in ("Move", "Copy"):
        remove += list(state.quads(target))
    if op.name == "Move":
        remove += list(state.quads(source))
    return moved, remove


def _parse(sparql: str, base_iri: str | None) -> list[CompValue]:
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
        ox.Store().update(sparql, base_iri=base_iri) if base_iri else ox.Store().update(sparql)
    except SyntaxError as exc:
        raise UpdateSyntaxError(f"not a valid SPARQL 1.1 update: {exc}") from None
    except Exception:  # noqa: BLE001
        pass  # e.g. CLEAR of a graph the empty store lacks: not a syntax problem
    return ops


def update_change(
    ds: object, sparql: str, *, base_iri: str | None = None
) -> tuple[set[ox.Quad], set[ox.Quad]]:
    """The quads a SPARQL update would add and remove, given the store now."""
    ops = _parse(sparql, base_iri)
    wheres = iter(where_blocks(sparql))
    header = (f"BASE <{base_iri}>\n" if base_iri else "") + prologue(sparql)
    state = _State(ds)
    try:
        for op in ops:
            default: GraphName = (
                _graph(_get(op, "withClause")) if _get(op, "withClause") is not None else ox.DefaultGraph()
            )
            if op.name == "InsertData":
                state.apply(_ground(op, default), [])
            elif op.name == "DeleteData":
                state.apply([], _ground(op, default))
            elif op.name in ("Modify", "DeleteWhere"):
                where = next(wheres, None)
                if where is None:
                    raise UpdateSyntaxError("cannot find the WHERE clause of an operation")
                rows = _solutions(state, op, where, header)
                if op.name == "DeleteWhere":
                    state.apply([], _instantiate(op, default, rows))
                else:
                    state.apply(
                        _instantiate(_get(op, "insert"), default, rows),
                        _instantiate(_get(op, "delete"), default, rows),
                    )
            else:
                add, remove = _graph_op(state, op)
                state.apply(add, remove)
        return set(state.added), set(state.removed)
    finally:
        state.close()
