"""The lcgraph web service: ``create_app(settings)`` builds the FastAPI app.

For ``lcgraph serve`` (see :mod:`lcgraph.server_commands`) and the tests.
It opens the dataset (``app.state.dataset``), wires the SPARQL Protocol
(``/sparql``), the Graph Store Protocol (``/store``), ``/health`` and the
routers of the services (canned queries, analysis, writes, publishing, the
web UI), and installs the error handlers, CORS for reads, the body limit,
the access log and write tracking. Query workers start with the app's
lifespan and stop with it (uvicorn lets in-flight requests finish first).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import ClientDisconnect

from lcgraph import __version__
from lcgraph.api import analysis, graph_store, publish, queries, sparql, writes
from lcgraph.api.errors import error_response, install_error_handlers
from lcgraph.api.middleware import AccessLog, BodyLimit, WriteTracker
from lcgraph.api.runtime import ServiceRuntime, runtime
from lcgraph.config import Settings
from lcgraph.queries import Registry
from lcgraph.store import Dataset, LoadError
from lcgraph.web import routes as web_routes

log = logging.getLogger("lcgraph.api")


async def _load_error(request: Request, exc: Exception) -> Any:
    return error_response(request, 400, f"the RDF in the request cannot be read: {exc}")


async def _client_disconnect(request: Request, exc: Exception) -> Any:
    return error_response(request, 400, "the request body ended before its declared length")


def _guarded_write_handlers(app: FastAPI) -> None:
    """Map the guarded write path's errors (issue 4) to HTTP: refused data 422, bad updates 400."""
    from lcgraph.validation import guarded, updates

    async def refused(request: Request, exc: Exception) -> Any:
        report = getattr(exc, "report", None)
        accept = request.headers.get("accept", "")
        if report is not None and any(t in accept for t in ("json", "text/turtle")):
            from lcgraph.api.writes import report_response

            return report_response(request, report, 422)
        return error_response(
            request, 422, f"the data would break the lcgraph shapes; nothing was written.\n{exc}"
        )

    async def bad_update(request: Request, exc: Exception) -> Any:
        return error_response(request, 400, str(exc))

    app.add_exception_handler(guarded.ValidationFailed, refused)
    app.add_exception_handler(updates.UpdateSyntaxError, bad_update)
    app.add_exception_handler(updates.UpdateNotSupported, bad_update)


def create_app(settings: Settings, dataset: Dataset | None = None) -> FastAPI:
    """Build the app over ``dataset`` (default: the on-disk store in ``settings.data_dir``)."""
    ds = dataset if dataset is not None else Dataset.open(settings.data_dir)
    rt = ServiceRuntime.create(settings, ds)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await rt.start()
        try:
            yield
        finally:
            await rt.stop()

    app = FastAPI(
        title="lcgraph",
        version=__version__,
        description=(
            "The Learning City knowledge graph: SPARQL 1.1 Protocol at `/sparql`, Graph Store "
            "Protocol at `/store`. Reads are open (except personal data); writes need a bearer token."
        ),
        lifespan=lifespan,
        # Served by the web UI from local copies of Swagger UI and ReDoc (no CDN).
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.dataset = ds
    app.state.runtime = rt
    app.state.tokens = rt.tokens
    install_error_handlers(app)
    app.add_exception_handler(LoadError, _load_error)
    app.add_exception_handler(ClientDisconnect, _client_disconnect)
    _guarded_write_handlers(app)

    app.include_router(sparql.router)
    app.include_router(graph_store.router)
    app.add_api_route(
        "/health", health, methods=["GET"], summary="Liveness and store status", tags=["operations"]
    )
    app.state.queries = Registry.load([settings.queries_dir] if settings.queries_dir else [])
    queries.document_each_query(app, app.state.queries)
    app.include_router(queries.router)
    app.include_router(web_routes.router)
    app.mount("/static", web_routes.static_files(), name="static")
    for router in (analysis.router, writes.router, publish.router):
        app.include_router(router)

    # Outermost last: the access log sees every answer, including 413s and CORS preflights.
    app.add_middleware(sparql.QueryFastPath)
    app.add_middleware(WriteTracker)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "HEAD", "POST", "OPTIONS"],
            allow_headers=["Accept", "Content-Type"],
            expose_headers=["Location", "Content-Type"],
        )
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(AccessLog)
    return app


async def health(request: Request) -> dict[str, Any]:
    """``{"status": "ok", …}`` while the store and the query workers are up."""
    rt = runtime(request)
    fronts = getattr(request.app.state, "fronts", None)
    return {
        "status": "ok",
        "version": __version__,
        "store": str(rt.dataset.path) if rt.dataset.path else "memory",
        "query_workers": getattr(rt.evaluator, "size", 0),
        "front_doors": fronts.alive if fronts is not None else 0,
        "writable": rt.tokens.writable,
        "query_timeout_s": rt.settings.query_timeout,
    }
