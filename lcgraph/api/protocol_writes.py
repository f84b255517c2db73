"""Every write the SPARQL service makes, in one place (the seam to guarded writes).

For the ``/sparql`` (update) and ``/store`` (Graph Store) routers. Each
function here is blocking (run it with ``asyncio.to_thread``), all-or-nothing
and serialised by one lock, so "did this graph exist?" and the write that
follows cannot interleave with another write.

Every one goes through the guarded write path
(:mod:`lcgraph.validation.guarded`): the Graph Store writes hand it the quads
to add and remove, :func:`run_update` hands it the update text. A write that
breaks the shapes raises ``ValidationFailed``, which becomes HTTP 422 with the
report (see ``lcgraph.app``); nothing is written then.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass

import pyoxigraph as ox

from lcgraph.access import ANONYMOUS, Access
from lcgraph.store import Format, LoadError, Repository
from lcgraph.store.dataset import refuse_xml_entities, stored
from lcgraph.store.graph_names import UNNAMED, graph_node
from lcgraph.validation.guarded import apply_change, apply_update

_write_lock = threading.Lock()


@dataclass(frozen=True)
class Written:
    """What a write did: whether the store changed (a new snapshot is due), whether a graph was created."""

    changed: bool
    created: bool = False


@dataclass(frozen=True)
class Part:
    """One RDF document of a request body (a multipart request has several)."""

    data: bytes
    format: Format
    name: str = "request body"


def parse_parts(
    parts: Sequence[Part], graph: str | None, *, base_iri: str | None = None, dataset: bool = False
) -> list[ox.Quad]:
    """Parse every part completely before anything is written; errors name part, line and column."""
    quads: list[ox.Quad] = []
    target = graph_node(graph)
    for part in parts:
        if part.format.is_dataset and not dataset:
            raise LoadError(
                f"{part.format.name} carries named graphs; send it to the whole store "
                "(no graph= or default parameter) or use a triple format",
                source=part.name,
            )
        into = UNNAMED if dataset else target
        refuse_xml_entities(part.data, part.format, part.name)
        try:
            # Fresh blank-node ids: two files (or a file and the store) never share one by accident.
            for item in ox.parse(
                part.data, format=part.format.rdf_format, base_iri=base_iri, rename_blank_nodes=True
            ):
                quads.append(
                    stored(item)
                    if part.format.is_dataset
                    else ox.Quad(item.subject, item.predicate, item.object, into)
                )
        except SyntaxError as exc:
            raise LoadError(
                exc.msg or str(exc), source=part.name, line=exc.lineno, column=exc.offset
            ) from None
        except (ValueError, UnicodeDecodeError) as exc:
            raise LoadError(str(exc), source=part.name) from None
    return quads


def graph_exists(ds: Repository, graph: str | None) -> bool:
    """A named graph exists once created (until dropped); the default graph always exists."""
    return graph is None or ds.has_graph(graph)


def _quads_of(ds: Repository, graph: str | None) -> list[ox.Quad]:
    return list(ds.quads(graph=graph_node(graph)))


def replace_graph(
    ds: Repository,
    graph: str | None,
    parts: Sequence[Part],
    *,
    agent: str | None = None,
    base_iri: str | None = None,
    access: Access = ANONYMOUS,
) -> Written:
    """GSP PUT: the graph's content becomes the parts' triples."""
    quads = parse_parts(parts, graph, base_iri=base_iri)
    with _write_lock:
        created = not graph_exists(ds, graph)
        target = graph_node(graph)
        result = apply_change(
            ds,
            add_quads=quads,
            clear=[target],
            create=[target],
            source="graph store PUT",
            agent=agent,
            access=access,
        )
    return Written(created or result.change is not None, created)


def add_to_graph(
    ds: Repository,
    graph: str | None,
    parts: Sequence[Part],
    *,
    agent: str | None = None,
    base_iri: str | None = None,
    access: Access = ANONYMOUS,
) -> Written:
    """GSP POST: add the parts' triples to the graph."""
    quads = parse_parts(parts, graph, base_iri=base_iri)
    with _write_lock:
        created = not graph_exists(ds, graph)
        result = apply_change(
            ds,
            add_quads=quads,
            create=[graph_node(graph)],
            source="graph store POST",
            agent=agent,
            access=access,
        )
    return Written(created or result.change is not None, created)


def delete_graph(
    ds: Repository, graph: str | None, *, agent: str | None = None, access: Access = ANONYMOUS
) -> Written | None:
    """GSP DELETE: drop a named graph (or empty the default one); ``None`` if it did not exist."""
    with _write_lock:
        if not graph_exists(ds, graph):
            return None
        target = graph_node(graph)
        result = apply_change(
            ds,
            clear=[target] if graph is None else [],
            drop=[] if graph is None else [target],
            source="graph store DELETE",
            agent=agent,
            access=access,
        )
    return Written(result.change is not None)


def replace_dataset(
    ds: Repository,
    parts: Sequence[Part],
    *,
    agent: str | None = None,
    base_iri: str | None = None,
    access: Access = ANONYMOUS,
) -> Written:
    """GSP PUT on the whole store: the graphs the caller may write are replaced by the body's.

    Graphs the caller may not write (the history, the reference graphs for
    non-administrators, the private graph without read-private) stay as they
    are; a body naming one of them is refused (403).
    """
    quads = parse_parts(parts, None, base_iri=base_iri, dataset=True)
    with _write_lock:
        written = {q.graph_name for q in quads}
        replaced = [ox.NamedNode(g) for g in ds.graphs() if access.may_write(g)]
        result = apply_change(
            ds,
            add_quads=quads,
            clear=[g for g in replaced if g in written],
            drop=[g for g in replaced if g not in written],
            source="graph store PUT (dataset)",
            agent=agent,
            access=access,
        )
    return Written(result.change is not None)


def add_to_dataset(
    ds: Repository,
    parts: Sequence[Part],
    *,
    agent: str | None = None,
    base_iri: str | None = None,
    access: Access = ANONYMOUS,
) -> Written:
    """GSP POST on the whole store: add the body's quads, graphs and all."""
    quads = parse_parts(parts, None, base_iri=base_iri, dataset=True)
    with _write_lock:
        result = apply_change(
            ds, add_quads=quads, source="graph store POST (dataset)", agent=agent, access=access
        )
    return Written(result.change is not None)


def run_update(
    ds: Repository,
    update: str,
    *,
    base_iri: str | None = None,
    agent: str | None = None,
    access: Access = ANONYMOUS,
    using: tuple[list[str], list[str]] | None = None,
) -> bool:
    """Apply a SPARQL update on the caller's view; ``using``: the protocol's USING graphs (default, named).

    Returns whether the store changed.
    """
    with _write_lock:
        result = apply_update(ds, update, base_iri=base_iri, agent=agent, access=access, using=using)
        return result.change is not None
