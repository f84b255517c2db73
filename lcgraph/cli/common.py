"""What every ``lcgraph`` command shares: the consoles, ``--data``, errors, and opening the store.

A store has one writer at a time (RocksDB locks it). While ``lcgraph serve``
holds a store, :func:`open_for_reading` opens the newest read-only snapshot
the server published (:mod:`lcgraph.api.snapshots`) and says so in one line
on stderr; :func:`open_for_writing` refuses at once, before anything is
written, and says how to send the same write to the server. A lock held by
anything else is named as such.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.markup import escape

from lcgraph.api.snapshots import Server, SnapshotsChanging, open_newest, serving
from lcgraph.config import Settings
from lcgraph.store import Dataset, Repository, StoreUnavailable
from lcgraph.store.open import open_repository

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

Instead = Callable[[str], str]
"""Given the server's URL, what to run instead of a write command (one shell line or a sentence)."""


def fail(message: str, code: int = 2) -> NoReturn:
    """Print the problem on stderr and exit (2 = bad input, or a store that cannot be used now)."""
    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, markup=True, soft_wrap=True)
    raise typer.Exit(code)


def settings_for(data: Path | None) -> Settings:
    try:
        settings = Settings.from_env()
    except ValueError as exc:
        fail(str(exc))
    return settings.with_overrides(data_dir=data)


def _where(data: Path | None, store: str | None) -> Path | Repository:
    """The embedded store's directory, or the repository ``--store``/``LCGRAPH_STORE`` names, opened."""
    settings = settings_for(data).with_overrides(store=store)
    spec = (settings.store or "").strip()
    if not spec:
        return settings.data_dir
    if spec.startswith("oxigraph:") and spec != "oxigraph:":
        return Path(spec[len("oxigraph:") :])
    try:
        return open_repository(spec, settings)
    except (StoreUnavailable, ValueError, OSError) as exc:
        fail(f"cannot open the store: {exc}")


def _locked(exc: OSError) -> bool:
    """Whether opening failed because another process holds the store (RocksDB's LOCK file)."""
    return "lock" in str(exc).lower()


def _held_by_other(path: Path) -> NoReturn:
    fail(
        f"the store at {path} is locked by another process, and no lcgraph server is serving it "
        "(perhaps another lcgraph command is still running, or a server still starting); wait for it "
        "to finish, then try again"
    )


def _open(path: Path) -> Repository | Server:
    """The store itself, or the live server that holds it; exits if something else holds it."""
    try:
        return Dataset.open(path)
    except OSError as exc:
        if not _locked(exc):
            fail(f"cannot open the store at {path}: {exc}")
    server = serving(path)
    if server is None:
        _held_by_other(path)
    return server


def open_for_reading(data: Path | None, store: str | None = None) -> Repository:
    """The store, or, while a server holds it, the newest snapshot the server published."""
    path = _where(data, store)
    if not isinstance(path, Path):
        return path
    if not path.exists():
        fail(f"no store at {path}: run `lcgraph init --data {path}` first")
    opened = _open(path)
    if not isinstance(opened, Server):
        return opened
    try:
        dataset, made = open_newest(path)
    except (FileNotFoundError, SnapshotsChanging):
        fail(f"the server at {opened.url or '(unknown address)'} has not published a snapshot yet; try again")
    err_console.print(
        f"reading the server's snapshot of {made:%H:%M:%S}; writes go through the server"
        + (f" at {opened.url}" if opened.url else ""),
        highlight=False,
        soft_wrap=True,
    )
    return dataset


def open_for_writing(
    data: Path | None, command: str, instead: Instead, *, must_exist: bool = True, store: str | None = None
) -> Repository:
    """The store itself; while a server holds it, exit at once saying what to run instead."""
    path = _where(data, store)
    if not isinstance(path, Path):
        return path
    if must_exist and not path.exists():
        fail(f"no store at {path}: run `lcgraph init --data {path}` first")
    opened = _open(path)
    if isinstance(opened, Server):
        fail(refusal(path, opened, command, instead))
    return opened


def refusal(path: Path, server: Server, command: str, instead: Instead) -> str:
    """Why ``command`` cannot write beside the server, and what to run instead."""
    url = server.url or "http://HOST:PORT"
    who = f"the lcgraph server at {url}" + (f" (process {server.pid})" if server.pid else "")
    return (
        f"{who} holds the store at {path}, so `lcgraph {command}` cannot write to it; nothing was "
        f"written. Instead: {instead(url)}"
    )


def curl(url: str, *args: str) -> str:
    """A curl line that writes through the server with a token of the 'write' scope.

    ``args`` are quoted for the shell here; the token stays a variable the shell expands.
    """
    words = ["curl", "-X", "POST", "-H", '"Authorization: Bearer $LCGRAPH_TOKEN"']
    words += [shlex.quote(arg) for arg in (*args, url)]
    return (
        " ".join(words) + " (LCGRAPH_TOKEN: a token with the 'write' scope from the server's LCGRAPH_TOKENS)"
    )


def stop_server_first(url: str, what: str) -> str:
    return (
        f"{what}, stop the server at {url} (Ctrl-C, or kill its process), run the command again, "
        "then serve again"
    )
