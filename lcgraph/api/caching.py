"""Answers to authenticated requests are never stored by shared caches.

For every route: an answer to a request that carries ``Authorization`` may
hold what only that caller may read (personal data for a ``read-private``
token), so it is marked ``Cache-Control: private, no-store`` and ``Vary:
Authorization``, whatever the route said for anonymous readers. A
plain ASGI middleware: it only edits the response head.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class PrivateAnswers:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not any(k == b"authorization" for k, _ in scope["headers"]):
            await self.app(scope, receive, send)
            return

        async def marked(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if "private" not in headers.get("cache-control", "") and "no-store" not in headers.get(
                    "cache-control", ""
                ):
                    headers["Cache-Control"] = "private, no-store"
                vary = headers.get("vary", "")
                if "authorization" not in vary.lower():
                    headers["Vary"] = f"{vary}, Authorization" if vary else "Authorization"
            await send(message)

        await self.app(scope, receive, marked)
