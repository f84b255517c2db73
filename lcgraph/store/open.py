"""Open the repository a deployment names: ``LCGRAPH_STORE`` / ``--store``.

For operators. The spec says which backend holds the data:

* ``oxigraph:PATH`` (or a bare ``PATH``): the embedded store on disk, the default
  (``oxigraph:`` + the data directory);
* ``memory:``: an embedded store in memory (tests, throw-away runs);
* ``sparql:QUERY_URL[?update=URL][&gsp=URL][&user=U&password=P | &token=T][&timeout=S]``:
  a SPARQL 1.1 store lcgraph does not run (Oxigraph server, Virtuoso, …).
  Credentials are better given as ``LCGRAPH_STORE_USER``/``LCGRAPH_STORE_PASSWORD``
  (HTTP Basic) or ``LCGRAPH_STORE_TOKEN`` (Bearer) than in the URL.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lcgraph.store.dataset import OxigraphRepository
from lcgraph.store.repository import Repository


def open_repository(spec: str | Path, settings: Any = None) -> Repository:
    """The repository ``spec`` names, opened (remote: connected, layout prepared, credentials checked).

    Raises :class:`~lcgraph.store.repository.StoreUnavailable` (a remote store that
    does not answer or refuses the credentials) or ``ValueError`` (a bad spec).
    """
    text = str(spec).strip()
    if text == "memory:":
        return OxigraphRepository.memory()
    if text.startswith("sparql:"):
        from lcgraph.store.sparql import SparqlRepository  # httpx: only for a remote store

        defaults: dict[str, Any] = {}
        if settings is not None:
            defaults = {
                "user": settings.store_user,
                "password": settings.store_password,
                "token": settings.store_token,
                "timeout": settings.store_timeout,
            }
        return SparqlRepository.open(text, **defaults)
    if text.startswith("oxigraph:"):
        text = text[len("oxigraph:") :]
    elif ":" in text.split("/", 1)[0] and len(text.split(":", 1)[0]) > 1:
        raise ValueError(f"unknown store {text!r}: use oxigraph:PATH, memory: or sparql:QUERY_URL")
    if not text:
        raise ValueError("oxigraph: needs a directory (oxigraph:PATH)")
    return OxigraphRepository.open(text)


def store_spec(settings: Any) -> str:
    """The store the settings name (``LCGRAPH_STORE``, else the embedded store in the data directory)."""
    return settings.store or f"oxigraph:{settings.data_dir}"
