"""Graph names: how a graph a caller names becomes the graph the store keeps.

One convention for every layer: a graph is named by its IRI (a ``str``) and
``None`` names the default graph — no other sentinel (no ``""``, no
``"default"``). The store's own default graph is the merge of the public
graphs, so what is written "to the default graph" (Graph Store ``?default``,
update triples outside ``GRAPH``, a file loaded without ``--graph``) is kept
in the named graph :data:`UNNAMED` (``lcg:default``). :func:`graph_node` is
the one conversion, for every write path.
"""

from __future__ import annotations

import pyoxigraph as ox

from lcgraph.namespaces import GRAPH_UNNAMED

#: Where triples written to the default graph are kept.
UNNAMED = ox.NamedNode(str(GRAPH_UNNAMED))


class InvalidGraphName(ValueError):
    """A graph name that is not an absolute IRI."""


def graph_node(graph: str | ox.NamedNode | ox.DefaultGraph | None) -> ox.NamedNode:
    """Where a write addressed to ``graph`` lands (``None``, the engine's default graph: :data:`UNNAMED`)."""
    if graph is None or isinstance(graph, ox.DefaultGraph):
        return UNNAMED
    if isinstance(graph, ox.NamedNode):
        return graph
    try:
        return ox.NamedNode(graph)
    except ValueError as exc:
        raise InvalidGraphName(f"not a valid graph IRI <{graph}>: {exc}") from None


def graph_iri(name: ox.NamedNode | ox.BlankNode | ox.DefaultGraph) -> str:
    """The IRI of the graph a quad with this graph name is kept in (the default graph: :data:`UNNAMED`)."""
    if isinstance(name, ox.BlankNode):
        raise InvalidGraphName(f"a graph named by a blank node ({name}) cannot be kept; name it by an IRI")
    return graph_node(name).value
