"""The HTTP settings of ``lcgraph serve`` with both of uvicorn's parsers: the request-head limit holds.

A real uvicorn on a loopback port with the options ``lcgraph serve`` gives it
(:func:`lcgraph.api.serving.uvicorn_options`) and a small ASGI app that
echoes the size of what it received. llhttp (httptools) has no head limit
of its own, so :class:`lcgraph.api.serving.BoundedHttpTools` counts; h11
enforces it itself. Bodies never count against the head limit.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn

from lcgraph.api.serving import uvicorn_options
from lcgraph.config import Settings

LIMIT = 16 * 1024


async def _echo(scope, receive, send) -> None:  # type: ignore[no-untyped-def]
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    size = 0
    while True:
        message = await receive()
        size += len(message.get("body", b""))
        if not message.get("more_body"):
            break
    body = str(size).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


@contextlib.contextmanager
def _serve(http: str) -> Iterator[int]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free = probe.getsockname()[1]
    settings = Settings(http=http, max_head_bytes=LIMIT, keep_alive=2)
    options = uvicorn_options(settings, "warning")
    config = uvicorn.Config(_echo, host="127.0.0.1", port=free, **options)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started
    yield free
    server.should_exit = True
    thread.join(10)


@pytest.fixture(params=["httptools", "h11"])
def port(request: pytest.FixtureRequest) -> Iterator[int]:
    with _serve(request.param) as free:
        yield free


@pytest.fixture
def httptools_port() -> Iterator[int]:
    with _serve("httptools") as free:
        yield free


def _exchange(port: int, payload: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            sock.sendall(payload)
        chunks = []
        while True:
            try:
                part = sock.recv(65536)
            except (TimeoutError, ConnectionResetError):
                break
            if not part:
                break
            chunks.append(part)
        return b"".join(chunks)


def test_a_head_within_the_limit_is_answered(port: int) -> None:
    head = b"GET /?q=" + b"a" * (LIMIT // 2) + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    assert _exchange(port, head).startswith(b"HTTP/1.1 200")


def _pieces(payload: bytes, port: int) -> bytes:
    """Send ``payload`` in 4 KB pieces (as a slow or large head arrives), then read the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        try:
            for start in range(0, len(payload), 4096):
                sock.sendall(payload[start : start + 4096])
                time.sleep(0.002)
        except (BrokenPipeError, ConnectionResetError):
            pass
        try:
            return sock.recv(65536)
        except ConnectionResetError:
            return b""


def _oversized(where: str) -> bytes:
    pad = b"a" * (LIMIT * 4)
    if where == "url":
        return b"GET /?q=" + pad + b" HTTP/1.1\r\nHost: x\r\n\r\n"
    return b"GET / HTTP/1.1\r\nHost: x\r\nX-Pad: " + pad + b"\r\n\r\n"


@pytest.mark.parametrize("where", ["url", "header"])
def test_a_head_over_the_limit_gets_400(port: int, where: str) -> None:
    answer = _pieces(_oversized(where), port)
    assert answer.startswith(b"HTTP/1.1 400"), answer[:100]


@pytest.mark.parametrize("where", ["url", "header"])
def test_httptools_refuses_an_oversized_head_that_arrives_at_once(httptools_port: int, where: str) -> None:
    """(h11 bounds a head only while it is incomplete: its ``max_incomplete_event_size``.)"""
    answer = _exchange(httptools_port, _oversized(where))
    assert answer.startswith(b"HTTP/1.1 400"), answer[:100]


def test_a_head_sent_in_small_pieces_is_still_bounded(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
        answer = b""
        try:
            for _ in range(LIMIT // 1000 * 2):
                sock.sendall(b"X-Pad: " + b"b" * 1000 + b"\r\n")
                time.sleep(0.001)
        except (BrokenPipeError, ConnectionResetError):
            pass
        try:
            answer = sock.recv(65536)
        except ConnectionResetError:
            answer = b""
    assert answer == b"" or answer.startswith(b"HTTP/1.1 400"), answer[:100]


def test_bodies_do_not_count_against_the_head_limit(port: int) -> None:
    body = b"x" * (LIMIT * 20)
    head = f"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n\r\n".encode()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(head + body)  # one write: the head and the start of the body arrive together
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")  # and a second request
        answer = b""
        while part := sock.recv(65536):
            answer += part
    assert answer.count(b"HTTP/1.1 200") == 2, answer[:300]
    assert str(len(body)).encode() in answer
