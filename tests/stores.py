"""Real SPARQL stores started for the test session: ``oxigraph serve`` and Virtuoso Open Source 7.

Each store runs as its own process on a free loopback port over a temp
directory, is waited for until it answers, and is stopped at the end of the
session. A store that cannot be started FAILS the tests that use it (a
missing backend is never skipped): install Virtuoso with
``.ci/system-deps.sh`` (Debian ``virtuoso-opensource``); ``oxigraph`` comes
with the test extras.

``repository`` is parametrised over the three backends (embedded,
oxigraph-serve, virtuoso); every test that takes it runs on each, against an
empty dataset.
"""

from __future__ import annotations

import configparser
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from lcgraph.store.open import open_repository

VIRTUOSO_INI = Path("/etc/virtuoso-opensource-7/virtuoso.ini")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class RemoteStore:
    """A store process: its SPARQL query/update/GSP URLs and how to stop or reset it."""

    name: str
    query_url: str
    update_url: str
    gsp_url: str | None
    process: subprocess.Popen
    workdir: Path

    @property
    def spec(self) -> str:
        """The ``LCGRAPH_STORE`` value that puts lcgraph in front of this store."""
        spec = f"sparql:{self.query_url}?update={self.update_url}"
        if self.gsp_url:
            spec += f"&gsp={self.gsp_url}"
        return spec

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


def _wait_http(url: str, process: subprocess.Popen, what: str, log: Path, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{what} exited at start (code {process.returncode}): {log.read_text()[-2000:]}")
        try:
            r = httpx.get(url, params={"query": "ASK {}"}, timeout=2)
            if r.status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    process.kill()
    pytest.fail(f"{what} did not answer at {url} within {seconds:.0f} s: {log.read_text()[-2000:]}")


def start_oxigraph(workdir: Path) -> RemoteStore:
    exe = shutil.which("oxigraph", path=str(Path(sys.executable).parent)) or shutil.which("oxigraph")
    if exe is None:
        pytest.fail("the `oxigraph` command is missing: `pip install -e .[test]` installs it")
    port = free_port()
    log = workdir / "oxigraph.log"
    process = subprocess.Popen(
        [exe, "serve", "--location", str(workdir / "db"), "--bind", f"127.0.0.1:{port}"],
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    _wait_http(base + "/query", process, "oxigraph serve", log)
    return RemoteStore("oxigraph-serve", base + "/query", base + "/update", base + "/store", process, workdir)


def virtuoso_ini(workdir: Path, sql_port: int, http_port: int) -> Path:
    """A copy of the Debian virtuoso.ini with its files in ``workdir`` and its ports free ones."""
    if not VIRTUOSO_INI.exists() or shutil.which("virtuoso-t") is None:
        pytest.fail(
            "Virtuoso Open Source 7 is not installed (Debian package virtuoso-opensource; "
            ".ci/system-deps.sh installs it)"
        )
    ini = configparser.ConfigParser(interpolation=None, strict=False, inline_comment_prefixes=(";",))
    ini.optionxform = str  # type: ignore[assignment,method-assign]
    ini.read(VIRTUOSO_INI)
    db = workdir / "db"
    db.mkdir(parents=True, exist_ok=True)
    for key, name in [
        ("DatabaseFile", "virtuoso.db"),
        ("ErrorLogFile", "virtuoso.log"),
        ("LockFile", "virtuoso.lck"),
        ("TransactionFile", "virtuoso.trx"),
        ("xa_persistent_file", "virtuoso.pxa"),
    ]:
        ini["Database"][key] = str(db / name)
    ini["TempDatabase"]["DatabaseFile"] = str(db / "virtuoso-temp.db")
    ini["TempDatabase"]["TransactionFile"] = str(db / "virtuoso-temp.trx")
    ini["Parameters"]["ServerPort"] = f"127.0.0.1:{sql_port}"
    ini["Parameters"]["DirsAllowed"] = f"., {db}, /usr/share/virtuoso-opensource-7/vad"
    ini["HTTPServer"]["ServerPort"] = f"127.0.0.1:{http_port}"
    ini["URIQA"]["DefaultHost"] = f"127.0.0.1:{http_port}"
    # The packaged default cuts every answer at 10,000 rows (silently): a deployment must raise it too.
    ini["SPARQL"]["ResultSetMaxRows"] = "10000000"
    ini["SPARQL"]["MaxQueryExecutionTime"] = "600"
    ini.remove_section("Plugins")
    path = workdir / "virtuoso.ini"
    with path.open("w") as fh:
        ini.write(fh)
    return path


def start_virtuoso(workdir: Path) -> RemoteStore:
    sql_port, http_port = free_port(), free_port()
    ini = virtuoso_ini(workdir, sql_port, http_port)
    log = workdir / "virtuoso.out"
    process = subprocess.Popen(
        ["virtuoso-t", "+configfile", str(ini), "+foreground"],
        cwd=workdir / "db",
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{http_port}"
    _wait_http(base + "/sparql", process, "virtuoso-t", log, seconds=120)
    grant = subprocess.run(
        ["isql-vt", str(sql_port), "dba", "dba", 'exec=GRANT SPARQL_UPDATE TO "SPARQL";'],
        capture_output=True,
        text=True,
        timeout=60,
    )
    if grant.returncode != 0:
        process.kill()
        pytest.fail(f"isql-vt could not grant SPARQL_UPDATE: {grant.stdout}{grant.stderr}")
    return RemoteStore(
        "virtuoso", base + "/sparql", base + "/sparql", base + "/sparql-graph-crud", process, workdir
    )


@pytest.fixture(scope="session")
def oxigraph_server() -> Iterator[RemoteStore]:
    with tempfile.TemporaryDirectory(prefix="lcg-oxserve-") as d:
        store = start_oxigraph(Path(d))
        yield store
        store.stop()


@pytest.fixture(scope="session")
def virtuoso_server() -> Iterator[RemoteStore]:
    with tempfile.TemporaryDirectory(prefix="lcg-virtuoso-") as d:
        store = start_virtuoso(Path(d))
        yield store
        store.stop()


def empty_remote(store: RemoteStore) -> None:
    """Remove every graph lcgraph (or a test) wrote, so each test starts from an empty dataset."""
    assert store.alive(), f"{store.name} is not running"
    graphs = httpx.post(
        store.query_url,
        data={"query": "SELECT DISTINCT ?g { GRAPH ?g { ?s ?p ?o } }"},
        headers={"Accept": "application/sparql-results+json"},
        timeout=60,
    )
    graphs.raise_for_status()
    for row in graphs.json()["results"]["bindings"]:
        g = row["g"]["value"]
        if store.name == "virtuoso" and not g.startswith(("https://w3id.org/lcgraph/", "http://example.")):
            continue  # Virtuoso's own system graphs
        r = httpx.post(store.update_url, data={"update": f"DROP SILENT GRAPH <{g}>"}, timeout=60)
        r.raise_for_status()


BACKENDS = ["embedded", "oxigraph-serve", "virtuoso"]


@pytest.fixture(params=BACKENDS)
def repository(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[object]:
    """An empty repository on each backend in turn (embedded on disk, oxigraph serve, Virtuoso)."""
    if request.param == "embedded":
        repo = open_repository(f"oxigraph:{tmp_path / 'store'}")
    else:
        server = request.getfixturevalue(
            "oxigraph_server" if request.param == "oxigraph-serve" else "virtuoso_server"
        )
        empty_remote(server)
        repo = open_repository(server.spec)
    try:
        yield repo
    finally:
        repo.close()


__all__ = ["BACKENDS", "RemoteStore", "empty_remote", "free_port", "start_oxigraph", "start_virtuoso"]
