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

from lcgraph.cli.common import DataOption, console, fail, open_for_reading
from lcgraph.store import LoadError, Repository

_FORMATS = {"text": "", "json": "application/json", "turtle": "text/turtle", "jsonld": "application/ld+json"}


def validate(
    files: Annotated[
        list[Path] | None, typer.Argument(help="RDF files to check (Turtle, TriG, N-Triples…).")
    ] = None,
    all_: Annotated[bool, typer.Option("--all", help="Validate the whole store instead.")] = False,
    alone: Annotated[
        bool, typer.Option("--alone", help="Check each file by itself, not against the store.")
    ] = False,
    data: DataOption = None,
    graph: Annotated[
        str | None, typer.Option("--graph", "-g", help="Named graph for triple formats.")
    ] = None,
    format: Annotated[
        str | None, typer.Option("--format", "-f", help="Input format (default: by extension).")
    ] = None,
    output: Annotated[str, typer.Option("--output", "-o", help="text, json, turtle or jsonld.")] = "text",
) -> None:
    """Check files (or the store) against the shapes without writing anything."""
    # pyshacl and the shapes take a second to import: only when validating, not for `lcgraph --help`.
    from lcgraph.validation.checks import check_files, validate_store

    if output not in _FORMATS:
        fail(f"--output must be one of {', '.join(_FORMATS)}")
    if not all_ and not files:
        fail("give one or more files, or --all for the whole store")
    opened: list[Repository] = []

    def store() -> Repository:  # opened once, when first needed (--alone needs no store)
        if not opened:
            opened.append(open_for_reading(data))
        return opened[0]

    report = validate_store(store()) if all_ else None
    try:
        checked = check_files(files or [], None if alone else store, graph=graph, format=format)
    except LoadError as exc:
        fail(str(exc))
    if report is None:
        report = checked
    else:
        report.extend(checked)
    if output == "text":
        console.print(report.text(limit=200), highlight=False, markup=False, soft_wrap=True)
    else:
        console.print(report.serialize(_FORMATS[output]), highlight=False, markup=False, soft_wrap=True)
    raise typer.Exit(0 if report.conforms else 1)


def register(app: typer.Typer) -> None:
    """Add ``validate`` to the ``lcgraph`` command line."""
    app.command("validate")(validate)
