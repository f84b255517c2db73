"""Publishing commands for data stewards: privacy check, catalog, describe, search.

:mod:`lcgraph.cli` calls :func:`register`. The export command is in
:mod:`lcgraph.cli.store`; it slices with :func:`lcgraph.publish.exports.resolve_slice`
and writes with :func:`lcgraph.publish.exports.write_export`.
"""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer
from rich.table import Table

from lcgraph.cli.common import (
    DataOption,
    console,
    err_console,
    fail,
    open_for_reading,
    open_for_writing,
    settings_for,
    stop_server_first,
)
from lcgraph.publish.catalog import CatalogSettings, catalog_triples, serialize_catalog
from lcgraph.publish.describe import describe as describe_iri
from lcgraph.publish.privacy import PRIVATE_GRAPH, misplaced_personal, move_misplaced_personal
from lcgraph.publish.search import SearchIndex
from lcgraph.store import UnknownFormat, by_name

RdfFormatOption = Annotated[str, typer.Option("--format", "-f", help="turtle, jsonld, ntriples or rdfxml.")]
FixOption = Annotated[bool, typer.Option("--fix", help="Move misplaced personal data into lcg:private.")]


def register(app: typer.Typer) -> None:
    """Add ``privacy-check``, ``catalog``, ``describe`` and ``search`` to the ``lcgraph`` command."""
    app.command("privacy-check")(privacy_check)
    app.command("catalog")(catalog)
    app.command("describe")(describe)
    app.command("search")(search)


def privacy_check(
    data: DataOption = None,
    fix: FixOption = False,
) -> None:
    """Find personal data (PDPA) stored outside the private graph; exit 1 if any is left."""
    from lcgraph.publish.pages import short_name  # the pages' templates take a second to import

    if fix:
        ds = open_for_writing(
            data,
            "privacy-check --fix",
            lambda url: stop_server_first(
                url, "to find misplaced personal data run `lcgraph privacy-check` without --fix; to move it"
            ),
        )
    else:
        ds = open_for_reading(data)
    if fix:
        moved = move_misplaced_personal(ds)
        ds.flush()
        err_console.print(f"moved {moved} personal statement(s) into {PRIVATE_GRAPH}")
    found = misplaced_personal(ds)
    for q in found:
        graph = short_name(q.graph_name.value) if hasattr(q.graph_name, "value") else "(default graph)"
        console.print(f"{q.subject} {short_name(q.predicate.value)} … in {graph}", highlight=False)
    if found:
        err_console.print(f"{len(found)} personal statement(s) outside {PRIVATE_GRAPH}: run with --fix")
        raise typer.Exit(1)
    err_console.print("no personal data outside the private graph")


def catalog(
    data: DataOption = None,
    format: RdfFormatOption = "turtle",
    server_url: Annotated[str, typer.Option(help="Public URL of the service, for download links.")] = (
        "http://127.0.0.1:8000"
    ),
) -> None:
    """Print the DCAT/VoID description of the public dataset."""
    try:
        fmt = by_name(format)
    except UnknownFormat as exc:
        fail(str(exc))
    ds = open_for_reading(data)
    settings = CatalogSettings.from_settings(settings_for(data), server_url)
    sys.stdout.buffer.write(serialize_catalog(catalog_triples(ds, settings), fmt.rdf_format))


def describe(
    iri: Annotated[str, typer.Argument(help="The IRI to describe (full IRI).")],
    data: DataOption = None,
    format: RdfFormatOption = "turtle",
) -> None:
    """Print the public concise bounded description of an IRI, with the labels of what it links to."""
    try:
        fmt = by_name(format)
    except UnknownFormat as exc:
        fail(str(exc))
    desc = describe_iri(open_for_reading(data), iri)
    if desc is None:
        fail(f"the published dataset has nothing about <{iri}>")
    sys.stdout.buffer.write(desc.serialize(fmt.rdf_format))


def search(
    words: Annotated[str, typer.Argument(help="Words to look for, in Thai or English.")],
    data: DataOption = None,
    limit: Annotated[int, typer.Option(help="How many results.")] = 10,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Search labels and descriptions (Thai is segmented into words with pythainlp)."""
    from lcgraph.publish.pages import short_name  # the pages' templates take a second to import

    hits = SearchIndex.build(open_for_reading(data)).search(words, limit=limit)
    if json_output:
        console.print_json(json.dumps([h.__dict__ for h in hits], ensure_ascii=False))
        return
    table = Table("resource", "ชื่อ (th)", "label (en)", "class", "score")
    for h in hits:
        table.add_row(
            short_name(h.iri),
            h.labels.get("th", ""),
            h.labels.get("en", ""),
            ", ".join(short_name(c) for c in h.classes),
            f"{h.score:.2f}",
        )
    console.print(table)
