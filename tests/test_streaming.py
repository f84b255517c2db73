"""The thread-to-async helper: output, errors, thread reuse, and a lowered priority that never carries over."""

from __future__ import annotations

import asyncio
import os
import threading
import time

import pytest

from lcgraph.api import streaming


async def _drain(stream: streaming.ThreadStream) -> bytes:
    parts = []
    while (chunk := await stream.get()) is not None:
        parts.append(chunk)
    return b"".join(parts)


def _writer(payload: bytes, seen: list[int]):
    def work(sink: streaming.ThreadStream) -> None:
        seen.append(threading.get_native_id())
        sink.write(payload)

    return work


def test_output_arrives_in_order_and_whole() -> None:
    async def run() -> bytes:
        def work(sink: streaming.ThreadStream) -> None:
            for i in range(2000):
                sink.write(b"%d," % i)

        return await _drain(streaming.start(work, chunk=1024))

    assert asyncio.run(run()) == b"".join(b"%d," % i for i in range(2000))


def test_an_error_in_the_work_reaches_the_reader() -> None:
    async def run() -> None:
        def work(sink: streaming.ThreadStream) -> None:
            sink.write(b"partial")
            raise ValueError("engine failed")

        await _drain(streaming.start(work))

    with pytest.raises(ValueError, match="engine failed"):
        asyncio.run(run())


def test_quick_work_reuses_a_finished_thread() -> None:
    seen: list[int] = []

    async def run() -> list[bytes]:
        answers = []
        for i in range(5):
            stream = streaming.start(_writer(b"answer %d" % i, seen))
            idle = len(streaming._idle)  # the thread doing this piece is not among them
            answers.append(await _drain(stream))
            stream.finished.wait(5)
            # The thread parks itself after its work: wait for it (a loaded machine may take a while).
            for _ in range(500):
                if len(streaming._idle) > idle:
                    break
                await asyncio.sleep(0.01)
        return answers

    assert asyncio.run(run()) == [b"answer %d" % i for i in range(5)]
    # One thread did all five (no new thread per piece of work).
    assert len(set(seen)) == 1


@pytest.mark.skipif(not hasattr(os, "getpriority"), reason="thread priorities are a Linux feature")
def test_a_thread_whose_priority_was_lowered_is_not_reused() -> None:
    slow_ids: list[int] = []
    later: list[int] = []
    release = threading.Event()

    async def run() -> tuple[int, int]:
        def slow(sink: streaming.ThreadStream) -> None:
            slow_ids.append(threading.get_native_id())
            release.wait(10)
            sink.write(b"slow")

        stream = streaming.start(slow)
        while stream.thread_id is None:
            await asyncio.sleep(0.01)
        stream.lower_priority()
        lowered = os.getpriority(os.PRIO_PROCESS, stream.thread_id)
        release.set()
        assert await _drain(stream) == b"slow"
        stream.finished.wait(5)
        await asyncio.sleep(0.05)
        for i in range(3):
            quick = streaming.start(_writer(b"q%d" % i, later))
            await _drain(quick)
            quick.finished.wait(5)
            await asyncio.sleep(0.05)
        return lowered, os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    lowered, normal = asyncio.run(run())
    assert lowered == streaming.LOW_PRIORITY
    assert normal != streaming.LOW_PRIORITY
    # Later work never runs on the thread that was lowered: that thread ended with its work.
    assert slow_ids[0] not in later
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(t.native_id == slow_ids[0] for t in threading.enumerate()):
        time.sleep(0.02)
    assert all(t.native_id != slow_ids[0] for t in threading.enumerate())


def test_lowering_after_the_end_leaves_the_thread_reusable() -> None:
    seen: list[int] = []

    async def run() -> None:
        first = streaming.start(_writer(b"one", seen))
        await _drain(first)
        first.finished.wait(5)
        first.lower_priority()  # too late: nothing to lower
        assert not first.lowered
        await asyncio.sleep(0.05)
        await _drain(streaming.start(_writer(b"two", seen)))

    asyncio.run(run())
    assert seen[0] == seen[1]


async def _one(payload: bytes) -> bytes:
    return await _drain(streaming.start(_writer(payload, [])))


def _answer_in_child() -> None:
    assert asyncio.run(_one(b"child")) == b"child"


def test_a_forked_child_starts_without_its_parents_idle_threads() -> None:
    import multiprocessing

    assert asyncio.run(_one(b"parent")) == b"parent"
    time.sleep(0.05)  # the parent's thread is idle now
    child = multiprocessing.get_context("fork").Process(target=_answer_in_child)
    child.start()
    child.join(20)
    if child.is_alive():
        child.kill()
    assert child.exitcode == 0


def test_a_long_query_keeps_its_priority_alone_and_yields_when_others_run() -> None:
    """The query service lowers a long evaluation only while other work runs in the process."""
    from lcgraph.api import query_service

    release = threading.Event()
    other_release = threading.Event()

    def slow(sink: streaming.ThreadStream) -> None:
        release.wait(20)
        sink.write(b"slow")

    def other(sink: streaming.ThreadStream) -> None:
        other_release.wait(20)
        sink.write(b"other")

    async def run() -> tuple[bool, int, bool, int]:
        loop = asyncio.get_running_loop()
        stream = streaming.start(slow)
        while stream.thread_id is None:
            await asyncio.sleep(0.01)
        query_service._yield_when_busy(loop, stream)  # alone: kept as it is, asked again later
        alone = stream.lowered, os.getpriority(os.PRIO_PROCESS, stream.thread_id)
        second = streaming.start(other)
        await asyncio.sleep(query_service.LONG_QUERY + 0.3)  # the next check finds the other work
        busy = stream.lowered, os.getpriority(os.PRIO_PROCESS, stream.thread_id)
        release.set()
        other_release.set()
        assert await _drain(stream) == b"slow"
        assert await _drain(second) == b"other"
        return (*alone, *busy)

    lowered_alone, priority_alone, lowered_busy, priority_busy = asyncio.run(run())
    assert not lowered_alone and priority_alone != streaming.LOW_PRIORITY
    assert lowered_busy and priority_busy == streaming.LOW_PRIORITY
