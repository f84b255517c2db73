"""Reading an RDF file or request body into quads before anything is written.

For the guarded write path and the dry-run validators: the whole input is
parsed first, so a syntax error is reported (file, line, column) while the
store is still untouched.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import pyoxigraph as ox

from lcgraph.budget import checkpoint
from lcgraph.store import Format, LoadError, UnknownFormat, by_name, for_path
from lcgraph.store.dataset import refuse_xml_entities
from lcgraph.store.graph_names import InvalidGraphName, graph_node


def parse_bytes(
    data: bytes,
    fmt: Format | str,
    *,
    graph: str | None = None,
    source: str = "input",
    base_iri: str | None = None,
) -> list[ox.Quad]:
    """Every quad in ``data``; triple formats go to ``graph`` (default graph if ``None``)."""
    if isinstance(fmt, str):
        try:
            fmt = by_name(fmt)
        except UnknownFormat as exc:
            raise LoadError(str(exc), source=source) from None
    if not data.strip():
        raise LoadError("the input is empty: there is nothing to load", source=source)
    try:
        target = graph_node(graph)
    except InvalidGraphName as exc:
        raise LoadError(str(exc), source=source) from None
    refuse_xml_entities(data, fmt, source)
    try:
        # Fresh blank-node ids, so that none collides with one already in the store.
        quads = ox.parse(data, format=fmt.rdf_format, base_iri=base_iri, rename_blank_nodes=True)
        out = []
        for i, q in enumerate(quads):
            if not i % 4096:
                checkpoint()  # a dry run stops here when its time is up or its client has gone
            out.append(q if fmt.is_dataset else ox.Quad(q.subject, q.predicate, q.object, target))
        return out
    except SyntaxError as exc:
        raise LoadError(exc.msg or str(exc), source=source, line=exc.lineno, column=exc.offset) from None
    except UnicodeDecodeError as exc:
        raise LoadError(f"not valid UTF-8 text ({exc.reason} at byte {exc.start})", source=source) from None
    except (ValueError, OSError) as exc:
        raise LoadError(str(exc), source=source) from None


def parse_file(path: str | Path, *, graph: str | None = None, format: str | None = None) -> list[ox.Quad]:
    """Every quad in the file at ``path`` (``.gz`` is looked through)."""
    p = Path(path)
    try:
        fmt = for_path(p, format)
    except UnknownFormat as exc:
        raise LoadError(str(exc), source=str(p)) from None
    if not p.is_file():
        raise LoadError("no such file", source=str(p))
    try:
        data = gzip.decompress(p.read_bytes()) if p.suffix.lower() == ".gz" else p.read_bytes()
    except (OSError, EOFError) as exc:
        raise LoadError(f"cannot read the file: {exc}", source=str(p)) from None
    return parse_bytes(data, fmt, graph=graph, source=str(p), base_iri=p.resolve().as_uri())
