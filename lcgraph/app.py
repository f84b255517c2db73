"""The lcgraph web service: ``create_app(settings)`` builds the FastAPI app.

For ``lcgraph serve`` (see :mod:`lcgraph.api.serving`) and the tests. It sits
above both :mod:`lcgraph.api` and :mod:`lcgraph.web`, whose routers it joins. It
wires the SPARQL Protocol (``/sparql``), the Graph Store Protocol
(``/store``), ``/health`` and the routers of the services (canned queries,
analysis, writes, publishing, the web UI), and installs the error handlers,
CORS for reads, the body limit and the access log.

The same app runs in two roles. The *owner* opens the store (a single
process, the tests, or the writer of ``lcgraph serve``): reads see the
store itself, writes are made here. A *query process* of ``lcgraph serve``
(:func:`query_app`, when ``settings.writer_socket`` is set) reads the
newest published snapshot and hands every write to the owner
(:mod:`lcgraph.api.forwarding`). ``app.state.dataset`` is always the
dataset requests read now.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.routing import APIRoute
from starlette.datastructures import State
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import ClientDisconnect

from lcgraph import __version__
from lcgraph.access import AccessDenied
from lcgraph.api import analysis, graph_store, history, imports, linked_data, queries, sparql, validate
from lcgraph.api.accept import named
from lcgraph.api.caching import PrivateAnswers
from lcgraph.api.errors import error_response, install_error_handlers
from lcgraph.api.fast_path import FastQueries
from lcgraph.api.forwarding import ForwardWrites
from lcgraph.api.middleware import AccessLog, BodyLimit, CloseWhenDraining
from lcgraph.api.negotiation import REPORT_FORMATS
from lcgraph.api.runtime import ServiceRuntime, runtime
from lcgraph.api.validate import report_response
from lcgraph.config import Settings
from lcgraph.queries import CannedQueries
from lcgraph.store import LoadError, Repository
from lcgraph.store.open import open_repository, store_spec
from lcgraph.validation import guarded, updates
from lcgraph.web import routes as web_routes

log = logging.getLogger("lcgraph.api")

REPORT_MEDIA_TYPES = tuple(m for f in REPORT_FORMATS for m in (f.media_type, *f.also))


async def _load_error(request: Request, exc: Exception) -> Any:
    return error_response(request, 400, f"the RDF in the request cannot be read: {exc}")


async def _client_disconnect(request: Request, exc: Exception) -> Any:
    return error_response(request, 400, "the request body ended before its declared length")


def _guarded_write_handlers(app: FastAPI) -> None:
    """Map the guarded write path's errors (issue 4) to HTTP: refused data 422, bad updates 400."""

    async def refused(request: Request, exc: Exception) -> Any:
        report = getattr(exc, "report", None)
        # A client that names a report format (JSON, Turtle, JSON-LD) gets the report itself.
        if report is not None and named(request.headers.get("accept"), REPORT_MEDIA_TYPES) > 0:
            return report_response(request, report, 422)
        return error_response(
            request, 422, f"the data would break the lcgraph shapes; nothing was written.\n{exc}"
        )

    async def bad_update(request: Request, exc: Exception) -> Any:
        return error_response(request, 400, str(exc))

    async def denied(request: Request, exc: Exception) -> Any:
        return error_response(request, 403, f"{exc}; nothing was written")

    app.add_exception_handler(guarded.ValidationFailed, refused)
    app.add_exception_handler(updates.UpdateSyntaxError, bad_update)
    app.add_exception_handler(updates.UpdateNotSupported, bad_update)
    app.add_exception_handler(updates.UpdateFailed, bad_update)
    app.add_exception_handler(AccessDenied, denied)


class _AppState(State):
    """``app.state``, whose ``dataset`` is the runtime's current read view."""

    @property
    def dataset(self) -> Repository:
        return self.runtime.dataset


def create_app(settings: Settings, dataset: Repository | None = None) -> FastAPI:
    """Build the app over ``dataset`` (default: the on-disk store in ``settings.data_dir``).

    With ``settings.writer_socket`` set and no ``dataset``, build a query process instead.
    """
    query_process = dataset is None and settings.writer_socket is not None
    ds = (
        None
        if query_process
        else (dataset if dataset is not None else open_repository(store_spec(settings), settings))
    )
    rt = ServiceRuntime.create(settings, ds)
    forwarder: list[ForwardWrites] = []

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await rt.start()
        try:
            yield
        finally:
            for middleware in forwarder:
                await middleware.aclose()
            await rt.stop()
            if rt.stuck and not rt.owner:
                # An evaluation that would not stop still runs in a thread: leave without waiting for it.
                logging.shutdown()
                os._exit(0)

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
        telemetry={"tracing": settings.telemetry, "metrics": settings.telemetry, "logs": settings.telemetry},
    )
    app.state = _AppState()
    app.state.settings = settings
    app.state.runtime = rt
    app.state.tokens = rt.tokens
    install_error_handlers(app)
    app.add_exception_handler(LoadError, _load_error)
    app.add_exception_handler(ClientDisconnect, _client_disconnect)
    _guarded_write_handlers(app)

    for router in ROUTERS:
        _one_operation_per_method(router)
    app.include_router(sparql.router)
    app.include_router(graph_store.router)
    app.add_api_route(
        "/health", health, methods=["GET"], summary="Liveness and store status", tags=["operations"]
    )
    app.state.queries = CannedQueries.load([settings.queries_dir] if settings.queries_dir else [])
    queries.document_each_query(app, app.state.queries)
    app.include_router(queries.router)
    app.include_router(web_routes.router)
    app.mount("/static", web_routes.static_files(), name="static")
    for router in (analysis.router, validate.router, imports.router, history.router, linked_data.router):
        app.include_router(router)

    # Outermost last: the access log sees every answer, including 413s and CORS preflights.
    # Innermost: plain /sparql queries, inside every other layer (lcgraph/api/fast_path.py).
    app.add_middleware(FastQueries, runtime=rt)
    if query_process:
        assert settings.writer_socket is not None
        app.add_middleware(ForwardWrites, socket_path=settings.writer_socket)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "HEAD", "POST", "OPTIONS"],
            allow_headers=["Accept", "Content-Type"],
            expose_headers=["Location", "Content-Type"],
        )
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(PrivateAnswers)
    if query_process:
        app.add_middleware(CloseWhenDraining, runtime=rt)
    if settings.access_log:
        app.add_middleware(AccessLog)
    if query_process:
        app.middleware_stack = app.build_middleware_stack()  # so the forwarder can be closed at shutdown
        forwarder.extend(find_middleware(app.middleware_stack, ForwardWrites))
    return app


def query_app() -> FastAPI:
    """A query process of ``lcgraph serve`` (uvicorn's factory; settings from ``LCGRAPH_*``)."""
    return create_app(Settings.from_env())


def find_middleware(middleware: Any, kind: type) -> list[Any]:
    """The layers of type ``kind`` in a built middleware stack, outermost first."""
    found = []
    while middleware is not None:
        if isinstance(middleware, kind):
            found.append(middleware)
        middleware = getattr(middleware, "app", None)
    return found


ROUTERS = (
    sparql.router,
    graph_store.router,
    queries.router,
    web_routes.router,
    analysis.router,
    validate.router,
    imports.router,
    history.router,
    linked_data.router,
)


def _one_operation_per_method(router: APIRouter) -> None:
    """Give each method of a multi-method route its own OpenAPI operation (HEAD is not listed).

    FastAPI names one operation per route, so a route with several methods
    (GET and HEAD, GET and POST) would list the same operation ID twice.
    """
    routes = list(router.routes)
    router.routes.clear()
    for route in routes:
        if not isinstance(route, APIRoute) or len(route.methods or ()) < 2:
            router.routes.append(route)
            continue
        slug = re.sub(r"\W", "_", f"{route.name}{route.path_format}")
        for method in sorted(route.methods or ()):
            router.add_api_route(
                route.path,
                route.endpoint,
                methods=[method],
                name=route.name,
                summary=route.summary,
                description=route.description,
                response_class=route.response_class,
                status_code=route.status_code,
                tags=route.tags,
                dependencies=route.dependencies,
                responses=route.responses,
                openapi_extra=route.openapi_extra
                if method != "GET" or route.openapi_extra is None
                else {k: v for k, v in route.openapi_extra.items() if k != "requestBody"},
                include_in_schema=route.include_in_schema and method != "HEAD",
                operation_id=f"{route.operation_id or slug}_{method.lower()}",
                route_class_override=type(route),
            )


async def health(request: Request) -> dict[str, Any]:
    """``{"status": "ok", …}`` while the store can be read."""
    rt = runtime(request)
    view = rt.view()
    return {
        "status": "ok",
        "version": __version__,
        "role": "owner" if rt.owner else "query",
        "pid": os.getpid(),
        "generation": view.generation,
        "writable": rt.tokens.writable,
        "query_timeout_s": rt.settings.query_timeout,
    }
