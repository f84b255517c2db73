"""The ``lcgraph generate`` command: synthetic national-scale data for benchmarks.

For developers and benchmark scripts. A thin shell over
:func:`lcgraph.synthetic.generate`; :mod:`lcgraph.cli` calls :func:`register`.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

from lcgraph.cli.common import err_console, fail
from lcgraph.synthetic import PROFILES, Profile, generate


class OutputFormat(StrEnum):
    nq = "nq"
    nt = "nt"


# One choice per profile the generator defines. mypy cannot type an Enum whose members are computed.
ProfileName = StrEnum("ProfileName", {name: name for name in PROFILES})  # type: ignore[misc]


def generate_command(
    cities: Annotated[int, typer.Option("--cities", "-n", min=1, help="Number of synthetic cities.")] = 29,
    seed: Annotated[int, typer.Option("--seed", "-s", help="Random seed: same seed, same bytes.")] = 1,
    format: Annotated[
        OutputFormat,
        typer.Option("--format", "-f", help="nq (N-Quads, graph lcg:synthetic) or nt (N-Triples)."),
    ] = OutputFormat.nq,
    out: Annotated[str, typer.Option("--out", "-o", help="Output file, or - for standard output.")] = "-",
    profile: Annotated[
        ProfileName,
        typer.Option(
            "--profile",
            help="default: 50-300 spaces a city (29 cities: a few hundred thousand triples; "
            "100: over a million). benchmark: sized for the gap-analysis benchmark "
            "(1000 cities: about 100k actors and 1M ties).",
        ),
    ] = ProfileName("default"),
) -> None:
    """Write a deterministic synthetic learning-city network (streamed N-Quads or N-Triples).

    Every label says the data is synthetic. Example:
    lcgraph generate --cities 100 --seed 7 --out var/synthetic-100.nq
    """
    started = time.perf_counter()
    with _progress() as bar:
        task = bar.add_task("generating", total=cities)

        def tick(done: int, _total: int) -> None:
            bar.update(task, completed=done)

        written = _write(out, cities, seed, str(format), PROFILES[str(profile)], tick)
    where = "standard output" if out == "-" else out
    seconds = time.perf_counter() - started
    err_console.print(
        f"wrote {written:,} triples for {cities} {'city' if cities == 1 else 'cities'} "
        f"(seed {seed}, profile {profile}) to {where} in {seconds:.1f} s",
        highlight=False,
        soft_wrap=True,
    )


def _progress() -> Progress:
    return Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err_console,
        transient=True,
        disable=not err_console.is_terminal,
    )


def _write(
    out: str, cities: int, seed: int, fmt: str, profile: Profile, tick: Callable[[int, int], None]
) -> int:
    """Generate into a file or standard output; a clear error (exit 2) if it cannot be written."""
    if out == "-":
        try:
            written = generate(cities, seed, sys.stdout.buffer, fmt, profile=profile, progress=tick)
            sys.stdout.buffer.flush()
        except BrokenPipeError:  # the reader stopped early (e.g. `| head`): not an error of ours
            # Point stdout at /dev/null so the interpreter's final flush does not fail again.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise typer.Exit(0) from None
        return written
    path = Path(out)
    try:
        with path.open("wb") as stream:
            return generate(cities, seed, stream, fmt, profile=profile, progress=tick)
    except OSError as exc:
        fail(f"cannot write {path}: {exc.strerror or exc}")


def register(app: typer.Typer) -> None:
    """Add ``generate`` to the lcgraph command line."""
    app.command("generate")(generate_command)
