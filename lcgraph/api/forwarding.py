"""In a query process of ``lcgraph serve``: hand every request that may write to the one writer.

For ``create_app`` when it builds a query process. Only the writer (the
process that owns the store) writes. A query process answers every read
itself, from the newest published snapshot; any other request (an update,
a Graph Store write, an import, a dry-run validation) goes to the writer
over its Unix socket with httpx, and the writer's answer comes back as it
is. A SPARQL query POSTed as a form or as ``application/sparql-query`` is a
read: it stays here.

The writer publishes the snapshot of a write that changed the store before
it answers, so the client's next request, on any connection and whichever
process takes it, reads its own write.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path
from urllib.parse import parse_qsl

import httpx
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lcgraph.api.errors import ApiError, render_error
from lcgraph.api.protocol_request import QueryOperation, parse_request

log = logging.getLogger("lcgraph.api")

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Hop-by-hop headers (RFC 9110 §7.6.1) and the length httpx sets again.
_NOT_FORWARDED = frozenset(
    {b"connection", b"keep-alive", b"transfer-encoding", b"te", b"upgrade", b"content-length", b"trailer"}
)


class ForwardWrites:
    """ASGI middleware: reads stay, everything else is answered by the writer."""

    def __init__(self, app: ASGIApp, socket_path: Path) -> None:
        self.app = app
        self.client = httpx.AsyncClient(
            transport=httpx.AsyncHTTPTransport(uds=str(socket_path)),
            base_url="http://writer",
            timeout=httpx.Timeout(None, connect=10.0),
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS:
            await self.app(scope, receive, send)
            return
        body = await read_body(receive)
        if body is None:
            return  # the client left
        if scope["path"] == "/sparql" and _stays_here(scope, body):
            await self.app(scope, replay(body, receive), send)
            return
        await self._forward(scope, body, receive, send)

    async def _forward(self, scope: Scope, body: bytes, receive: Receive, send: Send) -> None:
        headers = [(k, v) for k, v in scope["headers"] if k not in _NOT_FORWARDED]
        target = scope.get("raw_path") or scope["path"].encode()
        if scope.get("query_string"):
            target += b"?" + scope["query_string"]
        request = self.client.build_request(
            scope["method"],
            httpx.URL("http://writer").copy_with(raw_path=target),
            headers=headers,
            content=body,
        )
        # A client that leaves while the writer works (a long dry run) closes the writer's
        # connection too, so the writer sees the disconnect and stops the work.
        sending = asyncio.ensure_future(self.client.send(request, stream=True))
        gone = asyncio.ensure_future(_disconnected(receive))
        await asyncio.wait({sending, gone}, return_when=asyncio.FIRST_COMPLETED)
        gone.cancel()
        if not sending.done():
            sending.cancel()
            with contextlib.suppress(asyncio.CancelledError, httpx.HTTPError):
                await sending
            log.info("client left during a forwarded %s %s: writer connection closed", scope["method"],
                     scope["path"])  # fmt: skip
            return
        try:
            answer = sending.result()
        except httpx.HTTPError as exc:
            log.error("the writer did not answer a forwarded %s %s: %s", scope["method"], scope["path"], exc)
            accept = dict(scope["headers"]).get(b"accept", b"").decode("latin-1")
            response = render_error(accept, 503, "the service cannot write just now; try again shortly")
            await response(scope, _no_body, send)
            return
        try:
            await send(
                {
                    "type": "http.response.start",
                    "status": answer.status_code,
                    "headers": [
                        (k, v)
                        for k, v in answer.headers.raw
                        if k.lower() not in _NOT_FORWARDED - {b"content-length"}
                    ],
                }
            )
            async for chunk in answer.aiter_raw():
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            await answer.aclose()

    async def aclose(self) -> None:
        await self.client.aclose()


def _stays_here(scope: Scope, body: bytes) -> bool:
    """A POST to ``/sparql`` that is a query (or a request this process refuses just as well)."""
    headers = dict(scope["headers"])
    content_type = headers.get(b"content-type", b"").decode("latin-1") or None
    params = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
    try:
        parsed = parse_request(scope["method"], params, content_type, body)
    except ApiError:
        return True  # answered (refused) here, exactly as the writer would
    return isinstance(parsed.operation, QueryOperation)


async def read_body(receive: Receive) -> bytes | None:
    """The whole request body, or ``None`` if the client left first."""
    parts = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        parts.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(parts)


async def _disconnected(receive: Receive) -> None:
    """Returns when the client disconnects (the request body has been read already)."""
    while (await receive())["type"] != "http.disconnect":
        pass


def replay(body: bytes, receive: Receive) -> Receive:
    """``receive`` that gives ``body`` first, as one message (the app reading it again)."""
    sent = False

    async def replaying() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replaying


async def _no_body() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}
