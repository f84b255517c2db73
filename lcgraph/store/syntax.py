"""The engine's own reading of SPARQL text, with no data: syntax checks before anything runs.

Queries and updates are evaluated on an empty in-memory store, so the engine
that will later run them decides what is valid SPARQL (``SyntaxError`` with
its message and position). Other errors (``ValueError``, ``RuntimeError``,
``OSError``) mean the text was read but cannot run without data.
"""

from __future__ import annotations

from typing import Any

import pyoxigraph as ox


def check_query(
    text: str, *, base_iri: str | None = None, substitutions: dict[str, Any] | None = None
) -> None:
    """Raise ``SyntaxError`` if the engine cannot read ``text`` as a query."""
    kwargs: dict[str, Any] = {}
    if base_iri:
        kwargs["base_iri"] = base_iri
    if substitutions:
        kwargs["substitutions"] = {
            ox.Variable(k) if isinstance(k, str) else k: v for k, v in substitutions.items()
        }
    ox.Store().query(text, **kwargs)


def check_update(text: str, *, base_iri: str | None = None) -> None:
    """Raise ``SyntaxError`` if the engine cannot read ``text`` as an update."""
    if base_iri:
        ox.Store().update(text, base_iri=base_iri)
    else:
        ox.Store().update(text)
