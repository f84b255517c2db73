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
) -> str:
    """Raise ``SyntaxError`` if the engine cannot read ``text`` as a query; else say what it answers.

    ``"SELECT"`` (solutions), ``"ASK"`` (a boolean) or ``"GRAPH"`` (triples:
    CONSTRUCT or DESCRIBE, which the engine's answer does not tell apart).
    """
    kwargs: dict[str, Any] = {}
    if base_iri:
        kwargs["base_iri"] = base_iri
    if substitutions:
        kwargs["substitutions"] = {
            ox.Variable(k) if isinstance(k, str) else k: v for k, v in substitutions.items()
        }
    answer = ox.Store().query(text, **kwargs)
    if isinstance(answer, ox.QuerySolutions):
        return "SELECT"
    return "ASK" if isinstance(answer, ox.QueryBoolean) else "GRAPH"


def check_update(text: str, *, base_iri: str | None = None) -> None:
    """Raise ``SyntaxError`` if the engine cannot read ``text`` as an update."""
    if base_iri:
        ox.Store().update(text, base_iri=base_iri)
    else:
        ox.Store().update(text)


def update_data(text: str, *, base_iri: str | None = None) -> list[ox.Quad]:
    """The quads ``text`` (an ``INSERT DATA``) writes into an empty store: the engine's reading of the data.

    For updates whose data is too big for rdflib's parser (it takes seconds
    per thousand triples). Raises ``SyntaxError`` like :func:`check_update`.
    """
    scratch = ox.Store()
    if base_iri:
        scratch.update(text, base_iri=base_iri)
    else:
        scratch.update(text)
    return list(scratch.quads_for_pattern(None, None, None, None))
