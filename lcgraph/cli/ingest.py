"""``lcgraph import`` and ``lcgraph history``: partner spreadsheets in, change-sets out.

For data officers. ``lcgraph import spaces filled.xlsx`` reads a filled-in
template and writes it whole (or nothing, with a bilingual report naming
row and column); ``--dry-run`` only checks. ``lcgraph history`` lists the
latest accepted writes. ``lcgraph templates DIR`` writes blank templates.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from lcgraph.cli.common import (
    DataOption,
    console,
    curl,
    fail,
    open_for_reading,
    open_for_writing,
)
from lcgraph.ingest.history import list_changes
from lcgraph.ingest.templates import write_blank_templates
from lcgraph.validation.guarded import prune_history


def import_(
    template: Annotated[str, typer.Argument(help="spaces, activities, assets, partners or administrators.")],
    file: Annotated[Path, typer.Argument(help="The filled-in template (.csv or .xlsx).")],
    data: DataOption = None,
    agent: Annotated[str | None, typer.Option("--agent", help="Who is importing (recorded in PROV).")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check only; write nothing.")] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Administrators: write despite violations (logged).")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Import a filled-in template: all rows or none."""
    # The importer brings openpyxl, pythainlp and the shapes (about two seconds): only when importing.
    from lcgraph.ingest.importer import import_file

    if dry_run:
        ds = open_for_reading(data)
    else:

        def instead(url: str) -> str:
            flags = "?force=true" if force else ""
            admin = " (--force: a token with the 'admin' scope)" if force else ""
            request = curl(f"{url}/import/{template}{flags}", "-F", f"file=@{file}")
            return f"send the sheet to the server's import route{admin}: {request}"

        ds = open_for_writing(data, "import", instead)
    result = import_file(ds, template, file, agent=agent or getpass.getuser(), force=force, dry_run=dry_run)
    if as_json:
        console.print(
            json.dumps(result.to_json(), ensure_ascii=False, indent=1),
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
    else:
        console.print(result.report.text(limit=200), highlight=False, markup=False, soft_wrap=True)
        if result.written:
            console.print(
                f"imported {len(result.entities)} {result.template} from {result.source} into "
                f"<{result.graph}>: {result.added} triples added, {result.removed} removed "
                f"in {result.seconds:.2f} s",
                highlight=False,
                markup=False,
                soft_wrap=True,
            )
        elif dry_run and result.ok:
            console.print(
                f"dry run: {len(result.entities)} {result.template} would be imported; nothing written",
                highlight=False,
                markup=False,
            )
        else:
            console.print("nothing was written", highlight=False, markup=False)
    raise typer.Exit(0 if result.ok else 1)


def history(
    ctx: typer.Context,
    data: DataOption = None,
    limit: Annotated[int, typer.Option("--limit", "-n", help="How many change-sets.")] = 20,
    agent: Annotated[str | None, typer.Option("--agent", help="Only changes by this agent.")] = None,
    since: Annotated[
        str | None, typer.Option("--since", help="Only changes since this time (ISO 8601).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List the latest accepted writes (change-sets recorded with PROV-O); ``prune`` removes old ones."""
    if ctx.invoked_subcommand is not None:
        return
    changes = list_changes(open_for_reading(data), limit=limit, agent=agent, since=since)
    if as_json:
        console.print(
            json.dumps([c.to_json() for c in changes], ensure_ascii=False, indent=1),
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
        return
    table = Table("time", "agent", "added", "removed", "source", "forced", "graphs")
    for c in changes:
        table.add_row(
            c.time,
            c.agent,
            str(c.added),
            str(c.removed),
            c.source,
            "yes" if c.forced else "",
            "\n".join(c.graphs),
        )
    console.print(table)


def prune(
    before: Annotated[
        str, typer.Option("--before", help="Remove change-sets that ended before this ISO date or time.")
    ],
    data: DataOption = None,
    agent: Annotated[str | None, typer.Option("--agent", help="Who prunes (recorded).")] = None,
) -> None:
    """Remove old change-sets from the history; the prune itself is recorded as a change-set."""
    try:
        when = dt.datetime.fromisoformat(before)
    except ValueError:
        fail(f"--before {before!r} is not a date: give an ISO 8601 date or time, e.g. 2025-01-01")
    ds = open_for_writing(
        data,
        "history prune",
        lambda url: (
            f'curl -X POST -H "Authorization: Bearer $LCGRAPH_ADMIN_TOKEN" '
            f"'{url}/admin/history/prune?before={before}' (a token with the 'admin' scope)"
        ),
    )
    try:
        result = prune_history(ds, when, agent=agent or getpass.getuser())
    except ValueError as exc:
        fail(str(exc))
    ds.flush()
    console.print(
        f"removed {result.change_sets} change-sets ({result.triples} triples) that ended before "
        f"{result.before}; recorded as {result.change}",
        highlight=False,
        markup=False,
        soft_wrap=True,
    )


def templates(
    directory: Annotated[Path, typer.Argument(help="Where to write the blank templates.")] = Path(
        "templates"
    ),
) -> None:
    """Write the blank CSV and XLSX templates (headers in Thai and English)."""
    for path in write_blank_templates(directory):
        console.print(str(path), highlight=False, markup=False)


def register(app: typer.Typer) -> None:
    """Add ``import``, ``history`` and ``templates`` to the ``lcgraph`` command line."""
    app.command("import")(import_)
    group = typer.Typer(
        help="The history of accepted writes: list it (default), or prune old change-sets (admin).",
        invoke_without_command=True,
        no_args_is_help=False,
    )
    group.callback(invoke_without_command=True)(history)
    group.command("prune")(prune)
    app.add_typer(group, name="history")
    app.command("templates")(templates)
