"""Who may write, and who may read personal data: bearer tokens with scopes.

For every router that writes or reads ``lcg:private``. The service is
read-only unless tokens are configured, in ``LCGRAPH_TOKENS`` or in the file
named by ``LCGRAPH_TOKENS_FILE`` (one entry per line, ``#`` comments)::

    name:token:scope[+scope…][,name:token:scope…]

    e.g. LCGRAPH_TOKENS="steward:9f2c…:write+read-private,analyst:77ab…:read-private"

Scopes: ``write`` (SPARQL Update, Graph Store writes, other write routes)
and ``read-private`` (the personal-data graph ``lcg:private``, hidden from
everyone else). Clients send ``Authorization: Bearer <token>``; HTTP Basic
with the name as user and the token as password works too, for clients
(SPARQLWrapper, R) that only know Basic. No credentials where they are
needed: 401. A wrong token, or one without the scope: 403.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import Security
from fastapi.security import HTTPBasic, HTTPBearer
from starlette.requests import Request

from lcgraph.access import Access
from lcgraph.api.errors import Forbidden, Unauthorized
from lcgraph.config import Settings

WRITE = "write"
READ_PRIVATE = "read-private"
# May force a write that breaks the shapes (logged, and marked in the history).
ADMIN = "admin"
SCOPES = frozenset({WRITE, READ_PRIVATE, ADMIN})
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="lcgraph"'}


class TokenConfigError(ValueError):
    """``LCGRAPH_TOKENS`` or the tokens file is malformed (names the entry)."""


@dataclass(frozen=True)
class Principal:
    """The caller: a token's name and scopes, or anonymous (no name, no scopes)."""

    name: str | None
    scopes: frozenset[str] = frozenset()

    def can(self, scope: str) -> bool:
        return scope in self.scopes

    @property
    def access(self) -> Access:
        """What this caller may read and write (the access model, :mod:`lcgraph.access`)."""
        return Access(
            read_private=READ_PRIVATE in self.scopes, write=WRITE in self.scopes, admin=ADMIN in self.scopes
        )


ANONYMOUS = Principal(None)


@dataclass(frozen=True)
class _Token:
    name: str
    secret: str
    scopes: frozenset[str]


def parse_tokens(text: str, source: str = "LCGRAPH_TOKENS") -> list[_Token]:
    """Parse token entries separated by commas or new lines."""
    tokens: list[_Token] = []
    entries = [e.strip() for line in text.splitlines() for e in line.split("#", 1)[0].split(",")]
    for entry in filter(None, entries):
        parts = entry.split(":")
        if len(parts) != 3 or not all(p.strip() for p in parts):
            raise TokenConfigError(f"{source}: entry {entry.split(':', 1)[0]!r}… is not name:token:scope")
        name, secret, scope_text = (p.strip() for p in parts)
        scopes = frozenset(s.strip() for s in scope_text.split("+") if s.strip())
        unknown = scopes - SCOPES
        if unknown:
            raise TokenConfigError(
                f"{source}: token {name!r} has unknown scope(s) {', '.join(sorted(unknown))}; "
                f"known: {', '.join(sorted(SCOPES))}"
            )
        if len(secret) < 8:
            raise TokenConfigError(f"{source}: the token of {name!r} is shorter than 8 characters")
        tokens.append(_Token(name, secret, scopes))
    return tokens


class TokenRegistry:
    """The configured tokens, and the checks routers call."""

    def __init__(self, tokens: list[_Token]) -> None:
        self._tokens = tokens

    @classmethod
    def from_settings(cls, settings: Settings) -> TokenRegistry:
        tokens = parse_tokens(settings.tokens)
        if settings.tokens_file is not None:
            path = Path(settings.tokens_file)
            try:
                text = path.read_text(encoding="utf-8")
            except OSError as exc:
                raise TokenConfigError(f"cannot read the tokens file {path}: {exc}") from None
            tokens += parse_tokens(text, str(path))
        return cls(tokens)

    @property
    def writable(self) -> bool:
        """True when some token may write (otherwise the service is read-only)."""
        return any(WRITE in t.scopes for t in self._tokens)

    def _lookup(self, secret: str, name: str | None = None) -> Principal:
        for token in self._tokens:
            # Constant-time comparison, so the answer time does not leak how much of a token matched.
            if hmac.compare_digest(token.secret.encode(), secret.encode()) and name in (None, token.name):
                return Principal(token.name, token.scopes)
        raise Forbidden("the credentials are not valid for this service")

    def identify(self, request: Request) -> Principal:
        """The caller of ``request``; a malformed or wrong credential is refused at once.

        Two ``Authorization`` headers are refused: servers and proxies disagree on which one counts.
        """
        given = request.headers.getlist("authorization")
        if len(given) > 1:
            raise Unauthorized("send one Authorization header, not several", headers=CHALLENGE)
        return self.identify_header(given[0] if given else None)

    def identify_header(self, header: str | None) -> Principal:
        """The caller presenting this ``Authorization`` header value (``None``: anonymous)."""
        if not header:
            return ANONYMOUS
        scheme, _, value = header.strip().partition(" ")
        value = value.strip()
        if scheme.lower() == "bearer" and value:
            return self._lookup(value)
        if scheme.lower() == "basic" and value:
            try:
                user, _, password = base64.b64decode(value, validate=True).decode("utf-8").partition(":")
            except (binascii.Error, UnicodeDecodeError):
                raise Unauthorized(
                    "the Basic credentials are not valid base64 user:password", headers=CHALLENGE
                ) from None
            return self._lookup(password, user)
        raise Unauthorized("send credentials as 'Authorization: Bearer <token>'", headers=CHALLENGE)

    def require(self, request: Request, scope: str, action: str) -> Principal:
        """The caller, if it holds ``scope``; else 401 (no credentials) or 403."""
        if scope == WRITE and not self.writable:
            raise Forbidden(
                f"this service is read-only ({action} needs a write token, and none is configured: "
                "set LCGRAPH_TOKENS)"
            )
        principal = self.identify(request)
        if principal is ANONYMOUS:
            raise Unauthorized(
                f"{action} needs credentials: send 'Authorization: Bearer <token>'", headers=CHALLENGE
            )
        if not principal.can(scope):
            raise Forbidden(
                f"the token of {principal.name!r} does not have the {scope!r} scope needed for {action}"
            )
        return principal


def tokens(request: Request) -> TokenRegistry:
    """The app's :class:`TokenRegistry` (set by ``create_app``)."""
    return request.app.state.tokens


# -- FastAPI dependencies (they also document the security schemes in /openapi.json) ----------

bearer_scheme = HTTPBearer(
    auto_error=False,
    scheme_name="token",
    description="A token from LCGRAPH_TOKENS: `Authorization: Bearer <token>`.",
)
basic_scheme = HTTPBasic(
    auto_error=False,
    scheme_name="basic",
    description="For clients that only know Basic: the token's name as user, the token as password.",
)


async def caller(request: Request, _bearer: Any = Security(bearer_scheme)) -> Principal:
    """The caller of a route anyone may use (anonymous unless it sends valid credentials)."""
    return tokens(request).identify(request)


def requires(scope: str, action: str) -> Callable[..., Awaitable[Principal]]:
    """A dependency: the caller, who must hold ``scope`` (401 without credentials, else 403)."""

    # Defaults, not annotations: the scope is only known here (annotations are read as text).
    async def dependency(
        request: Request,
        _bearer: Any = Security(bearer_scheme, scopes=[scope]),
        _basic: Any = Security(basic_scheme, scopes=[scope]),
    ) -> Principal:
        return tokens(request).require(request, scope, action)

    return dependency
