"""Shared fixtures: a real uvicorn server on a free loopback port over a temp on-disk store.

Any test file can start its own server::

    def test_something(server_factory):
        server = server_factory(tokens="steward:secret-token:write", query_timeout=2)
        r = httpx.get(server.url + "/sparql", params={"query": "ASK {}"})

``server_factory(**settings_overrides)`` takes any :class:`lcgraph.config.Settings`
field; the server runs ``create_app`` in a background thread of the test process
(query workers are real processes) and is stopped at the end of the test's scope.
``server.reset()`` empties the store between tests that share a server.

``served_server`` is the same service as ``lcgraph serve`` runs it
(:mod:`lcgraph.api.serving`): the app is the writer on a Unix socket (in a
thread of the test process, so tests can still look at its store), and
uvicorn's supervised query processes listen on the public port, answer
reads from published snapshots and forward writes (the W3C manifests run
against both).

``service`` is ``lcgraph serve`` itself, a real process tree on a free port
over a store made by ``lcgraph init --examples`` (one per test module).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pyoxigraph as ox
import pytest
import uvicorn

# Real stores (oxigraph serve, Virtuoso) and the `repository` fixture over every backend.
from stores import oxigraph_server, repository, virtuoso_server  # noqa: F401, E402

from lcgraph.api.app import create_app
from lcgraph.api.serving import prepare
from lcgraph.config import Settings
from lcgraph.store import Dataset

WRITE_TOKEN = "test-write-token-0001"
PRIVATE_TOKEN = "test-private-token-0002"
DEFAULT_TOKENS = f"steward:{WRITE_TOKEN}:write+read-private,analyst:{PRIVATE_TOKEN}:read-private"


@dataclass
class RunningServer:
    """A live lcgraph server: its base URL, settings, dataset and a writer's auth header."""

    url: str
    settings: Settings
    dataset: Dataset
    app: Any
    _server: uvicorn.Server
    _thread: threading.Thread
    write_headers: dict[str, str] = field(default_factory=lambda: {"Authorization": f"Bearer {WRITE_TOKEN}"})

    @property
    def sparql(self) -> str:
        return self.url + "/sparql"

    @property
    def store(self) -> str:
        return self.url + "/store"

    def reset(self) -> None:
        """Empty the store (as the W3C manifests assume) and tell the query processes."""
        self.dataset._store.clear()
        for graph in list(self.dataset._store.named_graphs()):
            self.dataset._store.remove_graph(graph)
        self.app.state.runtime.mark_written()

    def load(self, data: str, graph: str | None = None, fmt: ox.RdfFormat = ox.RdfFormat.TURTLE) -> None:
        """Load test data straight into the store (not through HTTP)."""
        target = ox.NamedNode(graph) if graph else ox.DefaultGraph()
        quads = [
            q if fmt.supports_datasets else ox.Quad(q.subject, q.predicate, q.object, target)
            for q in ox.parse(data.encode(), format=fmt)
        ]
        self.dataset.apply(quads)  # keeps the merged default graph in step
        self.app.state.runtime.mark_written()

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=30)


def _free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    return sock


def start_server(data_dir: Path, workers: int = 0, **overrides: Any) -> RunningServer:
    """Start a server over a fresh store in ``data_dir`` and wait until it answers.

    ``workers``: that many query processes in front of the app, as ``lcgraph serve`` runs it.
    """
    overrides.setdefault("tokens", DEFAULT_TOKENS)
    if workers:
        overrides.setdefault("port", 0)
    settings = Settings(data_dir=data_dir).with_overrides(**overrides)
    dataset = Dataset.open(data_dir)
    app = create_app(settings, dataset)
    server: uvicorn.Server
    if workers:
        server, unix, processes = prepare(app, settings, workers, grace=10, level="warning")
        sockets = [unix]
        host, port = processes.sock.getsockname()[:2]
    else:
        sock = _free_socket()
        host, port = sock.getsockname()
        config = uvicorn.Config(
            app, log_level="warning", access_log=False, lifespan="on", timeout_graceful_shutdown=10
        )
        server = uvicorn.Server(config)
        sockets = [sock]
    thread = threading.Thread(target=server.run, kwargs={"sockets": sockets}, daemon=True)
    thread.start()
    url = f"http://{host}:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.started:
            try:
                health = httpx.get(url + "/health", timeout=5)
                if health.status_code == 200:
                    break
            except (httpx.HTTPError, ValueError):
                pass
        if not thread.is_alive():
            raise RuntimeError("the test server stopped during start-up")
        time.sleep(0.05)
    else:
        raise RuntimeError("the test server did not start within 120 s")
    return RunningServer(url, settings, dataset, app, server, thread)


def _factory(tmp_factory: pytest.TempPathFactory) -> tuple[Callable[..., RunningServer], list[RunningServer]]:
    started: list[RunningServer] = []

    def make(**overrides: Any) -> RunningServer:
        server = start_server(tmp_factory.mktemp("store") / "db", **overrides)
        started.append(server)
        return server

    return make, started


@pytest.fixture
def server_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., RunningServer]]:
    """Start servers with settings overrides; each is stopped after the test."""
    make, started = _factory(tmp_path_factory)
    yield make
    for server in started:
        server.stop()


@pytest.fixture(scope="module")
def module_server_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., RunningServer]]:
    """Like ``server_factory``, but the servers live for the whole test module."""
    make, started = _factory(tmp_path_factory)
    yield make
    for server in started:
        server.stop()


@pytest.fixture(scope="module")
def live_server(module_server_factory: Callable[..., RunningServer]) -> RunningServer:
    """One server per test module with the default test tokens (write and read-private)."""
    return module_server_factory()


@pytest.fixture
def server(live_server: RunningServer) -> RunningServer:
    """The module's server, emptied before the test."""
    live_server.reset()
    return live_server


@pytest.fixture(scope="module")
def served_server(module_server_factory: Callable[..., RunningServer]) -> RunningServer:
    """One server per test module as ``lcgraph serve`` runs it: two query processes and the writer."""
    return module_server_factory(workers=2)


# -- `lcgraph serve` as a real process ---------------------------------------------


@dataclass
class Service:
    """A real ``lcgraph serve`` process: its URL, the process, its log and the store it serves."""

    url: str
    process: subprocess.Popen[bytes]
    log: Path
    data: Path

    @property
    def sparql(self) -> str:
        return self.url + "/sparql"

    def health(self) -> dict[str, object]:
        return httpx.get(self.url + "/health", timeout=10).json()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """``lcgraph serve`` as a user runs it, over a store made by ``lcgraph init --examples``.

    Two query processes, the default test tokens, a 2 s query limit, a 4 MB body limit.
    """
    root = tmp_path_factory.mktemp("serve")
    data = root / "db"
    subprocess.run(
        [sys.executable, "-m", "lcgraph.cli", "init", "--data", str(data), "--examples"],
        check=True,
        capture_output=True,
    )
    port = _free_port()
    log = root / "server.log"
    env = {
        **os.environ,
        "LCGRAPH_TOKENS": DEFAULT_TOKENS,
        "LCGRAPH_QUERY_TIMEOUT": "2",
        "LCGRAPH_MAX_BODY": "4000000",
    }
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "lcgraph.cli",
                "serve",
                "--data",
                str(data),
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
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()
        try:
            if httpx.get(url + "/health", timeout=5).json().get("role") == "query":
                break
        except (httpx.HTTPError, ValueError):
            pass
        time.sleep(0.2)
    else:
        raise RuntimeError("lcgraph serve did not start:\n" + log.read_text())
    yield Service(url, process, log, data)
    if process.poll() is None:
        process.terminate()
        process.wait(timeout=60)


# -- W3C manifest harness (SPARQL 1.1 Protocol and Graph Store Protocol) -----------

W3C_DIR = Path(__file__).parent / "w3c"
MF = "http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#"
HT = "http://www.w3.org/2011/http#"
CNT = "http://www.w3.org/2011/content#"
HTS = "http://www.w3.org/2011/http-statusCodes#"
UT = "http://www.w3.org/2009/sparql/tests/test-update#"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"

_STATUS_NAMES = {"OK": {200}, "Created": {201}, "NoContent": {204}, "NotFound": {404}}


@dataclass
class W3CRequest:
    """One HTTP request of a manifest entry and what its response must be."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes | None
    body_text: str | None
    encoding: str
    statuses: set[int]
    expected_boolean: bool | None = None
    expected_format: str | None = None
    expected_location: str | None = None
    expected_headers: dict[str, str] = field(default_factory=dict)
    expected_body: str | None = None


@dataclass
class W3CTest:
    """A manifest entry: its name, the graphs it needs loaded, and its requests in order."""

    id: str
    name: str
    graph_data: list[tuple[Path, str]]
    requests: list[W3CRequest]


def _status_codes(values: list[str]) -> set[int]:
    codes: set[int] = set()
    for value in values:
        local = value[len(HTS) :]
        if local.startswith("StatusCode") and local.endswith("xx"):
            first = int(local[len("StatusCode")])
            codes |= set(range(first * 100, first * 100 + 100))
        else:
            codes |= _STATUS_NAMES[local]
    return codes


def read_manifest(path: Path) -> list[W3CTest]:
    """Every entry of a W3C HTTP manifest, in manifest order."""
    import rdflib
    from rdflib.collection import Collection

    g = rdflib.Graph()
    g.parse(path, format="turtle")
    u = rdflib.URIRef

    def one(node: Any, prop: str) -> Any:
        return g.value(node, u(prop))

    def headers_of(node: Any) -> dict[str, str]:
        lst = one(node, HT + "headers")
        if lst is None:
            return {}
        return {
            str(one(h, HT + "fieldName")).lower(): str(one(h, HT + "fieldValue")) for h in Collection(g, lst)
        }

    manifest = next(g.subjects(rdflib.RDF.type, u(MF + "Manifest")))
    tests: list[W3CTest] = []
    for entry in Collection(g, one(manifest, MF + "entries")):
        requests = []
        action = one(entry, MF + "action")
        for req in Collection(g, one(action, HT + "requests")):
            body_node = one(req, HT + "body")
            text = str(one(body_node, CNT + "chars")) if body_node is not None else None
            encoding = (
                str(one(body_node, CNT + "characterEncoding") or "UTF-8")
                if body_node is not None
                else "UTF-8"
            )
            resp = one(req, HT + "resp")
            expected_body_node = one(resp, HT + "body")
            boolean = one(resp, MF + "expectedBoolean")
            requests.append(
                W3CRequest(
                    method=str(one(req, HT + "methodName")),
                    path=str(one(req, HT + "absolutePath")),
                    headers=headers_of(req),
                    body=None,
                    body_text=text,
                    encoding=encoding,
                    statuses=_status_codes([str(s) for s in g.objects(resp, u(MF + "expectedStatus"))]),
                    expected_boolean=bool(boolean.toPython()) if boolean is not None else None,
                    expected_format=str(one(resp, MF + "expectedFormat") or "") or None,
                    expected_location=str(one(resp, MF + "expectedLocation") or "") or None,
                    expected_headers=headers_of(resp),
                    expected_body=str(one(expected_body_node, CNT + "chars"))
                    if expected_body_node is not None
                    else None,
                )
            )
        graph_data = [
            (path.parent / Path(str(one(gd, UT + "graph"))).name, str(one(gd, RDFS_LABEL)))
            for gd in g.objects(entry, u(UT + "graphData"))
        ]
        tests.append(
            W3CTest(str(entry).rsplit("#", 1)[-1], str(one(entry, MF + "name")), graph_data, requests)
        )
    return tests


def _our_path(path: str) -> str:
    """Manifest paths start with /sparql/ or /gsp; ours are /sparql and /store."""
    if path.startswith("/sparql/"):
        return "/sparql" + path[len("/sparql/") :]
    if path.startswith("/gsp"):
        return "/store" + path[len("/gsp") :]
    raise ValueError(f"unexpected manifest path {path}")


def _check_format(request: W3CRequest, response: httpx.Response) -> None:
    media = response.headers.get("content-type", "").split(";")[0].strip()
    body = response.content
    if request.expected_format in ("boolean", "tabular"):
        fmt = ox.QueryResultsFormat.from_media_type(media)
        assert fmt is not None, f"not a SPARQL results media type: {media}"
        parsed = ox.parse_query_results(body, fmt)
        if request.expected_format == "boolean":
            assert isinstance(parsed, ox.QueryBoolean), f"expected a boolean answer, got {body[:200]!r}"
            if request.expected_boolean is not None:
                assert bool(parsed) is request.expected_boolean
        else:
            assert isinstance(parsed, ox.QuerySolutions)
            list(parsed)
    elif request.expected_format == "RDF":
        fmt = ox.RdfFormat.from_media_type(media)
        assert fmt is not None, f"not an RDF media type: {media}"
        list(ox.parse(body, fmt))


def _check_expected_body(request: W3CRequest, response: httpx.Response) -> None:
    import rdflib
    from rdflib.compare import isomorphic

    expected_type = request.expected_headers.get("content-type", "text/turtle")
    got_type = response.headers.get("content-type", "")
    assert got_type.split(";")[0].strip() == expected_type.split(";")[0].strip(), got_type
    expected = rdflib.Graph().parse(data=request.expected_body, format="turtle")
    got = rdflib.Graph().parse(data=response.text, format="turtle")
    assert isomorphic(expected, got), (
        f"graphs differ:\nexpected\n{request.expected_body}\ngot\n{response.text}"
    )


def run_w3c_test(server: RunningServer, test: W3CTest) -> None:
    """Run one manifest entry against ``server`` (emptied first), asserting every response."""
    server.reset()
    for data, graph in test.graph_data:
        server.load(data.read_text(encoding="utf-8"), graph=graph, fmt=ox.RdfFormat.N_TRIPLES)
    variables: dict[str, str] = {}
    with httpx.Client(base_url=server.url, timeout=30) as client:
        for number, request in enumerate(test.requests, start=1):
            path = request.path
            text = request.body_text
            for name, value in variables.items():
                path = path.replace(name, value)
                text = text.replace(name, value) if text is not None else None
            body = (
                text.encode(request.encoding.lower().replace("utf-16", "utf-16"))
                if text is not None
                else None
            )
            headers = {**request.headers, **server.write_headers}
            response = client.request(request.method, _our_path(path), content=body, headers=headers)
            where = f"{test.id} request {number} ({request.method} {path[:80]})"
            assert response.status_code in request.statuses, (
                f"{where}: status {response.status_code} not in {sorted(request.statuses)[:6]}: "
                f"{response.text[:300]}"
            )
            if request.expected_location:
                location = response.headers.get("location")
                assert location, f"{where}: no Location header"
                variables[request.expected_location] = location
            if request.expected_format:
                _check_format(request, response)
            if "content-type" in request.expected_headers and request.method != "HEAD":
                want = request.expected_headers["content-type"].split(";")[0].strip()
                assert response.headers.get("content-type", "").split(";")[0].strip() == want, where
            if request.method == "HEAD" and "content-type" in request.expected_headers:
                want = request.expected_headers["content-type"].split(";")[0].strip()
                assert response.headers.get("content-type", "").split(";")[0].strip() == want, where
            if request.expected_body is not None and request.method != "HEAD":
                _check_expected_body(request, response)
