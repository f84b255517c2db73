"""Limits that hold: answer size limit, request body limit, snapshots that do not pile up.

The query time limit (runaway queries, the process that ran them replaced)
is proven against ``lcgraph serve`` itself in ``tests/test_serve.py``.
"""

from __future__ import annotations

import socket

import httpx
import pyoxigraph as ox
import pytest
from conftest import RunningServer

PATHOLOGICAL = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n2 ?o }"
CHEAP = "ASK { <http://example.org/s1> ?p ?o }"


def _triples(n: int) -> str:
    return "".join(f'<http://example.org/s{i}> <http://example.org/p> "value {i:07d}" .\n' for i in range(n))


def test_a_small_answer_over_the_size_limit_is_refused_clearly(server_factory) -> None:  # type: ignore[no-untyped-def]
    server: RunningServer = server_factory(max_result_bytes=2000)
    server.load(_triples(200))
    r = httpx.get(server.sparql, params={"query": "SELECT * WHERE { ?s ?p ?o }"})
    assert r.status_code == 422
    assert "2000 bytes" in r.text and "LIMIT" in r.text
    small = httpx.get(server.sparql, params={"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 3"})
    assert small.status_code == 200 and len(small.json()["results"]["bindings"]) == 3


def test_a_streamed_answer_over_the_size_limit_is_cut_not_passed_off_as_complete(server_factory) -> None:  # type: ignore[no-untyped-def]
    server: RunningServer = server_factory(max_result_bytes=3 * 1024 * 1024)
    server.load(_triples(40000))
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.get(server.sparql, params={"query": "SELECT * WHERE { ?s ?p ?o }"}, timeout=60)
    assert httpx.get(server.sparql, params={"query": CHEAP}).status_code == 200


def test_request_bodies_over_the_limit_get_413(server_factory) -> None:  # type: ignore[no-untyped-def]
    server: RunningServer = server_factory(max_body_bytes=1000)
    big = "ASK { " + " ".join(f"<http://example.org/{i}> ?p ?o ." for i in range(100)) + " }"
    r = httpx.post(server.sparql, content=big, headers={"Content-Type": "application/sparql-query"})
    assert r.status_code == 413 and "1000 bytes" in r.text

    def chunks():  # no Content-Length: the limit is enforced while reading
        for _ in range(20):
            yield b"<http://example.org/s> <http://example.org/p> <http://example.org/o> .\n"

    r = httpx.post(server.sparql, content=chunks(), headers={"Content-Type": "application/sparql-query"})
    assert r.status_code == 413
    r = httpx.put(
        server.store,
        params={"graph": "http://example.org/g"},
        content=chunks(),
        headers={"Content-Type": "application/n-triples", **server.write_headers},
    )
    assert r.status_code == 413
    assert not server.dataset._store.contains_named_graph(ox.NamedNode("http://example.org/g"))
    assert (
        httpx.post(
            server.sparql, content="ASK {}", headers={"Content-Type": "application/sparql-query"}
        ).status_code
        == 200
    )


def test_a_truncated_body_changes_nothing_and_the_server_carries_on(server: RunningServer) -> None:
    before = server.dataset.count()
    host, port = server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        body = b"<http://example.org/s> <http://example.org/p> "
        sock.sendall(
            b"PUT /store?graph=http://example.org/t HTTP/1.1\r\nHost: x\r\n"
            b"Content-Type: application/n-triples\r\n"
            + f"Authorization: Bearer {server.write_headers['Authorization'].split()[1]}\r\n".encode()
            + b"Content-Length: 500\r\n\r\n"
            + body
        )
        sock.shutdown(socket.SHUT_WR)
        answer = sock.recv(4096)
    assert answer == b"" or answer.split(b" ")[1].startswith(b"4")
    assert server.dataset.count() == before
    assert httpx.get(server.url + "/health").status_code == 200


def test_snapshots_do_not_pile_up(served_server: RunningServer) -> None:
    server = served_server
    snapshots = server.app.state.runtime.snapshots
    workers = 2
    for i in range(12):
        r = httpx.post(
            server.store,
            params={"graph": "http://example.org/g"},
            content=f"<http://example.org/s> <http://example.org/n> {i} .",
            headers={"Content-Type": "text/turtle", **server.write_headers},
        )
        assert r.status_code in (201, 204), r.text
        assert httpx.get(server.sparql, params={"query": CHEAP}).status_code == 200
    # One checkpoint per query process at most, plus the current one; older ones (and their locks) go.
    checkpoints = [p for p in snapshots.root.iterdir() if p.is_dir()]
    assert len(checkpoints) <= workers + 1
    locks = [p for p in snapshots.root.iterdir() if p.suffix == ".lock"]
    assert len(locks) == len(checkpoints)
