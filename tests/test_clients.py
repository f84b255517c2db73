"""Real SPARQL clients against a real server: SPARQLWrapper and httpx."""

from __future__ import annotations

import httpx
import pytest
import rdflib
from live_server import WRITE_TOKEN, RunningServer
from SPARQLWrapper import CSV, JSON, JSONLD, POST, POSTDIRECTLY, TSV, TURTLE, XML, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed

DATA = """
@prefix ex: <http://example.org/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
ex:phayao rdfs:label "พะเยา"@th, "Phayao"@en ; ex:sites 3 .
ex:hatyai rdfs:label "หาดใหญ่"@th, "Hat Yai"@en ; ex:sites 2 .
"""
SELECT = """PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?city ?label WHERE { ?city rdfs:label ?label FILTER(lang(?label) = "th") } ORDER BY ?city"""


@pytest.fixture
def endpoint(server: RunningServer) -> RunningServer:
    server.load(DATA, graph="http://example.org/cities")
    return server


def _wrapper(server: RunningServer, query: str, fmt: str) -> SPARQLWrapper:
    client = SPARQLWrapper(server.sparql)
    client.setQuery(query)
    client.setReturnFormat(fmt)
    return client


def test_select_json(endpoint: RunningServer) -> None:
    rows = _wrapper(endpoint, SELECT, JSON).queryAndConvert()["results"]["bindings"]
    assert [r["label"]["value"] for r in rows] == ["หาดใหญ่", "พะเยา"]
    assert rows[0]["label"]["xml:lang"] == "th"


def test_select_xml(endpoint: RunningServer) -> None:
    document = _wrapper(endpoint, SELECT, XML).queryAndConvert()
    literals = [node.firstChild.data for node in document.getElementsByTagName("literal")]
    assert literals == ["หาดใหญ่", "พะเยา"]


@pytest.mark.parametrize(("fmt", "separator"), [(CSV, ","), (TSV, "\t")])
def test_select_csv_and_tsv(endpoint: RunningServer, fmt: str, separator: str) -> None:
    text = _wrapper(endpoint, SELECT, fmt).queryAndConvert().decode("utf-8")
    lines = text.strip().splitlines()
    assert lines[0].replace("?", "") == f"city{separator}label"
    assert len(lines) == 3 and "พะเยา" in text


def test_ask(endpoint: RunningServer) -> None:
    query = "ASK { ?city <http://example.org/sites> 3 }"
    assert _wrapper(endpoint, query, JSON).queryAndConvert()["boolean"] is True


@pytest.mark.parametrize("fmt", [TURTLE, JSONLD])
def test_construct(endpoint: RunningServer, fmt: str) -> None:
    query = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"
    result = _wrapper(endpoint, query, fmt).queryAndConvert()
    graph = (
        result
        if isinstance(result, rdflib.Graph)
        else rdflib.Graph().parse(data=result, format="turtle" if fmt == TURTLE else "json-ld")
    )
    assert len(graph) == 6
    assert (
        rdflib.URIRef("http://example.org/phayao"),
        rdflib.URIRef("http://example.org/sites"),
        rdflib.Literal(3),
    ) in graph


def test_update_with_credentials(endpoint: RunningServer) -> None:
    client = SPARQLWrapper(endpoint.sparql)
    client.setMethod(POST)
    client.setRequestMethod(POSTDIRECTLY)
    client.setCredentials("steward", WRITE_TOKEN)  # HTTP Basic: name and token
    client.setQuery(
        "INSERT DATA { GRAPH <http://example.org/cities> { <http://example.org/khonkaen> "
        '<http://www.w3.org/2000/01/rdf-schema#label> "ขอนแก่น"@th } }'
    )
    client.query()
    rows = _wrapper(endpoint, SELECT, JSON).queryAndConvert()["results"]["bindings"]
    assert "ขอนแก่น" in [r["label"]["value"] for r in rows]


def test_update_without_credentials_is_refused(endpoint: RunningServer) -> None:
    client = SPARQLWrapper(endpoint.sparql)
    client.setMethod(POST)
    client.setQuery("CLEAR ALL")
    with pytest.raises(Exception, match="401|Unauthorized"):
        client.query()
    assert endpoint.dataset.count() == 6


def test_syntax_errors_reach_the_client(endpoint: RunningServer) -> None:
    with pytest.raises(QueryBadFormed):
        _wrapper(endpoint, "SELECT * WHERE { ?s ", JSON).queryAndConvert()


def test_httpx_async_client_in_parallel(endpoint: RunningServer) -> None:
    import asyncio

    async def run() -> list[int]:
        async with httpx.AsyncClient(base_url=endpoint.url) as client:
            answers = await asyncio.gather(
                *(
                    client.get("/sparql", params={"query": SELECT}, headers={"Accept": "text/csv"})
                    for _ in range(20)
                )
            )
        return [len(a.text.strip().splitlines()) for a in answers if a.status_code == 200]

    assert asyncio.run(run()) == [3] * 20


_FORMS = {
    "select": SELECT,
    "ask": "ASK { ?s ?p ?o }",
    "construct": "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }",
    "describe": "DESCRIBE <http://example.org/phayao>",
}
_RETURN_FORMATS = ["json", "xml", "turtle", "n3", "rdf", "rdf+xml", "csv", "tsv", "json-ld"]


@pytest.mark.parametrize("form", sorted(_FORMS))
@pytest.mark.parametrize("fmt", _RETURN_FORMATS)
def test_every_sparqlwrapper_return_format_gets_a_parsable_answer(
    endpoint: RunningServer, form: str, fmt: str
) -> None:
    """Whatever SPARQLWrapper asks for, for whatever query form: 200 and a body in the type it says."""
    import pyoxigraph as ox

    result = _wrapper(endpoint, _FORMS[form], fmt).query()
    info = result.response.info()
    assert result.response.status == 200
    media = info.get_content_type()
    body = result.response.read()
    results_format = ox.QueryResultsFormat.from_media_type(media)
    if results_format == ox.QueryResultsFormat.CSV:
        # The engine does not read CSV results back (the format is lossy): check its rows.
        lines = body.decode().splitlines()
        if form == "ask":
            assert lines == ["true"]
        else:
            assert form == "select" and lines[0] == "city,label" and len(lines) == 3
    elif results_format is not None:
        parsed = ox.parse_query_results(body, results_format)
        if form == "ask":
            assert bool(parsed) is True
        else:
            assert len(list(parsed)) == 2
        assert form in ("select", "ask")
    else:
        rdf_format = ox.RdfFormat.from_media_type(media)
        assert rdf_format is not None, media
        assert len(list(ox.parse(body, rdf_format))) >= 3
        assert form in ("construct", "describe")
