"""Dry-run checks that write nothing: files as they would land, files alone, the whole store.

For ``lcgraph validate`` and ``lcgraph init`` (:mod:`lcgraph.cli`). The
service's ``POST /validate`` does the same for request bodies.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from lcgraph.store import Repository
from lcgraph.store.typed import statement
from lcgraph.validation.files import parse_file
from lcgraph.validation.guarded import check_change, default_shapes
from lcgraph.validation.incremental import validate_full
from lcgraph.validation.report import ValidationReport
from lcgraph.validation.shapes import ShapeSet


def validate_store(ds: Repository, shapes: ShapeSet | None = None) -> ValidationReport:
    """The whole store, private graph included, against the shapes."""
    return validate_full(shapes or default_shapes(), ds)


def check_files(
    paths: Iterable[Path],
    dataset: Callable[[], Repository] | None,
    *,
    graph: str | None = None,
    format: str | None = None,
    shapes: ShapeSet | None = None,
) -> ValidationReport:
    """Each file checked as it would land in the store, or, without a ``dataset``, by itself.

    ``dataset`` is called once, when the first file needs the store. Every
    finding names its file. Raises :class:`~lcgraph.store.LoadError` for a
    file that cannot be read.
    """
    shapes = shapes or default_shapes()
    report = ValidationReport(mode="full" if dataset is None else "incremental")
    ds: Repository | None = None
    for path in paths:
        quads = parse_file(path, graph=graph, format=format)
        if dataset is None:
            one = validate_full(shapes, triples=[statement(q) for q in quads])
        else:
            ds = ds or dataset()
            one = check_change(ds, add_quads=quads, shapes=shapes)
        for finding in one.findings:
            finding.source = str(path)
        report.extend(one)
    return report
