"""A real lcgraph server for tests: uvicorn on a free loopback port over a temp on-disk store.

The fixtures in ``conftest.py`` start these; test modules use the fixtures and
import the tokens and :class:`RunningServer` (for type hints) from here.

The server runs ``create_app`` in a background thread of the test process
(query workers are real processes). With ``workers`` it runs as ``lcgraph
serve`` runs it (:mod:`lcgraph.api.serving`): the app is the writer on a Unix
socket and uvicorn's supervised query processes listen on the public port,
answer reads from published snapshots and forward writes.

Tests never write to a store while a server holds it: data a test needs is
put in with the server stopped (``seed`` at start, :meth:`RunningServer.change`
later, which stops the server, changes the store and starts it again on the
same port) or sent through the server over HTTP like any client's.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pyoxigraph as ox
import uvicorn

from lcgraph.api.serving import prepare
from lcgraph.app import create_app
from lcgraph.config import Settings
from lcgraph.store import Dataset

WRITE_TOKEN = "test-write-token-0001"
PRIVATE_TOKEN = "test-private-token-0002"
DEFAULT_TOKENS = f"steward:{WRITE_TOKEN}:write+read-private,analyst:{PRIVATE_TOKEN}:read-private"

Seed = Callable[[Dataset], object]
"""Fills a store before a server opens it (``fill``, ``initialise``, ``planted().load`` …)."""


def _listening_socket(port: int = 0) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen(128)
    return sock


@dataclass
class RunningServer:
    """A live lcgraph server: its base URL, settings, dataset and a writer's auth header.

    ``dataset`` is for reading what the server wrote; changes go through
    :meth:`change` (or HTTP).
    """

    settings: Settings
    dataset: Dataset
    workers: int = 0
    url: str = ""
    app: Any = None
    _server: uvicorn.Server | None = None
    _thread: threading.Thread | None = None
    _public: socket.socket | None = None  # with workers: the public port the query processes share
    write_headers: dict[str, str] = field(default_factory=lambda: {"Authorization": f"Bearer {WRITE_TOKEN}"})

    @property
    def sparql(self) -> str:
        return self.url + "/sparql"

    @property
    def store(self) -> str:
        return self.url + "/store"

    def start(self) -> None:
        """Start the app over ``dataset`` (on the port of a previous run, if any); wait until it answers."""
        port = int(self.url.rsplit(":", 1)[1]) if self.url else 0
        settings = self.settings.with_overrides(port=port) if self.workers else self.settings
        app = create_app(settings, self.dataset)
        server: uvicorn.Server
        if self.workers:
            server, unix, processes = prepare(app, settings, self.workers, grace=10, level="warning")
            sockets = [unix]
            self._public = processes.sock
            host, port = processes.sock.getsockname()[:2]
        else:
            sock = _listening_socket(port)
            host, port = sock.getsockname()
            config = uvicorn.Config(
                app, log_level="warning", access_log=False, lifespan="on", timeout_graceful_shutdown=10
            )
            server = uvicorn.Server(config)
            sockets = [sock]
        thread = threading.Thread(target=server.run, kwargs={"sockets": sockets}, daemon=True)
        thread.start()
        self.url, self.app, self._server, self._thread = f"http://{host}:{port}", app, server, thread
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if server.started:
                try:
                    if httpx.get(self.url + "/health", timeout=5).status_code == 200:
                        return
                except (httpx.HTTPError, ValueError):
                    pass
            if not thread.is_alive():
                raise RuntimeError("the test server stopped during start-up")
            time.sleep(0.05)
        raise RuntimeError("the test server did not start within 120 s")

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=30)
            if self._thread.is_alive():
                raise RuntimeError("the test server did not stop within 30 s")
        if self._public is not None:
            self._public.close()  # the query processes are gone: free the port for a restart
        self._server, self._thread, self._public = None, None, None

    def change(self, edit: Seed) -> None:
        """Stop the server, let ``edit`` change its store, and start it again on the same port."""
        self.stop()
        edit(self.dataset)
        self.start()

    def reset(self) -> None:
        """Give the server an empty store (as the W3C manifests assume): stopped, emptied, restarted.

        An empty store is left as it is (no restart).
        """
        if self.dataset.graphs() or self.dataset.count():
            self.change(lambda ds: ds.update("DROP ALL"))

    def load(self, data: str, graph: str | None = None, fmt: ox.RdfFormat = ox.RdfFormat.TURTLE) -> None:
        """Add test data to the store (with the server stopped; no change-set recorded)."""
        target = ox.NamedNode(graph) if graph else ox.DefaultGraph()
        quads = [
            q if fmt.supports_datasets else ox.Quad(q.subject, q.predicate, q.object, target)
            for q in ox.parse(data.encode(), format=fmt)
        ]
        self.change(lambda ds: ds.apply(quads))  # apply keeps the merged default graph in step


def start_server(
    data_dir: Path, workers: int = 0, seed: Seed | None = None, **overrides: Any
) -> RunningServer:
    """Start a server over a fresh store in ``data_dir``, filled by ``seed`` before the server opens it.

    ``workers``: that many query processes in front of the app, as ``lcgraph serve`` runs it.
    ``overrides``: any :class:`lcgraph.config.Settings` field.
    """
    overrides.setdefault("tokens", DEFAULT_TOKENS)
    if workers:
        overrides.setdefault("port", 0)
    settings = Settings(data_dir=data_dir).with_overrides(**overrides)
    dataset = Dataset.open(data_dir)
    if seed is not None:
        seed(dataset)
    server = RunningServer(settings, dataset, workers)
    server.start()
    return server
