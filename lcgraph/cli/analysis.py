"""The ``lcgraph gaps`` command: the network-gap analysis from the command line.

For policy analysts. ``register(app)`` adds the command to the lcgraph CLI.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from lcgraph.cli.common import DataOption, fail, open_for_reading, open_for_writing, stop_server_first

if TYPE_CHECKING:  # the analysis is imported when the command runs, not when the CLI starts
    from lcgraph.analysis.gaps import GapReport

OUTPUT_HELP = (
    "Where to write: a file (json/csv) or a directory (html). Default: stdout, or ./gaps-report for html."
)


class OutputFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"
    html = "html"


def _print_table(report: GapReport, console: Console, lang: str, limit: int) -> None:
    from lcgraph.analysis.report_files import SEVERITY_TH  # matplotlib: see `gaps` below

    s = report.summary()
    console.print(
        f"[bold]{s['actors']}[/] actors, [bold]{s['ties']}[/] ties, {s['cities']} cities, "
        f"{s['communities']} clusters ({s['community_method']}); [bold]{s['findings']}[/] findings "
        f"(high {s['findings_by_severity']['high']}, medium {s['findings_by_severity']['medium']}, "
        f"low {s['findings_by_severity']['low']})",
        highlight=False,
    )
    table = Table(show_lines=True)
    for col in ("#", "severity", "kind", "finding", "what to do"):
        table.add_column(col, overflow="fold")
    for i, f in enumerate(report.findings[:limit], start=1):
        msg = (
            f.message_th
            if lang == "th"
            else f.message_en
            if lang == "en"
            else f"{f.message_en}\n{f.message_th}"
        )
        rec = (
            f.recommendation_th
            if lang == "th"
            else f.recommendation_en
            if lang == "en"
            else f"{f.recommendation_en}\n{f.recommendation_th}"
        )
        sev = f"{f.severity} · {SEVERITY_TH[f.severity]}"
        table.add_row(str(i), sev, f.kind, msg, rec)
    console.print(table)
    if len(report.findings) > limit:
        console.print(f"… and {len(report.findings) - limit} more (use --limit, or --format json/csv/html)")
    if report.recommendations:
        recs = Table(title="Suggested partnerships · ข้อเสนอการจับคู่")
        for col in ("#", "who with whom", "why", "score"):
            recs.add_column(col, overflow="fold")
        for i, r in enumerate(report.recommendations[:10], start=1):
            who = f"{r.label_a_en} — {r.label_b_en}" if lang != "th" else f"{r.label_a_th} — {r.label_b_th}"
            why = r.reason_th if lang == "th" else r.reason_en
            recs.add_row(str(i), who, why, f"{r.score:.3f}")
        console.print(recs)


def _emit(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
        Console(stderr=True).print(f"wrote {output}", highlight=False)


def gaps(
    city: Annotated[
        str | None, typer.Option("--city", "-c", help="One city: slug (phayao), IRI or label.")
    ] = None,
    fmt: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="table, json, csv or html.")
    ] = OutputFormat.table,
    output: Annotated[Path | None, typer.Option("--output", "-o", help=OUTPUT_HELP)] = None,
    network: Annotated[
        Path | None, typer.Option("--network", help="Also write the network (.gexf or .graphml).")
    ] = None,
    write: Annotated[
        bool,
        typer.Option(
            "--write/--no-write",
            help="Also write the findings into the store (graph lcg:findings, replacing the previous "
            "ones; the gaps page then shows what changed since). Off by default: analysing only reads.",
        ),
    ] = False,
    lang: Annotated[str, typer.Option("--lang", help="Table language: en, th or both.")] = "both",
    limit: Annotated[int, typer.Option("--limit", help="Findings shown in the table.")] = 30,
    data: DataOption = None,
) -> None:
    """Find the gaps in the learning-city network: ranked findings in Thai and English, with what to do."""
    # networkx and matplotlib take about three seconds to import: only when analysing.
    from lcgraph.analysis.gaps import analyse
    from lcgraph.analysis.network_files import write_network
    from lcgraph.analysis.networks import AnalysisInputError
    from lcgraph.analysis.rdf_out import write_findings
    from lcgraph.analysis.report_files import findings_csv, json_text, write_report

    if lang not in ("en", "th", "both"):
        fail(f"--lang must be en, th or both, not {lang!r}")
    if network is not None and network.suffix.lower() not in (".gexf", ".graphml"):
        fail(f"--network {network}: the file name must end in .gexf or .graphml")
    if write and city is None:
        ds = open_for_writing(
            data,
            "gaps --write",
            lambda url: stop_server_first(
                url,
                "run `lcgraph gaps` without --write to analyse the server's snapshot (or GET "
                f"{url}/analysis/gaps); to store the findings",
            ),
        )
    else:
        ds = open_for_reading(data)
    started = datetime.now(UTC)
    try:
        report = analyse(ds, city=city)
    except AnalysisInputError as exc:
        fail(str(exc))
    err = Console(stderr=True)
    if write and report.city is None:
        n = write_findings(ds, report.findings, report.projections.graphs_used, started, datetime.now(UTC))
        ds.flush()
        err.print(
            f"wrote {n} findings to the graph <https://w3id.org/lcgraph/graph/findings>", highlight=False
        )
    elif write:
        err.print(
            "findings for one city are not written to the store (run without --city to refresh them)",
            highlight=False,
        )
    if network is not None:
        with network.open("wb") as stream:
            write_network(report, network.suffix.lower().lstrip("."), stream)
        err.print(f"wrote {network}", highlight=False)
    if fmt is OutputFormat.table:
        out = Console()
        if not out.is_terminal:
            out = Console(width=160)  # piped into a file: do not fold the table at 80 columns
        _print_table(report, out, lang, limit)
    elif fmt is OutputFormat.json:
        _emit(json_text(report) + "\n", output)
    elif fmt is OutputFormat.csv:
        _emit(findings_csv(report.findings), output)
    else:
        paths = write_report(report, output or Path("gaps-report"))
        err.print("wrote " + ", ".join(str(p) for p in paths), highlight=False)


def register(app: typer.Typer) -> None:
    """Add ``lcgraph gaps`` to the command line."""
    app.command("gaps")(gaps)
