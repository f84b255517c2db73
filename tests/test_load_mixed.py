"""Mixed load on a real ``lcgraph serve``: 16 clients for 60 s, reads of every kind and one write a second.

Reads: selective SPARQL, a result of about a thousand rows, canned queries,
linked-data pages and the web UI's pages. Writes: one small valid SPARQL
Update per second with the write token. The test asserts zero errors (every
answer a 2xx) and that every acknowledged write is in the store afterwards;
latencies are printed, not asserted (speed is measured in ``bench/``).
"""

from __future__ import annotations

import itertools
import statistics
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
from attacks.live import CITY_NORTH, Live, auth, make_template, serve

CLIENTS = 16
SECONDS = 60
SCRATCH = "http://example.org/load/"

READS: list[tuple[str, dict[str, str], dict[str, str]]] = [
    ("/sparql", {"query": f"SELECT ?p ?o WHERE {{ <{CITY_NORTH}> ?p ?o }}"}, {}),
    ("/sparql", {"query": "SELECT ?s ?p ?o WHERE { ?s ?p ?o } LIMIT 1000"}, {"Accept": "text/csv"}),
    (
        "/sparql",
        {
            "query": "SELECT ?c (COUNT(?x) AS ?n) WHERE { ?x <https://w3id.org/lcgraph/def#city> ?c } "
            "GROUP BY ?c"
        },
        {"Accept": "application/sparql-results+json"},
    ),
    ("/queries/activities-by-age-group", {"city": CITY_NORTH}, {"Accept": "application/sparql-results+json"}),
    ("/queries/partners-of-city", {"city": CITY_NORTH}, {"Accept": "text/csv"}),
    ("/id/city/example-north", {}, {"Accept": "text/turtle"}),
    ("/id/city/example-north", {}, {"Accept": "text/html"}),
    ("/", {}, {}),
    ("/explore", {}, {}),
    ("/search", {"q": "example"}, {}),
    ("/health", {}, {}),
]


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    template = make_template(tmp_path_factory.mktemp("load-store"))
    server = serve(template, tmp_path_factory.mktemp("load-server"))
    yield server
    server.stop()


@pytest.mark.slow
def test_mixed_load_has_no_errors_and_keeps_every_write(live: Live) -> None:
    stop = time.monotonic() + SECONDS
    errors: list[str] = []
    latencies: list[float] = []
    written: list[int] = []
    lock = threading.Lock()

    def reader(n: int) -> None:
        mix = itertools.islice(itertools.cycle(READS), n, None)
        with httpx.Client(base_url=live.url, timeout=30) as c:
            for path, params, headers in mix:
                if time.monotonic() >= stop:
                    return
                t0 = time.perf_counter()
                try:
                    r = c.get(path, params=params, headers=headers)
                    ok = 200 <= r.status_code < 300
                    problem = f"{path}: {r.status_code} {r.text[:120]}"
                except httpx.HTTPError as exc:
                    ok, problem = False, f"{path}: {type(exc).__name__}"
                with lock:
                    latencies.append(time.perf_counter() - t0)
                    if not ok:
                        errors.append(problem)

    def writer() -> None:
        with httpx.Client(base_url=live.url, timeout=30, headers=auth("write")) as c:
            for i in itertools.count():
                due = stop - SECONDS + i
                if due >= stop:
                    return
                time.sleep(max(0.0, due - time.monotonic()))
                update = f"INSERT DATA {{ GRAPH <{SCRATCH}g> {{ <{SCRATCH}s{i}> <{SCRATCH}n> {i} }} }}"
                try:
                    r = c.post(
                        "/sparql",
                        content=update.encode(),
                        headers={"Content-Type": "application/sparql-update"},
                    )
                    if r.status_code == 204:
                        written.append(i)
                    else:
                        errors.append(f"write {i}: {r.status_code} {r.text[:120]}")
                except httpx.HTTPError as exc:
                    errors.append(f"write {i}: {type(exc).__name__}")

    threads = [threading.Thread(target=reader, args=(n,)) for n in range(CLIENTS - 1)]
    threads.append(threading.Thread(target=writer))
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    qs = statistics.quantiles(latencies, n=100)
    print(
        f"\nmixed load: {len(latencies)} reads, {len(written)} writes, p50 {qs[49] * 1000:.1f} ms, "
        f"p99 {qs[98] * 1000:.1f} ms, {len(errors)} errors"
    )
    assert errors == [], f"{len(errors)} errors, first: {errors[:5]}"
    assert len(written) >= SECONDS - 2
    r = httpx.get(
        live.url + "/sparql",
        params={"query": f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{SCRATCH}g> {{ ?s ?p ?o }} }}"},
        headers={"Accept": "application/sparql-results+json"},
        timeout=30,
    )
    assert int(r.json()["results"]["bindings"][0]["n"]["value"]) == len(written)
