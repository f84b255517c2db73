"""A query front door: a lean HTTP/1.1 process that answers SPARQL queries itself.

For ``lcgraph serve`` (see :mod:`lcgraph.api.fronts`, which starts one per
core and replaces any that stop). Every front door accepts connections on
the public port. A SPARQL *query* to ``/sparql`` (GET, or POST as a form or
``application/sparql-query``) is answered here, from the newest published
snapshot of the store (:mod:`lcgraph.api.snapshots`), by the same functions
the FastAPI route uses: request reading (:mod:`lcgraph.api.protocol_request`),
formats, access control and privacy (:func:`lcgraph.api.sparql.build_job`),
evaluation and engine serialisation (:func:`lcgraph.api.query_worker.evaluate`).
Any other request — updates, the Graph Store, pages, the UI, a request the
route would refuse — is passed to the FastAPI app (the core process) over a
Unix socket, and from then on that connection is a plain relay to the core.

Why: a query handed from the web server to a worker process costs more in
hand-offs than the query itself. Here the engine evaluates in one of a few
threads of the process that owns the connection (pyoxigraph releases the
GIL while it works), and finished answers are collected in batches.

Time limit: when a query passes it, the client gets the 503 at once and the
engine is asked to stop at its next output. A query that keeps computing
without output cannot be stopped inside a process, so this front door
*retires*: it stops accepting connections, lets the other queries it is
answering finish (each within its own limit), and exits, which ends the
runaway evaluation; the supervisor has already started a replacement.

Run as ``python -m lcgraph.api.front``; the configuration (address,
settings, core socket, snapshot folder) arrives pickled on standard input.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import fcntl
import functools
import gc
import json
import logging
import os
import pickle
import queue
import signal
import socket
import sys
import threading
import time
from email.utils import formatdate
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import h11
import httptools
import pyoxigraph as ox

from lcgraph.api.auth import READ_PRIVATE, TokenRegistry
from lcgraph.api.errors import ApiError, ServiceUnavailable, render_error
from lcgraph.api.negotiation import by_engine_attr
from lcgraph.api.protocol_request import QueryOperation, parse_request
from lcgraph.api.query_pool import HOLD_BACK, _time_limit_message
from lcgraph.api.query_worker import Plan
from lcgraph.api.runtime import PRIVATE_GRAPHS
from lcgraph.api.snapshots import CURRENT, PUBLISHED, Counter, lock_path
from lcgraph.api.sparql import build_job, not_acceptable
from lcgraph.config import Settings
from lcgraph.store import Dataset

log = logging.getLogger("lcgraph.api")
access_log = logging.getLogger("lcgraph.access")

EVALUATION_THREADS = 3
RETIRE_EXIT_CODE = 3
"""Exit status of a front door that retired because a query would not stop."""
_STOP_GRACE = 2.0  # seconds a timed-out query gets to stop at its next output
CHEAP = 0.002
"""Seconds under which a query's run may block the event loop (see :class:`CostMemory`)."""


# -- snapshots -------------------------------------------------------------------


class _SnapshotDataset(Dataset):
    """A checkpoint opened read-only; its list of graphs never changes, so it is read once."""

    _graphs: list[str] | None = None
    _graph_set: frozenset[str] = frozenset()

    def graphs(self) -> list[str]:
        if self._graphs is None:
            self._graphs = super().graphs()
            self._graph_set = frozenset(self._graphs)
        return self._graphs

    def has_graph(self, graph: str) -> bool:
        self.graphs()
        return graph in self._graph_set


class _Snap:
    """An open checkpoint, held (shared lock) while any query of this process reads it."""

    def __init__(self, name: str, dataset: _SnapshotDataset, fd: int) -> None:
        self.name = name
        self.dataset = dataset
        self.fd = fd
        self.users = 0
        self.superseded = False

    def close(self) -> None:
        del self.dataset
        os.close(self.fd)  # releases the lock: the core may now delete the checkpoint


class SnapshotReader:
    """The newest published checkpoint (``CURRENT``), reopened when the publication counter moves."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._published: Counter | None = None
        self._seen = -1
        self._snap: _Snap | None = None

    def acquire(self) -> _Snap:
        published = self._published
        if published is None:
            try:
                published = self._published = Counter(self.root / PUBLISHED)
            except FileNotFoundError:
                raise ServiceUnavailable("the store is not ready for queries yet; try again") from None
        count = published.value()
        if count != self._seen or self._snap is None:
            self._open()
            self._seen = count  # read before CURRENT: a later publication moves it again
        assert self._snap is not None
        self._snap.users += 1
        return self._snap

    def release(self, snap: _Snap) -> None:
        snap.users -= 1
        if snap.superseded and snap.users == 0:
            snap.close()

    def _open(self) -> None:
        for _ in range(50):
            try:
                name = (self.root / CURRENT).read_text().strip()
            except FileNotFoundError:
                raise ServiceUnavailable("the store is not ready for queries yet; try again") from None
            if self._snap is not None and self._snap.name == name:
                return
            path = self.root / name
            try:
                fd = os.open(lock_path(path), os.O_RDONLY)
            except FileNotFoundError:
                continue  # collected after CURRENT moved on: read it again
            fcntl.flock(fd, fcntl.LOCK_SH)
            try:
                kept = os.stat(lock_path(path)).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                kept = False
            if not kept:  # collected between reading CURRENT and locking
                os.close(fd)
                continue
            dataset = _SnapshotDataset(ox.Store.read_only(str(path)), path)
            old, self._snap = self._snap, _Snap(name, dataset, fd)
            if old is not None:
                old.superseded = True
                if old.users == 0:
                    old.close()
            return
        raise ServiceUnavailable("the store's snapshot kept changing; try again")


# -- evaluation threads -----------------------------------------------------------


_FAILED = b'{"status": 500, "message": "the query failed inside the server"}'


class _Stop(BaseException):
    """Raised inside the engine's output call to stop an evaluation nobody waits for."""


class _Job:
    """One query being evaluated: frames flow from a thread to the connection."""

    __slots__ = (
        "conn",
        "request",
        "plan",
        "snap",
        "frames",
        "writable",
        "cancelled",
        "finished",
        "closed",
        "timer",
        "head",
        "held",
        "held_bytes",
        "committed",
        "seconds",
        "key",
    )

    def __init__(self, conn: _Connection, request: _Request, plan: Plan, snap: _Snap) -> None:
        self.conn = conn
        self.request = request
        self.plan = plan
        self.snap = snap
        self.frames: collections.deque[tuple[bytes, bytes]] = collections.deque()
        self.writable = threading.Event()  # cleared while the client reads slower than the engine writes
        self.writable.set()
        self.cancelled = False
        self.finished = False  # the thread is done with it
        self.closed = False  # the connection is done with it
        self.timer: asyncio.TimerHandle | None = None
        self.head: dict[str, Any] | None = None
        self.held: list[bytes] = []
        self.held_bytes = 0
        self.committed = False
        self.seconds = 0.0
        self.key = ""


class Evaluator:
    """A few threads evaluating queries; finished work is handed to the event loop in batches."""

    def __init__(self, loop: asyncio.AbstractEventLoop, threads: int) -> None:
        self._loop = loop
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._ready: collections.deque[_Job] = collections.deque()
        self._scheduled = False
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._work, daemon=True) for _ in range(threads)]
        for thread in self._threads:
            thread.start()

    def submit(self, job: _Job) -> None:
        self._jobs.put(job)

    def _post(self, job: _Job) -> None:
        self._ready.append(job)
        with self._lock:
            if self._scheduled:
                return
            self._scheduled = True
        self._loop.call_soon_threadsafe(self._drain)

    def _drain(self) -> None:
        with self._lock:
            self._scheduled = False
        while self._ready:
            job = self._ready.popleft()
            job.conn.job_progress(job)

    def _work(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            self._run(job)
            self._post(job)

    def _run(self, job: _Job) -> None:
        """Evaluate ``job`` in this thread; its frames are posted to the event loop as they come."""
        frames = job.frames

        def emit(tag: bytes, payload: bytes) -> None:
            if job.cancelled:
                raise _Stop
            frames.append((tag, payload))
            if tag == b"D":
                self._post(job)
                job.writable.wait()  # the client reads slower than the engine writes
                if job.cancelled:
                    raise _Stop

        started = time.thread_time()  # work done, not time spent waiting for the GIL
        try:
            if not job.cancelled:
                job.plan.run(job.snap.dataset.store, emit)
        except _Stop:
            pass
        except Exception:  # noqa: BLE001 - reported to the client as a 500, logged here
            log.exception("query evaluation failed")
            frames.append((b"X", _FAILED))
        job.seconds = time.thread_time() - started
        job.finished = True


class CostMemory:
    """Which query texts proved cheap on the current snapshot (so may run on the event loop).

    A query is evaluated in a thread the first time it is seen on a
    snapshot; if it finished within :data:`CHEAP` seconds and answered
    without streaming, later runs of the same text on the same snapshot are
    evaluated inline, which saves two thread hand-offs — more than such a
    query costs. Any inline run that turns out slow sends the text back to
    the threads. A new snapshot (a write) forgets everything.
    """

    def __init__(self, size: int = 4096) -> None:
        self._size = size
        self._cheap: dict[tuple[str, str], None] = {}
        self._snapshot = ""

    def cheap(self, snapshot: str, key: str) -> bool:
        if snapshot != self._snapshot:
            self._cheap.clear()
            self._snapshot = snapshot
            return False
        return (snapshot, key) in self._cheap

    def learn(self, snapshot: str, key: str, seconds: float, whole: bool) -> None:
        if snapshot != self._snapshot:
            return
        if seconds <= CHEAP and whole:
            if len(self._cheap) >= self._size:
                self._cheap.pop(next(iter(self._cheap)))
            self._cheap[(snapshot, key)] = None
        else:
            self._cheap.pop((snapshot, key), None)


# -- HTTP ------------------------------------------------------------------------


class _Request:
    __slots__ = (
        "method",
        "url",
        "path",
        "headers",
        "fields",
        "body",
        "keep_alive",
        "version",
        "chunked",
        "started",
        "parsed",
    )

    def __init__(self) -> None:
        self.method = ""
        self.url = b""
        self.path = b""
        self.headers: list[tuple[bytes, bytes]] = []  # as sent, for the core
        self.fields: dict[bytes, bytes] = {}  # by lower-case name; repeated ones joined with commas
        self.body: list[bytes] = []
        self.keep_alive = True
        self.version = "1.1"
        self.chunked = False
        self.started = time.perf_counter()
        self.parsed: Any = None

    def header(self, name: bytes) -> str | None:
        value = self.fields.get(name)
        return None if value is None else value.decode("latin-1")


_HOP_BY_HOP = {b"x-forwarded-for", b"x-forwarded-proto", b"forwarded", b"x-real-ip"}
_date_cache: list[Any] = [0, b""]


def _date() -> bytes:
    now = int(time.time())
    if _date_cache[0] != now:
        _date_cache[0], _date_cache[1] = now, formatdate(now, usegmt=True).encode()
    return _date_cache[1]


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


@functools.lru_cache(maxsize=64)
def _status_line(status: int) -> bytes:
    return f"HTTP/1.1 {status} {_reason(status)}\r\n".encode()


_UNSEEN: Any = object()


class _Memo:
    """A bounded map, optionally tied to one snapshot (cleared when another is asked for)."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: dict[Any, Any] = {}
        self._snapshot: str | None = None

    def get(self, key: Any, default: Any, snapshot: str | None = None) -> Any:
        if snapshot != self._snapshot:
            self._items.clear()
            self._snapshot = snapshot
        return self._items.get(key, default)

    def put(self, key: Any, value: Any, snapshot: str | None = None) -> None:
        if snapshot != self._snapshot:
            return
        if len(self._items) >= self._size:
            self._items.pop(next(iter(self._items)))
        self._items[key] = value


def _read_query(method: str, url: bytes, content_type: str | None, body: bytes) -> Any:
    """The parsed SPARQL Protocol request if it is a query this process answers, else ``None``."""
    query_string = url.partition(b"?")[2].decode("latin-1")
    try:
        parsed = parse_request(method, parse_qsl(query_string, keep_blank_values=True), content_type, body)
    except ApiError:
        return None
    return parsed if isinstance(parsed.operation, QueryOperation) else None


@functools.lru_cache(maxsize=64)
def _head_of(text: bytes) -> dict[str, Any]:
    """An answer's head frame (result kind and engine format), with its media type."""
    head = json.loads(text)
    head["content_type"] = by_engine_attr(head["format"], results=head["kind"] != "graph").content_type
    head["type_line"] = b"content-type: " + head["content_type"].encode() + b"\r\n"
    return head


class _Connection(asyncio.Protocol):
    """One client connection: answers queries here until a request needs the core, then relays."""

    def __init__(self, front: Front) -> None:
        self.front = front
        self.transport: asyncio.Transport | None = None
        self.client: str | None = None
        self.parser = httptools.HttpRequestParser(self)
        self.request: _Request | None = None
        self.waiting: collections.deque[_Request] = collections.deque()
        self.active: _Job | None = None
        self.relay: _Relay | None = None
        self.streaming_up = False  # the request being parsed goes straight to the core
        self.refused = False
        self.client_eof = False
        self.can_write = True
        self.write_resumed = asyncio.Event()
        self.write_resumed.set()

    # -- asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        peer = transport.get_extra_info("peername")
        self.client = peer[0] if isinstance(peer, tuple) else None
        self.front.connections.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self.front.connections.discard(self)
        if self.active is not None:
            self._drop(self.active)
        self.waiting.clear()
        if self.relay is not None:
            self.relay.close()

    def data_received(self, data: bytes) -> None:
        if self.refused:
            return
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._refuse(400, "protocol upgrades are not supported by this server")
        except httptools.HttpParserError as exc:
            self._refuse(400, f"the HTTP request is malformed ({exc})")

    def pause_writing(self) -> None:
        self.can_write = False
        self.write_resumed.clear()
        if self.active is not None:
            self.active.writable.clear()

    def resume_writing(self) -> None:
        self.can_write = True
        self.write_resumed.set()
        if self.active is not None:
            self.active.writable.set()

    def eof_received(self) -> bool | None:
        self.client_eof = True
        if self.relay is not None:
            self.relay.write_eof()
            return True  # keep the connection open for the core's answers
        if self.active is not None or self.waiting:
            return True  # answer what was asked, then close
        return None

    # -- httptools callbacks
    def on_message_begin(self) -> None:
        self.request = _Request()

    def on_url(self, url: bytes) -> None:
        assert self.request is not None
        self.request.url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        request = self.request
        assert request is not None
        name = name.lower()
        request.headers.append((name, value))
        seen = request.fields.get(name)
        request.fields[name] = value if seen is None else seen + b", " + value

    def on_headers_complete(self) -> None:
        request = self.request
        assert request is not None
        request.method = self.parser.get_method().decode("ascii", "replace")
        request.path = request.url.partition(b"?")[0]
        request.keep_alive = bool(self.parser.should_keep_alive())
        request.version = self.parser.get_http_version()
        request.chunked = "chunked" in (request.header(b"transfer-encoding") or "").lower()
        limit = self.front.settings.max_body_bytes
        declared = request.header(b"content-length")
        if limit and declared is not None and declared.strip().isdigit() and int(declared) > limit:
            self._refuse(413, f"the request body is larger than this service's limit of {limit} bytes")
            return
        if self.relay is not None or request.method not in ("GET", "POST") or request.path != b"/sparql":
            self.streaming_up = True
            self._to_core(self._head_for_core(request, whole_body=False), request.method)
            return
        self.streaming_up = False
        expect = (request.header(b"expect") or "").lower()
        if expect == "100-continue" and self.active is None and not self.waiting and self.transport:
            self.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")

    def on_body(self, body: bytes) -> None:
        request = self.request
        if request is None or self.refused:
            return
        if self.streaming_up:
            if request.chunked:
                self._to_core(b"%x\r\n%s\r\n" % (len(body), body))
            else:
                self._to_core(body)
            return
        request.body.append(body)
        limit = self.front.settings.max_body_bytes
        if limit and sum(len(part) for part in request.body) > limit:
            self._refuse(413, f"the request body is larger than this service's limit of {limit} bytes")

    def on_message_complete(self) -> None:
        request, self.request = self.request, None
        if request is None or self.refused:
            return
        if self.streaming_up:
            if request.chunked:
                self._to_core(b"0\r\n\r\n")
            return
        if self._is_query(request):
            self.waiting.append(request)
            if self.active is None:
                self._next()
            elif self.transport is not None:
                self.transport.pause_reading()  # one answer at a time; keep pipelined ones parsed
            return
        self._to_core(self._head_for_core(request, whole_body=True) + b"".join(request.body), request.method)

    # -- queries answered here
    def _is_query(self, request: _Request) -> bool:
        body = b"".join(request.body)
        signature = (request.method, request.url, request.header(b"content-type"), body)
        parsed = self.front.parsed.get(signature, _UNSEEN)
        if parsed is _UNSEEN:
            parsed = _read_query(*signature)
            self.front.parsed.put(signature, parsed)
        if parsed is None:
            return False  # the core answers it, so every refusal is worded in one place
        request.parsed = (signature, parsed)
        return True

    def _next(self) -> None:
        """Start answering the waiting requests: in a loop, as long as each is answered at once.

        A query known to be cheap is answered here without calling back into
        this method, so hundreds of pipelined ones never nest.
        """
        front = self.front
        while self.waiting and self.active is None and self.transport is not None:
            request = self.waiting.popleft()
            signature, parsed = request.parsed
            accept = request.header(b"accept")
            authorization = request.header(b"authorization")
            try:
                snap = front.snapshots.acquire()
            except ApiError as exc:
                self._respond_error(request, accept, exc)
                continue
            key = (signature, accept, authorization, request.header(b"host"))
            prepared = front.jobs.get(key, _UNSEEN, snap.name)
            if prepared is _UNSEEN:
                try:
                    prepared = self._prepare(snap, parsed, accept, authorization, key[3])
                except ApiError as exc:
                    front.snapshots.release(snap)
                    self._respond_error(request, accept, exc)
                    continue
                front.jobs.put(key, prepared, snap.name)
            plan, job_key = prepared
            if front.costs.cheap(snap.name, job_key):
                self._answer_known(request, plan, snap, job_key)
                continue
            active = self.active = _Job(self, request, plan, snap)
            active.key = job_key
            if not self.can_write:
                active.writable.clear()
            loop = asyncio.get_running_loop()
            active.timer = loop.call_later(front.timeout, self._timed_out, active)
            front.job_started(active)
            front.evaluator.submit(active)
        if self.active is None and not self.waiting:
            if self.relay is not None:
                self.relay.start_answers()
            elif self.transport is not None and not self.transport.is_closing():
                self.transport.resume_reading()

    def _answer_known(self, request: _Request, plan: Plan, snap: _Snap, key: str) -> None:
        """Answer a query known to be cheap on this snapshot, here and now (see :class:`CostMemory`)."""
        front = self.front
        started = time.perf_counter()
        try:
            tag, head, body = plan.whole(snap.dataset.store)
        except Exception:  # noqa: BLE001 - reported to the client as a 500, logged here
            log.exception("query evaluation failed")
            tag, head, body = b"X", _FAILED, b""
        front.costs.learn(snap.name, key, time.perf_counter() - started, True)
        front.snapshots.release(snap)
        if tag == b"A":
            self._send_whole(request, _head_of(head), body)
            front.log_access(request, 200, len(body), self.client, False)
        else:
            self._respond_error(request, request.header(b"accept"), self._engine_error(request, head))
        closing = not request.keep_alive or front.retiring or (self.client_eof and not self.waiting)
        if closing and self.transport is not None:
            self.transport.close()

    def _engine_error(self, request: _Request, payload: bytes) -> ApiError:
        """The error an ``X`` frame reports (a 406 names the acceptable formats)."""
        error = json.loads(payload)
        if error["status"] == 406:
            return not_acceptable(error["message"], request.parsed[1].format)
        return ApiError(error["message"], status=error["status"])

    def _prepare(
        self, snap: _Snap, parsed: Any, accept: str | None, authorization: str | None, host: str | None
    ) -> tuple[Plan, str]:
        """The engine's plan for a query (what it may read, formats) and a key naming it."""
        front = self.front
        principal = front.tokens.identify_header(authorization)
        hidden = () if principal.can(READ_PRIVATE) else PRIVATE_GRAPHS
        job = build_job(
            snap.dataset,
            hidden,
            parsed.operation,
            accept,
            parsed.format,
            f"http://{host or 'localhost'}/sparql",
            front.settings.max_result_bytes,
        )
        job["snapshot"] = snap.name
        try:
            plan = Plan(snap.dataset.store, job)
        except OSError as exc:
            raise ServiceUnavailable(f"the store could not be read: {exc}") from None
        return plan, json.dumps(job, sort_keys=True)

    def job_progress(self, job: _Job) -> None:
        """Frames arrived from the evaluation thread (event loop thread)."""
        if job.finished and job.timer is not None:
            job.timer.cancel()
        if job.closed:
            job.frames.clear()
            if job.finished:
                self._finish_job(job)
            return
        while job.frames and not job.closed:
            tag, payload = job.frames.popleft()
            if tag == b"A":
                head_text, _, body = payload.partition(b"\n")
                self._answer_whole(job, _head_of(head_text), body)
            elif tag == b"H":
                job.head = _head_of(payload)
            elif tag == b"D":
                if job.committed:
                    self._write(b"%x\r\n" % len(payload) + payload + b"\r\n")
                else:
                    job.held.append(payload)
                    job.held_bytes += len(payload)
                    if job.held_bytes >= HOLD_BACK:
                        self._commit(job)
            elif tag == b"E":
                if job.committed:
                    self._write(b"0\r\n\r\n")
                    self._close_job(job, 200)
                else:
                    assert job.head is not None
                    self._answer_whole(job, job.head, b"".join(job.held))
            elif tag == b"X":
                if job.committed:
                    # The status went out already: cutting the connection is the only honest signal.
                    self._abort(job)
                else:
                    exc = self._engine_error(job.request, payload)
                    self._close_job(job, self._respond_error(job.request, job.request.header(b"accept"), exc))
        if job.finished and job.closed:
            self._finish_job(job)

    def _send_whole(self, request: _Request, head: dict[str, Any], body: bytes) -> None:
        fields = head["type_line"] + b"content-length: %d\r\nvary: Accept\r\n" % len(body)
        self._write(self._head(200, fields, request) + (b"" if request.method == "HEAD" else body))

    def _answer_whole(self, job: _Job, head: dict[str, Any], body: bytes) -> None:
        self._send_whole(job.request, head, body)
        self._close_job(job, 200, len(body))

    def _commit(self, job: _Job) -> None:
        assert job.head is not None
        fields = job.head["type_line"] + b"transfer-encoding: chunked\r\nvary: Accept\r\n"
        parts = [self._head(200, fields, job.request)]
        parts.extend(b"%x\r\n" % len(part) + part + b"\r\n" for part in job.held)
        job.held, job.committed = [], True
        self._write(b"".join(parts))

    def _timed_out(self, job: _Job) -> None:
        if job.closed or job.finished:
            return
        job.cancelled = True
        job.writable.set()
        if job.committed:
            self._abort(job)
        else:
            exc = ServiceUnavailable(_time_limit_message(self.front.timeout))
            self._close_job(job, self._respond_error(job.request, job.request.header(b"accept"), exc))
        loop = asyncio.get_running_loop()
        loop.call_later(_STOP_GRACE, self.front.check_stopped, job)

    def _drop(self, job: _Job) -> None:
        """The client left: stop the evaluation at its next output."""
        job.cancelled = True
        job.writable.set()
        job.closed = True  # its timer stays: a query that never writes must still be ended
        self.active = None

    def _abort(self, job: _Job) -> None:
        job.cancelled = True
        job.writable.set()
        self._close_job(job, 200, aborted=True)
        if self.transport is not None:
            self.transport.abort()

    def _close_job(self, job: _Job, status: int, size: int = 0, aborted: bool = False) -> None:
        """The connection is done with ``job`` (the thread may still be)."""
        if job.closed:
            return
        job.closed = True
        self.front.log_access(job.request, status, size, self.client, aborted)
        if job.finished:
            self._finish_job(job)
        if self.active is job:
            self.active = None
            if not job.request.keep_alive or self.front.retiring or (self.client_eof and not self.waiting):
                if self.transport is not None:
                    self.transport.close()
                return
            self._next()

    def _finish_job(self, job: _Job) -> None:
        if job.snap is not None:
            if not job.cancelled:
                self.front.costs.learn(job.snap.name, job.key, job.seconds, not job.committed)
            self.front.snapshots.release(job.snap)
            job.snap = None  # type: ignore[assignment]
            self.front.job_done(job)

    # -- writing
    def _head(self, status: int, fields: bytes, request: _Request) -> bytes:
        """An answer's status line and header (``fields``: header lines, each ending in CRLF)."""
        head = _status_line(status) + b"date: " + _date() + b"\r\nserver: lcgraph\r\n" + fields
        origin = request.fields.get(b"origin")
        if origin is not None:
            head += self.front.cors_headers(origin.decode("latin-1"))
        if not request.keep_alive or self.front.retiring:
            head += b"connection: close\r\n"
        return head + b"\r\n"

    def _write(self, data: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)

    def _respond_error(self, request: _Request, accept: str | None, exc: ApiError) -> int:
        response = render_error(accept, exc.status, exc.message, exc.headers)
        fields = b"".join(name + b": " + value + b"\r\n" for name, value in response.raw_headers)
        body = b"" if request.method == "HEAD" else bytes(response.body)
        self._write(self._head(exc.status, fields, request) + body)
        if self.active is None:  # not tied to a job (refused before evaluation)
            self.front.log_access(request, exc.status, len(body), self.client, False)
            if not request.keep_alive and self.transport is not None:
                self.transport.close()
        return exc.status

    def _refuse(self, status: int, message: str) -> None:
        """A request this process cannot read at all: answer and close."""
        self.refused = True
        if self.transport is None:
            return
        if self.active is None and self.relay is None:
            body = f"{status} {_reason(status)}: {message}\n".encode()
            self.transport.write(
                f"HTTP/1.1 {status} {_reason(status)}\r\ncontent-type: text/plain; charset=utf-8\r\n"
                f"content-length: {len(body)}\r\nconnection: close\r\n\r\n".encode()
                + body
            )
            self.front.log_access(self.request or _Request(), status, len(body), self.client, False)
        self.transport.close()

    # -- relay to the core
    def _head_for_core(self, request: _Request, whole_body: bool) -> bytes:
        lines = [f"{request.method} ".encode() + request.url + f" HTTP/{request.version}".encode()]
        for name, value in request.headers:
            if name in _HOP_BY_HOP:
                continue
            if whole_body and name in (b"content-length", b"transfer-encoding", b"expect"):
                continue
            lines.append(name + b": " + value)
        if whole_body:
            lines.append(b"content-length: %d" % sum(len(part) for part in request.body))
        if self.client:
            lines.append(b"x-forwarded-for: " + self.client.encode())
        lines.append(b"x-forwarded-proto: http")
        return b"\r\n".join(lines) + b"\r\n\r\n"

    def _to_core(self, data: bytes, method: str | None = None) -> None:
        """Send ``data`` up to the core; ``method`` when it starts a request (an answer will come)."""
        if self.relay is None:
            self.relay = _Relay(self)
            if self.active is None and not self.waiting:
                self.relay.start_answers()
        if method is not None:
            self.relay.answers.expect(method)
        self.relay.send(data)


class _Answers:
    """Follows the core's answers on one relayed connection, to tell when none is outstanding.

    A front door that retires or stops must not leave in the middle of an
    answer it relays. The answers are read (not changed) by an HTTP/1.1
    parser told each request's method, since an answer to HEAD announces a
    body it does not carry; informational answers (100 Continue) do not
    count. If the parser cannot follow (the core closes, or answers in a way
    it does not read), nothing counts as outstanding any more.
    """

    def __init__(self, front: Front, relay: _Relay) -> None:
        self._front = front
        self._relay = relay
        self._parser = h11.Connection(h11.CLIENT, max_incomplete_event_size=1 << 20)
        self._methods: collections.deque[str] = collections.deque()
        self._lost = False

    @property
    def outstanding(self) -> int:
        return 0 if self._lost else len(self._methods)

    def expect(self, method: str) -> None:
        if self._lost:
            return
        self._methods.append(method)
        if len(self._methods) == 1:
            self._front.relay_busy(self._relay)
            try:
                self._next_request()
            except h11.ProtocolError:
                self.lose()

    def _next_request(self) -> None:
        self._parser.send(h11.Request(method=self._methods[0], target="/", headers=[("host", "core")]))
        self._parser.send(h11.EndOfMessage())

    def received(self, data: bytes) -> None:
        if self._lost:
            return
        try:
            self._parser.receive_data(data)
            while self._methods:
                event = self._parser.next_event()
                if event is h11.NEED_DATA:
                    return
                if isinstance(event, h11.EndOfMessage):
                    self._methods.popleft()
                    if self._parser.their_state is not h11.DONE or self._parser.our_state is not h11.DONE:
                        self.lose()  # the core closes after this answer: no other will come
                        return
                    self._parser.start_next_cycle()
                    if self._methods:
                        self._next_request()
                    else:
                        self._front.relay_idle(self._relay)
                elif event is h11.PAUSED or isinstance(event, h11.ConnectionClosed):
                    self.lose()
                    return
        except h11.ProtocolError as exc:
            log.debug("cannot follow the core's answers on a relayed connection: %s", exc)
            self.lose()

    def lose(self) -> None:
        """Stop following (the link closed, or the answers cannot be read): nothing is outstanding."""
        self._lost = True
        self._methods.clear()
        self._front.relay_idle(self._relay)


class _Relay(asyncio.Protocol):
    """The connection's link to the core: requests go up as they are read, answers come back raw."""

    def __init__(self, conn: _Connection) -> None:
        self.conn = conn
        self.answers = _Answers(conn.front, self)
        self.transport: asyncio.Transport | None = None
        self.pending: list[bytes] = []
        self.answers_open = False  # queries answered here before the relay began have all gone out
        self.held: list[bytes] = []
        self.closed = False
        self.eof = False
        loop = asyncio.get_running_loop()
        self.task = loop.create_task(self._connect())

    async def _connect(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            await loop.create_unix_connection(lambda: self, self.conn.front.upstream)
        except OSError as exc:
            log.error("front door cannot reach the core process: %s", exc)
            if self.conn.transport is not None and self.answers_open:
                body = b"503 Service Unavailable: the service is restarting; try again\n"
                self.conn.transport.write(
                    b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain; charset=utf-8\r\n"
                    b"content-length: %d\r\nconnection: close\r\n\r\n%s" % (len(body), body)
                )
            if self.conn.transport is not None:
                self.conn.transport.close()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        if self.closed:
            transport.close()
            return
        for data in self.pending:
            transport.write(data)
        self.pending.clear()
        if self.eof and transport.can_write_eof():
            transport.write_eof()

    def send(self, data: bytes) -> None:
        if self.transport is not None:
            self.transport.write(data)
        else:
            self.pending.append(data)

    def write_eof(self) -> None:
        self.eof = True
        if self.transport is not None and self.transport.can_write_eof():
            self.transport.write_eof()

    def start_answers(self) -> None:
        if self.answers_open:
            return
        self.answers_open = True
        client = self.conn.transport
        for data in self.held:
            if client is not None:
                client.write(data)
        self.held.clear()

    def data_received(self, data: bytes) -> None:
        self.answers.received(data)
        client = self.conn.transport
        if not self.answers_open:
            self.held.append(data)
        elif client is not None and not client.is_closing():
            client.write(data)
            if not self.conn.can_write and self.transport is not None:
                self.transport.pause_reading()
                asyncio.get_running_loop().create_task(self._resume_when_drained())

    async def _resume_when_drained(self) -> None:
        await self.conn.write_resumed.wait()
        if self.transport is not None and not self.transport.is_closing():
            self.transport.resume_reading()

    def connection_lost(self, exc: Exception | None) -> None:
        self.answers.lose()
        client = self.conn.transport
        if client is not None:
            for data in self.held:
                client.write(data)
            self.held.clear()
            client.close()

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()


# -- the process ---------------------------------------------------------------------


class Front:
    """One front-door process: settings, snapshot reader, evaluation threads, connections."""

    def __init__(self, settings: Settings, upstream: str, snapshots: Path) -> None:
        self.settings = settings
        self.tokens = TokenRegistry.from_settings(settings)
        self.timeout = settings.query_timeout
        self.upstream = upstream
        self.snapshots = SnapshotReader(snapshots)
        self.connections: set[_Connection] = set()
        self.retiring = False
        self.stopping = False
        self.server: asyncio.AbstractServer | None = None
        self.evaluator: Evaluator
        self._running: set[_Job] = set()
        self.costs = CostMemory()
        self.parsed = _Memo(4096)  # request → parsed query (or None: not one for this process)
        self.jobs = _Memo(4096)  # request, Accept, credentials → evaluation job, on one snapshot
        self._relays_busy: set[_Relay] = set()  # relays with answers still to come from the core
        self._done = asyncio.Event()
        origins = settings.cors_origins
        self._cors_any = "*" in origins
        self._cors = frozenset(origins)

    def cors_headers(self, origin: str | None) -> bytes:
        """The CORS header lines of an answer to a read (as the core's CORS middleware sends them)."""
        if not origin or not self._cors:
            return b""
        lines = b"access-control-expose-headers: Location, Content-Type\r\n"
        if self._cors_any:
            lines += b"access-control-allow-origin: *\r\n"
        elif origin in self._cors:
            lines += b"access-control-allow-origin: " + origin.encode("latin-1") + b"\r\nvary: Origin\r\n"
        return lines

    def log_access(
        self, request: _Request, status: int, size: int, client: str | None, aborted: bool
    ) -> None:
        if not access_log.isEnabledFor(logging.INFO):
            return
        ms = round((time.perf_counter() - request.started) * 1000, 2)
        method, path = _json_text(request.method), _json_text(request.path.decode("latin-1"))
        tail = ', "aborted": true}' if aborted else "}"
        entry = (
            f'{{"method": {method}, "path": {path}, "status": {status}, "bytes": {size}, '
            f'"ms": {ms}, "client": {_json_text(client)}{tail}'
        )
        if _handler is not None and access_log.handlers == [_handler]:
            _handler.write_line(f"{_log_time()} INFO lcgraph.access {entry}\n")
        else:
            access_log.info(entry)

    # -- bookkeeping for retiring and stopping
    def job_started(self, job: _Job) -> None:
        self._running.add(job)

    def job_done(self, job: _Job) -> None:
        self._running.discard(job)
        self._maybe_done()

    def relay_busy(self, relay: _Relay) -> None:
        self._relays_busy.add(relay)

    def relay_idle(self, relay: _Relay) -> None:
        self._relays_busy.discard(relay)
        self._maybe_done()

    def check_stopped(self, job: _Job) -> None:
        """A timed-out query had its grace to stop; if it still runs, this process retires."""
        if not job.finished:
            self.retire("a query kept running past its time limit")

    def retire(self, why: str) -> None:
        if self.retiring:
            return
        log.warning("front door %d retires: %s", os.getpid(), why)
        self.retiring = True
        self._close_listener()
        for conn in list(self.connections):
            if conn.active is None and conn.relay is None and not conn.waiting and conn.transport:
                conn.transport.close()
        self._maybe_done()

    def _close_listener(self) -> None:
        if self.server is not None:
            self.server.close()

    def _maybe_done(self) -> None:
        if not (self.retiring or self.stopping):
            return
        stuck = {job for job in self._running if job.cancelled}
        if self._running - stuck or self._relays_busy:
            return
        self._done.set()

    async def serve(self, sock: socket.socket) -> int:
        loop = asyncio.get_running_loop()
        self.evaluator = Evaluator(loop, EVALUATION_THREADS)
        self.server = await loop.create_server(lambda: _Connection(self), sock=sock, backlog=1024)
        loop.add_signal_handler(signal.SIGTERM, self.stop)
        loop.add_signal_handler(signal.SIGINT, self.stop)
        drainer = loop.create_task(_drain_logs())
        # What start-up made lives as long as the process: keep it out of the collector's scans
        # (a full collection over it would stall every connection for milliseconds).
        gc.collect()
        gc.freeze()
        sys.stdout.write("ready\n")
        sys.stdout.flush()
        await self._done.wait()
        drainer.cancel()
        if _handler is not None:
            _handler.drain()
        if self.stopping:
            # Let the answers in flight finish (bounded by the supervisor's grace period).
            for conn in list(self.connections):
                if conn.transport is not None:
                    conn.transport.close()
            return 0
        # Retired: answers of the other queries are out; leave (this ends the runaway evaluation).
        return RETIRE_EXIT_CODE

    def stop(self) -> None:
        if self.stopping:
            return
        self.stopping = True
        self._close_listener()
        for conn in list(self.connections):
            if conn.active is None and not conn.waiting and conn.transport and conn.relay is None:
                conn.transport.close()
        self._maybe_done()


@functools.lru_cache(maxsize=1024)
def _json_text(text: str | None) -> str:
    """A string as JSON (the few methods, paths and clients of an access log repeat)."""
    return json.dumps(text)


_log_second: list[Any] = [-1, ""]


def _log_time() -> str:
    """Now, as the log formatter's ``asctime`` writes it (local time, milliseconds)."""
    now = time.time()
    second = int(now)
    if _log_second[0] != second:
        _log_second[0], _log_second[1] = second, time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(second))
    return f"{_log_second[1]},{int((now - second) * 1000):03d}"


class _BufferedHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Log lines to stderr through a buffer written out a few times a second, not once per line.

    Access log lines come in ready-made (:meth:`write_line`): the same text
    the formatter would make, without a log record per request.
    """

    def __init__(self) -> None:
        stream = open(sys.stderr.fileno(), "w", buffering=1 << 16, closefd=False, encoding="utf-8")  # noqa: SIM115
        super().__init__(stream)

    def write_line(self, line: str) -> None:
        with self.lock:  # type: ignore[union-attr]
            self.stream.write(line)

    def flush(self) -> None:
        pass  # see drain()

    def drain(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            self.stream.flush()


_handler: _BufferedHandler | None = None


def _configure_logging(level: str) -> None:
    global _handler
    _handler = _BufferedHandler()
    _handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    for name in ("lcgraph", "lcgraph.access", "lcgraph.api"):
        logger = logging.getLogger(name)
        logger.setLevel(level.upper())
        logger.handlers = [_handler]
        logger.propagate = False


async def _drain_logs() -> None:
    while True:
        await asyncio.sleep(0.2)
        if _handler is not None:
            _handler.drain()


def _listen(host: str, port: int) -> socket.socket:
    """This process's listening socket on the shared address (``SO_REUSEPORT``: the kernel balances)."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(1024)
    sock.setblocking(False)
    return sock


def main(argv: list[str]) -> None:
    """Entry point: ``python -m lcgraph.api.front`` with the configuration pickled on stdin."""
    from lcgraph.api.query_worker import _die_with_parent

    _die_with_parent()
    config: dict[str, Any] = pickle.loads(sys.stdin.buffer.read())
    _configure_logging(config.get("log_level", "info"))
    sock = _listen(config["host"], config["port"])
    front = Front(config["settings"], config["upstream"], Path(config["snapshots"]))
    try:
        import uvloop

        runner = uvloop.run
    except ImportError:  # pragma: no cover - uvloop comes with uvicorn[standard]
        runner = asyncio.run
    code = runner(front.serve(sock))
    logging.shutdown()
    sys.stdout.flush()
    os._exit(code)  # evaluation threads may still be inside the engine: leave without joining them


if __name__ == "__main__":
    main(sys.argv)
