"""Settings for every lcgraph entry point, read once from the environment.

Each setting has a default that works on a laptop; the README's settings
table documents them. Command-line flags override the environment.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

DEFAULT_DATA_DIR = Path("var/lcgraph")
DEFAULT_BASE_IRI = "https://w3id.org/lcgraph/id/"


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be a whole number, got {raw!r}") from exc


def _env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be a number, got {raw!r}") from exc


@dataclass(frozen=True)
class Settings:
    """What a running lcgraph needs to know.

    ``tokens`` is the raw ``LCGRAPH_TOKENS`` value (see the README for its
    format); the API layer parses it.
    """

    data_dir: Path = DEFAULT_DATA_DIR
    base_iri: str = DEFAULT_BASE_IRI
    host: str = "127.0.0.1"
    port: int = 8000
    tokens: str = ""
    tokens_file: Path | None = None
    query_timeout: float = 30.0
    max_result_bytes: int = 256 * 1024 * 1024
    query_workers: int | None = None
    max_body_bytes: int = 64 * 1024 * 1024
    fronts: int | None = None  # query front doors of `lcgraph serve` (None: one per core; 0: none)
    cors_origins: tuple[str, ...] = ("*",)
    queries_dir: Path | None = None
    extra: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls) -> Settings:
        """Build settings from ``LCGRAPH_*`` environment variables."""
        tokens_file = os.environ.get("LCGRAPH_TOKENS_FILE")
        queries_dir = os.environ.get("LCGRAPH_QUERIES_DIR")
        cors = os.environ.get("LCGRAPH_CORS_ORIGINS", "*")
        return cls(
            data_dir=Path(os.environ.get("LCGRAPH_DATA", str(DEFAULT_DATA_DIR))),
            base_iri=os.environ.get("LCGRAPH_BASE_IRI", DEFAULT_BASE_IRI),
            host=os.environ.get("LCGRAPH_HOST", "127.0.0.1"),
            port=_env_int("LCGRAPH_PORT", 8000),
            tokens=os.environ.get("LCGRAPH_TOKENS", ""),
            tokens_file=Path(tokens_file) if tokens_file else None,
            query_timeout=_env_float("LCGRAPH_QUERY_TIMEOUT", 30.0),
            max_result_bytes=_env_int("LCGRAPH_MAX_RESULT_BYTES", 256 * 1024 * 1024),
            query_workers=_env_int("LCGRAPH_QUERY_WORKERS", 0) or None,
            max_body_bytes=_env_int("LCGRAPH_MAX_BODY", 64 * 1024 * 1024),
            fronts=None if os.environ.get("LCGRAPH_FRONTS", "") == "" else _env_int("LCGRAPH_FRONTS", 0),
            cors_origins=tuple(o.strip() for o in cors.split(",") if o.strip()),
            queries_dir=Path(queries_dir) if queries_dir else None,
        )

    def with_overrides(self, **changes: object) -> Settings:
        """Return a copy with the given fields replaced (``None`` values ignored)."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})
