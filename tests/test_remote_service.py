"""``lcgraph serve`` in front of a SPARQL store it does not run (oxigraph serve, Virtuoso).

The same service as on the embedded store: ``lcgraph init --store`` prepares
the remote store, two ``lcgraph serve --store`` servers answer on their own
ports, writes through one are read through the other, personal data stays
behind its scope, concurrent writers lose nothing, and a store that goes
down is named in a 5xx answer. Real processes, real ports, real clients.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from stores import RemoteStore, free_port, start_oxigraph, start_virtuoso

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
