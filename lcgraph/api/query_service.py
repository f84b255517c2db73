"""The one query path: a typed job, evaluated on the caller's read view, the engine's bytes streamed.

For every route that answers a SPARQL query (``/sparql``, ``/queries/…``)
and the tests. :func:`make_job` turns a protocol operation and a caller
into a frozen :class:`QueryJob` (formats negotiated, privacy decided);
:func:`answer` evaluates it on a :class:`~lcgraph.api.views.ReadView`
and returns the HTTP response. :func:`evaluate` is the blocking core (the
engine evaluates and serialises into any binary sink).

Where a job runs: in a thread, with the time limit below — except a job
that, on the same snapshot, last finished within :data:`INLINE_CPU` of CPU
with an answer under :data:`INLINE_BYTES`. Such a job is evaluated on the
event loop itself (a hand-off to a thread and back costs more than the
engine's work for a selective query). The memory of which jobs were quick
(:class:`CostMemory`) holds digests only, at most :data:`COST_ENTRIES` of
them; the first evaluation of any job, and of any job on a newer snapshot,
runs in a thread, so a query that runs away always meets its time limit there.

What a caller may read is decided in exactly one function,
:func:`dataset_options` (the engine's dataset arguments).

Time limit: the first :data:`HOLD_BACK` bytes are held before the status
line, so most failures (syntax, time limit, size limit) get a proper status.
When the limit passes first, the client gets its 503 at once and the engine
is stopped at its next write. An evaluation still running after
:data:`LONG_QUERY` seconds gets the lowest CPU priority once other
evaluations run beside it, so quick queries keep their speed beside long
ones (alone, it keeps its priority). An evaluation that computes without writing
cannot be stopped inside a process (pyoxigraph has no interruption): after
:data:`STOP_GRACE` seconds the runtime's ``on_stuck`` is called — a query
process of ``lcgraph serve`` then drains and is replaced by the server's
supervisor, so the stray evaluation ends with it. A failure after streaming
began cuts the connection, so a client never takes a cut answer for a
whole one.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import io
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pyoxigraph as ox
from starlette.responses import Response, StreamingResponse

from lcgraph.api import streaming
from lcgraph.api.errors import (
    ApiError,
    BadRequest,
    Forbidden,
    NotAcceptable,
    ServiceUnavailable,
    Unprocessable,
    store_error,
)
from lcgraph.api.negotiation import (
    GRAPH_FORMATS,
    RESULTS_FORMATS,
    Format,
    choose,
    not_acceptable_message,
)
from lcgraph.api.protocol_request import QueryOperation
from lcgraph.api.views import ReadView
from lcgraph.publish import privacy
from lcgraph.publish.search import sparql_functions
from lcgraph.store.dataset_clause import NestingTooDeep, check_nesting
from lcgraph.store.formats import write_answer
from lcgraph.store.repository import StoreUnavailable

HOLD_BACK = 1024 * 1024
STOP_GRACE = 1.0
LONG_QUERY = 0.5
"""Seconds after which an evaluation yields the CPU to newer ones (lowest thread priority)."""
SMALL_HEADERS = 512
"""``Accept`` + ``format=`` values up to this many bytes have their negotiated formats remembered."""
SMALL_QUERY = 4096
"""Query texts up to this many bytes may be cache keys themselves; longer ones are keyed by digest."""
INLINE_CPU = 0.002
"""CPU seconds within which a job's last evaluation in a thread must have finished for it to run inline."""
INLINE_WALL = 0.01
"""Wall-clock seconds past which an evaluation on the event loop goes back to a thread to be timed again."""
INLINE_BYTES = 64 * 1024
"""Answer size up to which a quick job may run inline."""
COST_ENTRIES = 8192
"""Digests of quick jobs remembered per process (least recently used out first)."""

Term = ox.NamedNode | ox.BlankNode | ox.Literal


@dataclass(frozen=True)
class QueryJob:
    """Everything needed to evaluate one query for one caller."""

    query: str
    may_read_private: bool
    default_graphs: tuple[str, ...] | None = None
    named_graphs: tuple[str, ...] | None = None
    results_format: Format | None = RESULTS_FORMATS[0]
    graph_format: Format | None = GRAPH_FORMATS[0]
    format_param: str | None = None
    base_iri: str | None = None
    substitutions: tuple[tuple[str, Term], ...] = ()
    max_bytes: int = 0
    timeout: float = 30.0

    @functools.cached_property
    def digest(self) -> bytes:
        """A digest of what the engine is asked (query, dataset, caller's view, formats, bindings, base)."""
        parts = (
            self.query,
            repr((self.default_graphs, self.named_graphs, self.may_read_private, self.base_iri)),
            self.results_format.key if self.results_format else "",
            self.graph_format.key if self.graph_format else "",
            repr(self.substitutions),
        )
        return hashlib.blake2b("\0".join(parts).encode(), digest_size=16).digest()


class QueryTimeout(ServiceUnavailable):
    """The query ran past the time limit and was stopped."""


class AbortedStream(Exception):
    """The answer failed after its first bytes were sent; the connection must be cut."""


# -- who may read what -----------------------------------------------------------------


def dataset_options(
    principal_may_read_private: bool,
    default_graphs: Sequence[str] | None,
    named_graphs: Sequence[str] | None,
) -> dict[str, Any]:
    """The repository's dataset arguments for a caller (the one place that decides what a caller reads).

    ``default_graphs``/``named_graphs`` are the graphs the request named
    (protocol parameters, else the query's ``FROM``/``FROM NAMED``), ``None``
    when it named none. Naming the private graph without the right is
    refused (403). With no dataset named, the default graph is the union of
    the graphs the caller may read, each triple once; several named default
    graphs are merged with set semantics too (the repository does both:
    :meth:`lcgraph.store.repository.Repository.query`).
    """
    if default_graphs is not None or named_graphs is not None:
        if not principal_may_read_private:
            for graph in (*(default_graphs or ()), *(named_graphs or ())):
                try:
                    privacy.check_graph_readable(graph, principal_may_read_private)
                except privacy.QueryRefused as exc:
                    raise Forbidden(str(exc)) from None
        return {
            "include_private": principal_may_read_private,
            "default_graph": list(default_graphs or ()),
            "named_graphs": list(named_graphs or ()),
        }
    return {"include_private": principal_may_read_private}


# -- the query's own dataset clause (FROM, FROM NAMED, SERVICE) -------------------------


class DigestCache:
    """A small cache bounded in bytes (as the caller counts them), least recently used out first."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._items: OrderedDict[Any, tuple[Any, int]] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get(self, key: Any) -> Any:
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return None
            self._items.move_to_end(key)
            return item[0]

    def put(self, key: Any, value: Any, size: int) -> None:
        if size > self.max_bytes // 4:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._size -= old[1]
            self._items[key] = (value, size)
            self._size += size
            while self._size > self.max_bytes and self._items:
                _, (_, dropped) = self._items.popitem(last=False)
                self._size -= dropped

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._size = 0

    @property
    def size(self) -> int:
        return self._size


_clauses = DigestCache(4 * 1024 * 1024)


def _read_clause(query: str) -> tuple[tuple[str, ...], tuple[str, ...], bool]:
    try:
        check_nesting(query)
    except NestingTooDeep as exc:
        raise BadRequest(str(exc)) from None
    clause = privacy.read_dataset_clause(query)
    return tuple(clause.default), tuple(clause.named), clause.uses_service


def query_key(text: str) -> str | bytes:
    """A cache key for a query text: the text itself when short, else its digest."""
    return text if len(text) <= SMALL_QUERY else hashlib.blake2b(text.encode(), digest_size=20).digest()


def dataset_clause(query: str) -> tuple[tuple[str, ...], tuple[str, ...], bool]:
    """The query's ``FROM`` IRIs, ``FROM NAMED`` IRIs and whether it uses ``SERVICE`` (cached by digest)."""
    key = query_key(query)
    found = _clauses.get(key)
    if found is None:
        try:
            found = _read_clause(query)
        except privacy.QueryRefused as exc:
            raise Forbidden(str(exc)) from None
        size = 200 + sum(len(g) for g in (*found[0], *found[1])) + (len(key) if isinstance(key, str) else 20)
        _clauses.put(key, found, size)
    return found


# -- jobs ---------------------------------------------------------------------------


def _choose_formats(accept: str | None, format_param: str | None) -> tuple[Format | None, Format | None]:
    return choose(accept, RESULTS_FORMATS, format_param), choose(accept, GRAPH_FORMATS, format_param)


# Clients send a handful of Accept values; short ones (at most SMALL_HEADERS bytes each) are remembered.
_formats = functools.lru_cache(maxsize=512)(_choose_formats)


def make_job(
    op: QueryOperation,
    *,
    may_read_private: bool,
    accept: str | None,
    format_param: str | None,
    base_iri: str | None,
    max_bytes: int,
    timeout: float,
    substitutions: dict[str, Term] | None = None,
) -> QueryJob:
    """The job for a query from a caller (403 for SERVICE or a private graph it may not read)."""
    default_from, named_from, uses_service = dataset_clause(op.query)
    if uses_service:
        raise Forbidden(
            "SERVICE (federated query) is not run by this endpoint: the server never fetches other "
            "URLs on a client's behalf; run the remote part on its own endpoint"
        )
    default, named = op.default_graphs, op.named_graphs
    if default is None and named is None and (default_from or named_from):
        default, named = default_from, named_from
    if default is not None or named is not None:
        default, named = tuple(default or ()), tuple(named or ())
    if len(accept or "") + len(format_param or "") <= SMALL_HEADERS:
        results_format, graph_format = _formats(accept, format_param)
    else:
        results_format, graph_format = _choose_formats(accept, format_param)
    return QueryJob(
        query=op.query,
        may_read_private=may_read_private,
        default_graphs=default,
        named_graphs=named,
        results_format=results_format,
        graph_format=graph_format,
        format_param=format_param,
        base_iri=base_iri,
        substitutions=tuple((substitutions or {}).items()),
        max_bytes=max_bytes,
        timeout=timeout,
    )


# -- evaluation (blocking) ------------------------------------------------------------------

_ENGINE_POSITION = re.compile(r"^error at (\d+):(\d+): (.*)$", re.DOTALL)


def _syntax_message(exc: SyntaxError) -> str:
    text = exc.msg or str(exc)
    if len(text) > 240:
        # The engine lists every expected token; the first few say enough.
        text = text[:240].rsplit(",", 1)[0] + ", …"
    if exc.lineno is not None:
        return f"syntax error in the query at line {exc.lineno}, column {exc.offset}: {text}"
    where = _ENGINE_POSITION.match(text)
    if where:
        line, column, rest = where.groups()
        return f"syntax error in the query at line {line}, column {column}: {rest}"
    return f"syntax error in the query: {text}"


def too_large_message(max_bytes: int) -> str:
    return (
        f"the answer is larger than this service's limit of {max_bytes} bytes; "
        "narrow the query or add a LIMIT"
    )


def time_limit_message(seconds: float) -> str:
    return (
        f"the query ran longer than this service's limit of {seconds:g} s and was stopped; "
        "narrow it (more selective patterns, a LIMIT) and try again"
    )


class _Limited:
    """A binary sink that refuses to grow past ``max_bytes``."""

    def __init__(self, sink: Any, max_bytes: int) -> None:
        self._sink = sink
        self._max = max_bytes
        self.total = 0
        self.too_large = False

    def write(self, data: bytes) -> int:
        self.total += len(data)
        if self._max and self.total > self._max:
            self.too_large = True
            raise Unprocessable(too_large_message(self._max))
        return self._sink.write(data)

    def flush(self) -> None:
        return None  # the sink hands on whole chunks by itself


def evaluate(view: ReadView, job: QueryJob, sink: Any, on_format: Callable[[Format], None]) -> None:
    """Evaluate ``job`` on ``view`` and let the engine serialise into ``sink`` (raises :class:`ApiError`).

    ``on_format`` learns the answer's format before the first byte is written.
    """
    options = dataset_options(job.may_read_private, job.default_graphs, job.named_graphs)
    if job.base_iri:
        options["base_iri"] = job.base_iri
    if job.substitutions:
        options["substitutions"] = dict(job.substitutions)
    if "textScore" in job.query:
        options["custom_functions"] = sparql_functions()
    try:
        # A remote store's own answer bytes, when it writes the client's format (else the engine's path).
        passed = (
            view.dataset.answer_bytes(job.query, job.results_format, **options)
            if job.results_format
            else None
        )
        result = view.dataset.query(job.query, **options) if not passed else None
    except SyntaxError as exc:
        raise BadRequest(_syntax_message(exc)) from None
    except (ValueError, TypeError) as exc:
        raise BadRequest(f"the query cannot be evaluated: {exc}") from None
    except OSError as exc:
        raise ServiceUnavailable(f"the store could not be read: {exc}") from None
    except StoreUnavailable as exc:
        raise store_error(exc) from None
    if passed:
        on_format(passed.format)
        getattr(sink, "when_cancelled", lambda _: None)(passed.close)
        try:
            passed.write_to(_Limited(sink, job.max_bytes))
        except StoreUnavailable as exc:
            raise store_error(exc) from None
        return
    assert result is not None
    graph = not isinstance(result, ox.QuerySolutions | ox.QueryBoolean)
    fmt = job.graph_format if graph else job.results_format
    if fmt is None:
        offered, what = (
            (GRAPH_FORMATS, "CONSTRUCT/DESCRIBE results")
            if graph
            else (RESULTS_FORMATS, "SELECT/ASK results")
        )
        raise NotAcceptable(not_acceptable_message(offered, what, job.format_param))
    on_format(fmt)
    limited = _Limited(sink, job.max_bytes)
    try:
        write_answer(result, limited, fmt)
    except (ApiError, streaming.Cancelled):
        raise
    except Exception as exc:  # the engine reports lazy evaluation errors while writing
        if limited.too_large:
            raise Unprocessable(too_large_message(job.max_bytes)) from None
        raise BadRequest(f"the query failed during evaluation: {exc}") from None


# -- which jobs are quick enough to run on the event loop -------------------------------------


class CostMemory:
    """The jobs whose last evaluation on a given snapshot was quick: ``(digest, generation)`` keys only."""

    def __init__(self, entries: int = COST_ENTRIES) -> None:
        self.entries = entries
        self._quick: OrderedDict[tuple[bytes, int], None] = OrderedDict()
        self._lock = threading.Lock()
        self.inline_runs = 0  # evaluations made on the event loop (for operators and tests)

    def quick(self, key: tuple[bytes, int]) -> bool:
        with self._lock:
            if key not in self._quick:
                return False
            self._quick.move_to_end(key)
            return True

    def note(self, key: tuple[bytes, int], seconds: float, size: int, limit: float = INLINE_CPU) -> None:
        """Remember how the evaluation of ``key`` went: kept if it took at most ``limit`` seconds."""
        with self._lock:
            if seconds <= limit and size <= INLINE_BYTES:
                self._quick[key] = None
                self._quick.move_to_end(key)
                while len(self._quick) > self.entries:
                    self._quick.popitem(last=False)
            else:
                self._quick.pop(key, None)

    def __len__(self) -> int:
        return len(self._quick)


costs = CostMemory()


# -- answering over HTTP ----------------------------------------------------------------------

_VARY = {"Vary": "Accept, Authorization"}  # who asks decides what the answer holds
_PRIVATE = {**_VARY, "Cache-Control": "private"}


async def answer(view: ReadView, job: QueryJob, on_stuck: Callable[[], None] | None = None) -> Response:
    """Evaluate ``job`` on ``view`` within its time limit; the response, or an :class:`ApiError`."""
    key = (job.digest, view.generation)
    if view.local and costs.quick(key):
        return _answer_inline(view, job, key)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + job.timeout

    def work(sink: streaming.ThreadStream) -> None:
        def on_format(fmt: Format) -> None:
            sink.info = fmt

        started = time.thread_time()
        evaluate(view, job, sink, on_format)
        if view.local:
            costs.note(key, time.thread_time() - started, sink.written)

    stream = streaming.start(work)
    loop.call_later(LONG_QUERY, _yield_when_busy, loop, stream)  # a long query never slows quick ones
    parts: list[bytes] = []
    held = 0
    try:
        async with asyncio.timeout_at(deadline):
            while held < HOLD_BACK:
                chunk = await stream.get()
                if chunk is None:
                    fmt: Format = stream.info
                    return Response(b"".join(parts), media_type=fmt.content_type, headers=_headers(job))
                parts.append(chunk)
                held += len(chunk)
    except TimeoutError:
        _stop(stream, on_stuck)
        raise QueryTimeout(time_limit_message(job.timeout)) from None
    except asyncio.CancelledError:
        _stop(stream, on_stuck)
        raise
    fmt = stream.info
    return StreamingResponse(
        _rest(stream, parts, deadline, job, on_stuck), media_type=fmt.content_type, headers=_headers(job)
    )


def _answer_inline(view: ReadView, job: QueryJob, key: tuple[bytes, int]) -> Response:
    """Evaluate a job known to be quick on this snapshot here, on the event loop.

    Timed by the wall clock (reading a thread's CPU clock is a system call), which also
    counts the time other programs had the CPU: past :data:`INLINE_WALL` the job goes back
    to a thread, to be timed again by its CPU time.
    """
    costs.inline_runs += 1
    sink = io.BytesIO()
    formats: list[Format] = []
    started = time.perf_counter()
    evaluate(view, job, sink, formats.append)
    costs.note(key, time.perf_counter() - started, sink.tell(), INLINE_WALL)
    return Response(sink.getvalue(), media_type=formats[0].content_type, headers=_headers(job))


def _yield_when_busy(loop: asyncio.AbstractEventLoop, stream: streaming.ThreadStream) -> None:
    """Lower a long evaluation's priority once other work in this process wants the CPU.

    Not before: a lowered thread competes with every process on the machine
    at the lowest priority, so a long answer alone would be starved by
    unrelated load for nothing.
    """
    if stream.finished.is_set() or stream.lowered:
        return
    if streaming.running() > 1:
        stream.lower_priority()
    else:
        loop.call_later(LONG_QUERY, _yield_when_busy, loop, stream)


def _headers(job: QueryJob) -> dict[str, str]:
    """An answer that may hold personal data must not be kept by shared caches."""
    return _PRIVATE if job.may_read_private else _VARY


async def _rest(
    stream: streaming.ThreadStream,
    held: list[bytes],
    deadline: float,
    job: QueryJob,
    on_stuck: Callable[[], None] | None,
) -> Any:
    finished = False
    try:
        for part in held:
            yield part
        held.clear()
        while True:
            try:
                async with asyncio.timeout_at(deadline):
                    chunk = await stream.get()
            except TimeoutError:
                raise AbortedStream(time_limit_message(job.timeout)) from None
            except ApiError as exc:
                raise AbortedStream(exc.message) from None
            if chunk is None:
                finished = True
                return
            yield chunk
    finally:
        if not finished:
            _stop(stream, on_stuck)


def _stop(stream: streaming.ThreadStream, on_stuck: Callable[[], None] | None) -> None:
    """Stop the evaluation; if it does not let go within :data:`STOP_GRACE`, call ``on_stuck``."""
    stream.cancel()
    if on_stuck is None or stream.finished.is_set():
        return

    def check() -> None:
        if not stream.finished.is_set():
            on_stuck()

    asyncio.get_running_loop().call_later(STOP_GRACE, check)
