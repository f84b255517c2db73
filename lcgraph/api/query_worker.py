"""Query evaluation outside the web server, so a runaway query can be stopped.

For :mod:`lcgraph.api.query_pool`. pyoxigraph cannot interrupt a running
evaluation from another Python thread, so each query runs in a worker
process over a read-only snapshot of the store (a RocksDB checkpoint, see
:mod:`lcgraph.api.snapshots`); on timeout the server kills the process and
starts a fresh one. The engine evaluates and serialises; this module only
moves the bytes it writes back to the server, in frames over a socket:

    tag (1 byte) | length (4 bytes, big-endian) | payload

Server → worker: ``Q`` a job (JSON). Worker → server: ``R`` ready; ``A`` a
whole small answer (head JSON, newline, body); or for a big one ``H`` head
(JSON: result kind and format), ``D`` data…, ``E`` end (JSON); ``X`` error
(JSON: status and message; for 406 the message is the result kind).
:func:`evaluate` is also used in-thread for in-memory datasets (tests,
scratch stores), where no other process can share the store.

This module imports only pyoxigraph and the standard library, so a worker
starts fast.
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import struct
import sys
import time
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import pyoxigraph as ox

from lcgraph.store.dataset import dataset_arguments

HEADER = struct.Struct(">cI")
CHUNK = 256 * 1024

Emit = Callable[[bytes, bytes], None]
"""Send one frame: ``emit(tag, payload)``."""


class ResultTooLarge(Exception):
    """The serialised answer passed the configured byte limit."""


class _FrameWriter:
    """A binary file-like object the engine serialises into; sends ``D`` frames.

    Output is held back until :data:`CHUNK` bytes are ready, so a small answer
    travels as one frame. Past ``max_bytes`` it raises, which makes the engine
    stop serialising (and so stop evaluating).
    """

    def __init__(self, emit: Emit, head: dict[str, Any], max_bytes: int) -> None:
        self._emit = emit
        self._head = head
        self._max = max_bytes
        self._parts: list[bytes] = []
        self._held = 0
        self.total = 0
        self.too_large = False
        self.head_sent = False

    def write(self, data: bytes) -> int:
        n = len(data)
        self.total += n
        if self._max and self.total > self._max:
            self.too_large = True
            raise ResultTooLarge()
        self._parts.append(bytes(data))
        self._held += n
        if self._held >= CHUNK:
            self.flush()
        return n

    def finish(self) -> None:
        """Send what is held: one ``A`` frame if nothing went out yet, else the last ``D``."""
        if self.head_sent:
            self.flush()
        else:
            self._emit(
                b"A", _head_json(self._head["kind"], self._head["format"]) + b"\n" + b"".join(self._parts)
            )
            self._parts, self._held = [], 0

    def flush(self) -> None:
        if not self.head_sent:
            self._emit(b"H", json.dumps(self._head).encode())
            self.head_sent = True
        if self._parts:
            self._emit(b"D", b"".join(self._parts))
            self._parts, self._held = [], 0


def _graph_term(iri: str) -> ox.NamedNode | ox.DefaultGraph:
    return ox.DefaultGraph() if iri == "" else ox.NamedNode(iri)


def _dataset_options(store: ox.Store, job: dict[str, Any]) -> tuple[ox.Store, dict[str, Any]]:
    """The store and engine dataset arguments for a job (set semantics, the caller's view)."""
    hidden = frozenset(job.get("hidden") or ())
    store, options = dataset_arguments(
        store,
        include_private=not hidden,
        default_graph=job.get("default_graph"),
        named_graphs=job.get("named_graphs"),
    )
    if job.get("base_iri"):
        options["base_iri"] = job["base_iri"]
    return store, options


def _functions(query: str) -> dict[str, Any]:
    """lcgraph's own SPARQL functions (``lc:textScore``), for the queries that name them."""
    if "textScore" not in query:
        return {}
    from lcgraph.publish.search import sparql_functions

    return {"custom_functions": sparql_functions()}


def _substitutions(job: dict[str, Any]) -> dict[str, Any]:
    """Variables bound to RDF terms by the engine (canned-query parameters).

    Terms travel to the worker in N-Triples syntax and are read back by the
    engine's own parser, so a value can never become SPARQL text.
    """
    given = job.get("substitutions")
    if not given:
        return {}
    terms = {}
    for name, term in given.items():
        triple = next(iter(ox.parse(f"<urn:x:s> <urn:x:p> {term} .", format=ox.RdfFormat.N_TRIPLES)))
        terms[ox.Variable(name)] = triple.object
    return {"substitutions": terms}


def _error_frame(status: int, message: str) -> tuple[bytes, bytes]:
    return b"X", json.dumps({"status": status, "message": message}).encode()


def _error(emit: Emit, status: int, message: str) -> None:
    emit(*_error_frame(status, message))


_ENGINE_POSITION = re.compile(r"^error at (\d+):(\d+): (.*)$", re.DOTALL)


def _syntax_message(exc: SyntaxError) -> str:
    text = exc.msg or str(exc)
    if len(text) > 240:
        # The engine lists every expected token; the first few say enough.
        text = text[:240].rsplit(",", 1)[0] + ", …"
    if exc.lineno is not None:
        return f"syntax error in the query at line {exc.lineno}, column {exc.offset}: {text}"
    # The engine's query parser reports its position inside the text as "error at L:C".
    where = _ENGINE_POSITION.match(text)
    if where:
        line, column, rest = where.groups()
        return f"syntax error in the query at line {line}, column {column}: {rest}"
    return f"syntax error in the query: {text}"


def _too_large_message(max_bytes: int) -> str:
    return (
        f"the answer is larger than this service's limit of {max_bytes} bytes; "
        "narrow the query or add a LIMIT"
    )


@lru_cache(maxsize=64)
def _head_json(kind: str, fmt_name: str) -> bytes:
    return json.dumps({"kind": kind, "format": fmt_name}).encode()


class Plan:
    """A job made ready for the engine on one store: its arguments are worked out once.

    A process that answers the same query text many times on one snapshot
    (see :mod:`lcgraph.api.front`) keeps the plan and calls :meth:`run`
    each time; :func:`evaluate` is the one-off form.
    """

    __slots__ = ("query", "options", "formats", "max_bytes", "copy")

    def __init__(self, store: ox.Store, job: dict[str, Any]) -> None:
        self.query: str = job["query"]
        target, dataset = _dataset_options(store, job)
        # Several default graphs are merged into an in-memory copy (set semantics).
        self.copy: ox.Store | None = None if target is store else target
        self.options = {**dataset, **_substitutions(job), **_functions(self.query)}
        results, graph = job.get("results_format"), job.get("graph_format")
        self.formats: dict[str, tuple[str, Any] | None] = {
            "results": (results, getattr(ox.QueryResultsFormat, results)) if results else None,
            "boolean": (results, getattr(ox.QueryResultsFormat, results)) if results else None,
            "graph": (graph, getattr(ox.RdfFormat, graph)) if graph else None,
        }
        self.max_bytes = int(job.get("max_bytes") or 0)

    def _start(self, store: ox.Store) -> tuple[Any, str, tuple[str, Any]] | tuple[bytes, bytes]:
        """The engine's lazy result, its kind and format — or an ``X`` frame saying why not."""
        try:
            result = (self.copy or store).query(self.query, **self.options)
        except SyntaxError as exc:
            return _error_frame(400, _syntax_message(exc))
        except (ValueError, TypeError) as exc:
            return _error_frame(400, f"the query cannot be evaluated: {exc}")
        except OSError as exc:
            return _error_frame(503, f"the store could not be read: {exc}")
        if isinstance(result, ox.QuerySolutions):
            kind = "results"
        elif isinstance(result, ox.QueryBoolean):
            kind = "boolean"
        else:
            kind = "graph"
        chosen = self.formats[kind]
        if chosen is None:
            return _error_frame(406, kind)
        return result, kind, chosen

    def whole(self, store: ox.Store) -> tuple[bytes, bytes, bytes]:
        """Evaluate and serialise in one engine call, for answers known to be small and quick.

        Returns ``(b"A", head JSON, body)``, or ``(b"X", error JSON, b"")``.
        The time limit cannot act while it runs.
        """
        started = self._start(store)
        if len(started) == 2:
            return started[0], started[1], b""
        result, kind, (fmt_name, engine_format) = started
        try:
            body = result.serialize(format=engine_format)
        except Exception as exc:  # noqa: BLE001 - lazy evaluation errors surface here
            return (*_error_frame(400, f"the query failed during evaluation: {exc}"), b"")
        if self.max_bytes and len(body) > self.max_bytes:
            return (*_error_frame(422, _too_large_message(self.max_bytes)), b"")
        return b"A", _head_json(kind, fmt_name), body

    def run(self, store: ox.Store, emit: Emit) -> None:
        """Evaluate on ``store`` and send the frames (never raises for bad input).

        A small answer goes as one ``A`` frame; a big one is streamed (``H``,
        ``D``…, ``E``) once it outgrows one chunk.
        """
        began = time.perf_counter()
        started = self._start(store)
        if len(started) == 2:
            emit(*started)
            return
        result, kind, (fmt_name, engine_format) = started
        max_bytes = self.max_bytes
        writer = _FrameWriter(emit, {"kind": kind, "format": fmt_name}, max_bytes)
        try:
            result.serialize(writer, engine_format)
        except Exception as exc:  # the engine reports lazy evaluation errors while writing
            if writer.too_large:
                return _error(emit, 422, _too_large_message(max_bytes))
            return _error(emit, 400, f"the query failed during evaluation: {exc}")
        streamed = writer.head_sent
        writer.finish()
        if streamed:
            emit(b"E", json.dumps({"bytes": writer.total, "seconds": time.perf_counter() - began}).encode())


def evaluate(store: ox.Store, job: dict[str, Any], emit: Emit) -> None:
    """Evaluate one job against ``store`` and send its frames (never raises for bad input)."""
    try:
        plan = Plan(store, job)
    except (ValueError, TypeError, SyntaxError) as exc:  # e.g. a substitution that is not a term
        return _error(emit, 400, f"the query cannot be evaluated: {exc}")
    except OSError as exc:
        return _error(emit, 503, f"the store could not be read: {exc}")
    plan.run(store, emit)
    return None


# -- the worker process --------------------------------------------------------


def _read_exact(sock: socket.socket, n: int) -> bytes | None:
    buf = bytearray()
    while len(buf) < n:
        part = sock.recv(n - len(buf))
        if not part:
            return None
        buf += part
    return bytes(buf)


def _serve(sock: socket.socket) -> None:
    store: ox.Store | None = None
    opened: str | None = None
    out: list[bytes] = []

    def emit(tag: bytes, payload: bytes) -> None:
        out.append(HEADER.pack(tag, len(payload)) + payload)
        # Data frames go out at once (streaming); the rest waits for the end.
        if tag == b"D" and len(payload) >= CHUNK:
            sock.sendall(b"".join(out))
            out.clear()

    sock.sendall(HEADER.pack(b"R", 0))
    while True:
        header = _read_exact(sock, HEADER.size)
        if header is None:
            return
        tag, size = HEADER.unpack(header)
        payload = _read_exact(sock, size) or b""
        if tag != b"Q":
            continue
        job = json.loads(payload)
        if job["snapshot"] != opened:
            store = None  # close the old snapshot before opening the new one
            store = ox.Store.read_only(job["snapshot"])
            opened = job["snapshot"]
        assert store is not None
        evaluate(store, job, emit)
        sock.sendall(b"".join(out))
        out.clear()


def _die_with_parent() -> None:
    """Ask Linux to kill this worker if the server dies (even by SIGKILL), so no query runs on orphaned."""
    if sys.platform != "linux":
        return
    import ctypes
    import signal

    pr_set_pdeathsig = 1
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)


def main(argv: list[str]) -> None:
    """Entry point of a worker process: ``python -m lcgraph.api.query_worker FD``."""
    _die_with_parent()
    sock = socket.socket(fileno=int(argv[1]))
    with contextlib.suppress(BrokenPipeError, ConnectionResetError, KeyboardInterrupt):
        _serve(sock)


if __name__ == "__main__":
    main(sys.argv)
