"""``lcgraph serve``: run the SPARQL service with uvicorn.

For maintainers (``make run``). ``register(app)`` adds the command to the
typer app of :mod:`lcgraph.cli`. Settings come from the environment
(``LCGRAPH_*``) and the flags override them. The access log is one JSON
line per request on stderr. On SIGTERM/SIGINT uvicorn stops accepting
connections, lets requests in flight (writes included) finish for up to
``--grace`` seconds, then the query workers stop and the store is flushed.

By default queries are answered by one front-door process per core
(:mod:`lcgraph.api.fronts`) in front of the FastAPI app; ``--fronts 0``
runs everything in the one uvicorn process.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Annotated

import typer

from lcgraph.config import Settings


def _configure_logging(level: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    for name in ("lcgraph", "lcgraph.access", "lcgraph.api", "lcgraph.writes"):
        logger = logging.getLogger(name)
        logger.setLevel(level.upper())
        if not logger.handlers:
            logger.addHandler(handler)
        logger.propagate = False


def register(app: typer.Typer) -> None:
    """Add the ``serve`` command to ``app``."""

    @app.command()
    def serve(
        data: Annotated[
            Path | None, typer.Option("--data", "-d", help="Data directory of the store.")
        ] = None,
        host: Annotated[str | None, typer.Option(help="Interface to listen on (default 127.0.0.1).")] = None,
        port: Annotated[int | None, typer.Option(help="TCP port (default 8000).")] = None,
        timeout: Annotated[
            float | None, typer.Option(help="Query time limit in seconds (default 30).")
        ] = None,
        grace: Annotated[float, typer.Option(help="Seconds to let requests finish on shutdown.")] = 30.0,
        fronts: Annotated[
            int | None,
            typer.Option(
                help="Query front-door processes on the port (default: one per core; 0: a single process)."
            ),
        ] = None,
        log_level: Annotated[str, typer.Option(help="Log level of the lcgraph loggers.")] = "info",
    ) -> None:
        """Serve SPARQL 1.1 (/sparql), the Graph Store Protocol (/store), /health and /docs."""
        import uvicorn

        from lcgraph.api.app import create_app
        from lcgraph.api.auth import TokenConfigError
        from lcgraph.api.fronts import default_front_count
        from lcgraph.api.fronts import serve as serve_fronted

        try:
            settings = Settings.from_env().with_overrides(
                data_dir=data, host=host, port=port, query_timeout=timeout, fronts=fronts
            )
        except ValueError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None
        _configure_logging(log_level)
        try:
            web_app = create_app(settings)
        except TokenConfigError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None
        except OSError as exc:
            typer.echo(f"error: cannot open the store in {settings.data_dir}: {exc}", err=True)
            raise typer.Exit(2) from None
        typer.echo(
            f"lcgraph: serving {settings.data_dir} on http://{settings.host}:{settings.port}/sparql "
            f"(docs at /docs)",
            err=True,
        )
        count = settings.fronts if settings.fronts is not None else default_front_count()
        if count > 0:
            try:
                serve_fronted(web_app, settings, count, grace=grace, log_level=log_level)
            except OSError as exc:
                typer.echo(f"error: cannot listen on {settings.host}:{settings.port}: {exc}", err=True)
                raise typer.Exit(2) from None
            return
        uvicorn.run(
            web_app,
            host=settings.host,
            port=settings.port,
            access_log=False,
            log_level="warning",
            timeout_graceful_shutdown=int(grace),
            lifespan="on",
        )
