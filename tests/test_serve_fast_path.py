"""The lean path for plain ``/sparql`` queries answers exactly as the documented route does.

Two real servers over copies of the same store, on loopback ports: one with
the fast path (the default), one with ``fast_queries=False`` (every request
through FastAPI's route). The same requests — every results format, Accept
and ``format=`` variants, POSTed forms and query bodies, protocol datasets,
CORS, credentials, and the errors — must get the same status, the same
headers (but ``date``) and the same bytes, the first time (evaluated in a
thread) and the second (evaluated on the event loop). Personal data never
leaves through the fast path, whichever caller asked the same URL first. A
query that was quick on one snapshot and runs away on the next still gets
its time limit, and the memories behind the fast path stay bounded.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from live_server import PRIVATE_TOKEN, WRITE_TOKEN, RunningServer
from test_privacy import ATTACKS
from test_publish_support import PRIVATE, SECRETS, fill

from lcgraph.api import query_service
from lcgraph.api.fast_path import JOB_CACHE_BYTES, FastQueries
from lcgraph.app import find_middleware

CITIES = "PREFIX lc: <https://w3id.org/lcgraph/def#> SELECT ?c WHERE { ?c a lc:LearningCity } ORDER BY ?c"
EMAILS = "SELECT ?e WHERE { ?p <https://schema.org/email> ?e } ORDER BY ?e"
GRAPH_OF_CITIES = "CONSTRUCT { ?c a ?t } WHERE { ?c a ?t FILTER(isIRI(?c)) } ORDER BY ?c ?t LIMIT 20"
JSON = "application/sparql-results+json"
TEXT = "text/csv, application/n-triples"


def _fast(server: RunningServer) -> FastQueries:
    layer: FastQueries = find_middleware(server.app.middleware_stack, FastQueries)[0]
    return layer


@pytest.fixture(scope="module")
def pair(module_server_factory: Callable[..., RunningServer]) -> tuple[RunningServer, RunningServer]:
    """(fast path, route only) over two stores filled alike; the route-only one counts nothing."""
    fast = module_server_factory(seed=fill, query_timeout=1.0)
    route = module_server_factory(seed=fill, query_timeout=1.0, fast_queries=False)
    return fast, route


def _requests() -> list[dict[str, Any]]:
    """Requests the fast path takes (and a few it must leave to the route), as httpx arguments."""
    reader = {"Authorization": f"Bearer {PRIVATE_TOKEN}"}
    out: list[dict[str, Any]] = []
    for accept in (
        JSON,
        "application/sparql-results+xml",
        "text/csv",
        "text/tab-separated-values",
        "*/*",
        "text/csv;q=0.5, application/sparql-results+json;q=0.9",
        "",
    ):
        out.append({"method": "GET", "params": {"query": CITIES}, "headers": {"Accept": accept}})
    out += [
        {"method": "GET", "params": {"query": CITIES, "format": "csv"}},
        {"method": "GET", "params": {"query": CITIES, "format": "text/tab-separated-values"}},
        {"method": "GET", "params": {"query": GRAPH_OF_CITIES}, "headers": {"Accept": "text/turtle"}},
        {
            "method": "GET",
            "params": {"query": GRAPH_OF_CITIES},
            "headers": {"Accept": "application/n-triples"},
        },
        {"method": "GET", "params": {"query": "ASK { ?s ?p ?o }"}, "headers": {"Accept": JSON}},
        {"method": "GET", "params": {"query": EMAILS}, "headers": {"Accept": JSON}},
        {"method": "GET", "params": {"query": EMAILS}, "headers": {"Accept": JSON, **reader}},
        {"method": "GET", "params": {"query": CITIES}, "headers": {"Origin": "https://example.org"}},
        {
            "method": "GET",
            "params": {"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", "default-graph-uri": PRIVATE},
            "headers": reader,
        },
        {
            "method": "GET",
            "params": [("query", "SELECT ?g WHERE { GRAPH ?g { } }"), ("named-graph-uri", PRIVATE)],
            "headers": reader,
        },
        {"method": "POST", "data": {"query": CITIES}, "headers": {"Accept": "text/csv"}},
        {
            "method": "POST",
            "content": CITIES,
            "headers": {"Content-Type": "application/sparql-query", "Accept": JSON},
        },
        {
            "method": "POST",
            "content": EMAILS,
            "headers": {"Content-Type": "application/sparql-query", **reader},
        },
        # Refused: the same status and message from both.
        {"method": "GET", "params": {"query": "SELECT ?x WHERE { ?x "}, "headers": {"Accept": JSON}},
        {"method": "GET", "params": {"query": CITIES}, "headers": {"Accept": "image/png"}},
        {"method": "GET", "params": {"query": CITIES}, "headers": {"Accept": "application/json, image/png"}},
        {"method": "GET", "params": {"query": f"SELECT * FROM <{PRIVATE}> WHERE {{ ?s ?p ?o }}"}},
        {"method": "GET", "params": {"query": CITIES, "default-graph-uri": PRIVATE}},
        {"method": "GET", "params": {"query": "SELECT * { SERVICE <http://example.org/> { ?s ?p ?o } }"}},
        {"method": "GET", "params": {"query": CITIES}, "headers": {"Authorization": "Bearer not-a-token"}},
        {"method": "GET", "params": {"query": CITIES}, "headers": {"Authorization": "Digest x"}},
        {"method": "GET", "params": {"query": CITIES, "default-graph-uri": "not an iri"}},
        {"method": "GET", "params": [("query", CITIES), ("query", CITIES)]},
        {"method": "GET", "params": {"update": "CLEAR ALL"}},
        {"method": "POST", "data": {"update": "CLEAR ALL"}},
        {"method": "POST", "content": b"\xff", "headers": {"Content-Type": "application/sparql-query"}},
        {
            "method": "POST",
            "content": CITIES,
            "headers": {"Content-Type": "application/sparql-query; charset=latin-1"},
        },
        {"method": "POST", "content": CITIES, "headers": {"Content-Type": "text/plain"}},
        # Left to the route.
        {"method": "HEAD", "params": {"query": CITIES}},
    ]
    return out


def _send(server: RunningServer, request: dict[str, Any]) -> httpx.Response:
    with httpx.Client(timeout=30) as client:
        return client.request(url=server.sparql, **request)


def _same(fast: httpx.Response, route: httpx.Response, what: str) -> None:
    assert fast.status_code == route.status_code, what
    assert fast.content == route.content, what
    left = [(k, v) for k, v in fast.headers.multi_items() if k != "date"]
    right = [(k, v) for k, v in route.headers.multi_items() if k != "date"]
    assert left == right, what


def test_every_answer_is_the_routes_byte_for_byte(pair: tuple[RunningServer, RunningServer]) -> None:
    fast, route = pair
    layer = _fast(fast)
    inline_answers = 0
    for i, request in enumerate(_requests()):
        expected = _send(route, request)
        taken, inline = layer.answered, query_service.costs.inline_runs
        first = _send(fast, request)
        second = _send(fast, request)  # a quick query now runs on the event loop
        _same(first, expected, f"request {i} (first): {request}")
        _same(second, expected, f"request {i} (again): {request}")
        if request["method"] in ("GET", "POST") and expected.status_code == 200 and "query" in str(request):
            assert layer.answered == taken + 2, f"request {i} went to the route: {request}"
            inline_answers += query_service.costs.inline_runs - inline
    assert inline_answers >= 10  # the quick ones (not every query here is under 2 ms)
    taken = layer.answered
    description = _send(fast, {"method": "GET", "headers": {"Accept": "text/turtle"}})
    assert description.status_code == 200 and "sd:endpoint" in description.text
    assert layer.answered == taken  # the service description is the route's
    assert _fast(route).answered == 0


@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_personal_data_never_leaves_through_the_fast_path(
    pair: tuple[RunningServer, RunningServer], name: str
) -> None:
    fast, _ = pair
    reader = {"Authorization": f"Bearer {PRIVATE_TOKEN}"}
    params = {"query": ATTACKS[name]}
    # The reader asks first, so a job or a cost remembered for the reader would be reused if the keys
    # did not tell callers apart; then the public, twice (the second time on the event loop).
    seen = _send(fast, {"method": "GET", "params": params, "headers": {"Accept": TEXT, **reader}})
    assert seen.status_code == 200
    answers = [
        _send(fast, {"method": "GET", "params": params, "headers": {"Accept": TEXT}}) for _ in range(2)
    ]
    for answer in answers:
        assert answer.status_code == 200
        assert not any(secret in answer.text for secret in SECRETS), name
    if name == "default graph union":
        assert any(secret in seen.text for secret in SECRETS)  # so the test can fail


def test_a_query_quick_before_a_write_gets_its_time_limit_after_it(
    server_factory: Callable[..., RunningServer],
) -> None:
    """Cheap on an empty graph, it runs on the event loop; after a write it would run for seconds."""
    live = server_factory(query_timeout=0.5)
    predicate = "http://example.org/fast/p"
    query = (
        f"SELECT (COUNT(*) AS ?n) WHERE {{ ?a <{predicate}> ?b . ?c <{predicate}> ?d . ?e <{predicate}> ?f }}"
    )
    params = {"query": query}
    for _ in range(3):
        assert _send(live, {"method": "GET", "params": params}).status_code == 200
    inline = query_service.costs.inline_runs
    assert _send(live, {"method": "GET", "params": params}).status_code == 200
    assert query_service.costs.inline_runs == inline + 1  # it ran on the event loop
    triples = "\n".join(f'<http://example.org/fast/s{i}> <{predicate}> "{i}" .' for i in range(400))
    written = httpx.post(
        live.store,
        params={"graph": "http://example.org/fast"},
        content=triples,
        headers={"Content-Type": "application/n-triples", "Authorization": f"Bearer {WRITE_TOKEN}"},
        timeout=30,
    )
    assert written.status_code in (201, 204), written.text
    probes: list[float] = []
    failures: list[str] = []
    stop = threading.Event()

    def probe() -> None:
        with httpx.Client(timeout=30) as client:
            while not stop.is_set():
                started = time.monotonic()
                status = client.get(live.sparql, params={"query": "ASK {}"}).status_code
                probes.append(time.monotonic() - started)
                if status != 200:
                    failures.append(str(status))
                time.sleep(0.02)

    prober = threading.Thread(target=probe)
    prober.start()
    try:
        started = time.monotonic()
        slow = _send(live, {"method": "GET", "params": params})
        took = time.monotonic() - started
    finally:
        stop.set()
        prober.join()
    assert slow.status_code == 503 and "limit of 0.5 s" in slow.text, slow.text[:300]
    assert took < 5
    assert probes and failures == [] and max(probes) < 2  # the event loop kept answering meanwhile


def test_the_memories_behind_the_fast_path_stay_bounded(pair: tuple[RunningServer, RunningServer]) -> None:
    fast, _ = pair
    layer = _fast(fast)
    filler = "# " + "x" * 8000 + "\n"
    with httpx.Client(timeout=30) as client:
        for i in range(700):  # about 5.6 MB of distinct query texts
            r = client.post(
                fast.sparql,
                content=f"{filler}ASK {{ FILTER({i} = {i}) }}",
                headers={"Content-Type": "application/sparql-query"},
            )
            assert r.status_code == 200
    assert layer.jobs.size <= JOB_CACHE_BYTES
    memory = query_service.CostMemory(entries=100)
    keys = [(i.to_bytes(16, "big"), 0) for i in range(1000)]
    for key in keys:
        memory.note(key, 0.0001, 10)
    assert len(memory) == 100
    assert memory.quick(keys[-1]) and not memory.quick(keys[0])
    memory.note(keys[-1], 0.5, 10)  # slow now: forgotten
    assert not memory.quick(keys[-1])
    memory.note(keys[0], 0.0001, 1 << 20)  # a big answer is never evaluated on the event loop
    assert not memory.quick(keys[0])
