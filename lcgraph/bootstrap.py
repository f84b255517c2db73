"""Filling a store with what lcgraph ships: ontology, vocabularies, shapes, seed facts, examples.

For ``lcgraph init`` and for tests that need a realistic store. Each graph
is replaced as a whole, and each file is parsed before the graph it replaces
is touched, so a broken file leaves that graph as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pyoxigraph as ox

from lcgraph import resources
from lcgraph.namespaces import GRAPH_ONTOLOGY, GRAPH_SHAPES, GRAPH_VOCAB
from lcgraph.store import Dataset, Repository

Log = Callable[[str], None]


def replace_graph(ds: Repository, graph: str, files: list[Path]) -> int:
    """Make ``graph`` hold exactly the triples of ``files``; returns its size."""
    scratch = Dataset.memory()
    for f in files:
        scratch.load_path(f, graph=graph)
    ds.apply(scratch.quads(), drop=[ox.NamedNode(graph)] if ds.has_graph(graph) else [])
    return scratch.count(graph)


def replace_graphs_of(ds: Repository, path: Path) -> tuple[int, int]:
    """Load a TriG file so that each graph it names holds exactly its content.

    Returns (quads, graphs).
    """
    scratch = Dataset.memory()
    scratch.load_path(path)
    graphs = scratch.graphs()
    ds.apply(scratch.quads(), drop=[ox.NamedNode(g) for g in graphs if ds.has_graph(g)])
    return scratch.count(), len(graphs)


def initialise(ds: Repository, *, examples: bool = False, log: Log = lambda _msg: None) -> None:
    """Load the ontology, vocabularies, shapes and seed facts (and the examples) into ``ds``.

    Raises :class:`lcgraph.store.LoadError` naming the file that cannot be read.
    """
    n = replace_graph(ds, str(GRAPH_ONTOLOGY), [resources.ONTOLOGY_FILE])
    log(f"ontology: {n:,} triples")
    n = replace_graph(ds, str(GRAPH_VOCAB), resources.vocab_files())
    log(f"vocabularies: {n:,} triples")
    n = replace_graph(ds, str(GRAPH_SHAPES), resources.shape_files())
    log(f"shapes: {n:,} triples")
    files = resources.seed_files() + (resources.example_files() if examples else [])
    for f in files:
        quads, graphs = replace_graphs_of(ds, f)
        log(f"{f.name}: {quads:,} quads in {graphs} graph(s)")
    ds.flush()
