"""Serving with query front doors: one core process (FastAPI) and several lean query processes.

For ``lcgraph serve`` and the test fixtures. :func:`serve` binds the public
port, runs the FastAPI app (the *core*: writes, pages, the UI, the
analysis, everything that is not a plain query) with uvicorn on a Unix
socket only the front doors use, and starts :class:`FrontDoors`: processes
of :mod:`lcgraph.api.front` that share the public socket, answer SPARQL
queries themselves from published snapshots, and relay the rest to the
core. A front door that exits (a retirement after a runaway query, a
crash) is replaced at once. On shutdown the front doors stop first (they
let answers in flight finish), then the core (uvicorn's graceful shutdown:
writes in flight finish, the store is flushed).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import pickle
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI

from lcgraph.api.front import RETIRE_EXIT_CODE
from lcgraph.config import Settings

log = logging.getLogger("lcgraph.api")


def default_front_count() -> int:
    """One front door per core, at least two (a retiring one never leaves the port unserved)."""
    return max(2, os.cpu_count() or 2)


def public_socket(host: str, port: int) -> socket.socket:
    """Reserve the public address: bound with ``SO_REUSEPORT``, not listening.

    Each front door listens on its own socket bound to the same address, so
    the kernel spreads connections evenly over them (one shared listening
    socket leaves most connections with whichever process wakes first).
    This socket only holds the port (and picks it when ``port`` is 0).
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return sock


@dataclass
class FrontDoors:
    """Start, watch and replace the front-door processes."""

    settings: Settings
    sock: socket.socket
    upstream: str
    snapshots: Path
    count: int
    log_level: str = "info"
    _procs: dict[int, asyncio.subprocess.Process] = field(default_factory=dict)
    _watchers: set[asyncio.Task[None]] = field(default_factory=set)
    _stopping: bool = False
    replaced: int = 0

    @property
    def alive(self) -> int:
        return sum(1 for p in self._procs.values() if p.returncode is None)

    async def start(self) -> None:
        await asyncio.gather(*(self._spawn() for _ in range(self.count)))

    async def _spawn(self) -> None:
        host, port = self.sock.getsockname()[:2]
        config = pickle.dumps(
            {
                "host": host,
                "port": port,
                "settings": self.settings,
                "upstream": self.upstream,
                "snapshots": str(self.snapshots),
                "log_level": self.log_level,
            }
        )
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "lcgraph.api.front",
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(config)
        await proc.stdin.drain()
        proc.stdin.close()
        line = await asyncio.wait_for(proc.stdout.readline(), timeout=120)
        if line.strip() != b"ready":
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            raise RuntimeError("a query front door did not start")
        self._procs[proc.pid] = proc
        task = asyncio.get_running_loop().create_task(self._watch(proc))
        self._watchers.add(task)
        task.add_done_callback(self._watchers.discard)

    async def _watch(self, proc: asyncio.subprocess.Process) -> None:
        code = await proc.wait()
        self._procs.pop(proc.pid, None)
        if self._stopping:
            return
        if code == RETIRE_EXIT_CODE:
            log.info("front door %d retired after a runaway query; starting a replacement", proc.pid)
        else:
            log.warning("front door %d exited with %s; starting a replacement", proc.pid, code)
            await asyncio.sleep(0.5)  # do not spin if something makes every start fail
        self.replaced += 1
        try:
            await self._spawn()
        except Exception:  # noqa: BLE001 - logged; the other front doors carry on
            log.exception("could not start a replacement front door")

    async def stop(self, grace: float) -> None:
        """Ask every front door to stop (answers in flight finish), kill those still up after ``grace``."""
        self._stopping = True
        procs = list(self._procs.values())
        for proc in procs:
            with contextlib.suppress(ProcessLookupError):
                proc.terminate()
        deadline = time.monotonic() + grace
        for proc in procs:
            try:
                await asyncio.wait_for(proc.wait(), timeout=max(0.1, deadline - time.monotonic()))
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
                await proc.wait()
        for task in list(self._watchers):
            task.cancel()


class _CoreServer(uvicorn.Server):
    """uvicorn for the core; on shutdown the front doors stop before the core does."""

    fronts: FrontDoors | None = None
    grace: float = 30.0

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        if self.fronts is not None:
            await self.fronts.stop(self.grace)
        await super().shutdown(sockets=sockets)


def prepare(
    app: FastAPI,
    settings: Settings,
    sock: socket.socket,
    count: int,
    grace: float = 30.0,
    log_level: str = "info",
) -> tuple[_CoreServer, socket.socket, FrontDoors]:
    """Wire ``app`` for front doors: returns the core server, its Unix socket and the front doors.

    Run with ``server.run(sockets=[unix_socket])``; the front doors start
    once the app's lifespan has started (the store's snapshot is published).
    """
    rt = app.state.runtime
    if rt.snapshots is None:
        raise ValueError("front doors need an on-disk store")
    workdir = tempfile.mkdtemp(prefix="lcgraph-core-")
    path = os.path.join(workdir, "core.sock")
    unix = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    unix.bind(path)
    os.chmod(path, 0o600)
    unix.listen(2048)
    fronts = FrontDoors(settings, sock, path, rt.snapshots.root, count, log_level)
    rt.fronted = True
    app.state.fronts = fronts

    inner = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(application: Any) -> Any:
        async with inner(application) as state:
            await rt.snapshots.current()  # the front doors' first snapshot
            await fronts.start()
            try:
                yield state
            finally:
                await fronts.stop(grace)
                with contextlib.suppress(OSError):
                    os.unlink(path)
                    os.rmdir(workdir)

    app.router.lifespan_context = lifespan
    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=int(grace),
        proxy_headers=True,
        forwarded_allow_ips="*",  # only the front doors can reach the Unix socket
    )
    server = _CoreServer(config)
    server.fronts = fronts
    server.grace = grace
    return server, unix, fronts


def serve(app: FastAPI, settings: Settings, count: int, grace: float = 30.0, log_level: str = "info") -> None:
    """Run the service on ``settings.host:settings.port`` with ``count`` front doors until SIGTERM/SIGINT."""
    sock = public_socket(settings.host, settings.port)
    server, unix, _ = prepare(app, settings, sock, count, grace, log_level)
    server.run(sockets=[unix])
