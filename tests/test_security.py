"""Who may write and who may read personal data; CORS; bad input never gets a 500 or a trace."""

from __future__ import annotations

import base64

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from live_server import PRIVATE_TOKEN, WRITE_TOKEN, RunningServer

from lcgraph.api.auth import TokenConfigError, parse_tokens
from lcgraph.namespaces import GRAPH_PRIVATE

UPDATE = "INSERT DATA { <http://example.org/s> <http://example.org/p> 1 }"
SPARQL_UPDATE = {"Content-Type": "application/sparql-update"}
PRIVATE = str(GRAPH_PRIVATE)
# Illustrative only: not a real person's contact details.
PERSONAL = (
    "<https://w3id.org/lcgraph/id/administrator/example> <http://xmlns.com/foaf/0.1/mbox> "
    '"someone@example.org" .'
)


def test_token_configuration_is_checked() -> None:
    tokens = parse_tokens("steward:abcdefgh12:write+read-private, analyst:zyxwvuts98:read-private")
    assert [t.name for t in tokens] == ["steward", "analyst"]
    for bad in ("steward:abcdefgh12", "x:abcdefgh12:superuser", "x:short:write"):
        with pytest.raises(TokenConfigError):
            parse_tokens(bad)


def test_without_tokens_the_service_is_read_only(server_factory) -> None:  # type: ignore[no-untyped-def]
    server: RunningServer = server_factory(tokens="")
    r = httpx.post(server.sparql, content=UPDATE, headers=SPARQL_UPDATE)
    assert r.status_code == 403 and "read-only" in r.text
    r = httpx.put(
        server.store,
        params={"default": ""},
        content="<http://a> <http://b> <http://c> .",
        headers={"Content-Type": "application/n-triples"},
    )
    assert r.status_code == 403
    assert httpx.get(server.sparql, params={"query": "ASK {}"}).status_code == 200
    assert server.dataset.count() == 0


def test_writes_need_a_write_token(server: RunningServer) -> None:
    r = httpx.post(server.sparql, content=UPDATE, headers=SPARQL_UPDATE)
    assert r.status_code == 401 and r.headers["www-authenticate"].startswith("Bearer")
    r = httpx.post(
        server.sparql, content=UPDATE, headers={**SPARQL_UPDATE, "Authorization": "Bearer wrong-token-x"}
    )
    assert r.status_code == 403
    r = httpx.post(
        server.sparql, content=UPDATE, headers={**SPARQL_UPDATE, "Authorization": f"Bearer {PRIVATE_TOKEN}"}
    )
    assert r.status_code == 403 and "write" in r.text
    r = httpx.delete(server.store, params={"graph": "http://example.org/g"})
    assert r.status_code == 401
    assert server.dataset.count() == 0
    r = httpx.post(
        server.sparql, content=UPDATE, headers={**SPARQL_UPDATE, "Authorization": f"Bearer {WRITE_TOKEN}"}
    )
    assert r.status_code == 204
    basic = base64.b64encode(f"steward:{WRITE_TOKEN}".encode()).decode()
    r = httpx.post(
        server.sparql, content="CLEAR DEFAULT", headers={**SPARQL_UPDATE, "Authorization": f"Basic {basic}"}
    )
    assert r.status_code == 204
    r = httpx.post(server.sparql, content=UPDATE, headers={**SPARQL_UPDATE, "Authorization": "Digest abc"})
    assert r.status_code == 401


def test_personal_data_is_hidden_without_read_private(server: RunningServer) -> None:
    server.load(PERSONAL, graph=PRIVATE)
    server.load("<http://example.org/a> <http://example.org/p> 1 .", graph="http://example.org/public")
    everything = "SELECT ?s ?o WHERE { ?s ?p ?o }"
    anonymous = httpx.get(server.sparql, params={"query": everything}).json()["results"]["bindings"]
    assert len(anonymous) == 1
    assert all("someone@" not in b["o"]["value"] for b in anonymous)
    graphs = httpx.get(server.sparql, params={"query": "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"})
    assert PRIVATE not in graphs.text
    for params in (
        {"query": f"SELECT * FROM <{PRIVATE}> WHERE {{ ?s ?p ?o }}"},
        {
            "query": "PREFIX lcg: <https://w3id.org/lcgraph/graph/> SELECT * FROM NAMED lcg:private "
            "WHERE { GRAPH ?g { ?s ?p ?o } }"
        },
        {"query": "SELECT * WHERE { ?s ?p ?o }", "default-graph-uri": PRIVATE},
    ):
        assert httpx.get(server.sparql, params=params).status_code == 403
    assert httpx.get(server.store, params={"graph": PRIVATE}).status_code == 403
    assert PRIVATE not in httpx.get(server.sparql).text  # not in the service description
    assert "someone@" not in httpx.get(server.store).text  # nor in the whole-store dump

    allowed = {"Authorization": f"Bearer {PRIVATE_TOKEN}"}
    rows = httpx.get(server.sparql, params={"query": everything}, headers=allowed).json()["results"][
        "bindings"
    ]
    assert len(rows) == 2
    assert "someone@example.org" in httpx.get(server.store, params={"graph": PRIVATE}, headers=allowed).text


def test_cors_allows_reads_from_browsers_but_not_credentials(live: RunningServer) -> None:
    origin = {"Origin": "https://yasgui.example.org"}
    r = httpx.get(live.sparql, params={"query": "ASK {}"}, headers=origin)
    assert r.headers["access-control-allow-origin"] == "*"
    preflight = httpx.options(
        live.sparql,
        headers={
            **origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert preflight.status_code == 200
    with_token = httpx.options(
        live.sparql,
        headers={
            **origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization",
        },
    )
    assert with_token.status_code == 400


BAD_REQUESTS = [
    ("GET", "/sparql", {"query": "SELECT * WHERE { ?s ?p }"}, None, b""),
    ("GET", "/sparql", {"query": "ASK {}", "default-graph-uri": "no scheme"}, None, b""),
    ("GET", "/store", {"graph": "not an iri"}, None, b""),
    ("GET", "/store", {"graph": "http://example.org/a", "default": ""}, None, b""),
    ("POST", "/sparql", {}, "application/sparql-query", b"\xff\xfe\x00A"),
    ("POST", "/sparql", {}, "application/x-www-form-urlencoded", b"query=%FF%FE"),
    ("POST", "/sparql", {}, "application/sparql-update", b"INSERT DATA { <a> <b> }"),
    ("POST", "/sparql", {}, "application/sparql-update", b"LOAD <http://example.org/data.ttl>"),
    ("PUT", "/store", {"graph": "http://example.org/g"}, "text/turtle", b"<http://a> <http://b> ."),
    ("PUT", "/store", {"graph": "http://example.org/g"}, "application/pdf", b"%PDF"),
    ("PUT", "/store", {"graph": "http://example.org/g"}, None, b"<http://a> <http://b> <http://c> ."),
    ("POST", "/store", {}, "multipart/form-data; boundary=x", b"--x\r\nnot a part"),
    ("DELETE", "/store", {}, None, b""),
    ("PATCH", "/sparql", {}, None, b""),
]


@pytest.fixture(params=["app", "lcgraph serve"])
def any_server(request: pytest.FixtureRequest) -> RunningServer:
    """The app alone, and the app as ``lcgraph serve`` runs it (query processes and the writer)."""
    running: RunningServer = request.getfixturevalue("live" if request.param == "app" else "served_server")
    running.reset()
    return running


@pytest.mark.parametrize(("method", "path", "params", "content_type", "body"), BAD_REQUESTS)
def test_bad_input_is_4xx_with_a_message_and_changes_nothing(
    any_server: RunningServer,
    method: str,
    path: str,
    params: dict[str, str],
    content_type: str | None,
    body: bytes,
) -> None:
    server = any_server
    headers = {**server.write_headers, **({"Content-Type": content_type} if content_type else {})}
    r = httpx.request(method, server.url + path, params=params, content=body, headers=headers)
    assert 400 <= r.status_code < 500, (r.status_code, r.text)
    assert len(r.text.strip()) > 20 and "Traceback" not in r.text
    assert server.dataset.count() == 0


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    content_type=st.sampled_from(
        [
            "application/sparql-query",
            "application/sparql-update",
            "text/turtle",
            "application/x-www-form-urlencoded",
            "application/n-quads",
            "multipart/form-data",
        ]
    ),
    body=st.binary(max_size=300),
    path=st.sampled_from(["/sparql", "/store", "/store?default", "/store?graph=http://example.org/g"]),
    method=st.sampled_from(["POST", "PUT"]),
)
def test_random_bodies_never_cause_a_server_error(
    any_server: RunningServer, content_type: str, body: bytes, path: str, method: str
) -> None:
    headers = {**any_server.write_headers, "Content-Type": content_type}
    r = httpx.request(method, any_server.url + path, content=body, headers=headers)
    assert r.status_code < 500, (r.status_code, r.text)
    assert "Traceback" not in r.text


def test_federated_service_queries_are_refused(live: RunningServer) -> None:
    query = "SELECT * WHERE { SERVICE <http://127.0.0.1:1/sparql> { ?s ?p ?o } }"
    r = httpx.get(live.sparql, params={"query": query})
    assert r.status_code == 403 and "SERVICE" in r.text
    literal = 'SELECT * WHERE { ?s ?p "a SERVICE desk" }'
    assert httpx.get(live.sparql, params={"query": literal}).status_code == 200
