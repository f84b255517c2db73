"""Bytes written by blocking code in a thread, read by the event loop: the one helper for it.

For the query service (the engine serialises an answer) and the Graph Store
(the engine dumps a graph). :func:`start` runs ``work(sink)`` in a thread;
``sink`` is a binary file-like object the engine writes into. Output is
gathered into chunks of :data:`CHUNK` bytes and handed to the event loop; at
most :data:`QUEUED` chunks wait there, so a slow client slows the engine
instead of filling memory. :meth:`ThreadStream.cancel` makes the engine's
next write raise, which stops the serialisation (and the evaluation that
feeds it); :attr:`ThreadStream.finished` tells whether the thread has let go.

Threads are kept for the next piece of work: starting a thread per quick
query (and waiting for it to run) took about a third of a query process's
time. :meth:`ThreadStream.lower_priority` makes a long-running piece of work
yield the CPU to newer ones (Linux thread nice value); a thread whose
priority was lowered ends with its work, because an unprivileged process
cannot raise it back, so a lowered priority never carries over to the next
piece of work. :func:`running` counts the pieces of work under way, so a
caller lowers a long one only when others wait for the CPU.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import queue
import threading
from collections.abc import AsyncIterator, Callable
from typing import Any

CHUNK = 256 * 1024
QUEUED = 8
IDLE_THREADS = 32
"""Finished threads kept waiting for the next piece of work (more than this end)."""

_END = object()
LOW_PRIORITY = 19


class Cancelled(Exception):
    """Raised inside the engine's write call once nobody waits for the output."""


class ThreadStream:
    """The output of one piece of blocking work, as chunks for the event loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop, chunk: int = CHUNK) -> None:
        self._loop = loop
        self._chunk = chunk
        self._queue: asyncio.Queue[Any] = asyncio.Queue()
        self._room = threading.Semaphore(QUEUED)
        self._parts: list[bytes] = []
        self._held = 0
        self.written = 0
        self.cancelled = False
        self.lowered = False
        self.finished = threading.Event()
        self._state = threading.Lock()  # orders lower_priority against the end of the work
        self.info: Any = None  # what the work says about its output before writing it (e.g. a format)
        self.thread_id: int | None = None
        self._on_cancel: list[Callable[[], None]] = []

    # -- the thread's side (a binary file-like object) -----------------------------

    def write(self, data: bytes) -> int:
        if self.cancelled:
            raise Cancelled()
        n = len(data)
        self._parts.append(bytes(data))
        self._held += n
        self.written += n
        if self._held >= self._chunk:
            self.flush()
        return n

    def flush(self) -> None:
        if self._parts:
            self._put(self._take())

    def _take(self) -> bytes:
        chunk = b"".join(self._parts)
        self._parts, self._held = [], 0
        return chunk

    def _wait_for_room(self) -> None:
        # Wait for room, but never forever: a cancelled stream stops at once.
        while not self._room.acquire(timeout=0.2):
            if self.cancelled:
                raise Cancelled()

    def _put(self, item: Any) -> None:
        self._wait_for_room()
        self._loop.call_soon_threadsafe(self._queue.put_nowait, item)

    def _run(self, work: Callable[[ThreadStream], None]) -> None:
        global _running
        self.thread_id = threading.get_native_id()
        last = b""
        try:
            work(self)
            if not self.cancelled and self._parts:
                self._wait_for_room()
                last = self._take()
            outcome: Any = _END
        except BaseException as exc:  # noqa: BLE001 - handed to the reader
            # Without its frames: they hold engine objects that must be dropped in this thread.
            exc.__traceback__ = exc.__context__ = exc.__cause__ = None
            outcome = exc
        finally:
            with self._state:
                self.finished.set()
            with _lock:
                _running -= 1
        if not self.cancelled:
            # The last chunk travels with the end: one wake-up of the event loop for a quick answer.
            self._room.release()  # the end always fits
            self._loop.call_soon_threadsafe(self._end, last, outcome)

    def _end(self, last: bytes, outcome: Any) -> None:
        if last:
            self._queue.put_nowait(last)
        self._queue.put_nowait(outcome)

    # -- the event loop's side ---------------------------------------------------

    async def get(self) -> bytes | None:
        """The next chunk, ``None`` at the end; raises what the work raised."""
        item = await self._queue.get()
        self._room.release()
        if item is _END:
            return None
        if isinstance(item, BaseException):
            raise item
        return item

    def lower_priority(self) -> None:
        """Let newer work run first: the thread still at work gets the lowest CPU priority.

        That thread ends with this work (its priority cannot be raised back).
        """
        with self._state:
            if self.thread_id is None or self.finished.is_set():
                return
            self.lowered = True
            with contextlib.suppress(OSError, AttributeError):
                os.setpriority(os.PRIO_PROCESS, self.thread_id, LOW_PRIORITY)

    def cancel(self) -> None:
        """Ask the work to stop at its next write; its output is dropped."""
        self.cancelled = True
        for stop in self._on_cancel:
            stop()

    def when_cancelled(self, stop: Callable[[], None]) -> None:
        """Also call ``stop`` on cancel: for work blocked reading (a remote store's answer), not writing."""
        self._on_cancel.append(stop)
        if self.cancelled:
            stop()

    async def chunks(self, first: list[bytes] | None = None) -> AsyncIterator[bytes]:
        """``first`` (chunks already taken), then the rest; cancels the work if the reader leaves."""
        try:
            for part in first or ():
                yield part
            while (chunk := await self.get()) is not None:
                yield chunk
        finally:
            self.cancel()


Job = tuple[ThreadStream, Callable[[ThreadStream], None]]


class _Worker:
    """A thread that runs one piece of work after another while its priority stays normal."""

    def __init__(self) -> None:
        self.jobs: queue.SimpleQueue[Job] = queue.SimpleQueue()
        threading.Thread(target=self._loop, name="lcgraph-stream", daemon=True).start()

    def _loop(self) -> None:
        while True:
            stream, work = self.jobs.get()
            stream._run(work)
            lowered = stream.lowered
            del stream, work  # the engine's objects go before the thread waits again
            if lowered or not _park(self):
                return


_idle: list[_Worker] = []
_lock = threading.Lock()
_running = 0
# A forked child has none of its parent's threads: it starts with no idle ones.
os.register_at_fork(after_in_child=_idle.clear)


def _park(worker: _Worker) -> bool:
    with _lock:
        if len(_idle) >= IDLE_THREADS:
            return False
        _idle.append(worker)
        return True


def running() -> int:
    """Pieces of work under way in this process."""
    return _running


def start(work: Callable[[ThreadStream], None], chunk: int = CHUNK) -> ThreadStream:
    """Run ``work(stream)`` in a thread with nothing else to do; read its output from the returned stream."""
    global _running
    stream = ThreadStream(asyncio.get_running_loop(), chunk)
    with _lock:
        _running += 1
        worker = _idle.pop() if _idle else None
    (worker or _Worker()).jobs.put((stream, work))
    return stream
