"""The repository seam: the one interface every other layer uses to reach the data.

For developers of every layer above ``lcgraph/store/``. lcgraph runs on its
embedded store (:class:`lcgraph.store.oxigraph.OxigraphRepository`, pyoxigraph
on disk or in memory) or on a SPARQL 1.1 store a deployment already runs
(:class:`lcgraph.store.sparql.SparqlRepository`: Oxigraph server, Virtuoso, …).
Both keep the same dataset layout, so everything above this seam behaves the
same on either:

* every write lands in a named graph; writes addressed to "the default graph"
  land in ``lcg:default`` (:data:`lcgraph.namespaces.GRAPH_UNNAMED`);
* a query that names no dataset reads the **set union** of the public graphs
  (every graph but ``lcg:private``), each triple once; callers allowed to read
  personal data ask for ``include_private=True``;
* graphs exist apart from their triples (``CREATE``/``DROP``/``CLEAR`` as
  SPARQL 1.1 Update says).

pyoxigraph's *terms* (``NamedNode``, ``Literal``, ``BlankNode``, ``Quad``) are
the term model everywhere; a pyoxigraph ``Store`` is touched only inside
``lcgraph/store/`` (tests/test_layers.py checks it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import pyoxigraph as ox

from lcgraph.store.formats import Format, Writable

ProgressCallback = Callable[[int], None]
"""Called with the number of bytes read so far."""

Afterword = Callable[[int, list[str]], list[ox.Quad]]
"""Called once the input is read, with the number of quads and the graphs they went to; the quads it
returns (a history record) are written in the same transaction or bulk load as the data."""

QueryResult = ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples
"""What a query answers: the engine's own result objects (they serialise themselves, streamed)."""


class StoreUnavailable(Exception):
    """The store did not answer (down, timed out, answered garbage); names the store. Nothing was written."""

    def __init__(self, message: str, *, store: str, timeout: bool = False) -> None:
        self.store = store
        self.timeout = timeout
        self.problem = message
        super().__init__(f"{store}: {message}")

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword-only arguments: say how to rebuild it when it crosses a process boundary.
        return (_store_unavailable, (self.problem, self.store, self.timeout))


def _store_unavailable(message: str, store: str, timeout: bool) -> StoreUnavailable:
    return StoreUnavailable(message, store=store, timeout=timeout)


class StoreAnswer(Protocol):
    """A store's own answer to a SELECT/ASK, to be streamed as it is (:meth:`Repository.answer_bytes`)."""

    #: The SPARQL results format the bytes are in (the one asked for).
    format: Format

    def write_to(self, output: Writable) -> None:
        """Copy the answer into ``output`` as it arrives (:class:`StoreUnavailable` if it breaks off)."""
        ...

    def close(self) -> None:
        """Stop reading (callable from any thread: a blocked read then returns at once)."""
        ...


class ConcurrentChange(Exception):
    """Another process changed the store between this commit's read and its write; nothing was written."""


@runtime_checkable
class Repository(Protocol):
    """An RDF dataset lcgraph reads and writes (see the module docstring for its layout)."""

    #: Where the store lives on this machine (``None``: in memory or remote).
    path: Path | None

    # -- reading -------------------------------------------------------------

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
        """Evaluate a SPARQL query with set semantics over the chosen dataset.

        Without ``default_graph``/``named_graphs`` (nor ``FROM`` in the text)
        the default graph is the union of the public graphs (plus
        ``lcg:private`` when ``include_private``). ``None`` in
        ``default_graph`` stands for that union. ``substitutions`` binds
        variables to terms (no string splicing). ``custom_functions`` are
        extension functions run in this process (a remote store refuses them).
        """
        ...

    def answer_bytes(self, sparql: str, results_format: Format, **kwargs: Any) -> StoreAnswer | None:
        """The answer to a SELECT/ASK written by the store itself in ``results_format``, not yet read.

        For stores that serialise answers themselves (a remote SPARQL store):
        the request is sent and its status checked here (a store that is down,
        slow or failing raises :class:`StoreUnavailable` before any byte is
        read), same dataset rules as :meth:`query` (same ``kwargs``).
        ``None`` means: evaluate with :meth:`query` and let the engine
        serialise (always so on the embedded store; on a remote store for
        CONSTRUCT/DESCRIBE and for datasets it merges itself).
        """
        ...

    def select(self, sparql: str, **kwargs: Any) -> list[dict[str, Any]]:
        """A SELECT's rows as ``{variable: term}`` (unbound variables left out); for small answers."""
        ...

    def ask(self, sparql: str, **kwargs: Any) -> bool: ...

    def quads(
        self,
        subject: Any = None,
        predicate: Any = None,
        object: Any = None,
        graph: str | ox.NamedNode | None = None,
    ) -> Iterator[ox.Quad]:
        """Quads of the named graphs matching a pattern (``None`` matches anything); streamed."""
        ...

    def contains(self, quad: ox.Quad) -> bool:
        """Is this quad (in a named graph) in the store?"""
        ...

    def has_quad(self, subject: Any = None, predicate: Any = None, object: Any = None) -> bool:
        """Does some named graph hold a quad matching the pattern (``None`` matches anything)?

        One lookup, whatever the number of matches (``next(iter(quads(…)))`` may read many).
        """
        ...

    def graphs(self) -> list[str]:
        """The IRIs of the named graphs, sorted (empty ones included)."""
        ...

    def has_graph(self, graph: str) -> bool: ...

    def count(self, graph: str | None = None) -> int:
        """Quads in one named graph (``None``: in every named graph)."""
        ...

    def is_empty(self) -> bool: ...

    def stats(self) -> dict[str, Any]:
        """Triples per graph and instances per class (``lcgraph stats``)."""
        ...

    def version(self) -> str:
        """An opaque token that changes whenever a commit changes the store."""
        ...

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
        """Commit a change atomically, exactly as given; returns the new version.

        Removals first, then ``clear`` (empty, keep), ``drop`` (remove),
        ``create`` (make empty graphs), then additions; blank nodes keep their
        identities. With ``expect_version``, raises :class:`ConcurrentChange`
        (writing nothing) if the store is no longer at that version. Callers
        validate first (the guarded write path).
        """
        ...

    def load_bytes(
        self,
        data: bytes | str,
        format: str | Format,
        *,
        graph: str | None = None,
        source: str = "input",
        base_iri: str | None = None,
        afterword: Afterword | None = None,
    ) -> Any:
        """Load a serialisation held in memory, all-or-nothing (with ``afterword``'s quads)."""
        ...

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
    ) -> Any:
        """Load a file, all-or-nothing, naming file/line/column on error."""
        ...

    def flush(self) -> None:
        """Make sure every write so far is durable."""
        ...

    # -- exporting and copies ------------------------------------------------

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
        """Serialise every named graph (but those in ``exclude``), one graph, or the public union."""
        ...

    def scratch_copy(self) -> Repository:
        """A private writable copy of the whole store, for dry runs (discarded by the caller)."""
        ...

    def close(self) -> None:
        """Release the store (connections, locks)."""
        ...


def store_stats(repository: Repository, per_graph: dict[str, int]) -> dict[str, Any]:
    """``lcgraph stats`` from the triples per graph (each store counts those its own way).

    The public union and the instances per class are asked of the repository
    the same way on every store.
    """
    union = int(repository.select("SELECT (COUNT(*) AS ?n) { ?s ?p ?o }")[0]["n"].value)
    per_class = {
        row["c"].value: int(row["n"].value)
        for row in repository.select(
            "SELECT ?c (COUNT(DISTINCT ?s) AS ?n) { ?s a ?c } GROUP BY ?c ORDER BY DESC(?n) ?c",
            include_private=True,
        )
    }
    return {
        "quads": sum(per_graph.values()),
        "public_triples": union,
        "graphs": per_graph,
        "classes": per_class,
    }
