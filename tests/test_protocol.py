"""The SPARQL 1.1 Protocol endpoint beyond the W3C suite: formats, errors, dataset, description.

Negotiation and request parsing are tested directly; everything else goes
over HTTP to a real server on a temporary on-disk store.
"""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Callable

import httpx
import pyoxigraph as ox
import pytest
import rdflib
from live_server import PRIVATE_TOKEN, RunningServer

from lcgraph.api.errors import ApiError
from lcgraph.api.negotiation import (
    GRAPH_FORMATS,
    RESULTS_FORMATS,
    choose,
    negotiate,
    parse_accept,
)
from lcgraph.api.protocol_request import (
    QueryOperation,
    ServiceDescriptionRequest,
    UpdateOperation,
    parse_request,
)
from lcgraph.publish.privacy import read_dataset_clause

DATA = """
@prefix ex: <http://example.org/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
ex:a rdfs:label "ห้องสมุด"@th, "library"@en ; ex:n 1 .
ex:b rdfs:label "museum"@en ; ex:n 2 .
ex:c rdfs:label "park, with \\"quotes\\"\\nand a new line" ; ex:n 3 .
"""


# -- negotiation -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, "json"),
        ("", "json"),
        ("*/*", "json"),
        ("text/csv", "csv"),
        ("text/tab-separated-values", "tsv"),
        ("application/sparql-results+xml", "xml"),
        ("application/json", "json"),
        ("text/*", "csv"),
        ("text/csv;q=0.5, application/sparql-results+xml;q=0.9", "xml"),
        ("application/sparql-results+json;q=0.1, text/tab-separated-values", "tsv"),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "xml"),
        ("text/csv;q=0, */*;q=0.1", "json"),
    ],
)
def test_results_negotiation(accept: str | None, expected: str) -> None:
    fmt = choose(accept, RESULTS_FORMATS)
    assert fmt is not None and fmt.key == expected


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, "turtle"),
        ("application/n-triples", "ntriples"),
        ("application/rdf+xml;q=1, text/turtle;q=0.5", "rdfxml"),
        ("application/ld+json", "jsonld"),
        ("application/json", "jsonld"),
        ("application/n-quads", "nquads"),
        ("application/trig", "trig"),
        ("text/plain", "ntriples"),
    ],
)
def test_graph_negotiation(accept: str | None, expected: str) -> None:
    fmt = choose(accept, GRAPH_FORMATS)
    assert fmt is not None and fmt.key == expected


def test_format_parameter_wins_over_accept() -> None:
    assert choose("application/sparql-results+xml", RESULTS_FORMATS, "csv").key == "csv"
    assert choose(None, RESULTS_FORMATS, "text/tab-separated-values").key == "tsv"
    assert choose(None, GRAPH_FORMATS, "json").key == "jsonld"
    # A real format this kind of answer lacks leaves the choice to Accept (SPARQLWrapper's
    # TURTLE on a SELECT); a name that is no format at all chooses nothing (406).
    assert choose("application/sparql-results+xml", RESULTS_FORMATS, "turtle").key == "xml"
    assert choose(None, RESULTS_FORMATS, "docx") is None
    assert choose(None, GRAPH_FORMATS, "rdf+xml").key == "rdfxml"
    assert negotiate("text/turtle", RESULTS_FORMATS, "turtle").key == "json"


def test_nothing_acceptable_is_406_naming_the_formats() -> None:
    with pytest.raises(ApiError) as info:
        negotiate("image/png, text/html", RESULTS_FORMATS, what="SELECT results")
    assert info.value.status == 406
    assert "text/csv" in info.value.message and "SELECT results" in info.value.message


def test_malformed_accept_entries_are_skipped() -> None:
    ranges = parse_accept("garbage, text/csv;q=abc, application/json")
    assert [(r.type, r.subtype) for r in ranges] == [("text", "csv"), ("application", "json")]
    assert ranges[0].q == 0.0


# -- request parsing ----------------------------------------------------------------


def test_parse_get_query_with_dataset() -> None:
    req = parse_request(
        "GET",
        [("query", "ASK {}"), ("default-graph-uri", "http://a"), ("named-graph-uri", "http://b")],
        None,
        b"",
    )
    assert req.operation == QueryOperation("ASK {}", ("http://a",), ("http://b",))


def test_parse_direct_and_form_posts() -> None:
    direct = parse_request("POST", [], "application/sparql-query; charset=utf-8", b"ASK {}")
    assert direct.operation == QueryOperation("ASK {}")
    form = parse_request(
        "POST", [("using-graph-uri", "http://g")], "application/x-www-form-urlencoded", b"update=CLEAR+ALL"
    )
    assert form.operation == UpdateOperation("CLEAR ALL", ("http://g",), ())
    assert parse_request("GET", [], None, b"").operation == ServiceDescriptionRequest()


@pytest.mark.parametrize(
    ("method", "params", "content_type", "body", "status", "words"),
    [
        ("GET", [("query", "ASK {}"), ("update", "CLEAR ALL")], None, b"", 400, "both"),
        ("GET", [("query", "ASK {}"), ("query", "ASK {}")], None, b"", 400, "2 query="),
        ("GET", [("update", "CLEAR ALL")], None, b"", 405, "POST"),
        ("PUT", [("query", "ASK {}")], None, b"", 405, "PUT"),
        ("POST", [], None, b"ASK {}", 415, "Content-Type"),
        ("POST", [], "text/plain", b"ASK {}", 415, "text/plain"),
        ("POST", [], "application/sparql-query; charset=UTF-16", "ASK {}".encode("utf-16"), 415, "UTF-8"),
        ("POST", [], "application/sparql-query", b"ASK { \xff }", 400, "UTF-8"),
        ("POST", [], "application/sparql-query", b"   ", 400, "empty"),
        ("POST", [("query", "ASK {}")], "application/sparql-query", b"ASK {}", 400, "URL"),
        (
            "GET",
            [("query", "ASK {}"), ("default-graph-uri", "not an iri")],
            None,
            b"",
            400,
            "default-graph-uri",
        ),
        ("GET", [("query", "ASK {}"), ("using-graph-uri", "http://a")], None, b"", 400, "using-graph-uri"),
        (
            "POST",
            [("default-graph-uri", "http://a")],
            "application/sparql-update",
            b"CLEAR ALL",
            400,
            "default-graph-uri",
        ),
        ("GET", [("default-graph-uri", "http://a")], None, b"", 400, "no query"),
        ("POST", [], "application/x-www-form-urlencoded", b"nothing=here", 400, "neither"),
    ],
)
def test_bad_requests_are_refused_with_a_reason(
    method: str, params: list[tuple[str, str]], content_type: str | None, body: bytes, status: int, words: str
) -> None:
    with pytest.raises(ApiError) as info:
        parse_request(method, params, content_type, body)
    assert info.value.status == status
    assert words in info.value.message


# -- SPARQL text -------------------------------------------------------------------------


def test_from_clauses_are_read_with_prefixes_and_base() -> None:
    query = (
        "BASE <http://example.org/> PREFIX g: <http://graphs/> "
        "SELECT * FROM g:one FROM NAMED <two> WHERE { ?s ?p 'FROM <http://nope>' }"
    )
    clause = read_dataset_clause(query)
    assert (clause.default, clause.named) == (["http://graphs/one"], ["http://example.org/two"])


# -- over HTTP ---------------------------------------------------------------------------


@pytest.fixture
def loaded(server: RunningServer) -> RunningServer:
    server.load(DATA, graph="http://example.org/g1")
    return server


SELECT = "PREFIX ex: <http://example.org/> SELECT ?s ?label WHERE { ?s rdfs:label ?label } ORDER BY ?s ?label"
SELECT = SELECT.replace("PREFIX ex:", "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> PREFIX ex:")


@pytest.mark.parametrize(
    "accept",
    [
        "application/sparql-results+json",
        "application/sparql-results+xml",
        "text/csv",
        "text/tab-separated-values",
    ],
)
def test_select_in_every_results_format(loaded: RunningServer, accept: str) -> None:
    r = httpx.get(loaded.sparql, params={"query": SELECT}, headers={"Accept": accept})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith(accept)
    if accept == "text/csv":  # lossy: the engine does not read it back, the csv module does
        parsed = list(csv.reader(io.StringIO(r.text)))
        assert parsed[0] == ["s", "label"] and len(parsed) == 5
        assert 'park, with "quotes"\nand a new line' in [row[1] for row in parsed]
        return
    fmt = ox.QueryResultsFormat.from_media_type(accept)
    rows = list(ox.parse_query_results(r.content, fmt))
    assert len(rows) == 4


@pytest.mark.parametrize("fmt", GRAPH_FORMATS, ids=lambda f: f.key)
def test_construct_in_every_graph_format(loaded: RunningServer, fmt) -> None:  # type: ignore[no-untyped-def]
    q = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"
    r = httpx.get(loaded.sparql, params={"query": q}, headers={"Accept": fmt.media_type})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].split(";")[0] == fmt.media_type
    triples = list(ox.parse(r.content, fmt.engine))
    assert len(triples) == 7


def test_format_parameter_for_browsers(loaded: RunningServer) -> None:
    r = httpx.get(
        loaded.sparql, params={"query": SELECT, "format": "csv"}, headers={"Accept": "text/html,*/*;q=0.8"}
    )
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")


def test_ask_and_describe(loaded: RunningServer) -> None:
    r = httpx.get(loaded.sparql, params={"query": "ASK { ?s ?p 2 }"})
    assert r.json() == {"head": {}, "boolean": True}
    r = httpx.get(
        loaded.sparql,
        params={"query": "DESCRIBE <http://example.org/b>"},
        headers={"Accept": "application/n-triples"},
    )
    assert len(r.text.strip().splitlines()) == 2


def test_406_when_the_query_form_has_no_acceptable_format(loaded: RunningServer) -> None:
    r = httpx.get(
        loaded.sparql, params={"query": "CONSTRUCT WHERE { ?s ?p ?o }"}, headers={"Accept": "text/csv"}
    )
    assert r.status_code == 406
    assert "text/turtle" in r.text
    r = httpx.get(loaded.sparql, params={"query": SELECT}, headers={"Accept": "image/png"})
    assert r.status_code == 406


def test_syntax_error_names_line_and_column(loaded: RunningServer) -> None:
    r = httpx.get(loaded.sparql, params={"query": "SELECT * WHERE {\n ?s ?p \n"})
    assert r.status_code == 400
    assert "line" in r.text or "3:" in r.text
    assert "Traceback" not in r.text


def test_default_graph_is_the_union_unless_a_dataset_is_named(loaded: RunningServer) -> None:
    loaded.load("<http://example.org/z> <http://example.org/n> 9 .", graph="http://example.org/g2")
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s <http://example.org/n> ?o }"
    r = httpx.get(loaded.sparql, params={"query": count})
    assert r.json()["results"]["bindings"][0]["n"]["value"] == "4"
    r = httpx.get(loaded.sparql, params={"query": count, "default-graph-uri": "http://example.org/g2"})
    assert r.json()["results"]["bindings"][0]["n"]["value"] == "1"
    named = "SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
    r = httpx.get(loaded.sparql, params={"query": named, "named-graph-uri": "http://example.org/g1"})
    assert [b["g"]["value"] for b in r.json()["results"]["bindings"]] == ["http://example.org/g1"]


def test_update_with_using_graph_uri_and_delete_where(server: RunningServer) -> None:
    server.load("<http://x/a> <http://x/p> 1 .", graph="http://x/g1")
    server.load("<http://x/b> <http://x/p> 2 .", graph="http://x/g2")
    update = "INSERT { GRAPH <http://x/out> { ?s <http://x/copied> ?o } } WHERE { ?s <http://x/p> ?o }"
    r = httpx.post(
        server.sparql,
        params={"using-graph-uri": "http://x/g1"},
        content=update,
        headers={"Content-Type": "application/sparql-update", **server.write_headers},
    )
    assert r.status_code == 204, r.text
    ask = (
        "ASK { GRAPH <http://x/out> { <http://x/a> <http://x/copied> 1 } "
        "FILTER NOT EXISTS { GRAPH <http://x/out> { <http://x/b> ?p ?o } } }"
    )
    assert httpx.get(server.sparql, params={"query": ask}).json()["boolean"] is True


def test_results_larger_than_the_hold_back_buffer_stream_complete(server: RunningServer) -> None:
    lines = "".join(
        f'<http://example.org/s{i}> <http://example.org/p> "value number {i:06d}" .\n' for i in range(30000)
    )
    server.load(lines, graph="http://example.org/big", fmt=ox.RdfFormat.N_TRIPLES)
    r = httpx.get(server.sparql, params={"query": "SELECT ?s ?o WHERE { ?s ?p ?o }"}, timeout=60)
    assert r.status_code == 200
    assert len(r.content) > 1024 * 1024  # past the hold-back buffer, so it was streamed
    assert "content-length" not in r.headers
    assert len(r.json()["results"]["bindings"]) == 30000


def test_head_of_a_query(loaded: RunningServer) -> None:
    r = httpx.head(loaded.sparql, params={"query": SELECT}, headers={"Accept": "text/csv"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert r.content == b""


# -- service description ----------------------------------------------------------


SD = "http://www.w3.org/ns/sparql-service-description#"


def _description(server: RunningServer, accept: str = "text/turtle") -> rdflib.Graph:
    r = httpx.get(server.sparql, headers={"Accept": accept})
    assert r.status_code == 200, r.text
    fmt = {
        "text/turtle": "turtle",
        "application/rdf+xml": "xml",
        "application/ld+json": "json-ld",
        "application/n-triples": "nt",
    }[accept]
    return rdflib.Graph().parse(data=r.text, format=fmt)


@pytest.mark.parametrize(
    "accept", ["text/turtle", "application/rdf+xml", "application/ld+json", "application/n-triples"]
)
def test_w3c_service_description_returns_rdf_with_endpoint_triple(loaded: RunningServer, accept: str) -> None:
    g = _description(loaded, accept)
    endpoint = rdflib.URIRef(loaded.sparql)
    assert (endpoint, rdflib.URIRef(SD + "endpoint"), endpoint) in g


def test_w3c_service_description_conforms_to_schema(loaded: RunningServer) -> None:
    g = _description(loaded)
    sd = rdflib.Namespace(SD)
    service = rdflib.URIRef(loaded.sparql)
    assert (service, rdflib.RDF.type, sd.Service) in g
    languages = set(g.objects(service, sd.supportedLanguage))
    assert (
        languages <= {sd.SPARQL10Query, sd.SPARQL11Query, sd.SPARQL11Update} and sd.SPARQL11Query in languages
    )
    dataset = g.value(service, sd.defaultDataset)
    assert (dataset, rdflib.RDF.type, sd.Dataset) in g
    for named in g.objects(dataset, sd.namedGraph):
        assert isinstance(g.value(named, sd.name), rdflib.URIRef)
    for fmt in g.objects(service, sd.resultFormat):
        assert isinstance(fmt, rdflib.URIRef)


def test_service_description_counts_triples_per_graph(loaded: RunningServer) -> None:
    g = _description(loaded)
    void_triples = rdflib.URIRef("http://rdfs.org/ns/void#triples")
    sd = rdflib.Namespace(SD)
    counts = {
        str(g.value(named, sd.name)): int(g.value(g.value(named, sd.graph), void_triples))
        for named in g.subjects(rdflib.RDF.type, sd.NamedGraph)
    }
    assert counts["http://example.org/g1"] == 7
    loaded.load("<http://x/a> <http://x/b> <http://x/c> .", graph="http://x/g")
    g = _description(loaded)
    names = {str(g.value(named, sd.name)) for named in g.subjects(rdflib.RDF.type, sd.NamedGraph)}
    assert "http://x/g" in names


# -- operations -------------------------------------------------------------------------


def test_health_and_openapi_list_every_route(live: RunningServer) -> None:
    assert httpx.get(live.url + "/health").json()["status"] == "ok"
    spec = httpx.get(live.url + "/openapi.json").json()
    for path in ("/sparql", "/store", "/health"):
        assert path in spec["paths"], path
    assert set(spec["paths"]["/store"]) >= {"get", "put", "post", "delete"}
    assert httpx.get(live.url + "/docs").status_code == 200


def test_openapi_documents_security_bodies_and_unique_operations(live: RunningServer) -> None:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # FastAPI warns on a duplicate operation ID
        spec = live.app.openapi()
    ids = [op["operationId"] for item in spec["paths"].values() for op in item.values()]
    assert len(ids) == len(set(ids))
    assert {"token", "basic"} <= set(spec["components"]["securitySchemes"])
    assert {"token": ["write"]} in spec["paths"]["/store"]["put"]["security"]
    assert {"token": ["write"]} in spec["paths"]["/store"]["delete"]["security"]
    body = spec["paths"]["/sparql"]["post"]["requestBody"]["content"]
    assert {
        "application/sparql-query",
        "application/sparql-update",
        "application/x-www-form-urlencoded",
    } <= set(body)
    names = {p["name"] for p in spec["paths"]["/sparql"]["get"]["parameters"]}
    assert {"query", "default-graph-uri", "named-graph-uri", "format"} <= names
    assert "text/turtle" in spec["paths"]["/store"]["put"]["requestBody"]["content"]


def test_answers_that_may_hold_personal_data_are_private_to_caches(live: RunningServer) -> None:
    anonymous = httpx.get(live.sparql, params={"query": "ASK {}"})
    assert "Authorization" in anonymous.headers["vary"]
    assert "private" not in anonymous.headers.get("cache-control", "")
    reader = httpx.get(
        live.sparql, params={"query": "ASK {}"}, headers={"Authorization": f"Bearer {PRIVATE_TOKEN}"}
    )
    assert reader.status_code == 200 and reader.headers["cache-control"] == "private"


def test_access_log_is_one_json_line_per_request(
    server_factory: Callable[..., RunningServer], caplog: pytest.LogCaptureFixture
) -> None:
    live = server_factory(access_log=True)  # off by default
    with caplog.at_level("INFO", logger="lcgraph.access"):
        httpx.get(live.sparql, params={"query": "ASK {}", "secret": "x"})
        # The line is written once the answer has gone out, by the server's thread: wait for it.
        for _ in range(100):
            if any(r.name == "lcgraph.access" for r in caplog.records):
                break
            time.sleep(0.05)
    records = [json.loads(r.getMessage()) for r in caplog.records if r.name == "lcgraph.access"]
    assert records and records[-1]["path"] == "/sparql" and records[-1]["status"] == 200
    assert "secret" not in caplog.text and "ASK" not in caplog.text


def test_access_log_is_off_by_default(live: RunningServer, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("INFO", logger="lcgraph.access"):
        assert httpx.get(live.sparql, params={"query": "ASK {}"}).status_code == 200
        time.sleep(0.3)
    assert not [r for r in caplog.records if r.name == "lcgraph.access"]
