"""DCAT/VoID: the description's counts match the store, and it follows the store's changes."""

from __future__ import annotations

import httpx
import pyoxigraph as ox
import pytest
import rdflib
from live_server import RunningServer, Seed
from rdflib.compare import isomorphic
from rdflib.namespace import DCAT, DCTERMS, RDF, VOID
from test_publish_support import EXAMPLES, PRIVATE, fill

from lcgraph.config import Settings
from lcgraph.publish.catalog import CatalogSettings, catalog_triples
from lcgraph.store import Dataset

NON_PUBLIC = rdflib.URIRef("http://publications.europa.eu/resource/authority/access-right/NON_PUBLIC")
WHOLE = rdflib.URIRef("https://w3id.org/lcgraph/id/dataset/lcgraph")


@pytest.fixture(scope="module")
def live_seed() -> Seed:
    """The module's ``live`` server (conftest) starts over the seed network."""
    return fill


def _void(live: RunningServer, fmt: str = "turtle", path: str = "/.well-known/void") -> rdflib.Graph:
    r = httpx.get(live.url + path, params={"format": fmt}, timeout=30)
    assert r.status_code == 200, r.text[:300]
    names = {"turtle": "turtle", "jsonld": "json-ld", "ntriples": "nt", "rdfxml": "xml"}
    return rdflib.Graph().parse(data=r.content, format=names[fmt])


def _int(g: rdflib.Graph, s: rdflib.URIRef, p: rdflib.URIRef) -> int:
    value = g.value(s, p)
    assert value is not None, (s, p)
    return int(value)


def _counted_in_python(live: RunningServer, graph: str) -> dict[str, int]:
    """The same figures, counted by walking the quads (no SPARQL aggregates)."""
    quads = list(live.dataset.quads(None, None, None, ox.NamedNode(graph)))
    rdf_type = ox.NamedNode(str(RDF.type))
    return {
        "triples": len(quads),
        "entities": len({q.subject for q in quads if isinstance(q.subject, ox.NamedNode)}),
        "properties": len({q.predicate for q in quads}),
        "distinctSubjects": len({q.subject for q in quads}),
        "distinctObjects": len({q.object for q in quads}),
        "classes": len({q.object for q in quads if q.predicate == rdf_type}),
    }


def test_void_counts_of_every_public_graph_match_the_store(live: RunningServer) -> None:
    g = _void(live)
    graphs = [x for x in live.dataset.graphs() if x != PRIVATE]
    assert graphs
    total = 0
    for graph in graphs:
        node = rdflib.URIRef(graph)
        assert (WHOLE, VOID.subset, node) in g
        assert (node, RDF.type, DCAT.Dataset) in g
        for name, expected in _counted_in_python(live, graph).items():
            assert _int(g, node, VOID[name]) == expected, (graph, name)
        total += live.dataset.count(graph)
    assert _int(g, WHOLE, VOID.triples) == total


def test_class_partitions_and_links_to_external_datasets(live: RunningServer) -> None:
    g = _void(live)
    partitions = {
        g.value(p, VOID["class"]): int(g.value(p, VOID.entities))
        for p in g.objects(WHOLE, VOID.classPartition)
    }
    cities = live.dataset.select(
        "SELECT (COUNT(DISTINCT ?c) AS ?n) { GRAPH ?g { ?c a "
        "<https://w3id.org/lcgraph/def#LearningCity> } "
        f"FILTER(?g != <{PRIVATE}>) }}"
    )
    assert partitions[rdflib.URIRef("https://w3id.org/lcgraph/def#LearningCity")] == int(cities[0]["n"].value)
    linksets = list(g.subjects(RDF.type, VOID.Linkset))
    targets = {str(g.value(ls, VOID.objectsTarget)) for ls in linksets}
    assert "https://pmua.or.th/" in targets  # the seed's primary sources are external links


def test_dcat_distributions_licence_coverage_and_the_private_graph(live: RunningServer) -> None:
    g = _void(live, path="/catalog")
    catalog = next(g.subjects(RDF.type, DCAT.Catalog))
    assert (catalog, DCAT.dataset, WHOLE) in g
    assert g.value(WHOLE, DCTERMS.license) is not None
    examples = rdflib.URIRef(EXAMPLES)
    media = {str(g.value(d, DCTERMS["format"])) for d in g.objects(examples, DCAT.distribution)}
    assert {"text/turtle", "application/n-quads", "application/ld+json"} <= media
    url = next(str(g.value(d, DCAT.downloadURL)) for d in g.objects(examples, DCAT.distribution))
    assert httpx.get(url, timeout=30).status_code == 200  # every download link works
    period = g.value(examples, DCTERMS.temporal)
    assert str(g.value(period, DCAT.startDate)) == "2024-01-15"
    assert str(g.value(period, DCAT.endDate)) == "2024-03-30"
    assert rdflib.URIRef("https://w3id.org/lcgraph/vocab/province/TH-56") in set(
        g.objects(rdflib.URIRef("https://w3id.org/lcgraph/graph/seed/gnlc-members"), DCTERMS.spatial)
    )
    private = rdflib.URIRef(PRIVATE)
    assert (private, DCTERMS.accessRights, NON_PUBLIC) in g
    assert g.value(private, VOID.triples) is None and g.value(private, DCAT.distribution) is None


def test_every_format_says_the_same_and_html_is_for_people(live: RunningServer) -> None:
    turtle = _void(live, "turtle")
    for fmt in ("jsonld", "ntriples", "rdfxml"):
        assert isomorphic(turtle, _void(live, fmt)), fmt
    page = httpx.get(live.url + "/catalog", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "ไม่เผยแพร่" in page.text and "/export?" in page.text


def test_description_follows_the_store(live: RunningServer) -> None:
    before = _int(_void(live), rdflib.URIRef(EXAMPLES), VOID.triples)
    update = f'INSERT DATA {{ GRAPH <{EXAMPLES}> {{ <urn:x:new> <urn:x:p> "illustrative" }} }}'
    r = httpx.post(live.sparql, data={"update": update}, headers=live.write_headers)
    assert r.status_code == 204, r.text
    assert _int(_void(live), rdflib.URIRef(EXAMPLES), VOID.triples) == before + 1


def test_licence_and_publisher_come_from_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """LCGRAPH_DATA_LICENSE and LCGRAPH_PUBLISHER are read by the one Settings class, then described."""
    monkeypatch.setenv("LCGRAPH_DATA_LICENSE", "https://creativecommons.org/publicdomain/zero/1.0/")
    monkeypatch.setenv("LCGRAPH_PUBLISHER", "https://example.org/publisher")
    settings = CatalogSettings.from_settings(Settings.from_env(), "http://127.0.0.1:1/")
    assert settings.server_url == "http://127.0.0.1:1"
    triples = catalog_triples(Dataset.memory(), settings)
    whole = ox.NamedNode(str(WHOLE))
    objects = {(t.predicate.value, t.object.value) for t in triples if t.subject == whole}
    assert (str(DCTERMS.license), "https://creativecommons.org/publicdomain/zero/1.0/") in objects
    assert (str(DCTERMS.publisher), "https://example.org/publisher") in objects
