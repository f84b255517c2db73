"""Settings for every lcgraph entry point, read once from the environment.

One :class:`Settings` class (pydantic-settings): each field is read from
``LCGRAPH_<FIELD>`` (e.g. ``LCGRAPH_QUERY_TIMEOUT``), has a default that
works on a laptop, and is checked when read (a bad value names the
variable). The README's settings table documents them. Command-line flags
override the environment (:meth:`Settings.with_overrides`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_DATA_DIR = Path("var/lcgraph")
DEFAULT_BASE_IRI = "https://w3id.org/lcgraph/id/"


class Settings(BaseSettings):
    """What a running lcgraph needs to know.

    ``tokens`` is the raw ``LCGRAPH_TOKENS`` value (see the README for its
    format); the API layer parses it.
    """

    model_config = SettingsConfigDict(env_prefix="LCGRAPH_", frozen=True, extra="ignore")

    data_dir: Path = Field(DEFAULT_DATA_DIR, validation_alias=AliasChoices("LCGRAPH_DATA", "data_dir"))
    # Where the data lives (lcgraph/store/open.py): oxigraph:PATH (default: the data directory),
    # memory:, or sparql:QUERY_URL[?update=URL&gsp=URL]; credentials for a SPARQL store below.
    store: str | None = None
    store_user: str | None = None
    store_password: str | None = None
    store_token: str | None = None
    store_timeout: float = 60.0  # seconds per request to a SPARQL store
    base_iri: str = DEFAULT_BASE_IRI
    host: str = "127.0.0.1"
    port: int = 8000
    tokens: str = ""
    tokens_file: Path | None = None
    query_timeout: float = 30.0
    # Seconds a dry run (POST /validate, POST /import/...?dry_run=true) may take before it is
    # stopped and answered 503; it is stopped as well when its client goes away.
    dry_run_timeout: float = Field(30.0, gt=0)
    max_result_bytes: int = 256 * 1024 * 1024
    max_body_bytes: int = Field(
        64 * 1024 * 1024, validation_alias=AliasChoices("LCGRAPH_MAX_BODY", "max_body_bytes")
    )
    workers: int | None = None  # query-answering processes of `lcgraph serve` (None: one per core, ≥ 2)
    http: Literal["h11", "httptools"] = "httptools"  # uvicorn's HTTP parser (both bounded by max_head_bytes)
    max_head_bytes: int = 64 * 1024  # request line + headers
    keep_alive: int = 5  # seconds an idle keep-alive connection stays open
    cors_origins: Annotated[tuple[str, ...], NoDecode] = ("*",)
    queries_dir: Path | None = None
    # Plain /sparql queries answered without FastAPI's request handling (lcgraph/api/fast_path.py);
    # false: every request goes through the documented route.
    fast_queries: bool = True
    # One JSON line per request on the lcgraph.access logger (lcgraph/api/middleware.py); off by
    # default, as in gunicorn and granian (a reverse proxy in front usually keeps the access log).
    access_log: bool = False
    # FastAPI's native OpenTelemetry spans, metrics and logs (used only when a provider is configured);
    # off, FastAPI does not ask on every request whether one is (about 15 µs of CPU per request).
    telemetry: bool = False
    cache_bytes: int = 32 * 1024 * 1024  # per process, for derived figures keyed by digests
    # Validation (lcgraph/validation/): the SHACL engine (turbo: pyshacl-turbo; pyshacl: the reference),
    # the size from which `lcgraph load` stages a file, and whether a local store takes a staged file
    # in a side copy that is swapped in (else a staging store and a second bulk load), and how many
    # focus nodes of a side copy are validated at a time (0: all in one piece).
    shacl_engine: str = "turbo"
    staged_load_min_bytes: int = 8 * 1024 * 1024
    staged_side_copy: bool = True
    staged_batch_nodes: int = Field(default=20_000, ge=0)
    # The DCAT/VoID description (lcgraph/publish/catalog.py): the data's licence and publisher (IRIs).
    data_license: str = "https://creativecommons.org/licenses/by/4.0/"
    publisher: str | None = None
    # Set by `lcgraph serve` for the query processes it starts (not for users).
    writer_socket: Path | None = None
    snapshots_dir: Path | None = None

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(o.strip() for o in value.split(",") if o.strip())
        return value

    @field_validator(
        "tokens_file",
        "queries_dir",
        "workers",
        "store",
        "store_user",
        "store_password",
        "store_token",
        mode="before",
    )
    @classmethod
    def _empty_is_none(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @classmethod
    def from_env(cls) -> Settings:
        """Build settings from ``LCGRAPH_*`` environment variables (a bad value raises ValueError)."""
        return cls()

    def with_overrides(self, **changes: object) -> Settings:
        """Return a copy with the given fields replaced (``None`` values ignored), checked again."""
        values = {**self.model_dump(), **{k: v for k, v in changes.items() if v is not None}}
        return type(self).model_validate(values)

    def to_env(self) -> dict[str, str]:
        """These settings as ``LCGRAPH_*`` variables, for processes started with them."""
        env: dict[str, str] = {}
        for name, value in self.model_dump().items():
            if value is None:
                continue
            key = {"data_dir": "LCGRAPH_DATA", "max_body_bytes": "LCGRAPH_MAX_BODY"}.get(
                name, f"LCGRAPH_{name.upper()}"
            )
            env[key] = ",".join(value) if isinstance(value, tuple) else str(value)
        return env
