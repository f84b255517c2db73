"""The SPARQL 1.1 Service Description of ``/sparql`` (answer to a bare GET).

For researchers' tools that discover what an endpoint offers. It states the
languages (query; update only if write tokens exist), the result and input
formats, the union-default-graph feature, and the default dataset with VoID
triple counts per graph. Counting reads the whole store, so the counts are
cached until the next write.
"""

from __future__ import annotations

import pyoxigraph as ox

from lcgraph.api.negotiation import GRAPH_FORMATS, RESULTS_FORMATS, Format
from lcgraph.namespaces import DCT, LC, PREFIXES
from lcgraph.store import Repository

SD = "http://www.w3.org/ns/sparql-service-description#"
VOID = "http://rdfs.org/ns/void#"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
SD_PREFIXES = {"sd": SD, "void": VOID, "formats": "http://www.w3.org/ns/formats/", "lcg": PREFIXES["lcg"]}


def _sd(name: str) -> ox.NamedNode:
    return ox.NamedNode(SD + name)


def count_graphs(ds: Repository) -> tuple[int, dict[str, int]]:
    """Triples in the default graph and in each named graph (engine-side counts)."""
    default = ds.select("SELECT (COUNT(*) AS ?n) { ?s ?p ?o }")
    named = ds.select(
        "SELECT ?g (COUNT(*) AS ?n) { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g", include_private=True
    )
    counts = {row["g"].value: int(row["n"].value) for row in named if isinstance(row["g"], ox.NamedNode)}
    for graph in ds.graphs():
        counts.setdefault(graph, 0)
    return int(default[0]["n"].value), counts


def describe(
    endpoint: str,
    *,
    writable: bool,
    default_count: int,
    graph_counts: dict[str, int],
    hidden: tuple[str, ...],
    canned: tuple[tuple[str, dict[str, str]], ...] = (),
) -> list[ox.Triple]:
    """The description's triples; ``hidden`` graphs are neither listed nor counted.

    ``canned`` lists the canned queries as (URL, titles by language).
    """
    service = ox.NamedNode(endpoint)
    triples = [
        ox.Triple(service, RDF_TYPE, _sd("Service")),
        ox.Triple(service, _sd("endpoint"), service),
        ox.Triple(service, _sd("supportedLanguage"), _sd("SPARQL11Query")),
        ox.Triple(service, _sd("feature"), _sd("UnionDefaultGraph")),
    ]
    if writable:
        triples.append(ox.Triple(service, _sd("supportedLanguage"), _sd("SPARQL11Update")))
    formats: list[Format] = [*RESULTS_FORMATS, *GRAPH_FORMATS]
    for fmt in formats:
        triples.append(ox.Triple(service, _sd("resultFormat"), ox.NamedNode(fmt.iri)))
    for fmt in GRAPH_FORMATS:
        triples.append(ox.Triple(service, _sd("inputFormat"), ox.NamedNode(fmt.iri)))
    for url, titles in canned:
        query = ox.NamedNode(url)
        triples += [
            ox.Triple(service, ox.NamedNode(str(LC.cannedQuery)), query),
            ox.Triple(query, RDF_TYPE, ox.NamedNode("https://schema.org/WebAPI")),
        ]
        triples += [
            ox.Triple(query, ox.NamedNode(str(DCT.title)), ox.Literal(t, language=lang))
            for lang, t in sorted(titles.items())
        ]
    dataset, default_graph = ox.BlankNode(), ox.BlankNode()
    visible = {g: n for g, n in graph_counts.items() if g not in hidden}
    triples += [
        ox.Triple(service, _sd("defaultDataset"), dataset),
        ox.Triple(dataset, RDF_TYPE, _sd("Dataset")),
        ox.Triple(dataset, _sd("defaultGraph"), default_graph),
        ox.Triple(default_graph, RDF_TYPE, _sd("Graph")),
        # The default graph a query sees is the union of the visible graphs.
        ox.Triple(
            default_graph,
            ox.NamedNode(VOID + "triples"),
            ox.Literal(
                str(default_count + sum(visible.values())),
                datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer"),
            ),
        ),
    ]
    for graph, count in sorted(visible.items()):
        named, description = ox.BlankNode(), ox.BlankNode()
        triples += [
            ox.Triple(dataset, _sd("namedGraph"), named),
            ox.Triple(named, RDF_TYPE, _sd("NamedGraph")),
            ox.Triple(named, _sd("name"), ox.NamedNode(graph)),
            ox.Triple(named, _sd("graph"), description),
            ox.Triple(description, RDF_TYPE, _sd("Graph")),
            ox.Triple(
                description,
                ox.NamedNode(VOID + "triples"),
                ox.Literal(str(count), datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")),
            ),
        ]
    return triples


def serialize(triples: list[ox.Triple], fmt: Format) -> bytes:
    """The description in ``fmt``, written by the engine."""
    assert isinstance(fmt.engine, ox.RdfFormat)
    prefixes = (
        SD_PREFIXES if fmt.engine in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG, ox.RdfFormat.N3) else None
    )
    return ox.serialize(triples, format=fmt.engine, prefixes=prefixes) or b""
