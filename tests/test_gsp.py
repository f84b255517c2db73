"""The Graph Store Protocol beyond the W3C suite: whole-dataset transfers, new graphs, bad input."""

from __future__ import annotations

import httpx
import pyoxigraph as ox
import rdflib
from conftest import RunningServer

TURTLE = {"Content-Type": "text/turtle"}
G = "http://example.org/g"
TRIG = """
@prefix ex: <http://example.org/> .
ex:s ex:p "in the default graph" .
ex:g1 { ex:s ex:p "one" . }
ex:g2 { ex:s ex:p "two" ; ex:q [ ex:r "blank" ] . }
"""


def _dump(server: RunningServer) -> set[str]:
    return set(server.dataset._store.dump(format=ox.RdfFormat.N_QUADS).decode().splitlines())


def test_graph_round_trip_in_several_formats(server: RunningServer) -> None:
    r = httpx.put(
        server.store,
        params={"graph": G},
        content='<http://a> <http://b> "ก ข ค"@th .',
        headers={**TURTLE, **server.write_headers},
    )
    assert r.status_code == 201
    for accept, fmt in (
        ("text/turtle", "turtle"),
        ("application/n-triples", "nt"),
        ("application/rdf+xml", "xml"),
        ("application/ld+json", "json-ld"),
    ):
        got = httpx.get(server.store, params={"graph": G}, headers={"Accept": accept})
        assert got.status_code == 200 and got.headers["content-type"].startswith(accept)
        graph = rdflib.Graph().parse(data=got.text, format=fmt)
        assert (
            rdflib.URIRef("http://a"),
            rdflib.URIRef("http://b"),
            rdflib.Literal("ก ข ค", lang="th"),
        ) in graph
    assert httpx.get(server.store, params={"graph": G}, headers={"Accept": "image/png"}).status_code == 406
    r = httpx.put(
        server.store,
        params={"graph": G},
        content="<http://a> <http://b> <http://c> .",
        headers={**TURTLE, **server.write_headers},
    )
    assert r.status_code == 204
    assert len(rdflib.Graph().parse(data=httpx.get(server.store, params={"graph": G}).text)) == 1


def test_whole_dataset_put_get_post(server: RunningServer) -> None:
    headers = {"Content-Type": "application/trig", **server.write_headers}
    assert httpx.put(server.store, content=TRIG, headers=headers).status_code == 204
    got = httpx.get(server.store, headers={"Accept": "application/n-quads"})
    assert got.headers["content-type"].startswith("application/n-quads")
    data = rdflib.Dataset()
    data.parse(data=got.text, format="nquads")
    graphs = {str(c.identifier) for c in data.contexts() if len(c)}
    assert {"http://example.org/g1", "http://example.org/g2"} <= graphs
    trig = httpx.get(server.store)  # TriG by default
    assert trig.headers["content-type"].startswith("application/trig") and '"two"' in trig.text
    more = '<http://example.org/s> <http://example.org/p> "three" <http://example.org/g3> .\n'
    r = httpx.post(
        server.store, content=more, headers={"Content-Type": "application/n-quads", **server.write_headers}
    )
    assert r.status_code == 204
    assert httpx.head(server.store, params={"graph": "http://example.org/g3"}).status_code == 200
    # PUT of the whole store replaces what was there.
    assert (
        httpx.put(
            server.store,
            content="<http://x> <http://y> <http://z> <http://example.org/only> .",
            headers={"Content-Type": "application/n-quads", **server.write_headers},
        ).status_code
        == 204
    )
    assert httpx.head(server.store, params={"graph": "http://example.org/g1"}).status_code == 404


def test_post_to_the_store_creates_a_graph_named_in_location(server: RunningServer) -> None:
    r = httpx.post(
        server.store, content="<http://a> <http://b> <http://c> .", headers={**TURTLE, **server.write_headers}
    )
    assert r.status_code == 201
    location = r.headers["location"]
    assert location.startswith("https://w3id.org/lcgraph/graph/upload/")
    got = httpx.get(server.store, params={"graph": location})
    assert got.status_code == 200 and "<http://c>" in got.text


def test_multipart_post_loads_every_file_or_none(server: RunningServer) -> None:
    files = [
        ("a", ("a.ttl", b"<http://a> <http://p> 1 .", "text/turtle")),
        ("b", ("b.nt", b'<http://b> <http://p> "2" .', "application/n-triples")),
    ]
    r = httpx.post(server.store, params={"graph": G}, files=files, headers=server.write_headers)
    assert r.status_code == 201
    assert len(list(server.dataset.quads(None, None, None, ox.NamedNode(G)))) == 2
    before = _dump(server)
    broken = [
        ("a", ("a.ttl", b"<http://c> <http://p> 3 .", "text/turtle")),
        ("b", ("b.ttl", b"<http://d> <http://p> .", "text/turtle")),
    ]
    r = httpx.post(server.store, params={"graph": G}, files=broken, headers=server.write_headers)
    assert r.status_code == 400 and "b.ttl" in r.text
    assert _dump(server) == before


def test_unparsable_put_names_line_and_column_and_changes_nothing(server: RunningServer) -> None:
    httpx.put(
        server.store,
        params={"graph": G},
        content="<http://a> <http://b> <http://c> .",
        headers={**TURTLE, **server.write_headers},
    )
    before = _dump(server)
    bad = "@prefix ex: <http://example.org/> .\nex:a ex:b ex:c .\nex:d ex:e .\n"
    r = httpx.put(server.store, params={"graph": G}, content=bad, headers={**TURTLE, **server.write_headers})
    assert r.status_code == 400
    assert ":3:" in r.text  # line 3
    assert _dump(server) == before


def test_missing_graphs_and_bad_parameters(server: RunningServer) -> None:
    assert httpx.get(server.store, params={"graph": "http://example.org/none"}).status_code == 404
    assert httpx.head(server.store, params={"graph": "http://example.org/none"}).status_code == 404
    r = httpx.delete(server.store, params={"graph": "http://example.org/none"}, headers=server.write_headers)
    assert r.status_code == 404
    r = httpx.get(server.store, params={"graph": "relative/iri"})
    assert r.status_code == 400 and "graph" in r.text
    r = httpx.put(
        server.store,
        params={"graph": G},
        content=TRIG,
        headers={"Content-Type": "application/trig", **server.write_headers},
    )
    assert r.status_code == 400 and "named graphs" in r.text


def test_default_graph_delete_empties_it(server: RunningServer) -> None:
    httpx.put(
        server.store,
        params={"default": ""},
        content="<http://a> <http://b> <http://c> .",
        headers={**TURTLE, **server.write_headers},
    )
    assert httpx.delete(server.store, params={"default": ""}, headers=server.write_headers).status_code == 204
    assert (
        httpx.get(server.store, params={"default": ""}, headers={"Accept": "application/n-triples"}).text
        == ""
    )


def test_a_write_is_seen_by_the_next_query(server: RunningServer) -> None:
    for i in range(5):
        r = httpx.post(
            server.store,
            params={"graph": G},
            content=f"<http://a> <http://n> {i} .",
            headers={**TURTLE, **server.write_headers},
        )
        assert r.status_code in (201, 204)
        count = httpx.get(
            server.sparql, params={"query": f"SELECT (COUNT(*) AS ?n) {{ GRAPH <{G}> {{ ?s ?p ?o }} }}"}
        )
        assert count.json()["results"]["bindings"][0]["n"]["value"] == str(i + 1)
