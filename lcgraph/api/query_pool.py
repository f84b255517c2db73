"""A pool of query worker processes with a time limit that really stops a query.

For the ``/sparql`` router. :meth:`QueryPool.run` sends a job to an idle
worker (see :mod:`lcgraph.api.query_worker`) and returns an
:class:`Answer`: either the whole body (small answers) or a stream. When
the time limit passes, the worker process is killed — which is the only way
to stop pyoxigraph mid-evaluation — and a fresh one is started in the
background, so the server and the other workers carry on.

The first :data:`HOLD_BACK` bytes are held before the status line is sent,
so most failures (syntax, time limit, size limit, evaluation error) get a
proper 4xx/5xx status. A failure after streaming began aborts the
connection, so a client never mistakes a cut answer for a complete one.

:class:`InlineEvaluator` offers the same interface for in-memory datasets,
where no other process can see the store; it evaluates in a thread and can
only enforce the time limit while the engine writes output.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox

from lcgraph.api.errors import ApiError, ServiceUnavailable
from lcgraph.api.query_worker import HEADER, evaluate
from lcgraph.api.snapshots import Snapshots

log = logging.getLogger("lcgraph.api")

HOLD_BACK = 1024 * 1024


class QueryTimeout(ServiceUnavailable):
    """The query ran past the time limit and was stopped."""


class AbortedStream(Exception):
    """The answer failed after its first bytes were sent; the connection must be cut."""


@dataclass
class Answer:
    """A query answer: kind (``results``/``boolean``/``graph``), engine format name, body."""

    kind: str
    format: str
    body: bytes | None = None
    stream: AsyncIterator[bytes] | None = None


def _time_limit_message(seconds: float) -> str:
    return (
        f"the query ran longer than this service's limit of {seconds:g} s and was stopped; "
        "narrow it (more selective patterns, a LIMIT) and try again"
    )


# -- process workers -------------------------------------------------------------


@dataclass(eq=False)
class _Worker:
    process: subprocess.Popen[bytes]
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    snapshot: str | None = None
    alive: bool = True
    idle: bool = True

    async def read_frame(self) -> tuple[bytes, bytes]:
        tag, size = HEADER.unpack(await self.reader.readexactly(HEADER.size))
        payload = await self.reader.readexactly(size) if size else b""
        return tag, payload

    def kill(self) -> None:
        self.alive = False
        with contextlib.suppress(ProcessLookupError):
            self.process.kill()
        self.writer.close()


@dataclass
class QueryPool:
    """Worker processes reading :class:`Snapshots` of the store."""

    snapshots: Snapshots
    size: int = 2
    _idle: asyncio.Queue[_Worker] = field(default_factory=asyncio.Queue)
    _all: set[_Worker] = field(default_factory=set)
    _spawning: set[asyncio.Task[None]] = field(default_factory=set)
    _closed: bool = False

    async def start(self) -> None:
        """Start the workers and wait until they are ready."""
        workers = await asyncio.gather(*(self._spawn() for _ in range(self.size)))
        for worker in workers:
            self._give_back(worker)

    async def close(self) -> None:
        """Stop every worker (queries in flight are cut)."""
        self._closed = True
        for task in list(self._spawning):
            task.cancel()
        for worker in list(self._all):
            worker.kill()
            await asyncio.to_thread(worker.process.wait)
        self._all.clear()

    async def _spawn(self) -> _Worker:
        parent, child = socket.socketpair()
        try:
            process = subprocess.Popen(
                [sys.executable, "-m", "lcgraph.api.query_worker", str(child.fileno())],
                pass_fds=(child.fileno(),),
                stdin=subprocess.DEVNULL,
                close_fds=True,
            )
        finally:
            child.close()
        reader, writer = await asyncio.open_unix_connection(sock=parent)
        worker = _Worker(process, reader, writer)
        self._all.add(worker)
        tag, _ = await asyncio.wait_for(worker.read_frame(), timeout=60)
        if tag != b"R":
            raise RuntimeError("query worker did not start")
        return worker

    def _replace(self, worker: _Worker) -> None:
        """Kill ``worker`` and start another one in the background."""
        worker.kill()
        self._all.discard(worker)
        if worker.snapshot is not None:
            self.snapshots.release(worker.snapshot)
            worker.snapshot = None
        if not self._closed:
            task = asyncio.get_running_loop().create_task(self._respawn())
            self._spawning.add(task)
            task.add_done_callback(self._spawning.discard)
        # Reap the killed process without blocking the event loop.
        threading.Thread(target=worker.process.wait, daemon=True).start()

    async def _respawn(self) -> None:
        try:
            self._give_back(await self._spawn())
        except Exception:  # noqa: BLE001 - logged; the pool runs on with one worker fewer
            log.exception("could not start a replacement query worker")

    async def run(self, job: dict[str, Any], timeout: float) -> Answer:
        """Evaluate ``job`` within ``timeout`` seconds; raise :class:`ApiError` on failure."""
        deadline = asyncio.get_running_loop().time() + timeout
        try:
            async with asyncio.timeout_at(deadline):
                worker = await self._idle.get()
        except TimeoutError:
            raise QueryTimeout(
                f"every query worker stayed busy for the whole time limit ({timeout:g} s); try again later"
            ) from None
        worker.idle = False
        try:
            snapshot = await self.snapshots.current()
            if worker.snapshot != snapshot.path:
                self.snapshots.acquire(snapshot.path)
                if worker.snapshot is not None:
                    self.snapshots.release(worker.snapshot)
                worker.snapshot = snapshot.path
            payload = json.dumps({**job, "snapshot": snapshot.path}).encode()
            worker.writer.write(HEADER.pack(b"Q", len(payload)) + payload)
            answer = await self._first_part(worker, deadline, timeout)
        except (ConnectionError, RuntimeError) as exc:
            # The worker process is gone (its socket is closed): start another one.
            if worker.alive:
                self._replace(worker)
            raise ServiceUnavailable(f"the query worker stopped unexpectedly ({exc}); try again") from None
        except BaseException:
            # Cancelled or failed while the worker was busy: its state is unknown.
            if worker.alive and not worker.idle:
                self._replace(worker)
            raise
        if isinstance(answer, ApiError):
            raise answer
        return answer

    def _give_back(self, worker: _Worker) -> None:
        worker.idle = True
        self._idle.put_nowait(worker)

    async def _frame(self, worker: _Worker, deadline: float, timeout: float) -> tuple[bytes, bytes]:
        try:
            async with asyncio.timeout_at(deadline):
                return await worker.read_frame()
        except TimeoutError:
            self._replace(worker)
            raise QueryTimeout(_time_limit_message(timeout)) from None
        except (asyncio.IncompleteReadError, ConnectionError):
            self._replace(worker)
            raise ServiceUnavailable("the query worker stopped unexpectedly; try again") from None

    async def _first_part(self, worker: _Worker, deadline: float, timeout: float) -> Answer | ApiError:
        head: dict[str, Any] | None = None
        parts: list[bytes] = []
        held = 0
        while True:
            tag, payload = await self._frame(worker, deadline, timeout)
            if tag == b"X":
                self._give_back(worker)
                error = json.loads(payload)
                return ApiError(error["message"], status=error["status"])
            if tag == b"A":
                self._give_back(worker)
                head_text, _, body = payload.partition(b"\n")
                head = json.loads(head_text)
                return Answer(head["kind"], head["format"], body=body)
            if tag == b"H":
                head = json.loads(payload)
            elif tag == b"D":
                parts.append(payload)
                held += len(payload)
            elif tag == b"E":
                self._give_back(worker)
                assert head is not None
                return Answer(head["kind"], head["format"], body=b"".join(parts))
            if head is not None and held >= HOLD_BACK:
                stream = self._rest(worker, parts, deadline, timeout)
                return Answer(head["kind"], head["format"], stream=stream)

    async def _rest(
        self, worker: _Worker, held: list[bytes], deadline: float, timeout: float
    ) -> AsyncIterator[bytes]:
        finished = False
        try:
            for part in held:
                yield part
            held.clear()
            while True:
                try:
                    tag, payload = await self._frame(worker, deadline, timeout)
                except ApiError as exc:
                    finished = True  # _frame replaced the worker already
                    raise AbortedStream(exc.message) from None
                if tag == b"D":
                    yield payload
                elif tag == b"E":
                    finished = True
                    self._give_back(worker)
                    return
                elif tag == b"X":
                    finished = True
                    self._give_back(worker)
                    raise AbortedStream(json.loads(payload)["message"])
        finally:
            if not finished and worker.alive:
                # The client went away mid-answer: the worker is still writing.
                self._replace(worker)


# -- in-thread evaluation (in-memory datasets) -------------------------------------


class InlineEvaluator:
    """Evaluate in a thread of this process; for stores no other process can open."""

    def __init__(self, store: ox.Store, max_threads: int = 4) -> None:
        self._store = store
        self._slots = asyncio.Semaphore(max_threads)

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        return None

    async def run(self, job: dict[str, Any], timeout: float) -> Answer:
        deadline = time.monotonic() + timeout
        frames: list[tuple[bytes, bytes]] = []

        def emit(tag: bytes, payload: bytes) -> None:
            if time.monotonic() > deadline:
                # Raising inside the engine's write call stops the serialisation.
                raise TimeoutError
            frames.append((tag, payload))

        async with self._slots:
            try:
                await asyncio.wait_for(asyncio.to_thread(evaluate, self._store, job, emit), timeout)
            except TimeoutError:
                raise QueryTimeout(_time_limit_message(timeout)) from None
        head: dict[str, Any] | None = None
        body: list[bytes] = []
        for tag, payload in frames:
            if tag == b"X":
                error = json.loads(payload)
                raise ApiError(error["message"], status=error["status"])
            if tag == b"A":
                head_text, _, whole = payload.partition(b"\n")
                head = json.loads(head_text)
                body.append(whole)
            elif tag == b"H":
                head = json.loads(payload)
            elif tag == b"D":
                body.append(payload)
        if head is None:
            raise QueryTimeout(_time_limit_message(timeout))
        return Answer(head["kind"], head["format"], body=b"".join(body))


def default_pool_size() -> int:
    """One worker per core, at least two (so a slow query never blocks every reader)."""
    return max(2, os.cpu_count() or 2)
