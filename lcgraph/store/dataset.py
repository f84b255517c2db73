"""The lcgraph dataset: the one class that touches the database.

For developers of every other layer. A :class:`Dataset` wraps a pyoxigraph
``Store`` (on disk, RocksDB, or in memory for tests). SPARQL is evaluated by
the engine and results are serialised by the engine; nothing here walks
triples in Python except the streaming loader's progress accounting.

Loading is all-or-nothing. Small inputs go through the engine's
transactional ``load``. Big files go through the engine's bulk loader, which
builds sorted files on the side and adds them to the database only once the
whole input has been read: a syntax error at line 40,000, a bad byte or a
Ctrl-C leaves the store as it was (tests/test_store.py checks each).
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import pyoxigraph as ox

from lcgraph.store.formats import Format, UnknownFormat, by_name, for_path

# Inputs below this size are loaded in one transaction (held in memory).
TRANSACTIONAL_LIMIT = 32 * 1024 * 1024

ProgressCallback = Callable[[int], None]
"""Called with the number of bytes read so far."""


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


def _graph_node(graph: str | ox.NamedNode | None) -> ox.NamedNode | ox.DefaultGraph:
    if graph is None:
        return ox.DefaultGraph()
    if isinstance(graph, ox.NamedNode):
        return graph
    try:
        return ox.NamedNode(graph)
    except ValueError as exc:
        raise LoadError(f"invalid graph IRI {graph!r}: {exc}") from None


class Dataset:
    """An RDF dataset (default graph + named graphs) over a pyoxigraph store."""

    def __init__(self, store: ox.Store, path: Path | None = None) -> None:
        self.store = store
        self.path = path

    # -- opening -------------------------------------------------------------

    @classmethod
    def open(cls, path: str | Path) -> Dataset:
        """Open (creating if needed) an on-disk dataset in directory ``path``."""
        p = Path(path)
        p.mkdir(parents=True, exist_ok=True)
        return cls(ox.Store(str(p)), p)

    @classmethod
    def open_read_only(cls, path: str | Path) -> Dataset:
        """Open an existing on-disk dataset that nobody else writes to."""
        p = Path(path)
        return cls(ox.Store.read_only(str(p)), p)

    @classmethod
    def memory(cls) -> Dataset:
        """A fresh in-memory dataset (tests, scratch work)."""
        return cls(ox.Store(), None)

    def flush(self) -> None:
        """Make sure every write so far is on disk."""
        if self.path is not None:
            self.store.flush()

    # -- reading -------------------------------------------------------------

    def query(
        self,
        sparql: str,
        *,
        default_graph: Iterable[str] | None = None,
        named_graphs: Iterable[str] | None = None,
        union_default_graph: bool = True,
        substitutions: dict[str, Any] | None = None,
        base_iri: str | None = None,
    ) -> ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples:
        """Evaluate a SPARQL query with the engine.

        Without an explicit dataset the default graph is the union of all
        graphs, which is what a researcher expects of a knowledge graph split
        into named graphs by source. ``substitutions`` binds variables to RDF
        terms (no string splicing).
        """
        kwargs: dict[str, Any] = {}
        if default_graph is not None:
            kwargs["default_graph"] = [_graph_node(g) for g in default_graph]
        elif union_default_graph:
            kwargs["use_default_graph_as_union"] = True
        if named_graphs is not None:
            kwargs["named_graphs"] = [ox.NamedNode(g) for g in named_graphs]
        if substitutions:
            kwargs["substitutions"] = {
                k if isinstance(k, ox.Variable) else ox.Variable(k): v for k, v in substitutions.items()
            }
        if base_iri:
            kwargs["base_iri"] = base_iri
        return self.store.query(sparql, **kwargs)

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
        return sorted(g.value for g in self.store.named_graphs() if isinstance(g, ox.NamedNode))

    def has_graph(self, graph: str) -> bool:
        return self.store.contains_named_graph(ox.NamedNode(graph))

    def count(self, graph: str | None = None) -> int:
        """Quads in one graph (``None``: the whole dataset)."""
        if graph is None:
            q = "SELECT (COUNT(*) AS ?n) { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }"
            rows = self.select(q, union_default_graph=False)
        else:
            # str(NamedNode) is the escaped <iri> form: safe to put in the query.
            q = f"SELECT (COUNT(*) AS ?n) {{ GRAPH {ox.NamedNode(graph)} {{ ?s ?p ?o }} }}"
            rows = self.select(q, union_default_graph=False)
        return int(rows[0]["n"].value)

    def _graph_is_empty(self, graph: ox.NamedNode | ox.DefaultGraph) -> bool:
        for _ in self.store.quads_for_pattern(None, None, None, graph):
            return False
        return True

    def is_empty(self) -> bool:
        for _ in self.store.quads_for_pattern(None, None, None, None):
            return False
        return True

    def stats(self) -> dict[str, Any]:
        """Triples per graph and instances per class, for ``lcgraph stats``."""
        per_graph = {
            row["g"].value: int(row["n"].value)
            for row in self.select(
                "SELECT ?g (COUNT(*) AS ?n) { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g",
                union_default_graph=False,
            )
        }
        default_count = int(
            self.select("SELECT (COUNT(*) AS ?n) { ?s ?p ?o }", union_default_graph=False)[0]["n"].value
        )
        per_class = {
            row["c"].value: int(row["n"].value)
            for row in self.select(
                "SELECT ?c (COUNT(DISTINCT ?s) AS ?n) { ?s a ?c } GROUP BY ?c ORDER BY DESC(?n) ?c"
            )
        }
        return {
            "quads": default_count + sum(per_graph.values()),
            "default_graph": default_count,
            "graphs": per_graph,
            "classes": per_class,
        }

    # -- writing -------------------------------------------------------------

    def update(self, sparql: str, *, base_iri: str | None = None) -> None:
        """Apply a SPARQL update in one transaction (callers validate first)."""
        if base_iri:
            self.store.update(sparql, base_iri=base_iri)
        else:
            self.store.update(sparql)

    def load_bytes(
        self,
        data: bytes | str,
        format: str | Format,
        *,
        graph: str | None = None,
        source: str = "input",
        base_iri: str | None = None,
    ) -> LoadResult:
        """Load a serialisation held in memory, in one transaction."""
        fmt = by_name(format) if isinstance(format, str) else format
        if isinstance(data, str):
            data = data.encode("utf-8")
        if not data.strip():
            raise LoadError("the input is empty: there is nothing to load", source=source)
        target = _graph_node(graph)
        before = time.perf_counter()
        count_before = self._touched_count(fmt, target)
        try:
            self.store.load(
                data, format=fmt.rdf_format, to_graph=self._to_graph(fmt, target), base_iri=base_iri
            )
        except (SyntaxError, ValueError, UnicodeDecodeError) as exc:
            raise _load_error(exc, source) from None
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
        bulk: bool = False,
    ) -> LoadResult:
        """Load a file, all-or-nothing, naming file/line/column on error.

        ``bulk=True`` uses the bulk loader whatever the size (for staging stores).

        ``graph`` is where triples of a triple format go (default graph if
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
                self._read_all(p, progress), fmt, graph=graph, source=source, base_iri=base_iri
            )
        return self._bulk_load(p, fmt, _graph_node(graph), source, progress, base_iri)

    @staticmethod
    def _read_all(p: Path, progress: ProgressCallback | None) -> bytes:
        import gzip

        opener = gzip.open if p.suffix.lower() == ".gz" else open
        try:
            with opener(p, "rb") as fh:
                data = fh.read()
        except (OSError, EOFError) as exc:
            raise LoadError(f"cannot read the file: {exc}", source=str(p)) from None
        if progress is not None:
            progress(p.stat().st_size)
        return data

    @staticmethod
    def _to_graph(fmt: Format, target: ox.NamedNode | ox.DefaultGraph) -> Any:
        return None if fmt.is_dataset else target

    def _touched_count(self, fmt: Format, target: ox.NamedNode | ox.DefaultGraph) -> int:
        if fmt.is_dataset:
            return self.count()
        if isinstance(target, ox.DefaultGraph):
            return int(
                self.select("SELECT (COUNT(*) AS ?n) { ?s ?p ?o }", union_default_graph=False)[0]["n"].value
            )
        return self.count(target.value)

    def _bulk_load(
        self,
        p: Path,
        fmt: Format,
        target: ox.NamedNode | ox.DefaultGraph,
        source: str,
        progress: ProgressCallback | None,
        base_iri: str | None,
    ) -> LoadResult:
        # The engine's bulk loader writes its sorted files into the database only
        # at the end (as `oxigraph load` does by default), so a syntax error or an
        # interruption leaves the store as it was; tests check both.
        started = time.perf_counter()
        count_before = self._touched_count(fmt, target)
        with open(p, "rb") as raw:
            reader = io.BufferedReader(_CountingReader(raw, progress), buffer_size=1 << 20)
            try:
                self.store.bulk_load(
                    reader, format=fmt.rdf_format, to_graph=self._to_graph(fmt, target), base_iri=base_iri
                )
            except (SyntaxError, ValueError, UnicodeDecodeError, OSError) as exc:
                raise _load_error(exc, source) from None
        self.flush()
        return LoadResult(
            source, fmt.name, count_before, self._touched_count(fmt, target), time.perf_counter() - started
        )

    # -- exporting -----------------------------------------------------------

    def dump(
        self,
        output: IO[bytes] | str | Path,
        format: str | Format,
        *,
        graph: str | None = None,
        default_graph: bool = False,
        prefixes: dict[str, str] | None = None,
    ) -> None:
        """Serialise with the engine, streamed to ``output``.

        Dataset formats write every graph unless ``graph`` is given; triple
        formats need a graph (``graph`` or ``default_graph=True``).
        """
        fmt = by_name(format) if isinstance(format, str) else format
        kwargs: dict[str, Any] = {}
        if graph is not None:
            kwargs["from_graph"] = ox.NamedNode(graph)
        elif default_graph:
            kwargs["from_graph"] = ox.DefaultGraph()
        elif not fmt.is_dataset:
            raise UnknownFormat(
                f"{fmt.name} holds one graph: name the graph to export, "
                "or use trig/nquads for the whole dataset"
            )
        if prefixes and fmt.name in ("turtle", "trig", "rdfxml"):
            kwargs["prefixes"] = prefixes
        out = str(output) if isinstance(output, Path) else output
        self.store.dump(out, format=fmt.rdf_format, **kwargs)

    def quads(self, graph: str | None = None) -> Iterator[ox.Quad]:
        """Iterate quads (of one graph, or all); for small graphs and tests."""
        g = ox.NamedNode(graph) if graph else None
        return iter(self.store.quads_for_pattern(None, None, None, g))
