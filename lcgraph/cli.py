"""The ``lcgraph`` command line: a thin shell over the services.

For data stewards and researchers. Every command takes ``--data DIR`` (or
``LCGRAPH_DATA``); errors are one line on stderr and exit code 2.
"""

from __future__ import annotations

import getpass
import sys
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn, TransferSpeedColumn
from rich.table import Table

from lcgraph import __version__
from lcgraph.bootstrap import initialise
from lcgraph.config import Settings
from lcgraph.namespaces import PREFIXES
from lcgraph.store import Dataset, LoadError, LoadResult, UnknownFormat, by_name, format_names

app = typer.Typer(
    name="lcgraph",
    help="lcgraph: the Learning City knowledge graph (RDF store, SHACL, gap analysis, SPARQL service).",
    no_args_is_help=True,
    add_completion=False,
)
console = Console()
err_console = Console(stderr=True)

DataOption = Annotated[
    Path | None,
    typer.Option(
        "--data", "-d", help="Data directory of the store (default: $LCGRAPH_DATA or ./var/lcgraph)."
    ),
]


StoreOption = Annotated[
    str | None,
    typer.Option(
        "--store",
        help="oxigraph:PATH (default: the data directory), memory: or sparql:QUERY_URL (see README).",
    ),
]


def fail(message: str, code: int = 2) -> NoReturn:
    """Print one line naming the problem and exit (2 = bad input)."""
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, markup=True, soft_wrap=True)
    raise typer.Exit(code)


def settings_for(data: Path | None) -> Settings:
    try:
        settings = Settings.from_env()
    except ValueError as exc:
        fail(str(exc))
    return settings.with_overrides(data_dir=data)


def open_dataset(data: Path | None, *, must_exist: bool = True, store: str | None = None) -> Dataset:
    """Open the store in the data directory (or the one ``--store``/``LCGRAPH_STORE`` names); clear errors."""
    settings = settings_for(data).with_overrides(store=store)
    if settings.store:
        from lcgraph.store.open import open_repository
        from lcgraph.store.repository import StoreUnavailable

        try:
            return open_repository(settings.store, settings)  # type: ignore[return-value]
        except (StoreUnavailable, ValueError, OSError) as exc:
            fail(f"cannot open the store: {exc}")
    path = settings.data_dir
    if must_exist and not path.exists():
        fail(f"no store at {path}: run `lcgraph init --data {path}` first")
    try:
        return Dataset.open(path)
    except OSError as exc:
        fail(f"cannot open the store at {path}: {exc}")


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
    ds: Dataset, path: Path, *, graph: str | None, fmt: str | None, afterword: Any = None
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


@app.command()
def version() -> None:
    """Print the lcgraph version."""
    console.print(__version__)


@app.command()
def init(
    data: DataOption = None,
    examples: Annotated[
        bool, typer.Option(help="Also load the illustrative examples (data/examples).")
    ] = False,
    check: Annotated[bool, typer.Option(help="Validate the loaded data against the shapes.")] = True,
    store: StoreOption = None,
) -> None:
    """Create the store and load the ontology, vocabularies, shapes and seed facts."""
    ds = open_dataset(data, must_exist=False, store=store)
    try:
        initialise(ds, examples=examples, log=lambda msg: err_console.print(msg, highlight=False))
    except LoadError as exc:
        fail(str(exc))
    if check:
        _check_conformance(ds)
    where = ds.path or getattr(getattr(ds, "endpoint", None), "name", "memory")
    err_console.print(f"store ready at {where}")


def _check_conformance(ds: Dataset) -> None:
    from lcgraph.validation.commands import report_store_conformance

    if not report_store_conformance(ds, err_console):
        fail("the loaded data does not conform to the shapes (see the report above)", code=1)


@app.command()
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
    from lcgraph.validation.guarded import ValidationFailed, forced_load_record

    sheets = [p for p in files if p.suffix.lower() in (".csv", ".xlsx", ".xls", ".tsv")]
    if sheets:
        from lcgraph.ingest.templates import TEMPLATES

        fail(
            f"{sheets[0]}: the extension says a spreadsheet, not RDF; `lcgraph load` reads RDF files. "
            f"To bring in a filled-in template use `lcgraph import TEMPLATE {sheets[0]}` (TEMPLATE: "
            f"{', '.join(sorted(TEMPLATES))}; `lcgraph templates` writes blank ones).",
            code=2,
        )
    ds = open_dataset(data, must_exist=False)
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


def _load_checked(ds: Dataset, path: Path, *, graph: str | None, fmt: str | None, agent: str) -> object:
    """A validated load: small files through the guarded write path, big ones staged on disk."""
    from lcgraph.validation.guarded import load_file
    from lcgraph.validation.streaming import STAGED_LOAD_MIN_BYTES, load_validated

    if not path.is_file() or path.stat().st_size < STAGED_LOAD_MIN_BYTES:
        return load_file(ds, path, graph=graph, format=fmt, agent=agent)
    with _progress() as bar:
        task = bar.add_task(path.name, total=path.stat().st_size)

        def phase(name: str, size: int | None) -> None:
            bar.update(task, description=f"{path.name}: {name}", total=size)

        return load_validated(
            ds,
            path,
            graph=graph,
            format=fmt,
            agent=agent,
            phase=phase,
            progress=lambda done: bar.update(task, completed=done),
        )


_RESULT_FORMATS = {"json": "JSON", "xml": "XML", "csv": "CSV", "tsv": "TSV"}


@app.command()
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
    import pyoxigraph as ox

    text = _query_text(sparql, file)
    ds = open_dataset(data)
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
    import pyoxigraph as ox

    if isinstance(term, ox.NamedNode):
        for prefix, ns in PREFIXES.items():
            if term.value.startswith(ns):
                return f"{prefix}:{term.value[len(ns) :]}"
        return term.value
    if isinstance(term, ox.Literal):
        return term.value
    return "" if term is None else str(term)


def _print_table(result: object) -> None:
    import pyoxigraph as ox

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


@app.command()
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
    from lcgraph.publish import exports
    from lcgraph.publish.privacy import QueryRefused

    ds = open_dataset(data)
    try:
        fmt = by_name(format)
        chosen = exports.resolve_slice(
            ds, city=city, partner=partner, graph=graph, cls=cls, may_read_private=include_private
        )
        target = out if out is not None else sys.stdout.buffer
        exports.write_export(ds, target, fmt, chosen, may_read_private=include_private, gzip=gzip)
    except (UnknownFormat, exports.UnknownSlice, exports.BadSlice, QueryRefused) as exc:
        fail(str(exc))


@app.command()
def stats(
    data: DataOption = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
) -> None:
    """Show triples per graph and instances per class."""
    ds = open_dataset(data)
    info = ds.stats()
    if json_output:
        import json

        console.print_json(json.dumps(info))
        return
    graphs = Table("graph", "triples", title=f"{info['quads']:,} quads in {ds.path}")
    graphs.add_row("(default graph)", f"{info['default_graph']:,}")
    for g, n in info["graphs"].items():
        graphs.add_row(_short_iri(g), f"{n:,}")
    console.print(graphs)
    classes = Table("class", "instances")
    for c, n in info["classes"].items():
        classes.add_row(_short_iri(c), f"{n:,}")
    console.print(classes)


def _short_iri(iri: str) -> str:
    import pyoxigraph as ox

    return _short(ox.NamedNode(iri))


def _register_service_commands() -> None:
    """Add the commands that the service packages contribute (each has ``register(app)``)."""
    from lcgraph import server_commands, synthetic_commands
    from lcgraph.analysis import commands as analysis_commands
    from lcgraph.ingest import commands as ingest_commands
    from lcgraph.publish import commands as publish_commands
    from lcgraph.validation import commands as validation_commands

    for module in (
        validation_commands,
        ingest_commands,
        synthetic_commands,
        analysis_commands,
        server_commands,
        publish_commands,
    ):
        module.register(app)


_register_service_commands()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
