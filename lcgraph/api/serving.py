"""How ``lcgraph serve`` runs: one writer, and uvicorn's supervised query processes on the public port.

For :mod:`lcgraph.cli.serve` and the test fixtures.

* The **writer** is this process: it owns the store (RocksDB allows one
  writer) and runs the app with uvicorn on a Unix socket only the query
  processes reach. After every write that changed the store it publishes a
  checkpoint (:mod:`lcgraph.api.snapshots`) before answering.
* The **query processes** are uvicorn's own multi-process mode
  (``uvicorn.supervisors.Multiprocess``, started as a child,
  ``python -m lcgraph.api.serving``): the supervisor binds the public port
  once and every process accepts from that one socket, so a process that
  exits leaves the queued connections to the others; it restarts a
  process that dies. Each answers reads from the newest checkpoint and
  forwards writes to the writer (:mod:`lcgraph.api.forwarding`).

A query that will not stop at its time limit makes its process drain
(uvicorn's graceful shutdown: it stops accepting, finishes its other
answers) and exit; the supervisor starts a replacement meanwhile others
answer. On SIGTERM/SIGINT the query processes stop first (answers in
flight finish, within ``grace``), then the writer (writes in flight
finish, the store is flushed).

HTTP is uvicorn's: httptools (llhttp, in C) by default, or h11
(``LCGRAPH_HTTP=h11``, pure Python). An oversized request head
(``max_head_bytes``) gets 400 with either (h11 enforces the limit itself,
:class:`BoundedHttpTools` counts for llhttp, which has none); an idle
keep-alive connection closes after ``keep_alive`` seconds, and a connection
that has not sent a whole first request head within ``keep_alive`` seconds
is closed too.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI
from uvicorn.config import LOGGING_CONFIG
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.supervisors import Multiprocess

from lcgraph.api.runtime import is_remote
from lcgraph.api.snapshots import Snapshots
from lcgraph.config import Settings

log = logging.getLogger("lcgraph.api")


def default_workers() -> int:
    """One query process per core, at least two (a draining one never leaves reads unserved)."""
    return max(2, os.cpu_count() or 2)


class HeadTimeoutH11(H11Protocol):
    """uvicorn's h11 protocol, closing a connection that sends no complete request head in time."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._head_timer = self.loop.call_later(self.timeout_keep_alive, self._no_head)

    def _no_head(self) -> None:
        if self.cycle is None and not self.transport.is_closing():
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self._head_timer.cancel()
        super().connection_lost(exc)


class HeadTooLarge(ValueError):
    """A request head over ``max_head_bytes`` (answered 400 by uvicorn's parser error path)."""


class BoundedHttpTools(HttpToolsProtocol):
    """uvicorn's httptools protocol (llhttp, in C), with a limit on the request head and a head timeout.

    llhttp sets no limit of its own on the request line and headers (Node
    enforces its ``--max-http-header-size`` outside the parser), and httptools
    gathers a header's value before handing it on. So the bytes received
    while a request head is still incomplete are counted here; past
    ``max_head_bytes`` (the value h11 is given as
    ``h11_max_incomplete_event_size``) the answer is 400 and the connection
    closes, as uvicorn does for a head the parser refuses. A connection that
    sends no complete first head within the keep-alive time is closed, as
    with :class:`HeadTimeoutH11`.
    """

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._max_head = self.config.h11_max_incomplete_event_size or 0
        self._head_bytes = 0
        self._in_body = False
        self._head_timer = self.loop.call_later(self.timeout_keep_alive, self._no_head)

    def _no_head(self) -> None:
        if self.cycle is None and not self.transport.is_closing():
            self.transport.close()

    def data_received(self, data: bytes) -> None:
        if self._in_body or not self._max_head:
            super().data_received(data)
            return
        self._head_bytes += len(data)  # a head that completes in ``data`` sets it back to 0
        super().data_received(data)
        if not self._in_body and self._head_bytes > self._max_head and not self.transport.is_closing():
            self.send_400_response("Request head too large.")

    def on_headers_complete(self) -> None:
        self._in_body, self._head_bytes = True, 0
        # A whole head that arrived in one read is measured here (raising makes httptools refuse it: 400).
        if (
            self._max_head
            and len(self.url) + sum(len(k) + len(v) + 4 for k, v in self.headers) > self._max_head
        ):
            raise HeadTooLarge(f"the request head is larger than {self._max_head} bytes")
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._in_body = False
        super().on_message_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._head_timer.cancel()
        super().connection_lost(exc)


def log_config(level: str) -> dict[str, Any]:
    """Logging of every lcgraph process: uvicorn's default, plus lcgraph's loggers on stderr."""
    config = {**LOGGING_CONFIG, "handlers": dict(LOGGING_CONFIG["handlers"])}
    config["formatters"] = {
        **LOGGING_CONFIG["formatters"],
        "lcgraph": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    }
    config["handlers"]["lcgraph"] = {
        "formatter": "lcgraph",
        "class": "logging.StreamHandler",
        "stream": "ext://sys.stderr",
    }
    config["loggers"] = {
        **LOGGING_CONFIG["loggers"],
        **{
            name: {"handlers": ["lcgraph"], "level": level.upper(), "propagate": False}
            for name in ("lcgraph", "lcgraph.access", "lcgraph.api", "lcgraph.writes")
        },
    }
    return config


def uvicorn_options(settings: Settings, level: str = "info") -> dict[str, Any]:
    """The HTTP settings every lcgraph uvicorn uses."""
    options: dict[str, Any] = {
        "http": HeadTimeoutH11 if settings.http == "h11" else BoundedHttpTools,
        "timeout_keep_alive": settings.keep_alive,
        "access_log": False,  # lcgraph's own access log (lcgraph.access) has no query text
        "log_level": "warning",
        "log_config": log_config(level),
        "lifespan": "on",
    }
    # h11 enforces it itself; BoundedHttpTools reads it from there.
    options["h11_max_incomplete_event_size"] = settings.max_head_bytes
    return options


class QueryProcesses:
    """The child that runs uvicorn's supervisor of query processes on the public port."""

    def __init__(
        self, settings: Settings, sock: socket.socket, workers: int, grace: float, level: str = "info"
    ) -> None:
        self.settings = settings
        self.sock = sock
        self.level = level
        self.workers = workers
        self.grace = grace
        self.process: asyncio.subprocess.Process | None = None
        self._watch: asyncio.Task[None] | None = None
        self._stopping = False

    @property
    def url(self) -> str:
        host = self.settings.host if self.settings.host not in ("0.0.0.0", "::") else "127.0.0.1"
        return f"http://{host}:{self.settings.port}"

    async def start(self) -> None:
        env = {**os.environ, **self.settings.to_env(), "LCGRAPH_WORKERS": str(self.workers)}
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "lcgraph.api.serving",
            str(self.grace),
            self.level,
            str(self.sock.fileno()),
            env=env,
            stdin=subprocess.DEVNULL,
            pass_fds=(self.sock.fileno(),),
        )
        deadline = time.monotonic() + 120
        async with httpx.AsyncClient(timeout=5) as client:
            while time.monotonic() < deadline:
                if self.process.returncode is not None:
                    raise RuntimeError(f"the query processes did not start (exit {self.process.returncode})")
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get(self.url + "/health")).status_code == 200:
                        break
                await asyncio.sleep(0.1)
            else:
                raise RuntimeError("the query processes did not start within 120 s")
        self._watch = asyncio.get_running_loop().create_task(self._watch_supervisor())

    async def _watch_supervisor(self) -> None:
        assert self.process is not None
        code = await self.process.wait()
        if not self._stopping:
            log.error("the query-process supervisor exited (%s); stopping the service", code)
            os.kill(os.getpid(), signal.SIGTERM)

    async def stop(self) -> None:
        self._stopping = True
        if self.process is None or self.process.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            self.process.terminate()
        try:
            await asyncio.wait_for(self.process.wait(), timeout=self.grace + 5)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                self.process.kill()
            await self.process.wait()


class WriterServer(uvicorn.Server):
    """uvicorn for the writer; on shutdown the query processes stop before it does."""

    query_processes: QueryProcesses | None = None

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        if self.query_processes is not None:
            await self.query_processes.stop()
        await super().shutdown(sockets=sockets)


def _remove_stale_sockets() -> None:
    """Remove the socket folders of writers that are gone (a server killed with -9 leaves its own).

    A folder whose socket still accepts a connection belongs to a running server and stays.
    """
    for folder in Path(tempfile.gettempdir()).glob("lcgraph-writer-*"):
        sock = folder / "writer.sock"
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            probe.settimeout(1)
            probe.connect(str(sock))
        except OSError:
            shutil.rmtree(folder, ignore_errors=True)
        finally:
            probe.close()


def prepare(
    app: FastAPI, settings: Settings, workers: int, grace: float = 30.0, level: str = "info"
) -> tuple[WriterServer, socket.socket, QueryProcesses]:
    """Wire ``app`` (the owner) as the writer of a served store.

    Returns the writer's server, its Unix socket and the query processes;
    run with ``server.run(sockets=[unix_socket])``. The query processes
    start once the writer's lifespan has published the first snapshot.
    """
    rt = app.state.runtime
    dataset = rt.dataset
    remote = is_remote(settings)
    if dataset.path is None and not remote:
        raise ValueError("lcgraph serve needs an on-disk store or a SPARQL store")
    public = public_socket(settings.host, settings.port)
    settings = settings.with_overrides(port=public.getsockname()[1])
    if not remote:
        # Query processes read checkpoints of the embedded store (one process may open it to write).
        assert dataset.path is not None
        host = f"[{settings.host}]" if ":" in settings.host else settings.host
        url = f"http://{host}:{settings.port}"
        rt.snapshots = Snapshots(dataset, Snapshots.root_for(dataset.path), url=url)
    _remove_stale_sockets()
    workdir = tempfile.mkdtemp(prefix="lcgraph-writer-")
    path = Path(workdir) / "writer.sock"
    unix = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    unix.bind(str(path))
    os.chmod(path, 0o600)
    unix.listen(512)
    # Over a SPARQL store, each query process opens its own connection to it (LCGRAPH_STORE).
    snapshots_dir = rt.snapshots.root if rt.snapshots is not None else None
    query_settings = settings.with_overrides(writer_socket=path, snapshots_dir=snapshots_dir)
    processes = QueryProcesses(query_settings, public, workers, grace, level)

    inner = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(application: Any) -> Any:
        async with inner(application) as state:
            await processes.start()
            try:
                yield state
            finally:
                await processes.stop()
                with contextlib.suppress(OSError):
                    path.unlink()
                    os.rmdir(workdir)

    app.router.lifespan_context = lifespan
    config = uvicorn.Config(app, timeout_graceful_shutdown=int(grace), **uvicorn_options(settings, level))
    server = WriterServer(config)
    server.query_processes = processes
    return server, unix, processes


def serve(app: FastAPI, settings: Settings, workers: int, grace: float = 30.0, level: str = "info") -> None:
    """Run the service on ``settings.host:settings.port`` until SIGTERM/SIGINT."""
    server, unix, _ = prepare(app, settings, workers, grace, level)
    server.run(sockets=[unix])


def public_socket(host: str, port: int) -> socket.socket:
    """The public port, bound and listening here, so that ``lcgraph serve`` reports a busy port at once.

    The query processes inherit it: one socket, one accept queue, shared by all.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def run_query_processes(grace: float, level: str, fd: int) -> None:
    """The supervisor child: uvicorn's multi-process mode over the query app."""

    settings = Settings.from_env()
    config = uvicorn.Config(
        "lcgraph.app:query_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers or default_workers(),
        timeout_graceful_shutdown=int(grace),
        # A process busy with runaway evaluations may answer the supervisor's ping late; only a
        # process silent this long is killed (which would cut its connections).
        timeout_worker_healthcheck=30,
        **uvicorn_options(settings, level),
    )
    sock = socket.socket(fileno=fd)
    sock.set_inheritable(True)
    Multiprocess(config, sockets=[sock]).run()


if __name__ == "__main__":
    # Through the module's real name, so the protocol class pickles for the spawned processes.
    from lcgraph.api.serving import run_query_processes as run

    run(float(sys.argv[1]), sys.argv[2], int(sys.argv[3]))
