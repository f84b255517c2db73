"""``lcgraph serve`` as a user runs it: a real process tree on a free port.

uvicorn's supervised query processes answer reads from published snapshots
and forward writes to the writer (:mod:`lcgraph.api.serving`). These tests
check that a client cannot tell: same answers on every connection, its own
writes visible at once on any connection, pages and the Graph Store, the
privacy rules, the limits (time, body, request head, idle connections), bad
HTTP refused with 400, runaway queries stopped without costing other
clients, memory bounded under distinct big queries, and a clean shutdown.
"""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from attacks.live import Live, run, serve_existing
from SPARQLWrapper import CSV, JSON, SPARQLWrapper

WRITE_TOKEN = "serve-write-token-01"
PRIVATE_TOKEN = "serve-private-token-02"
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"


def _start(root: Path) -> Live:
    """``lcgraph init --examples``, then ``lcgraph serve --workers 2`` on it, with this module's tokens and limits."""
    data = root / "db"
    done = run("init", "--data", str(data), "--examples")
    assert done.returncode == 0, done.stderr
    return serve_existing(
        data,
        root / "server.log",
        "--workers",
        "2",
        LCGRAPH_TOKENS=f"steward:{WRITE_TOKEN}:write+read-private,analyst:{PRIVATE_TOKEN}:read-private",
        LCGRAPH_QUERY_TIMEOUT="2",
        LCGRAPH_MAX_BODY="4000000",
        LCGRAPH_ACCESS_LOG="true",
    )


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    live = _start(tmp_path_factory.mktemp("serve"))
    yield live
    live.stop()


def _select(service: Live, query: str, **headers: str) -> httpx.Response:
    return httpx.get(
        service.sparql,
        params={"query": query},
        headers={"Accept": "application/sparql-results+json", **headers},
        timeout=30,
    )


def _raw(service: Live, payload: bytes) -> bytes:
    port = int(service.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(payload)
        chunks = []
        while True:
            try:
                part = sock.recv(65536)
            except TimeoutError:
                break
            if not part:
                break
            chunks.append(part)
        return b"".join(chunks)


def test_answers_are_the_same_on_every_connection(service: Live) -> None:
    query = (
        "SELECT ?s ?label WHERE { ?s a <https://w3id.org/lcgraph/def#LearningCity> ; "
        "<http://www.w3.org/2000/01/rdf-schema#label> ?label } ORDER BY ?s ?label"
    )
    wrapper = SPARQLWrapper(service.sparql)
    wrapper.setQuery(query)
    wrapper.setReturnFormat(JSON)
    rows = wrapper.query().convert()["results"]["bindings"]
    assert rows, "the examples have cities"
    wrapper.setReturnFormat(CSV)
    csv_text = wrapper.query().convert().decode()
    assert csv_text.splitlines()[0] == "s,label"
    assert len(csv_text.strip().splitlines()) == len(rows) + 1
    assert httpx.get(service.url + "/queries", timeout=10).status_code == 200
    # The same query twice on one connection: same bytes.
    with httpx.Client(timeout=30) as client:
        first = client.get(service.sparql, params={"query": query}, headers={"Accept": "text/csv"})
        second = client.get(service.sparql, params={"query": query}, headers={"Accept": "text/csv"})
    assert first.status_code == second.status_code == 200
    assert first.content == second.content == csv_text.encode()
    assert "Accept" in first.headers["vary"]


def test_post_forms_and_direct_posts_are_queries_too(service: Live) -> None:
    ask = "ASK { ?s ?p ?o }"
    r1 = httpx.post(
        service.sparql, data={"query": ask}, headers={"Accept": "application/sparql-results+json"}
    )
    r2 = httpx.post(
        service.sparql,
        content=ask,
        headers={"Content-Type": "application/sparql-query", "Accept": "application/sparql-results+json"},
    )
    assert r1.status_code == r2.status_code == 200
    assert r1.json()["boolean"] is True and r2.json()["boolean"] is True


def _read_answers(sock: socket.socket, count: int) -> list[tuple[int, bytes]]:
    """``count`` HTTP/1.1 answers with a content length, read in order from one connection."""
    buffer, answers = b"", []
    while len(answers) < count:
        end = buffer.find(b"\r\n\r\n")
        if end >= 0:
            head = buffer[:end].decode("latin-1").split("\r\n")
            fields = dict(line.lower().split(": ", 1) for line in head[1:])
            size = int(fields["content-length"])
            if len(buffer) >= end + 4 + size:
                answers.append((int(head[0].split()[1]), buffer[end + 4 : end + 4 + size]))
                buffer = buffer[end + 4 + size :]
                continue
        part = sock.recv(1 << 16)
        assert part, f"the connection closed after {len(answers)} answers"
        buffer += part
    return answers


def test_pipelined_queries_are_answered_in_order(service: Live) -> None:
    """Hundreds of queries sent in one write are answered in order (uvicorn's pipelining)."""
    port = int(service.url.rsplit(":", 1)[1])
    requests = [
        f"GET /sparql?query=SELECT%20%3Fn%20%7B%20VALUES%20%3Fn%20%7B%20{i}%20%7D%20%7D HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{port}\r\nAccept: text/csv\r\n\r\n".encode()
        for i in range(5)
    ]
    burst = 600
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(b"".join(requests))
        assert [body for _, body in _read_answers(sock, 5)] == [f"n\r\n{i}\r\n".encode() for i in range(5)]
        fresh = requests[0].replace(b"%7B%200%20%7D", b"%7B%2099%20%7D")
        sock.sendall(fresh + b"".join(requests[i % 5] for i in range(burst)))
        answers = _read_answers(sock, burst + 1)
    assert [status for status, _ in answers] == [200] * (burst + 1)
    assert answers[0][1] == b"n\r\n99\r\n"
    assert [body for _, body in answers[1:]] == [f"n\r\n{i % 5}\r\n".encode() for i in range(burst)]


def test_a_write_is_read_at_once_on_any_connection(service: Live) -> None:
    graph = "http://example.org/serve/ryw"
    for i in range(8):
        put = httpx.put(
            service.url + "/store",
            params={"graph": graph},
            content=f'<http://example.org/serve/s> <http://example.org/serve/n> "{i}" .',
            headers={"Content-Type": "text/turtle", "Authorization": f"Bearer {WRITE_TOKEN}"},
            timeout=30,
        )
        assert put.status_code in (201, 204), put.text
        # Fresh connections land on either query process; each must see the write.
        for _ in range(3):
            r = _select(service, f"SELECT ?n WHERE {{ GRAPH <{graph}> {{ ?s ?p ?n }} }}")
            assert r.status_code == 200
            assert [b["n"]["value"] for b in r.json()["results"]["bindings"]] == [str(i)]


def test_one_connection_mixes_queries_pages_and_writes(service: Live) -> None:
    with httpx.Client(timeout=30) as client:
        assert client.get(service.sparql, params={"query": "ASK {}"}).status_code == 200
        page = client.get(service.url + "/", headers={"Accept": "text/html"})
        assert page.status_code == 200 and "<html" in page.text.lower()
        r = client.get(
            service.sparql, params={"query": "SELECT (1 AS ?x) {}"}, headers={"Accept": "text/csv"}
        )
        assert r.text.splitlines() == ["x", "1"]
        denied = client.post(
            service.sparql,
            data={"update": "INSERT DATA { <http://example.org/a> <http://example.org/b> 1 }"},
        )
        assert denied.status_code == 401
        assert client.get(service.url + "/health").json()["status"] == "ok"


def test_private_graph_hidden_unless_token(service: Live) -> None:
    private = "https://w3id.org/lcgraph/graph/private"
    put = httpx.put(
        service.url + "/store",
        params={"graph": "http://example.org/serve/people"},
        content=(
            "@prefix schema: <https://schema.org/> .\n"
            '<http://example.org/serve/p1> a schema:Person ; schema:email "someone@example.org" .'
        ),
        headers={"Content-Type": "text/turtle", "Authorization": f"Bearer {WRITE_TOKEN}"},
        timeout=30,
    )
    assert put.status_code in (201, 204), put.text
    query = "SELECT ?e WHERE { ?p <https://schema.org/email> ?e }"
    anonymous = _select(service, query)
    assert anonymous.status_code == 200 and anonymous.json()["results"]["bindings"] == []
    allowed = _select(service, query, Authorization=f"Bearer {PRIVATE_TOKEN}")
    assert "someone@example.org" in [b["e"]["value"] for b in allowed.json()["results"]["bindings"]]
    refused = _select(service, f"SELECT * FROM <{private}> WHERE {{ ?s ?p ?o }}")
    assert refused.status_code == 403
    assert "read-private" in refused.text
    wrong = _select(service, "ASK {}", Authorization="Bearer not-a-token")
    assert wrong.status_code == 403  # a credential this service does not know
    assert "not valid" in wrong.text


def test_bad_requests_get_4xx(service: Live) -> None:
    syntax = _select(service, "SELECT ?x WHERE { ?x ")
    assert syntax.status_code == 400 and "line 1" in syntax.text
    assert httpx.get(service.sparql, params={"query": "ASK {}", "format": "nonsense"}).status_code in (
        400,
        406,
    )
    too_big = httpx.post(
        service.sparql,
        content="ASK {}" + " " * 4_100_000,
        headers={"Content-Type": "application/sparql-query"},
    )
    assert too_big.status_code == 413
    malformed = _raw(service, b"GET /sparql?query=ASK HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n")
    assert malformed.startswith(b"HTTP/1.1 400")
    not_acceptable = httpx.get(service.sparql, params={"query": "ASK {}"}, headers={"Accept": "image/png"})
    assert not_acceptable.status_code == 406


def test_big_answers_stream_complete(service: Live) -> None:
    query = "SELECT ?s ?p ?o WHERE { ?s ?p ?o }"
    r = httpx.get(
        service.sparql, params={"query": query}, headers={"Accept": "text/tab-separated-values"}, timeout=60
    )
    assert r.status_code == 200
    count = json.loads(_select(service, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }").text)["results"][
        "bindings"
    ][0]["n"]["value"]
    assert len(r.text.strip().splitlines()) == int(count) + 1


def test_access_log_has_a_line_per_request(service: Live) -> None:
    _select(service, "ASK { ?s ?p ?o }")
    time.sleep(0.5)
    lines = [line for line in service.log.read_text().splitlines() if "lcgraph.access" in line]
    entries = [json.loads(line.split("lcgraph.access ", 1)[1]) for line in lines]
    assert any(e["path"] == "/sparql" and e["status"] == 200 for e in entries)
    assert all(set(e) >= {"method", "path", "status", "bytes", "ms", "client"} for e in entries)


def _tree(pid: int) -> list[int]:
    """``pid`` and all its descendants."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        children = subprocess.run(["pgrep", "-P", str(current)], capture_output=True, text=True, check=False)
        todo += [int(c) for c in children.stdout.split()]
    return found


def _rss(pids: list[int]) -> int:
    """Resident memory of the processes, in bytes."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status") as fh:
                total += next(int(line.split()[1]) for line in fh if line.startswith("VmRSS:")) * 1024
        except (FileNotFoundError, StopIteration):
            continue
    return total


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has stopped
    except FileNotFoundError:
        return False


def _generation(service: Live) -> int:
    return int(service.health()["generation"])  # type: ignore[arg-type]


def test_only_a_write_that_changed_the_store_makes_a_snapshot(service: Live) -> None:
    before = _generation(service)
    refused = [
        httpx.post(service.sparql, data={"update": "INSERT DATA { <http://e.org/a> <http://e.org/b> 1 }"}),
        httpx.post(service.url + "/nowhere", content=b"x"),
        httpx.post(
            service.url + "/validate",
            content=b"<http://e.org/a> <http://e.org/b> 1 .",
            headers={"Content-Type": "text/turtle"},
        ),
        httpx.put(
            service.url + "/store",
            params={"graph": "http://e.org/g"},
            content=b"<a> <b> <c> .",
            headers={"Content-Type": "text/turtle", "Authorization": "Bearer wrong-token-123"},
        ),
        httpx.post(
            service.sparql,
            data={"update": "DELETE DATA { <http://e.org/none> <http://e.org/b> 1 }"},
            headers={"Authorization": f"Bearer {WRITE_TOKEN}"},
        ),
    ]
    assert [r.status_code for r in refused] == [401, 404, 200, 403, 204]
    assert _generation(service) == before
    done = httpx.post(
        service.sparql,
        data={"update": "INSERT DATA { GRAPH <http://e.org/g> { <http://e.org/a> <http://e.org/b> 1 } }"},
        headers={"Authorization": f"Bearer {WRITE_TOKEN}"},
    )
    assert done.status_code == 204, done.text
    assert _generation(service) == before + 1


@pytest.mark.timeout(120)  # a hang is the failure
def test_head_size_limit_and_connections_that_send_nothing(service: Live) -> None:
    # An oversized request head is refused (400) or the connection is cut while it is sent.
    for payload in (
        b"GET /sparql?query=ASK%20%7B%7D&pad=" + b"x" * 300_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /sparql?query=ASK%20%7B%7D HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"x" * 300_000 + b"\r\n\r\n",
    ):
        try:
            answer = _raw(service, payload)
        except (ConnectionResetError, BrokenPipeError):
            answer = b""
        assert answer == b"" or answer.startswith(b"HTTP/1.1 400"), answer[:100]
    assert _select(service, "ASK {}").status_code == 200
    port = int(service.url.rsplit(":", 1)[1])
    # A connection the server never closes makes recv raise TimeoutError (bounded, not timed).
    with (
        socket.create_connection(("127.0.0.1", port), timeout=30) as idle,
        socket.create_connection(("127.0.0.1", port), timeout=30) as slow,
    ):
        slow.sendall(b"GET /sparql?query=ASK%20%7B%7D HTTP/1.1\r\nHost: x\r\n")  # never ends its head
        assert idle.recv(100) == b""  # closed by the server after its keep-alive time (5 s)
        assert slow.recv(100) == b""


@pytest.mark.slow
def test_distinct_big_queries_leave_memory_bounded(service: Live) -> None:
    """200 distinct 1 MiB queries: the process tree grows by less than 50 MB."""

    def big(i: int) -> bytes:
        return f"ASK {{}} # {i}\n".encode() + (f"# {i:08d} filler\n" * 70_000).encode()[: 1 << 20]

    tree = _tree(service.proc.pid)
    with httpx.Client(timeout=60) as client:
        for i in range(20):  # warm up: every process has answered a big query
            r = client.post(
                service.sparql, content=big(-i - 1), headers={"Content-Type": "application/sparql-query"}
            )
            assert r.status_code == 200, r.text[:200]
        before = _rss(tree)
        for i in range(200):
            r = client.post(
                service.sparql, content=big(i), headers={"Content-Type": "application/sparql-query"}
            )
            assert r.status_code == 200
    growth = _rss(tree) - before
    print(
        f"\nprocess tree RSS {before / 1e6:.0f} MB; after 200 distinct 1 MiB queries: {growth / 1e6:+.1f} MB"
    )
    assert growth < 50 * 1024 * 1024


@pytest.mark.timeout(240)  # a hang is the failure
def test_runaway_queries_never_cost_other_clients(service: Live) -> None:
    """20 runaway queries at once (2 s limit) while a client asks ``ASK {}`` every 50 ms."""
    stop = threading.Event()
    latencies: list[float] = []
    errors: list[str] = []

    def probe() -> None:
        with httpx.Client(timeout=60) as client:
            while not stop.is_set():
                started = time.monotonic()
                try:
                    r = client.get(service.sparql, params={"query": "ASK {}"})
                    if r.status_code != 200:
                        errors.append(f"{r.status_code}: {r.text[:100]}")
                except httpx.HTTPError as exc:
                    errors.append(f"{type(exc).__name__}: {exc}")
                latencies.append(time.monotonic() - started)
                time.sleep(0.05)

    answers: list[httpx.Response] = []

    def runaway() -> None:
        answers.append(_select(service, RUNAWAY))

    processes = set(_tree(service.proc.pid)[1:])
    prober = threading.Thread(target=probe)
    prober.start()
    time.sleep(0.5)
    runaways = [threading.Thread(target=runaway) for _ in range(20)]
    for thread in runaways:
        thread.start()
    for thread in runaways:
        thread.join(timeout=60)
    time.sleep(8)  # the processes that ran them drain and are replaced meanwhile
    stop.set()
    prober.join(timeout=60)
    assert [a.status_code for a in answers] == [503] * 20
    assert all("limit of 2 s" in a.text for a in answers)
    assert errors == []
    ordered = sorted(latencies)
    p50, p99 = ordered[len(ordered) // 2], ordered[int(len(ordered) * 0.99)]
    print(
        f"\nASK {{}} during 20 runaway queries: {len(ordered)} probes, p50 {p50 * 1000:.0f} ms, "
        f"p99 {p99 * 1000:.0f} ms, max {ordered[-1] * 1000:.0f} ms"
    )
    assert "drains and is replaced" in service.log.read_text()
    # The processes that ran them are replaced (not left computing), the others carry on.
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(processes & set(_tree(service.proc.pid))) > 2:
        time.sleep(0.5)
    assert len(processes & set(_tree(service.proc.pid))) <= 2  # the supervisor and its helper
    assert _select(service, "ASK {}").status_code == 200


@pytest.mark.timeout(180)  # a hang is the failure
def test_sigterm_stops_everything_cleanly(tmp_path: Path) -> None:
    service = _start(tmp_path)  # its own: this test stops it
    children = subprocess.run(
        ["pgrep", "-P", str(service.proc.pid)], capture_output=True, text=True, check=False
    ).stdout.split()
    assert len(children) >= 1  # the supervisor of the query processes
    children += [
        grandchild
        for child in children
        for grandchild in subprocess.run(
            ["pgrep", "-P", child], capture_output=True, text=True, check=False
        ).stdout.split()
    ]
    assert len(children) >= 3  # and the query processes
    service.proc.send_signal(signal.SIGTERM)
    # uvicorn re-raises the signal after its graceful shutdown.
    assert service.proc.wait(timeout=60) in (0, -signal.SIGTERM)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and any(_running(int(pid)) for pid in children):
        time.sleep(0.2)
    assert [pid for pid in children if _running(int(pid))] == []
    assert "Traceback" not in service.log.read_text()
