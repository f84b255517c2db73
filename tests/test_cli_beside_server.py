"""The ``lcgraph`` commands beside a running ``lcgraph serve``, as real processes.

The server holds the store (RocksDB allows one writer). Read commands read
the newest snapshot it published and say so in one line on stderr; write
commands stop at once with exit code 2, write nothing, and print what to
run instead, which works when run as printed. A lock held by something
that is not a server is named as such.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from attacks.live import Live, run, serve_existing
from live_server import DEFAULT_TOKENS, PRIVATE_TOKEN, WRITE_TOKEN

from lcgraph.store import Dataset

LCGRAPH = str(Path(sys.executable).parent / "lcgraph")
GRAPH = "http://example.org/beside/g"
TTL = '@prefix ex: <http://example.org/beside/> .\nex:s ex:p "{value}" .\n'
SNAPSHOT_LINE = re.compile(
    r"^reading the server's snapshot of \d\d:\d\d:\d\d; writes go through the server at (\S+)$"
)


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """``lcgraph serve`` (two query processes) over a store made by ``lcgraph init --examples``."""
    root = tmp_path_factory.mktemp("beside")
    done = run("init", "--data", str(root / "db"), "--examples")
    assert done.returncode == 0, done.stderr
    live = serve_existing(root / "db", root / "server.log", "--workers", "2", LCGRAPH_TOKENS=DEFAULT_TOKENS)
    yield live
    live.stop()


def lcgraph(*args: str | Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LCGRAPH_")}
    return subprocess.run([LCGRAPH, *map(str, args)], capture_output=True, text=True, timeout=300, env=env)


def _count(service: Live) -> int:
    """Every quad the server holds, private graph and history included."""
    r = httpx.get(
        service.sparql,
        params={"query": "SELECT (COUNT(*) AS ?n) { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }"},
        headers={"Accept": "application/sparql-results+json", "Authorization": f"Bearer {PRIVATE_TOKEN}"},
        timeout=30,
    )
    assert r.status_code == 200, r.text
    return int(r.json()["results"]["bindings"][0]["n"]["value"])


def _values(service: Live) -> list[str]:
    proc = lcgraph(
        "query", "--data", service.data, "--format", "csv", f"SELECT ?o {{ GRAPH <{GRAPH}> {{ ?s ?p ?o }} }}"
    )
    assert proc.returncode == 0, proc.stderr
    return sorted(line.strip() for line in proc.stdout.splitlines()[1:])


def test_read_commands_read_the_servers_newest_snapshot(service: Live) -> None:
    put = httpx.put(
        service.url + "/store",
        params={"graph": GRAPH},
        content=TTL.format(value="through the server"),
        headers={"Content-Type": "text/turtle", "Authorization": f"Bearer {WRITE_TOKEN}"},
        timeout=30,
    )
    assert put.status_code in (200, 201, 204), put.text
    query = lcgraph(
        "query", "--data", service.data, "--format", "csv", f"SELECT ?o {{ GRAPH <{GRAPH}> {{ ?s ?p ?o }} }}"
    )
    assert query.returncode == 0, query.stderr
    assert query.stdout.split() == ["o", "through", "the", "server"]  # the write just made is read
    lines = query.stderr.splitlines()
    assert len(lines) == 1 and SNAPSHOT_LINE.match(lines[0]), query.stderr
    assert SNAPSHOT_LINE.match(lines[0]).group(1) == service.url

    stats = lcgraph("stats", "--data", service.data, "--json")
    assert stats.returncode == 0, stats.stderr
    assert json.loads(stats.stdout)["graphs"][GRAPH] == 1
    exported = lcgraph("export", "--data", service.data, "--graph", GRAPH, "--format", "nt")
    assert exported.returncode == 0, exported.stderr
    assert exported.stdout.strip() == (
        '<http://example.org/beside/s> <http://example.org/beside/p> "through the server" .'
    )
    gaps = lcgraph("gaps", "--data", service.data, "--format", "json")
    assert gaps.returncode == 0, gaps.stderr
    assert json.loads(gaps.stdout)["summary"]["cities"] > 0
    validated = lcgraph("validate", "--data", service.data, "--all", "--output", "json")
    assert validated.returncode == 0, validated.stderr
    for proc in (stats, exported, gaps, validated):
        assert any(SNAPSHOT_LINE.match(line) for line in proc.stderr.splitlines()), proc.stderr


def _refused(proc: subprocess.CompletedProcess[str], service: Live, command: str) -> str:
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    message = " ".join(proc.stderr.split())
    assert f"the lcgraph server at {service.url}" in message, message
    assert f"holds the store at {service.data}" in message, message
    assert f"`lcgraph {command}` cannot write to it; nothing was written" in message, message
    return message


def test_load_refused_with_the_graph_store_request_that_works(service: Live, tmp_path: Path) -> None:
    data = tmp_path / "new.ttl"
    data.write_text(TTL.format(value="loaded by curl"), encoding="utf-8")
    before = _count(service)
    message = _refused(lcgraph("load", "--data", service.data, "--graph", GRAPH, data), service, "load")
    assert _count(service) == before
    request = re.search(r"(curl .*?) \(LCGRAPH_TOKEN: a token with the 'write' scope", message)
    assert request is not None, message
    assert f"'{service.url}/store?graph={GRAPH}'" in request.group(1)
    assert f"--data-binary @{data}" in request.group(1)
    # What the message says to run, run as printed with a write token.
    done = subprocess.run(
        ["bash", "-c", request.group(1) + " --fail --silent --show-error"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "LCGRAPH_TOKEN": WRITE_TOKEN},
    )
    assert done.returncode == 0, done.stderr
    assert "loaded by curl" in _values(service)


def test_import_refused_with_the_import_route(service: Live, tmp_path: Path) -> None:
    sheet = tmp_path / "spaces.csv"
    sheet.write_text("id,name_th\n", encoding="utf-8")
    before = _count(service)
    message = _refused(lcgraph("import", "--data", service.data, "spaces", sheet), service, "import")
    assert f"-F file=@{sheet} {service.url}/import/spaces" in message, message
    assert '-H "Authorization: Bearer $LCGRAPH_TOKEN"' in message
    assert _count(service) == before


@pytest.mark.parametrize(
    ("args", "command", "advice"),
    [
        (["init", "--examples"], "init", "stop the server at"),
        (["gaps", "--write"], "gaps --write", "run `lcgraph gaps` without --write"),
        (["privacy-check", "--fix"], "privacy-check --fix", "`lcgraph privacy-check` without --fix"),
    ],
)
def test_other_writes_refused_with_what_to_do(
    service: Live, args: list[str], command: str, advice: str
) -> None:
    before = _count(service)
    message = _refused(lcgraph(*args, "--data", service.data), service, command)
    assert advice in message, message
    assert _count(service) == before


def test_a_second_server_on_the_same_store_says_where_the_first_is(service: Live) -> None:
    proc = lcgraph("serve", "--data", service.data, "--port", "0")
    assert proc.returncode == 2
    assert f"already serves {service.data} at {service.url}" in " ".join(proc.stderr.split())


def test_a_lock_held_by_something_else_is_named(tmp_path: Path) -> None:
    path = tmp_path / "db"
    holder = Dataset.open(path)  # this test process holds the store; no server serves it
    try:
        for args in (["query", "ASK {}"], ["load", tmp_path / "none.ttl"]):
            proc = lcgraph(*args, "--data", path)
            assert proc.returncode == 2, proc.stderr
            message = " ".join(proc.stderr.split())
            assert f"the store at {path} is locked by another process" in message, message
            assert "no lcgraph server is serving it" in message, message
    finally:
        del holder
    proc = lcgraph("query", "--data", path, "ASK {}")  # the lock is gone with the process's store
    assert proc.returncode == 0 and proc.stdout.strip() == "true", proc.stderr
