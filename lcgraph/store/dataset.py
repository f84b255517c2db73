"""The embedded repository: lcgraph's data in a pyoxigraph store of its own.

For developers of the store layer; every other layer talks to the
:class:`~lcgraph.store.repository.Repository` Protocol, which
:class:`OxigraphRepository` implements over a pyoxigraph ``Store`` (on disk,
RocksDB, or in memory for tests). SPARQL is evaluated by
the engine and results are serialised by the engine; nothing here walks
triples in Python except the streaming loader's progress accounting.

Loading is all-or-nothing. Small inputs go through the engine's
transactional ``load``. Big files go through the engine's bulk loader, which
builds sorted files on the side and adds them to the database only once the
whole input has been read: a syntax error at line 40,000, a bad byte or a
Ctrl-C leaves the store as it was (tests/test_store.py checks each).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gzip
import io
import itertools
import os
import re
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import pyoxigraph as ox

from lcgraph.namespaces import GRAPH_PRIVATE
from lcgraph.store.dataset_clause import read_dataset_clause
from lcgraph.store.formats import Format, UnknownFormat, Writable, by_name, engine_target, for_path
from lcgraph.store.graph_names import UNNAMED, InvalidGraphName, graph_iri, graph_node
from lcgraph.store.repository import Afterword, ConcurrentChange, ProgressCallback, QueryResult, store_stats

# Inputs below this size are loaded in one transaction (held in memory).
TRANSACTIONAL_LIMIT = 32 * 1024 * 1024


class LoadError(Exception):
    """A file or stream could not be loaded; nothing was written.

    ``str(error)`` is one line naming the source, the line and column when the
    parser gave them, and the problem.
    """

    def __init__(
        self, message: str, *, source: str | None = None, line: int | None = None, column: int | None = None
    ) -> None:
        self.source = source
        self.line = line
        self.column = column
        self.problem = message
        where = source or "input"
        if line is not None:
            where += f":{line}"
            if column is not None:
                where += f":{column}"
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class LoadResult:
    """What a load did: the quads now in the store for the touched graphs."""

    source: str
    format: str
    quads_before: int
    quads_after: int
    seconds: float

    @property
    def quads_added(self) -> int:
        return self.quads_after - self.quads_before


class _CountingReader(io.RawIOBase):
    """A binary reader that reports how many bytes were read (for progress bars)."""

    def __init__(self, raw: IO[bytes], callback: ProgressCallback | None) -> None:
        self._raw = raw
        self._callback = callback
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._raw.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        self.count += n
        if self._callback is not None and n:
            self._callback(self.count)
        return n


def _load_error(exc: BaseException, source: str) -> LoadError:
    """Turn a pyoxigraph parse error into a :class:`LoadError`."""
    if isinstance(exc, SyntaxError):
        message = exc.msg or str(exc)
        return LoadError(message, source=source, line=exc.lineno, column=exc.offset)
    if isinstance(exc, UnicodeDecodeError):
        return LoadError(f"not valid UTF-8 text ({exc.reason} at byte {exc.start})", source=source)
    return LoadError(str(exc) or type(exc).__name__, source=source)


PRIVATE = ox.NamedNode(str(GRAPH_PRIVATE))
MERGE = ox.DefaultGraph()
_UNION_MARK = "UNION-DEFAULT-GRAPH"


def _graph_node(graph: str | ox.NamedNode | None) -> ox.NamedNode:
    """:func:`lcgraph.store.graph_names.graph_node`, with a bad name reported as a load error."""
    try:
        return graph_node(graph)
    except InvalidGraphName as exc:
        raise LoadError(str(exc)) from None


def stored(q: ox.Quad) -> ox.Quad:
    """A quad as it is kept: the store's default graph is the merge, so default-graph writes go to UNNAMED."""
    if isinstance(q.graph_name, ox.DefaultGraph):
        return ox.Quad(q.subject, q.predicate, q.object, UNNAMED)
    return q


def _merged(q: ox.Quad) -> ox.Quad:
    return ox.Quad(q.subject, q.predicate, q.object, MERGE)


def _public(q: ox.Quad) -> bool:
    return q.graph_name != PRIVATE


def _has_blank(q: ox.Quad) -> bool:
    return isinstance(q.subject, ox.BlankNode) or isinstance(q.object, ox.BlankNode)


def _data_block(quads: Iterable[ox.Quad]) -> str:
    """Quads as the body of ``INSERT DATA``/``DELETE DATA`` (the engine writes the terms)."""
    by_graph: dict[Any, list[ox.Triple]] = {}
    for q in quads:
        by_graph.setdefault(q.graph_name, []).append(ox.Triple(q.subject, q.predicate, q.object))
    parts = []
    for g, triples in by_graph.items():
        body = (ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b"").decode("utf-8")
        parts.append(body if isinstance(g, ox.DefaultGraph) else f"GRAPH {g} {{\n{body}}}")
    return "\n".join(parts)


def _unlink_from_merge(triples: list[ox.Quad]) -> str:
    """An update operation: drop these triples from the merge unless a public graph still holds them."""
    rows = " ".join(f"({q.subject} {q.predicate} {q.object})" for q in triples)
    return (
        f"DELETE {{ ?s ?p ?o }} WHERE {{ VALUES (?s ?p ?o) {{ {rows} }} "
        f"FILTER NOT EXISTS {{ GRAPH ?h {{ ?s ?p ?o }} FILTER(?h != {PRIVATE}) }} }}"
    )


def _unlink_graph_from_merge(graph: ox.NamedNode) -> str:
    """An update operation: drop a graph's triples from the merge unless another public graph holds them."""
    return (
        f"DELETE {{ ?s ?p ?o }} WHERE {{ GRAPH {graph} {{ ?s ?p ?o }} "
        f"FILTER NOT EXISTS {{ GRAPH ?h {{ ?s ?p ?o }} FILTER(?h != {graph} && ?h != {PRIVATE}) }} }}"
    )


def _merged_copy(store: ox.Store, defaults: list[str | None], named: list[str]) -> ox.Store:
    """An in-memory dataset whose default graph is the RDF merge of ``defaults``."""
    copy = ox.Store()

    def quads() -> Iterator[ox.Quad]:
        for g in defaults:
            source = MERGE if g is None else ox.NamedNode(g)
            for q in store.quads_for_pattern(None, None, None, source):
                yield _merged(q)
        for g in named:
            yield from store.quads_for_pattern(None, None, None, ox.NamedNode(g))

    copy.extend(quads())
    for g in named:
        copy.add_graph(ox.NamedNode(g))
    return copy


def refuse_xml_entities(data: bytes | str, fmt: Format, source: str = "input") -> None:
    """Refuse RDF/XML that declares entities before the engine expands them.

    The engine expands internal DTD entities: ten nested ones ("billion laughs")
    make a kilobyte body into a gigabyte literal and tens of seconds of work.
    RDF/XML written by tools never needs them.
    """
    if fmt.name != "rdfxml":
        return
    head = data if isinstance(data, bytes) else data.encode("utf-8", "replace")
    if re.search(rb"<!ENTITY", head, re.IGNORECASE):
        raise LoadError(
            "RDF/XML with entity declarations (<!ENTITY …>) is not read: expand them before sending",
            source=source,
        )


def _parsed(source: Any, fmt: Format, target: ox.NamedNode, base_iri: str | None) -> Iterator[ox.Quad]:
    """Parse with the engine; triples land in ``target``, default-graph quads in the unnamed graph.

    Blank nodes get fresh identities, so a file never joins a blank node already in the store.
    """
    if isinstance(source, (bytes, str)):
        refuse_xml_entities(source, fmt)
    for item in ox.parse(source, format=fmt.rdf_format, base_iri=base_iri, rename_blank_nodes=True):
        if not fmt.is_dataset:
            yield ox.Quad(item.subject, item.predicate, item.object, target)
        else:
            yield stored(item)


def _exchange(a: Path, b: Path) -> None:
    """Swap two directories: in one step where the kernel can (Linux ``renameat2``), else in two renames."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        at_fdcwd, rename_exchange = -100, 2
        if libc.renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
            return
    except (OSError, AttributeError):
        pass
    aside = b.with_name(b.name + ".swap")
    os.rename(b, aside)
    os.rename(a, b)
    os.rename(aside, a)


_OBJECT = ox.Variable("o")
_LINKS_TO = "SELECT ?s ?p ?o ?g WHERE { GRAPH ?g { ?s ?p ?o } }"


class OxigraphRepository:
    """The :class:`~lcgraph.store.repository.Repository` over an embedded pyoxigraph store."""

    def __init__(self, store: ox.Store, path: Path | None = None) -> None:
        self._store = store
        self.path = path
        # Changes with every commit of this process (the embedded store has one writer).
        self._version = uuid.uuid4().hex
        self._write_lock = threading.Lock()
        # The public graphs' names, per version (a query naming no dataset lists them).
        self._public_named: tuple[str, list[ox.NamedNode]] | None = None
        self._cleanup: Path | None = None

    # -- opening -------------------------------------------------------------

    @classmethod
    def open(cls, path: str | Path) -> OxigraphRepository:
        """Open (creating if needed) an on-disk dataset in directory ``path``."""
        p = Path(path)
        p.mkdir(parents=True, exist_ok=True)
        ds = cls(ox.Store(str(p)), p)
        # Scratch copies left by a process that was killed mid-write are removed at start.
        shutil.rmtree(ds.scratch_dir(create=False), ignore_errors=True)
        mark = p / _UNION_MARK
        if not mark.exists():
            ds.rebuild_merge()
            mark.write_text("the store's default graph is the set union of its public graphs\n")
        return ds

    @classmethod
    def open_read_only(cls, path: str | Path) -> OxigraphRepository:
        """Open an existing on-disk dataset that nobody else writes to."""
        p = Path(path)
        return cls(ox.Store.read_only(str(p)), p)

    @classmethod
    def memory(cls) -> OxigraphRepository:
        """A fresh in-memory dataset (tests, scratch work)."""
        return cls(ox.Store(), None)

    def scratch_dir(self, *, create: bool = True) -> Path:
        """Where scratch copies of this store go (beside it; emptied when the store is opened)."""
        base = self.path.parent / f"{self.path.name}.scratch" if self.path else Path(tempfile.gettempdir())
        if create:
            base.mkdir(parents=True, exist_ok=True)
        return base

    def rebuild_merge(self) -> None:
        """Rebuild the store's default graph as the union of the public graphs.

        Used once on stores written before the merge existed (their default-graph
        triples move to the unnamed graph first) and by ``lcgraph init``.
        """
        old = [stored(q) for q in self._store.quads_for_pattern(None, None, None, MERGE)]
        if old:
            self._store.extend(old)
        self._store.update(
            f"CLEAR SILENT DEFAULT ; INSERT {{ ?s ?p ?o }} WHERE {{ GRAPH ?g {{ ?s ?p ?o }} "
            f"FILTER(?g != {PRIVATE}) }}"
        )
        self._changed()
        self.flush()

    def flush(self) -> None:
        """Make sure every write so far is on disk."""
        if self.path is not None:
            self._store.flush()

    def _changed(self) -> None:
        self._version = uuid.uuid4().hex

    def checkpoint(self, target: str | Path) -> None:
        """A consistent read-only copy at ``target`` (hard links; the snapshots query processes read)."""
        self._store.backup(str(target))

    def scratch_copy(self) -> OxigraphRepository:
        """A private writable copy of the whole store (dry runs); :meth:`close` removes it."""
        if self.path is not None:
            folder = Path(tempfile.mkdtemp(prefix="copy-", dir=self.scratch_dir()))
            self._store.backup(str(folder / "copy"))
            copy = OxigraphRepository(ox.Store(str(folder / "copy")), None)
            copy._cleanup = folder
            return copy
        store = ox.Store()
        store.bulk_extend(self._store.quads_for_pattern(None, None, None, None))
        for g in self._store.named_graphs():
            store.add_graph(g)
        return OxigraphRepository(store, None)

    def side_copy(self) -> OxigraphRepository:
        """A writable copy of this on-disk store beside it, for :meth:`take_over` (hard links: instant).

        Staged loads write the new data into the copy, validate it, and swap it
        in; a copy never taken over is removed by :meth:`close` (or, after a
        crash, when the store is opened next).
        """
        assert self.path is not None, "side copies are for on-disk stores"
        folder = Path(tempfile.mkdtemp(prefix="side-", dir=self.scratch_dir()))
        self._store.backup(str(folder / "store"))
        shutil.copy2(self.path / _UNION_MARK, folder / "store" / _UNION_MARK)
        copy = OxigraphRepository(ox.Store(str(folder / "store")), folder / "store")
        copy._cleanup = folder
        return copy

    def take_over(self, copy: OxigraphRepository) -> None:
        """Make a :meth:`side_copy` (written to since) this store, in one directory swap.

        Both stores are closed for the swap and this one is opened again; the
        old files go. No other process may hold the store (the command line
        refuses to write beside a running server).
        """
        assert self.path is not None and copy.path is not None and copy._cleanup is not None
        new, folder = copy.path, copy._cleanup
        copy.__dict__.pop("_store", None)
        copy._cleanup = None
        self.__dict__.pop("_store", None)
        _exchange(new, self.path)  # the old store is now at `new`
        self._store = ox.Store(str(self.path))
        self._changed()
        shutil.rmtree(folder, ignore_errors=True)

    def close(self) -> None:
        """Release the store; a scratch copy's files are removed."""
        self.__dict__.pop("_store", None)  # the engine closes the database with its last reference
        folder, self._cleanup = self._cleanup, None
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)

    # -- reading -------------------------------------------------------------

    def answer_bytes(self, sparql: str, results_format: Format, **kwargs: Any) -> None:
        """Never: the embedded engine evaluates and serialises (:meth:`query`)."""
        return None

    def query(
        self,
        sparql: str,
        *,
        default_graph: Iterable[str | None] | None = None,
        named_graphs: Iterable[str] | None = None,
        include_private: bool = False,
        substitutions: dict[str, Any] | None = None,
        base_iri: str | None = None,
        custom_functions: dict[ox.NamedNode, Callable[..., Any]] | None = None,
    ) -> QueryResult:
        """Evaluate a SPARQL query with the engine, with RDF-merge (set) semantics.

        Without an explicit dataset the default graph is the union of the
        public graphs (plus ``lcg:private`` when ``include_private``), each
        triple once; ``GRAPH ?g`` sees the same graphs. ``substitutions`` binds
        variables to RDF terms (no string splicing); ``custom_functions`` are
        extension functions evaluated in this process (the search index's).
        """
        if default_graph is None and named_graphs is None:
            # The query's own FROM / FROM NAMED, merged with set semantics like any other list.
            clause = read_dataset_clause(sparql)
            if clause.names_dataset:
                default_graph, named_graphs = clause.default, clause.named
        store, kwargs = self._engine_dataset(
            include_private=include_private,
            default_graph=default_graph,
            named_graphs=named_graphs,
        )
        if substitutions:
            kwargs["substitutions"] = {
                k if isinstance(k, ox.Variable) else ox.Variable(k): v for k, v in substitutions.items()
            }
        if base_iri:
            kwargs["base_iri"] = base_iri
        if custom_functions:
            kwargs["custom_functions"] = custom_functions
        return store.query(sparql, **kwargs)

    def _engine_dataset(
        self,
        *,
        include_private: bool,
        default_graph: Iterable[str | None] | None = None,
        named_graphs: Iterable[str] | None = None,
    ) -> tuple[ox.Store, dict[str, Any]]:
        """The engine store and arguments that give a query RDF-merge (set) semantics.

        The store's own default graph is kept as the set union of every public
        graph, written in the same transaction as each change (pyoxigraph 0.5
        returns a triple once per graph under its union option and for several
        default graphs). So a caller without ``read-private`` queries the store's
        default graph as it is; one with it adds ``lcg:private``, which holds no
        triple of a public graph (the write path keeps them apart). A list of
        several default graphs (``FROM``, ``default-graph-uri``, ``USING``) is merged
        into an in-memory copy first: correct, and its cost follows the size of
        the graphs named. ``None`` in ``default_graph`` is the union of the public
        graphs.
        """
        store = self._store
        kwargs: dict[str, Any] = {}
        if default_graph is not None:
            defaults = list(dict.fromkeys(default_graph))
            named = None if named_graphs is None else list(dict.fromkeys(named_graphs))
            if len(defaults) > 1:
                # Explicit arguments: the query text's own FROM must not apply to the copy.
                arguments = {"default_graph": [MERGE], "named_graphs": [ox.NamedNode(g) for g in named or []]}
                return _merged_copy(store, defaults, named or []), arguments
            kwargs["default_graph"] = [MERGE if g is None else ox.NamedNode(g) for g in defaults]
            kwargs["named_graphs"] = [ox.NamedNode(g) for g in (named or [])]
            return store, kwargs
        private_exists = store.contains_named_graph(PRIVATE)
        if include_private and private_exists:
            kwargs["default_graph"] = [MERGE, PRIVATE]
        if named_graphs is not None:
            kwargs["named_graphs"] = [ox.NamedNode(g) for g in named_graphs]
        elif not include_private and private_exists:
            kwargs["named_graphs"] = self._public_graph_nodes()
        return store, kwargs

    def _public_graph_nodes(self) -> list[ox.NamedNode]:
        """The named graphs a query without read-private sees (remembered per version)."""
        found = self._public_named
        version = self._version
        if found is None or found[0] != version:
            nodes = [g for g in self._store.named_graphs() if isinstance(g, ox.NamedNode) and g != PRIVATE]
            found = (version, nodes)
            self._public_named = found
        return found[1]

    def select(self, sparql: str, **kwargs: Any) -> list[dict[str, Any]]:
        """Run a SELECT and return rows as ``{variable: term}`` dicts.

        For services that need a handful of rows (counts, labels); bulk
        results should be serialised with the engine instead.
        """
        result = self.query(sparql, **kwargs)
        if not isinstance(result, ox.QuerySolutions):
            raise TypeError("select() needs a SELECT query")
        names = [v.value for v in result.variables]
        return [{n: row[n] for n in names if row[n] is not None} for row in result]

    def ask(self, sparql: str, **kwargs: Any) -> bool:
        result = self.query(sparql, **kwargs)
        if not isinstance(result, ox.QueryBoolean):
            raise TypeError("ask() needs an ASK query")
        return bool(result)

    def graphs(self) -> list[str]:
        """The IRIs of the named graphs, sorted."""
        return sorted(g.value for g in self._store.named_graphs() if isinstance(g, ox.NamedNode))

    def has_graph(self, graph: str) -> bool:
        return self._store.contains_named_graph(ox.NamedNode(graph))

    def quads(
        self,
        subject: Any = None,
        predicate: Any = None,
        object: Any = None,
        graph: str | ox.NamedNode | None = None,
    ) -> Iterator[ox.Quad]:
        """Quads of the named graphs matching a pattern (``None`` matches anything); streamed."""
        g = ox.NamedNode(graph) if isinstance(graph, str) else graph
        if g is None and subject is None and predicate is None and object is not None:
            # What links to ``object`` (a page's inbound links): the engine lists the merged default
            # graph's copies first, thousands for a class or a city, each read only to be skipped; a
            # GRAPH pattern reads the named graphs alone (first 200 links to a class: 108 -> 7 ms).
            rows = self._store.query(_LINKS_TO, substitutions={_OBJECT: object})
            assert isinstance(rows, ox.QuerySolutions)
            return (ox.Quad(r[0], r[1], object, r[3]) for r in rows)
        found = self._store.quads_for_pattern(subject, predicate, object, g)
        if g is not None:
            return iter(found)
        return (q for q in found if q.graph_name != MERGE)

    def contains(self, quad: ox.Quad) -> bool:
        return isinstance(quad.graph_name, ox.NamedNode) and quad in self._store

    def has_quad(self, subject: Any = None, predicate: Any = None, object: Any = None) -> bool:
        # The merged default graph holds only copies of named graphs' quads, so a match there is as
        # good as one in a named graph; skipping it (as ``quads`` does) would read every copy first:
        # the engine lists the default graph before the named ones (500 ms for a class IRI on 1M quads).
        return next(iter(self._store.quads_for_pattern(subject, predicate, object, None)), None) is not None

    def version(self) -> str:
        return self._version

    def count(self, graph: str | None = None) -> int:
        """Quads in one named graph (``None``: in every named graph)."""
        if graph is None:
            q = "SELECT (COUNT(*) AS ?n) { GRAPH ?g { ?s ?p ?o } }"
            rows = self.select(q, include_private=True)
        else:
            # str(NamedNode) is the escaped <iri> form: safe to put in the query.
            q = f"SELECT (COUNT(*) AS ?n) {{ GRAPH {ox.NamedNode(graph)} {{ ?s ?p ?o }} }}"
            rows = self.select(q, include_private=True)
        return int(rows[0]["n"].value)

    def is_empty(self) -> bool:
        for _ in self._store.quads_for_pattern(None, None, None, None):
            return False
        return True

    def stats(self) -> dict[str, Any]:
        """Triples per graph and instances per class, for ``lcgraph stats``."""
        per_graph = {
            row["g"].value: int(row["n"].value)
            for row in self.select(
                "SELECT ?g (COUNT(*) AS ?n) { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g",
                include_private=True,
            )
        }
        return store_stats(self, per_graph)

    # -- writing -------------------------------------------------------------

    def apply(
        self,
        add: Iterable[ox.Quad] = (),
        remove: Iterable[ox.Quad] = (),
        *,
        clear: Iterable[ox.NamedNode] = (),
        drop: Iterable[ox.NamedNode] = (),
        create: Iterable[ox.NamedNode] = (),
        expect_version: str | None = None,
    ) -> str:
        """Commit a change exactly as given, keeping the merged default graph in step; returns the version.

        ``clear`` empties graphs and keeps them, ``drop`` removes them,
        ``create`` makes empty ones (graphs exist apart from their triples, as
        SPARQL Update says). Removals happen first, then graph operations, then
        additions. A change that only adds goes in as quads, in one engine
        transaction (``extend``), blank nodes included. Otherwise everything
        but blank-node quads goes in one SPARQL update; blank-node quads are
        written with their own identities (SPARQL text would mint new blank
        nodes) right after it, in one more transaction.
        Callers validate first (the guarded write path). With
        ``expect_version``, nothing is written if another commit came first
        (:class:`~lcgraph.store.repository.ConcurrentChange`).
        """
        with self._write_lock:
            if expect_version is not None and expect_version != self._version:
                raise ConcurrentChange("the store changed since this change was checked; try again")
            changed = self._commit(list(add), list(remove), list(clear), list(drop), list(create))
            if changed:
                self._version = uuid.uuid4().hex
            return self._version

    def _commit(
        self,
        add: list[ox.Quad],
        remove: list[ox.Quad],
        clear: list[ox.NamedNode],
        drop: list[ox.NamedNode],
        create: list[ox.NamedNode],
    ) -> bool:
        if not (add or remove or clear or drop or create):
            return False
        add = [stored(q) for q in add]
        if not (remove or clear or drop or create):
            # Only additions (a new import, a write of new entities): the quads go in as they are, in
            # one engine transaction (``extend``), blank nodes included; no update text to write and parse.
            self._store.extend(add + [_merged(q) for q in add if _public(q)])
            return True
        remove = [stored(q) for q in remove]
        ops: list[str] = []
        plain_remove = [q for q in remove if not _has_blank(q)]
        blank_remove = [q for q in remove if _has_blank(q)]
        plain_add = [q for q in add if not _has_blank(q)]
        # A triple moved from one public graph to another (importing a sheet again) stays in the
        # merge: it is neither unlinked nor copied again. Not when graphs are emptied as well (the
        # graph-wide unlink below could take it out of the merge).
        moved: set[ox.Triple] = set()
        if not (clear or drop):
            readded = {q.triple for q in plain_add if _public(q)}
            moved = {t for q in plain_remove if _public(q) and (t := q.triple) in readded}
        if plain_remove:
            ops.append("DELETE DATA {\n" + _data_block(plain_remove) + "\n}")
            public = [q for q in plain_remove if _public(q) and q.triple not in moved]
            if public:
                ops.append(_unlink_from_merge(public))
        for g in clear:
            if g != PRIVATE:
                ops.append(_unlink_graph_from_merge(g))
            ops.append(f"CLEAR SILENT GRAPH {g}")
        for g in drop:
            if g != PRIVATE:
                ops.append(_unlink_graph_from_merge(g))
            ops.append(f"DROP SILENT GRAPH {g}")
        ops.extend(f"CREATE SILENT GRAPH {g}" for g in create)
        blank_add = [q for q in add if _has_blank(q)]
        if plain_add:
            copies = [_merged(q) for q in plain_add if _public(q) and q.triple not in moved]
            ops.append("INSERT DATA {\n" + _data_block(plain_add + copies) + "\n}")
        if ops:
            self._store.update(" ;\n".join(ops))
        for q in blank_remove:
            self._store.remove(q)
            if _public(q) and not any(
                h.graph_name not in (PRIVATE, MERGE)
                for h in self._store.quads_for_pattern(q.subject, q.predicate, q.object, None)
            ):
                self._store.remove(_merged(q))
        if blank_add:
            self._store.extend(blank_add + [_merged(q) for q in blank_add if _public(q)])
        return True

    def update(self, sparql: str, *, base_iri: str | None = None) -> None:
        """Run a SPARQL update as the engine runs it, then bring the merge back in step.

        What the update wrote to or deleted from the default graph is moved to or
        from the unnamed graph. This reads the whole store twice: it is for tests
        and maintenance scripts; the service writes through :meth:`apply`.
        """
        before = set(self._store.quads_for_pattern(None, None, None, MERGE))
        if base_iri:
            self._store.update(sparql, base_iri=base_iri)
        else:
            self._store.update(sparql)
        after = set(self._store.quads_for_pattern(None, None, None, MERGE))
        self._store.extend(stored(q) for q in after - before)
        for q in before - after:
            self._store.remove(stored(q))
        public = {
            ox.Quad(q.subject, q.predicate, q.object)
            for q in self._store.quads_for_pattern(None, None, None, None)
            if isinstance(q.graph_name, ox.NamedNode) and q.graph_name != PRIVATE
        }
        for q in after - public:
            self._store.remove(q)
        self._store.extend(public - after)
        self._changed()

    def load_bytes(
        self,
        data: bytes | str,
        format: str | Format,
        *,
        graph: str | None = None,
        source: str = "input",
        base_iri: str | None = None,
        afterword: Afterword | None = None,
    ) -> LoadResult:
        """Load a serialisation held in memory, in one transaction (with ``afterword``'s quads)."""
        fmt = by_name(format) if isinstance(format, str) else format
        if isinstance(data, str):
            data = data.encode("utf-8")
        if not data.strip():
            raise LoadError("the input is empty: there is nothing to load", source=source)
        target = _graph_node(graph)
        before = time.perf_counter()
        count_before = self._touched_count(fmt, target)
        try:
            quads = list(_parsed(data, fmt, target, base_iri))
            if afterword is not None:
                quads += afterword(len(quads), sorted({graph_iri(q.graph_name) for q in quads}))
        except (SyntaxError, ValueError, UnicodeDecodeError) as exc:
            raise _load_error(exc, source) from None
        self._store.extend(quads + [_merged(q) for q in quads if _public(q)])
        self._changed()
        return LoadResult(
            source, fmt.name, count_before, self._touched_count(fmt, target), time.perf_counter() - before
        )

    def load_path(
        self,
        path: str | Path,
        *,
        graph: str | None = None,
        format: str | None = None,
        progress: ProgressCallback | None = None,
        base_iri: str | None = None,
        afterword: Afterword | None = None,
        bulk: bool = False,
        chunk: int | None = None,
    ) -> LoadResult:
        """Load a file, all-or-nothing, naming file/line/column on error.

        ``bulk=True`` uses the bulk loader whatever the size (for staging stores).
        ``chunk``: with ``bulk``, hand the bulk loader this many quads at a time,
        so its memory follows the chunk and not the file; the load is then *not*
        all-or-nothing (an error leaves the chunks before it written): for
        scratch stores that are thrown away on error (side copies, staging).

        ``graph`` is where triples of a triple format go (the unnamed graph if
        ``None``); dataset formats (TriG, N-Quads) keep their own graphs.
        ``progress`` is called with the number of bytes read.
        """
        p = Path(path)
        source = str(p)
        try:
            fmt = for_path(p, format)
        except UnknownFormat as exc:
            raise LoadError(str(exc), source=source) from None
        if not p.exists():
            raise LoadError("no such file", source=source)
        if p.is_dir():
            raise LoadError("is a directory, not a file", source=source)
        size = p.stat().st_size
        if size == 0:
            raise LoadError("the file is empty: there is nothing to load", source=source)
        if p.suffix.lower() == ".gz" or (size <= TRANSACTIONAL_LIMIT and not bulk):
            return self.load_bytes(
                self._read_all(p, progress),
                fmt,
                graph=graph,
                source=source,
                base_iri=base_iri,
                afterword=afterword,
            )
        return self._bulk_load(p, fmt, _graph_node(graph), source, progress, base_iri, afterword, chunk)

    @staticmethod
    def _read_all(p: Path, progress: ProgressCallback | None) -> bytes:
        opener = gzip.open if p.suffix.lower() == ".gz" else open
        try:
            with opener(p, "rb") as fh:
                data = fh.read()
        except (OSError, EOFError) as exc:
            raise LoadError(f"cannot read the file: {exc}", source=str(p)) from None
        if progress is not None:
            progress(p.stat().st_size)
        return data

    def _touched_count(self, fmt: Format, target: ox.NamedNode) -> int:
        if fmt.is_dataset:
            return self.count()
        return self.count(target.value)

    def _bulk_load(
        self,
        p: Path,
        fmt: Format,
        target: ox.NamedNode,
        source: str,
        progress: ProgressCallback | None,
        base_iri: str | None,
        afterword: Afterword | None = None,
        chunk: int | None = None,
    ) -> LoadResult:
        # The engine's bulk loader writes its sorted files into the database only
        # at the end (as `oxigraph load` does by default), so a syntax error or an
        # interruption leaves the store as it was; tests check both. Each quad is
        # written twice: to its graph and to the merged default graph. In chunks
        # (scratch stores only), each chunk's files are added when it is read: the
        # loader's memory follows the chunk (1.17M triples: peak RSS 2,016 MB in one
        # piece, 325 MB in chunks of 200,000 quads, for 18% more CPU; bench/RESULTS.md).
        started = time.perf_counter()
        count_before = self._touched_count(fmt, target)

        def both(quads: Iterable[ox.Quad]) -> Iterator[ox.Quad]:
            count = 0
            graphs: set[str] = set()
            for q in quads:
                q = stored(q)
                count += 1
                graphs.add(graph_iri(q.graph_name))
                yield q
                if q.graph_name != PRIVATE:
                    yield ox.Quad(q.subject, q.predicate, q.object)
            # The history record goes into the same bulk load: both land, or neither.
            for q in afterword(count, sorted(graphs)) if afterword is not None else ():
                yield q
                yield ox.Quad(q.subject, q.predicate, q.object)

        def twice(triples: Iterable[ox.Quad]) -> Iterator[ox.Quad]:
            # A triple format into one public graph: the engine reads each triple into the default
            # graph, so the parsed quad is its merged copy as it is (two Python objects fewer per triple).
            count = 0
            for t in triples:
                count += 1
                yield ox.Quad(t.subject, t.predicate, t.object, target)
                yield t
            for q in afterword(count, [target.value] if count else []) if afterword is not None else ():
                yield q
                yield ox.Quad(q.subject, q.predicate, q.object)

        with open(p, "rb") as raw:
            reader = io.BufferedReader(_CountingReader(raw, progress), buffer_size=1 << 20)
            try:
                if fmt.is_dataset or target == PRIVATE:
                    feed = both(_parsed(reader, fmt, target, base_iri))
                else:
                    feed = twice(
                        ox.parse(reader, format=fmt.rdf_format, base_iri=base_iri, rename_blank_nodes=True)
                    )
                if chunk:
                    while part := list(itertools.islice(feed, chunk)):
                        self._store.bulk_extend(part)
                else:
                    self._store.bulk_extend(feed)
            except (SyntaxError, ValueError, UnicodeDecodeError, OSError) as exc:
                raise _load_error(exc, source) from None
        self._changed()
        self.flush()
        return LoadResult(
            source, fmt.name, count_before, self._touched_count(fmt, target), time.perf_counter() - started
        )

    # -- exporting -----------------------------------------------------------

    def dump(
        self,
        output: Writable | str | Path,
        format: str | Format | ox.RdfFormat,
        *,
        graph: str | None = None,
        default_graph: bool = False,
        prefixes: dict[str, str] | None = None,
        exclude: Iterable[str] = (),
    ) -> None:
        """Serialise with the engine, streamed to ``output``.

        Dataset formats write every named graph (but those in ``exclude``)
        unless ``graph`` is given; triple formats need a graph (``graph``, or
        ``default_graph=True`` for the public union).
        """
        if isinstance(format, ox.RdfFormat):
            rdf_format, is_dataset, name = format, format.supports_datasets, format.file_extension
        else:
            fmt = by_name(format) if isinstance(format, str) else format
            rdf_format, is_dataset, name = fmt.rdf_format, fmt.is_dataset, fmt.name
        kwargs: dict[str, Any] = {}
        if graph is not None:
            kwargs["from_graph"] = ox.NamedNode(graph)
        elif default_graph:
            kwargs["from_graph"] = MERGE
        elif not is_dataset:
            raise UnknownFormat(
                f"{name} holds one graph: name the graph to export, or use trig/nquads for the whole dataset"
            )
        if prefixes and rdf_format in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG, ox.RdfFormat.RDF_XML):
            kwargs["prefixes"] = prefixes
        out = engine_target(output)
        if "from_graph" in kwargs:
            self._store.dump(out, format=rdf_format, **kwargs)
            return
        # The whole dataset: every named graph, not the merged default graph.
        skip = {ox.NamedNode(g) for g in exclude if self._store.contains_named_graph(ox.NamedNode(g))}
        named = (
            q
            for q in self._store.quads_for_pattern(None, None, None, None)
            if q.graph_name != MERGE and (not skip or q.graph_name not in skip)
        )
        ox.serialize(named, out, format=rdf_format, **kwargs)


# The name the rest of the code base has used for the embedded repository.
Dataset = OxigraphRepository
