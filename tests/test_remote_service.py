"""``lcgraph serve`` in front of a SPARQL store it does not run (oxigraph serve, Virtuoso).

The same service as on the embedded store: ``lcgraph init --store`` prepares
the remote store, two ``lcgraph serve --store`` servers answer on their own
ports, writes through one are read through the other, personal data stays
behind its scope, concurrent writers lose nothing, and a store that goes
down is named in a 5xx answer. Real processes, real ports, real clients.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pyoxigraph as ox
import pytest
from stores import RemoteStore, free_port, start_oxigraph, start_virtuoso

from lcgraph.store.formats import SPARQL_JSON

pytestmark = pytest.mark.slow

WRITE = "remote-write-token-01"
PRIVATE = "remote-private-token-02"
TOKENS = f"steward:{WRITE}:write,analyst:{PRIVATE}:read-private"
LC = "https://w3id.org/lcgraph/def#"
ID = "https://w3id.org/lcgraph/id/"
PRIVATE_GRAPH = "https://w3id.org/lcgraph/graph/private"
# Every public triple once (set semantics over the union of the public graphs).
UNION = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
MEMBERS = "SELECT (COUNT(?m) AS ?n) WHERE { ?m a <http://www.w3.org/ns/org#Membership> }"


@dataclass
class Served:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def count(self, query: str = UNION, **headers: str) -> int:
        r = httpx.post(
            self.url + "/sparql",
            data={"query": query},
            headers={"Accept": "application/sparql-results+json", **headers},
            timeout=60,
        )
        assert r.status_code == 200, r.text
        return int(r.json()["results"]["bindings"][0]["n"]["value"])


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lcgraph.cli", *args],
        capture_output=True,
        text=True,
        timeout=900,
        env={**os.environ, **(env or {})},
    )


def _serve(spec: str, root: Path, name: str) -> Served:
    port = free_port()
    log = root / f"{name}.log"
    env = {**os.environ, "LCGRAPH_TOKENS": TOKENS, "LCGRAPH_DATA": str(root / f"{name}-unused")}
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "lcgraph.cli",
                "serve",
                "--store",
                spec,
                "--port",
                str(port),
                "--workers",
                "2",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()
        try:
            if httpx.get(url + "/health", timeout=5).json().get("role") == "query":
                return Served(url, process, log)
        except (httpx.HTTPError, ValueError):
            pass
        time.sleep(0.3)
    process.kill()
    raise AssertionError("lcgraph serve --store did not start:\n" + log.read_text())


def _stop(served: Served) -> None:
    if served.process.poll() is None:
        served.process.terminate()
        served.process.wait(timeout=60)


@pytest.fixture(scope="module")
def embedded_counts(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, int]:
    """The counts the embedded store gives for the same seed (the answers every backend must give)."""
    from lcgraph.bootstrap import initialise
    from lcgraph.store import Dataset

    ds = Dataset.open(tmp_path_factory.mktemp("embedded") / "store")
    initialise(ds, examples=False)
    return int(ds.select(UNION)[0]["n"].value), int(ds.select(MEMBERS)[0]["n"].value)


@pytest.fixture(scope="module", params=["oxigraph-serve", "virtuoso"])
def remote(request: pytest.FixtureRequest) -> Iterator[tuple[RemoteStore, Served, Served]]:
    """A fresh remote store, initialised by ``lcgraph init --store``, with two lcgraph servers in front."""
    with tempfile.TemporaryDirectory(prefix="lcg-remote-service-") as d:
        root = Path(d)
        (root / "store").mkdir()
        start = start_oxigraph if request.param == "oxigraph-serve" else start_virtuoso
        store = start(root / "store")
        try:
            init = _cli("init", "--store", store.spec, "--data", str(root / "unused"))
            assert init.returncode == 0, init.stderr
            first = _serve(store.spec, root, "first")
            second = _serve(store.spec, root, "second")
            try:
                yield store, first, second
            finally:
                _stop(first)
                _stop(second)
        finally:
            store.stop()


def test_counts_over_the_remote_store_are_the_embedded_counts(
    remote: tuple[RemoteStore, Served, Served], embedded_counts: tuple[int, int]
) -> None:
    _, first, second = remote
    triples, members = embedded_counts
    assert triples > 1000 and members == 13  # the seed: 13 GNLC memberships of Thai cities
    assert first.count() == triples
    assert second.count() == triples
    assert first.count(MEMBERS) == members


def test_a_write_through_one_server_is_read_through_the_other(
    remote: tuple[RemoteStore, Served, Served],
) -> None:
    _, first, second = remote
    graph = "https://w3id.org/lcgraph/graph/remote-notes"
    body = f'<{ID}city/phayao> <http://www.w3.org/2000/01/rdf-schema#comment> "written through the first server"@en .'
    r = httpx.post(
        first.url + "/store",
        params={"graph": graph},
        content=body,
        headers={"Content-Type": "text/turtle", "Authorization": f"Bearer {WRITE}"},
        timeout=120,
    )
    assert r.status_code in (200, 201, 204), r.text
    query = f'SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p "written through the first server"@en }} }}'
    assert second.count(query) == 1
    # Anonymous writes are refused on either server.
    anonymous = httpx.post(
        second.url + "/store", params={"graph": graph}, content=body, headers={"Content-Type": "text/turtle"}
    )
    assert anonymous.status_code == 401


def test_personal_data_stays_behind_its_scope(remote: tuple[RemoteStore, Served, Served]) -> None:
    _, first, second = remote
    person = f"{ID}person/remote-test"
    body = (
        f"<{person}> a <https://schema.org/Person> ; "
        f'<http://www.w3.org/2000/01/rdf-schema#label> "Remote Test Person"@en ; '
        f'<https://schema.org/email> "remote.person@example.org" .'
    )
    r = httpx.put(
        first.url + "/store",
        params={"graph": PRIVATE_GRAPH},
        content=body,
        headers={"Content-Type": "text/turtle", "Authorization": f"Bearer {PRIVATE}"},
        timeout=120,
    )
    # A read-private token cannot write; the write token can send personal data (routed to private).
    assert r.status_code == 403
    r = httpx.post(
        first.url + "/store",
        params={"graph": "https://w3id.org/lcgraph/graph/remote-people"},
        content=body,
        headers={"Content-Type": "text/turtle", "Authorization": f"Bearer {WRITE}"},
        timeout=120,
    )
    assert r.status_code in (200, 201, 204), r.text
    email = 'SELECT (COUNT(*) AS ?n) WHERE { ?s <https://schema.org/email> "remote.person@example.org" }'
    assert second.count(email) == 0  # anonymous: the union of the public graphs only
    assert second.count(email, Authorization=f"Bearer {PRIVATE}") == 1
    hidden = httpx.post(
        second.url + "/sparql",
        data={"query": f"SELECT * WHERE {{ GRAPH <{PRIVATE_GRAPH}> {{ ?s ?p ?o }} }}"},
        headers={"Accept": "application/sparql-results+json"},
        timeout=60,
    )
    assert (
        hidden.status_code == 200 and hidden.json()["results"]["bindings"] == []
    )  # as on the embedded store
    named = httpx.post(
        second.url + "/sparql", data={"query": UNION, "default-graph-uri": PRIVATE_GRAPH}, timeout=60
    )
    assert named.status_code == 403
    # The store's own answer bytes (passed through where the store writes the format as the engine
    # does) are exactly as restrictive, in every results format and every way of reading graphs.
    for media in (
        "application/sparql-results+json",
        "application/sparql-results+xml",
        "text/tab-separated-values",
        "text/csv",
    ):
        for query in (
            "SELECT * WHERE { ?s ?p ?o }",
            "SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }",
            "SELECT * WHERE { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }",
            'ASK { ?s ?p "remote.person@example.org" }',
            'ASK { GRAPH ?g { ?s ?p "remote.person@example.org" } }',
        ):
            answers = {}
            for who, headers in (("anonymous", {}), ("read-private", {"Authorization": f"Bearer {PRIVATE}"})):
                r = httpx.post(
                    second.url + "/sparql",
                    data={"query": query},
                    headers={"Accept": media, **headers},
                    timeout=60,
                )
                assert r.status_code == 200 and r.headers["content-type"].startswith(media), (media, r.text)
                answers[who] = r.content
            seen = query.startswith("ASK") and b"true" in answers["read-private"]
            assert b"remote.person@example.org" in answers["read-private"] or seen, (media, query)
            assert b"remote.person@example.org" not in answers["anonymous"], (media, query)
            if query.startswith("ASK"):
                assert b"false" in answers["anonymous"], (media, query)


def test_concurrent_writers_on_two_servers_lose_nothing(remote: tuple[RemoteStore, Served, Served]) -> None:
    _, first, second = remote

    def write(i: int) -> tuple[int, int]:
        server = (first, second)[i % 2]
        body = f'<{ID}city/phayao> <http://www.w3.org/2000/01/rdf-schema#comment> "concurrent note {i}"@en .'
        r = httpx.post(
            server.url + "/store",
            params={"graph": f"https://w3id.org/lcgraph/graph/concurrent-{i}"},
            content=body,
            headers={"Content-Type": "text/turtle", "Authorization": f"Bearer {WRITE}"},
            timeout=180,
        )
        return i, r.status_code

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(write, range(16)))
    statuses = {status for _, status in results}
    assert statuses <= {200, 201, 204, 409}, results
    written = {i for i, status in results if status != 409}
    assert written, results
    query = (
        "SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } "
        'FILTER(STRSTARTS(STR(?g), "https://w3id.org/lcgraph/graph/concurrent-")) }'
    )
    # Every acknowledged write is there, and nothing refused landed.
    assert first.count(query) == len(written)
    for i in written:
        assert second.count(f'SELECT (COUNT(*) AS ?n) WHERE {{ ?s ?p "concurrent note {i}"@en }}') == 1


def test_a_store_that_goes_down_is_named_in_a_5xx(tmp_path: Path) -> None:
    store = start_oxigraph(tmp_path)
    try:
        init = _cli("init", "--store", store.spec, "--data", str(tmp_path / "unused"), "--no-check")
        assert init.returncode == 0, init.stderr
        served = _serve(store.spec, tmp_path, "lonely")
    except BaseException:
        store.stop()
        raise
    try:
        assert served.count() > 0
        store.stop()
        r = httpx.post(served.url + "/sparql", data={"query": MEMBERS}, timeout=120)
        assert r.status_code in (502, 503, 504), r.text
        assert "127.0.0.1" in r.text  # the message names the store
        w = httpx.post(
            served.url + "/store",
            params={"graph": "https://w3id.org/lcgraph/graph/down"},
            content=f'<{ID}city/phayao> <http://www.w3.org/2000/01/rdf-schema#comment> "x"@en .',
            headers={"Content-Type": "text/turtle", "Authorization": f"Bearer {WRITE}"},
            timeout=120,
        )
        assert w.status_code in (502, 503, 504), w.text
    finally:
        _stop(served)
        store.stop()


# -- the store's own answer streamed through the query service: faults --------------------------

FAULTY = "# faulty\n"


class _Proxy(BaseHTTPRequestHandler):
    """In front of a real ``oxigraph serve``: requests whose query holds ``# faulty`` get the
    server's ``mode`` (500, garbage, slow, cut after ``cut_at`` bytes, stall after them)."""

    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        server: Any = self.server
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        mode = server.mode if urllib.parse.quote_plus(FAULTY).encode() in body else "forward"
        if mode == "500":
            return self._send(500, b"Internal error: out of memory", "text/plain")
        if mode == "garbage":
            return self._send(200, b"<html>a login page</html>", "application/sparql-results+json")
        if mode == "slow":
            time.sleep(3)
        upstream = httpx.post(
            server.upstream + self.path,
            content=body,
            headers={k: v for k, v in self.headers.items() if k.lower() in ("content-type", "accept")},
            timeout=60,
        )
        media = upstream.headers.get("content-type", "text/plain")
        if mode not in ("cut", "stall"):
            return self._send(upstream.status_code, upstream.content, media)
        self.send_response(200)
        self.send_header("Content-Type", media)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        part = upstream.content[: server.cut_at]
        self.wfile.write(f"{len(part):x}\r\n".encode() + part + b"\r\n")
        self.wfile.flush()
        if mode == "stall":
            server.stalled.wait(30)
        self.close_connection = True  # the answer ends without its last chunk

    def _send(self, status: int, body: bytes, media: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", media)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def proxied(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Any]]:
    """A SparqlRepository over a misbehaving proxy in front of a real oxigraph serve with data."""
    from lcgraph.store.sparql import SparqlRepository

    store = start_oxigraph(tmp_path_factory.mktemp("proxied"))
    server: Any = ThreadingHTTPServer(("127.0.0.1", 0), _Proxy)
    server.upstream, server.mode, server.cut_at = store.query_url.rsplit("/", 1)[0], "forward", 0
    server.stalled = threading.Event()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    repo = SparqlRepository.open(f"sparql:{base}/query?update={base}/update&timeout=2")
    ex = "http://example.org/"
    repo.apply(
        add=[
            ox.Quad(
                ox.NamedNode(f"{ex}s{i}"),
                ox.NamedNode(f"{ex}p"),
                ox.Literal(f"value {i}"),
                ox.NamedNode(ex + "g"),
            )
            for i in range(150)
        ]
    )
    try:
        yield server, repo
    finally:
        server.stalled.set()
        repo.close()
        server.shutdown()
        server.server_close()
        store.stop()


BIG = FAULTY + "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f }"  # 22,500 rows, ~5 MB of JSON
SMALL = FAULTY + "SELECT * WHERE { ?a ?b ?c } LIMIT 20"


def _answer(repo: Any, query: str, timeout: float = 30.0) -> tuple[Any, list[str]]:
    """Run the query service's ``answer`` on the repository; the response (or ApiError) and on_stuck calls."""
    from lcgraph.api.query_service import QueryJob, answer
    from lcgraph.api.views import ReadView

    stuck: list[str] = []

    async def run() -> Any:
        try:
            response = await answer(
                ReadView(repo, 0),
                QueryJob(query=query, may_read_private=False, timeout=timeout),
                lambda: stuck.append("stuck"),
            )
        except Exception as exc:  # noqa: BLE001 - returned to the test
            return exc
        if not hasattr(response, "body_iterator"):
            return response
        got = 0
        try:
            async for chunk in response.body_iterator:
                got += len(chunk)
        except Exception as exc:  # noqa: BLE001 - the cut connection
            await asyncio.sleep(1.5)  # past STOP_GRACE: a worker still reading would be reported stuck
            return (exc, got)
        return response

    return asyncio.run(run()), stuck


@pytest.mark.parametrize("mode", ["500", "garbage", "slow", "cut-early"])
def test_a_failing_store_is_named_before_any_byte(proxied: tuple[Any, Any], mode: str) -> None:
    """The store's own bytes are passed on only once its status, format and first bytes are checked."""
    from lcgraph.api.errors import ApiError

    server, repo = proxied
    server.mode, server.cut_at = ("cut", 200) if mode == "cut-early" else (mode, 0)
    assert repo._writes_faithfully(SPARQL_JSON), "oxigraph serve's JSON passes through"
    result, stuck = _answer(repo, SMALL)
    assert isinstance(result, ApiError), result
    assert result.status == (504 if mode == "slow" else 502)
    assert f"127.0.0.1:{server.server_address[1]}" in result.message
    assert not stuck


def test_a_store_that_is_down_is_named(proxied: tuple[Any, Any]) -> None:
    from lcgraph.api.errors import ApiError
    from lcgraph.store.sparql import Endpoint, SparqlRepository

    port = free_port()  # nothing listens there
    repo = SparqlRepository(Endpoint.from_spec(f"sparql:http://127.0.0.1:{port}/query"), retries=0)
    result, _ = _answer(repo, SMALL)
    assert isinstance(result, ApiError) and result.status == 502 and f"127.0.0.1:{port}" in result.message


@pytest.mark.parametrize("mode", ["cut", "stall"])
def test_a_store_that_dies_mid_stream_cuts_the_answer_and_frees_the_worker(
    proxied: tuple[Any, Any], mode: str
) -> None:
    """Past the first MB the status line is sent: a store that dies (or stops sending) then cuts the
    connection, so no client takes a short answer for a whole one, and the worker reading the
    store lets go at once (the socket is shut down on cancel) instead of waiting for the store."""
    from lcgraph.api.query_service import AbortedStream
    from lcgraph.store.sparql import SparqlRepository

    server, fast = proxied
    # The store's own timeout is longer than the query's: only the cancel can free the worker.
    base = fast.endpoint.query_url.rsplit("/", 1)[0]
    repo = SparqlRepository.open(f"sparql:{base}/query?update={base}/update&timeout=60")
    server.mode, server.cut_at = mode, 1_500_000
    server.stalled.clear()
    started = time.monotonic()
    result, stuck = _answer(repo, BIG, timeout=3.0)
    assert isinstance(result, tuple) and isinstance(result[0], AbortedStream), result
    assert result[1] >= 1024 * 1024, "streaming had begun"
    assert not stuck, "the worker let go of the store's answer"
    assert time.monotonic() - started < (12 if mode == "stall" else 8)
    server.stalled.set()
    # The store answers whole again afterwards (a fresh connection).
    server.mode = "forward"
    result, _ = _answer(repo, BIG)
    assert result.status_code == 200
    repo.close()
