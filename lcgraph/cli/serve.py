"""``lcgraph serve``: run the service on a standard server (uvicorn).

For maintainers (``make run``). ``register(app)`` adds the command to the
``lcgraph`` command line (:mod:`lcgraph.cli`). Settings come from the environment
(``LCGRAPH_*``, see :class:`lcgraph.config.Settings`) and the flags override
them. The layout (one writer, uvicorn's supervised query processes sharing
the public socket) is described in :mod:`lcgraph.api.serving`. With
``LCGRAPH_ACCESS_LOG=true`` the access log is one JSON line per request on
stderr (off by default). On SIGTERM/SIGINT the query
processes stop accepting and finish their answers, then the writer lets
writes in flight finish, for up to ``--grace`` seconds, and flushes the store.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from lcgraph.api.snapshots import serving
from lcgraph.config import Settings


def register(app: typer.Typer) -> None:
    """Add the ``serve`` command to ``app``."""
    app.command()(serve)


def serve(
    data: Annotated[Path | None, typer.Option("--data", "-d", help="Data directory of the store.")] = None,
    host: Annotated[str | None, typer.Option(help="Interface to listen on (default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="TCP port (default 8000).")] = None,
    timeout: Annotated[float | None, typer.Option(help="Query time limit in seconds (default 30).")] = None,
    grace: Annotated[float, typer.Option(help="Seconds to let requests finish on shutdown.")] = 30.0,
    workers: Annotated[
        int | None,
        typer.Option(help="Query processes on the port (default: one per core, at least 2)."),
    ] = None,
    log_level: Annotated[str, typer.Option(help="Log level of the lcgraph loggers.")] = "info",
    store: Annotated[str | None, typer.Option(help="oxigraph:PATH, memory: or sparql:QUERY_URL.")] = None,
) -> None:
    """Serve SPARQL 1.1 (/sparql), the Graph Store Protocol (/store), /health and /docs."""
    # FastAPI, the routers and their services take about five seconds to import: only when serving.
    from lcgraph.api.auth import TokenConfigError
    from lcgraph.api.serving import default_workers
    from lcgraph.api.serving import serve as run
    from lcgraph.app import create_app
    from lcgraph.store import StoreUnavailable

    try:
        settings = Settings.from_env().with_overrides(
            data_dir=data, host=host, port=port, query_timeout=timeout, workers=workers, store=store
        )
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    if settings.store and settings.store.startswith("oxigraph:"):
        settings = settings.with_overrides(data_dir=settings.store[len("oxigraph:") :], store="")
    try:
        web_app = create_app(settings)
    except TokenConfigError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    except (OSError, StoreUnavailable, ValueError) as exc:
        server = None if settings.store else serving(settings.data_dir)
        if server is not None:
            where = server.url or "another address"
            typer.echo(
                f"error: an lcgraph server (process {server.pid}) already serves {settings.data_dir} "
                f"at {where}: use it, or stop it first",
                err=True,
            )
        else:
            where = str(settings.store or settings.data_dir)
            typer.echo(f"error: cannot open the store {where}: {exc}", err=True)
        raise typer.Exit(2) from None
    count = settings.workers or default_workers()
    typer.echo(
        f"lcgraph: serving {settings.store or settings.data_dir} "
        f"on http://{settings.host}:{settings.port}/sparql "
        f"with {count} query processes (docs at /docs)",
        err=True,
    )
    try:
        run(web_app, settings, count, grace=grace, level=log_level)
    except OSError as exc:
        typer.echo(f"error: cannot listen on {settings.host}:{settings.port}: {exc}", err=True)
        raise typer.Exit(2) from None
