"""Dereferencing: every seed IRI answers in every format, with the right headers; bad requests get 4xx."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urldefrag

import httpx
import pyoxigraph as ox
import pytest
import rdflib
from conftest import RunningServer
from rdflib.compare import isomorphic
from test_publish_support import PRIVATE, fill

from lcgraph import resources
from lcgraph.namespaces import GRAPH_ONTOLOGY, LC
from lcgraph.publish.privacy import PersonalFilter

BASE = "https://w3id.org/lcgraph/id/"
RDF_FORMATS = {
    "turtle": "text/turtle",
    "jsonld": "application/ld+json",
    "ntriples": "application/n-triples",
    "rdfxml": "application/rdf+xml",
}
RDFLIB_NAMES = {"turtle": "turtle", "jsonld": "json-ld", "ntriples": "nt", "rdfxml": "xml"}


@pytest.fixture(scope="module")
def live(module_server_factory: Callable[..., RunningServer]) -> RunningServer:
    server = module_server_factory()
    fill(server.dataset)
    server.app.state.runtime.mark_written()
    return server


def _seed_iris(live: RunningServer) -> list[str]:
    rows = live.dataset.select(
        "SELECT DISTINCT ?s { GRAPH ?g { ?s ?p ?o } FILTER(isIRI(?s) && STRSTARTS(STR(?g), "
        "'https://w3id.org/lcgraph/graph/seed/') && STRSTARTS(STR(?s), 'https://w3id.org/lcgraph/id/')) }",
        include_private=True,
    )
    return sorted(r["s"].value for r in rows)


def _public_triples_about(live: RunningServer, iri: str) -> set[tuple[str, str, str]]:
    """What the store holds about ``iri`` outside the private graph (blank-node objects left out)."""
    personal = PersonalFilter(live.dataset)
    out = set()
    for q in live.dataset.quads(ox.NamedNode(iri), None, None, None):
        if isinstance(q.graph_name, ox.NamedNode) and q.graph_name.value == PRIVATE:
            continue
        if isinstance(q.object, ox.BlankNode) or personal.is_personal(q):
            continue
        out.add((q.subject.value, q.predicate.value, _plain(q.object)))
    return out


def _plain(term: object) -> str:
    if isinstance(term, ox.Literal):
        return f"{term.value}|{term.language or ''}|{'' if term.language else term.datatype.value}"
    return term.value  # type: ignore[attr-defined]


def _rdflib_plain(term: rdflib.term.Node) -> str:
    if isinstance(term, rdflib.Literal):
        dt = "" if term.language else str(term.datatype or "http://www.w3.org/2001/XMLSchema#string")
        return f"{term}|{term.language or ''}|{dt}"
    return str(term)


def test_every_seed_iri_dereferences_in_every_format(live: RunningServer) -> None:
    iris = _seed_iris(live)
    assert len(iris) > 40
    with httpx.Client(base_url=live.url, timeout=30) as client:
        for iri in iris:
            doc, _ = urldefrag(iri)
            path = "/id/" + doc[len(BASE) :]
            expected = _public_triples_about(live, iri)
            for name, media in RDF_FORMATS.items():
                r = client.get(path, headers={"Accept": media})
                assert r.status_code == 200, (iri, name, r.text[:200])
                assert r.headers["content-type"].startswith(media)
                g = rdflib.Graph().parse(data=r.content, format=RDFLIB_NAMES[name])
                about = g.triples((rdflib.URIRef(iri), None, None))
                got = {
                    (str(s), str(p), _rdflib_plain(o)) for s, p, o in about if not isinstance(o, rdflib.BNode)
                }
                assert got == expected, (iri, name, expected ^ got)
            html = client.get(path, headers={"Accept": "text/html"})
            assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
            assert 'type="application/ld+json"' in html.text


def test_headers_vary_link_etag_and_conditional_get(live: RunningServer) -> None:
    url = live.url + "/id/city/phayao"
    r = httpx.get(url, headers={"Accept": "text/turtle"})
    assert r.status_code == 200
    assert "Accept" in r.headers["vary"] and "Authorization" in r.headers["vary"]
    links = r.headers["link"]
    for media in RDF_FORMATS.values():
        assert f'type="{media}"' in links and 'rel="alternate"' in links
    etag = r.headers["etag"]
    assert httpx.get(url, headers={"Accept": "text/turtle", "If-None-Match": etag}).status_code == 304
    # Another format is another representation, with its own tag.
    assert httpx.get(url, headers={"Accept": "application/n-triples"}).headers["etag"] != etag
    # A write changes the store's state, and so the tag.
    live.dataset.update(
        "PREFIX skos: <http://www.w3.org/2004/02/skos/core#> "
        "INSERT DATA { GRAPH <https://w3id.org/lcgraph/graph/examples> { "
        "<https://w3id.org/lcgraph/id/city/phayao> skos:note 'etag test (illustrative)' } }"
    )
    live.dataset.flush()
    r2 = httpx.get(url, headers={"Accept": "text/turtle", "If-None-Match": etag})
    assert r2.status_code == 200 and r2.headers["etag"] != etag and "etag test" in r2.text


def test_format_parameter_overrides_accept_and_browsers_get_html(live: RunningServer) -> None:
    url = live.url + "/id/city/hat-yai"
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    page = httpx.get(url, headers={"Accept": browser})
    assert page.headers["content-type"].startswith("text/html")
    assert "เทศบาลนครหาดใหญ่" in page.text and "Hat Yai City Municipality" in page.text
    # Every fact shows where it comes from: Hat Yai's facts live in the GNLC
    # members' graph (PMU A's release names the district, not this body), whose
    # page names one of that graph's public sources.
    gnlc = rdflib.Dataset(default_union=True).parse(resources.SEED_DIR / "gnlc-members.trig", format="trig")
    urls = {str(u) for u in gnlc.objects(None, rdflib.URIRef("https://schema.org/url"))}
    assert any(u.replace("&", "&amp;") in page.text or u in page.text for u in urls)
    nt = httpx.get(url + "?format=ntriples", headers={"Accept": browser})
    assert nt.headers["content-type"].startswith("application/n-triples")
    assert httpx.get(url, headers={"Accept": "*/*"}).headers["content-type"].startswith("text/turtle")


def test_schema_org_view_is_json_ld_with_names(live: RunningServer) -> None:
    r = httpx.get(live.url + "/id/city/phayao?format=schemaorg")
    view = r.json()
    assert view["@context"] == "https://schema.org/" and view["@type"] == "GovernmentOrganization"
    assert {"@value": "เทศบาลเมืองพะเยา", "@language": "th"} in view["name"]


def test_unknown_iri_is_404_with_a_helpful_page(live: RunningServer) -> None:
    r = httpx.get(live.url + "/id/city/phayaoo", headers={"Accept": "text/html"})
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    assert "/id/city/phayao" in r.text  # the nearest name is suggested
    r = httpx.get(live.url + "/id/city/atlantis", headers={"Accept": "text/turtle"})
    assert r.status_code == 404 and "atlantis" in r.text and "/search" in r.text


def test_unknown_format_is_406(live: RunningServer) -> None:
    r = httpx.get(live.url + "/id/city/phayao", headers={"Accept": "image/png"})
    assert r.status_code == 406 and "text/turtle" in r.text
    r = httpx.get(live.url + "/id/city/phayao?format=pdf")
    assert r.status_code == 406


def test_ontology_dereferences_as_a_document_and_per_term(live: RunningServer) -> None:
    page = httpx.get(live.url + "/def", headers={"Accept": "text/html"})
    assert page.status_code == 200
    for term in ("LearningCity", "city", "personalData", "nationalId"):
        assert f'id="{term}"' in page.text  # https://w3id.org/lcgraph/def#term lands on its section
    ttl = httpx.get(live.url + "/ontology", headers={"Accept": "text/turtle"})
    served = rdflib.Graph().parse(data=ttl.content, format="turtle")
    ontology = ox.NamedNode(str(GRAPH_ONTOLOGY))
    dumped = live.dataset._store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ontology)
    stored = rdflib.Graph().parse(data=dumped, format="nt")
    assert isomorphic(served, stored)
    term = httpx.get(live.url + "/ontology/LearningCity?format=ntriples")
    assert term.status_code == 200 and f"<{LC}LearningCity>" in term.text


def test_concepts_schemes_and_graphs_dereference(live: RunningServer) -> None:
    concept = httpx.get(live.url + "/vocab/province/TH-56", headers={"Accept": "text/turtle"})
    assert concept.status_code == 200 and "พะเยา" in concept.text
    scheme = httpx.get(live.url + "/vocab/space-type", headers={"Accept": "text/html"})
    assert scheme.status_code == 200
    graph = httpx.get(live.url + "/graph/seed/learning-city-days-2023?format=ntriples")
    assert graph.status_code == 200 and "https://w3id.org/lcgraph/id/source/pmua-7957" in graph.text


def test_hash_iris_are_described_in_their_document(live: RunningServer) -> None:
    r = httpx.get(live.url + "/id/membership/gnlc-phayao?format=ntriples")
    subjects = {line.split(" ", 1)[0] for line in r.text.splitlines() if line}
    assert "<https://w3id.org/lcgraph/id/membership/gnlc-phayao#interval>" in subjects
