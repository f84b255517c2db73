"""``lcgraph validate``: is this file (or the whole store) valid? Nothing is written.

For data stewards. ``lcgraph validate FILE…`` checks each file as it would
land in the store (incrementally, against the store's current content);
``--alone`` checks a file by itself; ``--all`` validates the whole store.
Exit code 0 when there is no Violation, 1 when there is, 2 for bad input.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from lcgraph.store import LoadError
from lcgraph.validation.report import ValidationReport

_FORMATS = {"text": "", "json": "application/json", "turtle": "text/turtle", "jsonld": "application/ld+json"}


def _print(console: Console, report: ValidationReport, fmt: str) -> None:
    if fmt == "text":
        console.print(report.text(limit=200), highlight=False, markup=False, soft_wrap=True)
    else:
        console.print(report.serialize(_FORMATS[fmt]), highlight=False, markup=False, soft_wrap=True)


def report_store_conformance(ds: object, console: Console) -> bool:
    """Validate the whole store and print the outcome (used by ``lcgraph init``)."""
    from lcgraph.validation.guarded import default_shapes
    from lcgraph.validation.incremental import validate_full

    report = validate_full(default_shapes(), ds)  # type: ignore[arg-type]
    console.print(report.text(limit=30), highlight=False, markup=False, soft_wrap=True)
    return report.conforms


def validate(
    files: Annotated[
        list[Path] | None, typer.Argument(help="RDF files to check (Turtle, TriG, N-Triples…).")
    ] = None,
    all_: Annotated[bool, typer.Option("--all", help="Validate the whole store instead.")] = False,
    alone: Annotated[
        bool, typer.Option("--alone", help="Check each file by itself, not against the store.")
    ] = False,
    data: Annotated[Path | None, typer.Option("--data", "-d", help="Data directory of the store.")] = None,
    graph: Annotated[
        str | None, typer.Option("--graph", "-g", help="Named graph for triple formats.")
    ] = None,
    format: Annotated[
        str | None, typer.Option("--format", "-f", help="Input format (default: by extension).")
    ] = None,
    output: Annotated[str, typer.Option("--output", "-o", help="text, json, turtle or jsonld.")] = "text",
) -> None:
    """Check files (or the store) against the shapes without writing anything."""
    from lcgraph.cli import console, fail, open_dataset
    from lcgraph.validation.files import parse_file
    from lcgraph.validation.guarded import check_change, default_shapes
    from lcgraph.validation.incremental import validate_full

    if output not in _FORMATS:
        fail(f"--output must be one of {', '.join(_FORMATS)}")
    if not all_ and not files:
        fail("give one or more files, or --all for the whole store")
    shapes = default_shapes()
    report = ValidationReport(mode="full" if all_ or alone else "incremental")
    if all_:
        report = validate_full(shapes, open_dataset(data))
    for path in files or []:
        try:
            quads = parse_file(path, graph=graph, format=format)
        except LoadError as exc:
            fail(str(exc))
        if alone:
            one = validate_full(shapes, triples=[(q.subject, q.predicate, q.object) for q in quads])
        else:
            one = check_change(open_dataset(data), add_quads=quads, shapes=shapes)
        for f in one.findings:
            f.source = str(path)
        report.extend(one)
    _print(console, report, output)
    raise typer.Exit(0 if report.conforms else 1)


def register(app: typer.Typer) -> None:
    """Add ``validate`` to the ``lcgraph`` command line."""
    app.command("validate")(validate)
