"""The one error type of the HTTP layer, and how it becomes a response.

For the routers in ``lcgraph.api``: raise :class:`ApiError` (or one of the
named subclasses) with a sentence a client can act on; the handler installed
by :func:`install_error_handlers` turns it into a 4xx/5xx answer exactly once.
SPARQL clients expect ``text/plain`` error bodies, so that is the default; a
client that asks for ``application/json`` gets ``{"status", "error",
"message"}``. Nothing here ever echoes a stack trace.
"""

from __future__ import annotations

import logging
from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, PlainTextResponse, Response

from lcgraph.store.repository import ConcurrentChange, StoreUnavailable

log = logging.getLogger("lcgraph.api")


class ApiError(Exception):
    """A request the service answers with an error status and a readable message."""

    status = 400

    def __init__(
        self, message: str, *, status: int | None = None, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status
        self.headers = headers or {}


class BadRequest(ApiError):
    status = 400


class Unauthorized(ApiError):
    status = 401


class Forbidden(ApiError):
    status = 403


class NotFound(ApiError):
    status = 404


class MethodNotAllowed(ApiError):
    status = 405


class NotAcceptable(ApiError):
    status = 406


class PayloadTooLarge(ApiError):
    status = 413


class UnsupportedMediaType(ApiError):
    status = 415


class Unprocessable(ApiError):
    """The request is well-formed but cannot be carried out (validation, limits)."""

    status = 422


class ServiceUnavailable(ApiError):
    status = 503


def store_error(exc: StoreUnavailable | ConcurrentChange) -> ApiError:
    """The answer to a store that failed (502; 504 on a timeout) or a write that lost a race (409)."""
    if isinstance(exc, ConcurrentChange):
        return ApiError(
            f"another writer changed the store while this change was being checked; nothing was written: "
            f"send it again ({exc})",
            status=409,
        )
    return ApiError(
        f"the store did not answer as it should; nothing was written: {exc}",
        status=504 if exc.timeout else 502,
    )


def render_error(
    accept: str | None, status: int, message: str, headers: dict[str, str] | None = None
) -> Response:
    """An error answer for a client that sent ``accept``: JSON if it asks for JSON, else text."""
    title = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    accept = accept or ""
    if "application/json" in accept or "application/problem+json" in accept:
        return JSONResponse(
            {"status": status, "error": title, "message": message}, status_code=status, headers=headers
        )
    return PlainTextResponse(f"{status} {title}: {message}\n", status_code=status, headers=headers)


def error_response(
    request: Request, status: int, message: str, headers: dict[str, str] | None = None
) -> Response:
    """The body and status of an error, in the form the client of ``request`` prefers."""
    return render_error(request.headers.get("accept"), status, message, headers)


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(request, exc.status, exc.message, exc.headers)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    headers = dict(exc.headers) if exc.headers else None
    return error_response(request, exc.status_code, str(exc.detail), headers)


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    problems = "; ".join(
        f"{'.'.join(str(p) for p in err.get('loc', ()))}: {err.get('msg', '')}" for err in exc.errors()
    )
    return error_response(request, 400, f"invalid request parameters: {problems}")


async def _store_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StoreUnavailable | ConcurrentChange)
    if isinstance(exc, StoreUnavailable):
        log.error("store unavailable on %s %s: %s", request.method, request.url.path, exc)
    err = store_error(exc)
    return error_response(
        request, err.status, err.message, {"Retry-After": "1"} if err.status == 409 else None
    )


async def _unexpected_error(request: Request, exc: Exception) -> Response:
    # The trace goes to the server log, never to the client.
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(request, 500, "internal error; the details are in the server log")


def install_error_handlers(app: FastAPI) -> None:
    """Map every error type of the HTTP layer to a response, once."""
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StoreUnavailable, _store_error)
    app.add_exception_handler(ConcurrentChange, _store_error)
    app.add_exception_handler(Exception, _unexpected_error)
