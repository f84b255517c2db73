"""Answers to authenticated requests are never stored by shared caches.

For every route: an answer to a request that carries ``Authorization`` may
hold what only that caller may read (personal data for a ``read-private``
token), so it is marked ``Cache-Control: private, no-store`` and ``Vary:
Authorization`` — unless the route already said how it may be cached. A
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
                if "cache-control" not in headers:
                    headers["Cache-Control"] = "private, no-store"
                vary = headers.get("vary", "")
                if "authorization" not in vary.lower():
                    headers["Vary"] = f"{vary}, Authorization" if vary else "Authorization"
            await send(message)

        await self.app(scope, receive, marked)
