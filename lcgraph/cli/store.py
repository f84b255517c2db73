"""The store's commands: ``version``, ``init``, ``load``, ``query``, ``export``, ``stats``.

For data stewards and researchers. ``register(app)`` adds them to the
``lcgraph`` command line (:mod:`lcgraph.cli`).
"""

from __future__ import annotations

import getpass
import json
import shlex
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

import pyoxigraph as ox
import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn, TransferSpeedColumn
from rich.table import Table

from lcgraph import __version__
from lcgraph.cli.common import (
    DataOption,
    StoreOption,
    console,
    curl,
    err_console,
    fail,
    open_for_reading,
    open_for_writing,
    stop_server_first,
)
from lcgraph.ingest.templates import TEMPLATES
from lcgraph.namespaces import PREFIXES
from lcgraph.publish import exports
from lcgraph.publish.privacy import QueryRefused
from lcgraph.store import LoadError, LoadResult, Repository, UnknownFormat, by_name, for_path, format_names
from lcgraph.validation.bulk_load import load_checked
from lcgraph.validation.guarded import ValidationFailed, WriteResult, forced_load_record


def _progress() -> Progress:
    return Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=err_console,
        transient=True,
        disable=not err_console.is_terminal,
    )


def load_with_progress(
    ds: Repository, path: Path, *, graph: str | None, fmt: str | None, afterword: Any = None
) -> LoadResult:
    """Bulk-load one file with a progress bar (no shapes); raises LoadError."""
    size = path.stat().st_size if path.is_file() else None
    with _progress() as bar:
        task = bar.add_task(path.name, total=size)
        result = ds.load_path(
            path,
            graph=graph,
            format=fmt,
            progress=lambda done: bar.update(task, completed=done),
            afterword=afterword,
        )
    err_console.print(
        f"loaded {path}: {result.quads_added:,} quads added in {result.seconds:.2f} s", highlight=False
    )
    return result


def version() -> None:
    """Print the lcgraph version."""
    console.print(__version__)


def init(
    data: DataOption = None,
    examples: Annotated[
        bool, typer.Option(help="Also load the illustrative examples (data/examples).")
    ] = False,
    check: Annotated[bool, typer.Option(help="Validate the loaded data against the shapes.")] = True,
    store: StoreOption = None,
) -> None:
    """Create the store and load the ontology, vocabularies, shapes and seed facts."""
    from lcgraph.bootstrap import initialise  # rdflib graphs of the reference data: only for init

    ds = open_for_writing(
        data,
        "init",
        lambda url: stop_server_first(
            url, "the store is initialised already and served; to reload its reference data"
        ),
        must_exist=False,
        store=store,
    )
    try:
        initialise(ds, examples=examples, log=lambda msg: err_console.print(msg, highlight=False))
    except LoadError as exc:
        fail(str(exc))
    if check:
        _check_conformance(ds)
    where = str(ds.path) if ds.path is not None else getattr(getattr(ds, "endpoint", None), "name", "memory")
    err_console.print(f"store ready at {where}")


def _check_conformance(ds: Repository) -> None:
    from lcgraph.validation.checks import validate_store  # pyshacl: only when validating

    report = validate_store(ds)
    err_console.print(report.text(limit=30), highlight=False, markup=False, soft_wrap=True)
    if not report.conforms:
        fail("the loaded data does not conform to the shapes (see the report above)", code=1)


def load(
    files: Annotated[
        list[Path], typer.Argument(help="RDF files (Turtle, TriG, N-Triples, N-Quads, RDF/XML, JSON-LD).")
    ],
    data: DataOption = None,
    graph: Annotated[
        str | None, typer.Option("--graph", "-g", help="Named graph for triple formats.")
    ] = None,
    format: Annotated[
        str | None, typer.Option("--format", "-f", help=f"One of: {', '.join(format_names())}.")
    ] = None,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Administrators only: skip the shapes and bulk-load (still all-or-nothing; logged "
            "and marked as forced in the history).",
        ),
    ] = False,
    agent: Annotated[str | None, typer.Option(help="Who is loading (for the history).")] = None,
) -> None:
    """Load RDF files into the store, each all-or-nothing and checked against the shapes.

    A file that would break a shape is refused with the report (exit code 1);
    a file that cannot be read is refused with its line and column (exit code 2).
    """
    sheets = [p for p in files if p.suffix.lower() in (".csv", ".xlsx", ".xls", ".tsv")]
    if sheets:
        fail(
            f"{sheets[0]}: the extension says a spreadsheet, not RDF; `lcgraph load` reads RDF files. "
            f"To bring in a filled-in template use `lcgraph import TEMPLATE {sheets[0]}` (TEMPLATE: "
            f"{', '.join(sorted(TEMPLATES))}; `lcgraph templates` writes blank ones).",
            code=2,
        )
    ds = open_for_writing(data, "load", _load_instead(files, graph, format, force), must_exist=False)
    who = agent or getpass.getuser()
    for path in files:
        try:
            if force:
                record = forced_load_record(source=f"file {path.name}", agent=who)
                load_with_progress(ds, path, graph=graph, fmt=format, afterword=record)
                continue
            written = _load_checked(ds, path, graph=graph, fmt=format, agent=who)
        except LoadError as exc:
            fail(str(exc))
        except ValidationFailed as exc:
            err_console.print(exc.report.text(limit=50), highlight=False, markup=False, soft_wrap=True)
            fail(f"{path} breaks the shapes: nothing was written (see the report above)", code=1)
        err_console.print(
            f"loaded {path}: {written.added:,} triples added, {written.removed:,} removed "
            f"({written.report.count('Warning')} warning(s)) in {written.seconds:.2f} s",
            highlight=False,
        )


def _load_checked(
    ds: Repository, path: Path, *, graph: str | None, fmt: str | None, agent: str
) -> WriteResult:
    """A validated load, with a progress bar for the big files that are staged on disk."""
    size = path.stat().st_size if path.is_file() else None
    with _progress() as bar:
        task = bar.add_task(path.name, total=size)

        def phase(name: str, size: int | None) -> None:
            bar.update(task, description=f"{path.name}: {name}", total=size)

        return load_checked(
            ds,
            path,
            graph=graph,
            format=fmt,
            agent=agent,
            phase=phase,
            progress=lambda done: bar.update(task, completed=done),
        )


def _load_instead(files: list[Path], graph: str | None, fmt: str | None, force: bool) -> Callable[[str], str]:
    """The Graph Store request that loads the first file through the server."""

    def instead(url: str) -> str:
        if force:
            return stop_server_first(
                url,
                "the server's Graph Store checks every write (it has no --force); to load past the shapes",
            )
        path = files[0]
        try:
            rdf = for_path(path, fmt)
        except UnknownFormat:
            rdf = by_name("turtle")
        if rdf.is_dataset:
            target = "/store"  # a TriG/N-Quads file names its graphs
        else:
            target = f"/store?graph={quote(graph, safe=':/#')}" if graph else "/store?default"
        gzipped = path.suffix.lower() == ".gz"
        body = "@-" if gzipped else f"@{path}"
        request = curl(url + target, "-H", f"Content-Type: {rdf.media_type}", "--data-binary", body)
        if gzipped:
            request = f"gunzip -c {shlex.quote(str(path))} | {request}"
        more = " (one request per file)" if len(files) > 1 else ""
        return f"send the file to the server's Graph Store{more}: {request}"

    return instead


_RESULT_FORMATS = {"json": "JSON", "xml": "XML", "csv": "CSV", "tsv": "TSV"}


def query(
    sparql: Annotated[str | None, typer.Argument(help="The SPARQL query (or use --file).")] = None,
    file: Annotated[Path | None, typer.Option("--file", help="Read the query from a file.")] = None,
    data: DataOption = None,
    format: Annotated[
        str,
        typer.Option("--format", "-f", help="table, json, xml, csv, tsv; or an RDF format for CONSTRUCT."),
    ] = "table",
) -> None:
    """Run a SPARQL query against the store (default graph = union of all graphs)."""
    text = _query_text(sparql, file)
    ds = open_for_reading(data)
    try:
        result = ds.query(text)
    except SyntaxError as exc:
        fail(f"SPARQL syntax error: {exc}")
    except (OSError, RuntimeError, ValueError) as exc:
        fail(f"query failed: {exc}")
    out = sys.stdout.buffer
    if isinstance(result, ox.QueryTriples):
        try:
            rdf = by_name("turtle" if format == "table" else format)
        except UnknownFormat as exc:
            fail(str(exc))
        result.serialize(out, rdf.rdf_format)
        return
    if format == "table":
        _print_table(result)
        return
    key = _RESULT_FORMATS.get(format.lower())
    if key is None:
        fail(f"unknown result format {format!r}; use table, json, xml, csv or tsv")
    result.serialize(out, getattr(ox.QueryResultsFormat, key))
    out.write(b"\n")


def _query_text(sparql: str | None, file: Path | None) -> str:
    if file is not None:
        try:
            return file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            fail(f"cannot read {file}: {exc}")
    if not sparql:
        fail("give a query as an argument or with --file")
    return sparql


def _short(term: object) -> str:

    if isinstance(term, ox.NamedNode):
        for prefix, ns in PREFIXES.items():
            if term.value.startswith(ns):
                return f"{prefix}:{term.value[len(ns) :]}"
        return term.value
    if isinstance(term, ox.Literal):
        return term.value
    return "" if term is None else str(term)


def _print_table(result: object) -> None:

    if isinstance(result, ox.QueryBoolean):
        console.print("true" if bool(result) else "false")
        return
    assert isinstance(result, ox.QuerySolutions)
    names = [v.value for v in result.variables]
    table = Table(*names)
    rows = 0
    for row in result:
        table.add_row(*(_short(row[n]) for n in names))
        rows += 1
    console.print(table)
    err_console.print(f"{rows} row(s)")


def export(
    data: DataOption = None,
    format: Annotated[
        str, typer.Option("--format", "-f", help=f"One of: {', '.join(format_names())}.")
    ] = "trig",
    graph: Annotated[str | None, typer.Option("--graph", "-g", help="Only this named graph.")] = None,
    city: Annotated[str | None, typer.Option(help="Only what concerns this city (IRI or slug).")] = None,
    partner: Annotated[
        str | None, typer.Option(help="Only what concerns this partner (IRI or slug).")
    ] = None,
    cls: Annotated[str | None, typer.Option("--class", help="Only instances of this class (IRI).")] = None,
    include_private: Annotated[
        bool, typer.Option("--include-private", help="Also export personal data (lcg:private, PDPA).")
    ] = False,
    gzip: Annotated[bool, typer.Option("--gzip", help="Compress the output with gzip.")] = False,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Output file (default: standard output).")
    ] = None,
) -> None:
    """Export the public dataset, or a slice of it, in any RDF format, streamed.

    Personal data (the lcg:private graph) is left out unless --include-private
    is given. A slice names one city, partner, graph or class.
    """
    ds = open_for_reading(data)
    try:
        fmt = by_name(format)
        chosen = exports.resolve_slice(
            ds, city=city, partner=partner, graph=graph, cls=cls, may_read_private=include_private
        )
        target = out if out is not None else sys.stdout.buffer
        exports.write_export(ds, target, fmt, chosen, may_read_private=include_private, gzip=gzip)
    except (UnknownFormat, exports.UnknownSlice, exports.BadSlice, QueryRefused) as exc:
        fail(str(exc))


def stats(
    data: DataOption = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
) -> None:
    """Show triples per graph and instances per class."""
    ds = open_for_reading(data)
    info = ds.stats()
    if json_output:
        console.print_json(json.dumps(info))
        return
    graphs = Table("graph", "triples", title=f"{info['quads']:,} quads in {ds.path}")
    graphs.add_row("(default graph: the public union)", f"{info['public_triples']:,}")
    for g, n in info["graphs"].items():
        graphs.add_row(_short_iri(g), f"{n:,}")
    console.print(graphs)
    classes = Table("class", "instances")
    for c, n in info["classes"].items():
        classes.add_row(_short_iri(c), f"{n:,}")
    console.print(classes)


def _short_iri(iri: str) -> str:

    return _short(ox.NamedNode(iri))


def register(app: typer.Typer) -> None:
    """Add the store's commands to the ``lcgraph`` command line."""
    for command in (version, init, load, query, export, stats):
        app.command()(command)
