"""Bytes written by blocking code in a thread, read by the event loop: the one helper for it.

For the query service (the engine serialises an answer) and the Graph Store
(the engine dumps a graph). :func:`start` runs ``work(sink)`` in a thread of
its own; ``sink`` is a binary file-like object the engine writes into.
Output is gathered into chunks of :data:`CHUNK` bytes and handed to the
event loop; at most :data:`QUEUED` chunks wait there, so a slow client
slows the engine instead of filling memory. :meth:`ThreadStream.cancel`
makes the engine's next write raise, which stops the serialisation (and
the evaluation that feeds it); :attr:`ThreadStream.finished` tells whether
the thread has let go. :meth:`ThreadStream.lower_priority` makes a
long-running piece of work yield the CPU to newer ones (Linux thread nice
value); each piece of work has its own thread, which ends with it, so a
lowered priority never carries over to the next.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from collections.abc import AsyncIterator, Callable
from typing import Any

CHUNK = 256 * 1024
QUEUED = 8

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
        self.finished = threading.Event()
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
            chunk = b"".join(self._parts)
            self._parts, self._held = [], 0
            self._put(chunk)

    def _put(self, item: Any) -> None:
        # Wait for room, but never forever: a cancelled stream stops at once.
        while not self._room.acquire(timeout=0.2):
            if self.cancelled:
                raise Cancelled()
        self._loop.call_soon_threadsafe(self._queue.put_nowait, item)

    def _run(self, work: Callable[[ThreadStream], None]) -> None:
        self.thread_id = threading.get_native_id()
        try:
            work(self)
            if not self.cancelled:
                self.flush()
            outcome: Any = _END
        except BaseException as exc:  # noqa: BLE001 - handed to the reader
            # Without its frames: they hold engine objects that must be dropped in this thread.
            exc.__traceback__ = exc.__context__ = exc.__cause__ = None
            outcome = exc
        finally:
            self.finished.set()
        if not self.cancelled:
            self._room.release()  # the end always fits
            self._loop.call_soon_threadsafe(self._queue.put_nowait, outcome)

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
        """Let newer work run first: the thread still at work gets the lowest CPU priority."""
        if self.thread_id is not None and not self.finished.is_set():
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


def start(work: Callable[[ThreadStream], None], chunk: int = CHUNK) -> ThreadStream:
    """Run ``work(stream)`` in a thread of its own; read its output from the returned stream."""
    stream = ThreadStream(asyncio.get_running_loop(), chunk)
    threading.Thread(target=stream._run, args=(work,), name="lcgraph-stream", daemon=True).start()
    return stream
