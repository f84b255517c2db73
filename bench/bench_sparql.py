"""SPARQL service benchmark: lcgraph's ``/sparql`` beside ``oxigraph serve``, same data, same run.

Run with ``python -m bench sparql`` (or ``make bench BENCH=sparql``). lcgraph
runs as ``lcgraph serve`` (uvicorn's query processes, one per core, and the
writer; access log on); both servers serve the same ~1M-triple synthetic
network (``lcgraph.synthetic``, 95 cities, loaded once and cached in
``bench/out``; the Oxigraph server reads a checkpoint of the same store).
With ``BENCH_BASELINE`` naming a checkout of an earlier lcgraph (e.g. a
worktree of an older main, with its own ``.venv``), that version is run the
same way on a store its own code loaded from the same file, for comparison.
The same lean HTTP/1.1 keep-alive client (asyncio, one process) drives all:

(a) throughput of a selective SELECT (two patterns on one IRI, JSON) at
    concurrency 16 for a fixed number of requests — goal: lcgraph >= 0.6x;
(b) end-to-end time of a 40,000-row SELECT as JSON and as CSV — goal <= 1.2x;
(c) end-to-end time of a CONSTRUCT of 100,000 triples as Turtle — goal <= 1.2x;
(d) resident memory of each server's whole process tree, idle and at its peak.

Medians of several rounds are printed beside each other with the ratio.
Environment: ``BENCH_SPARQL_REQUESTS`` (default 4000), ``BENCH_SPARQL_ROUNDS`` (5),
``BENCH_SPARQL_CASES`` (a comma-separated subset of ``selective,json,csv,turtle``; default all).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from bench.common import OUT_DIR, VENV_BIN, baseline_checkout, baseline_command, median

CITIES = 95
CONCURRENCY = 16
REQUESTS = int(os.environ.get("BENCH_SPARQL_REQUESTS", "4000"))
ROUNDS = int(os.environ.get("BENCH_SPARQL_ROUNDS", "5"))
CASES = tuple(c.strip() for c in os.environ.get("BENCH_SPARQL_CASES", "selective,json,csv,turtle").split(","))

PREFIXES = """PREFIX lc: <https://w3id.org/lcgraph/def#>
PREFIX schema: <https://schema.org/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
"""
SELECTIVE = PREFIXES + "SELECT ?label ?city WHERE {{ <{iri}> rdfs:label ?label ; lc:city ?city }}"
ROWS_40K = PREFIXES + (
    "SELECT ?activity ?start WHERE { ?activity a lc:LearningActivity ; schema:startDate ?start } LIMIT 40000"
)
CONSTRUCT_100K = PREFIXES + (
    "CONSTRUCT { ?activity schema:organizer ?who } WHERE { ?activity schema:organizer ?who } LIMIT 100000"
)

JSON = "application/sparql-results+json"
CSV = "text/csv"
TURTLE = "text/turtle"


# -- data --------------------------------------------------------------------------


def _data_file() -> Path:
    from lcgraph.synthetic import generate

    OUT_DIR.mkdir(parents=True, exist_ok=True)
    path = OUT_DIR / f"sparql-synthetic-c{CITIES}.nq"
    if not path.exists():
        tmp = path.with_suffix(".partial")
        with open(tmp, "wb") as out:
            generate(CITIES, 1, out, "nq")
        tmp.rename(path)
    return path


def _stores() -> tuple[Path, Path, int]:
    """Our store and a checkpoint of it for Oxigraph (made once, reused by later runs)."""
    import pyoxigraph as ox

    from lcgraph.store import Dataset

    ours = OUT_DIR / f"sparql-store-c{CITIES}"
    peer = OUT_DIR / f"sparql-store-c{CITIES}-oxigraph"
    marker = ours.with_suffix(".loaded")
    if not marker.exists():
        shutil.rmtree(ours, ignore_errors=True)
        shutil.rmtree(peer, ignore_errors=True)
        started = time.perf_counter()
        ds = Dataset.open(ours)
        ds.load_path(_data_file())
        ds._store.optimize()
        ds.flush()
        print(f"loaded {ds.count()} quads in {time.perf_counter() - started:.1f} s")
        ds._store.backup(str(peer))
        del ds
        marker.write_text("ok\n")
    # Quads in named graphs (not the store's merged copy of them in its default graph).
    count = sum(1 for q in ox.Store.read_only(str(ours)) if not isinstance(q.graph_name, ox.DefaultGraph))
    return ours, peer, count


def _space_iris(store_dir: Path, n: int = 200) -> list[str]:
    import pyoxigraph as ox

    store = ox.Store.read_only(str(store_dir))
    q = PREFIXES + f"SELECT ?s WHERE {{ ?s a lc:LearningSpace }} LIMIT {n}"
    solutions = store.query(q, use_default_graph_as_union=True)
    assert isinstance(solutions, ox.QuerySolutions)
    return [row["s"].value for row in solutions]


# -- servers -----------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(server: Server, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            asyncio.run(_one(server, "ASK {}", JSON))
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("server did not start")


def _start_lcgraph(store: Path, checkout: Path | None = None) -> tuple[subprocess.Popen[bytes], Server]:
    """``lcgraph serve`` as a user starts it, access log to a file; ``checkout``: an earlier lcgraph's."""
    server = Server(_free_port(), "/sparql")
    name = "baseline" if checkout else "lcgraph"
    log = open(OUT_DIR / f"sparql-bench-{name}.log", "wb")  # noqa: SIM115 - lives as long as the server
    args = ("-m", "lcgraph.cli", "serve", "--data", store, "--port", server.port)
    cmd, env = (
        baseline_command(checkout, *args) if checkout else ([str(VENV_BIN / "python"), *map(str, args)], {})
    )
    # The baseline's own child processes (python -m …) must find its code first: run it from there.
    proc = subprocess.Popen(cmd, stdout=log, stderr=log, env={**os.environ, **env}, cwd=checkout)
    _wait(server, proc)
    return proc, server


def _baseline() -> tuple[Path, Path] | None:
    """The checkout in ``BENCH_BASELINE`` and a store of the same data that its own code loaded."""
    checkout = baseline_checkout()
    if checkout is None:
        return None
    store = OUT_DIR / f"sparql-store-c{CITIES}-baseline-{checkout.name}"
    marker = store.with_suffix(".loaded")
    if not marker.exists():
        shutil.rmtree(store, ignore_errors=True)
        script = (
            "import sys; from lcgraph.store import Dataset; ds = Dataset.open(sys.argv[1]); "
            "ds.load_path(sys.argv[2]); ds.store.optimize(); ds.flush()"
        )
        cmd, env = baseline_command(checkout, "-c", script, store, _data_file())
        subprocess.run(cmd, check=True, env={**os.environ, **env})
        marker.write_text("ok\n")
    return checkout, store


def load_average() -> str:
    """The machine's 1/5/15-minute load averages (the other work beside the benchmark)."""
    return " / ".join(f"{v:.1f}" for v in os.getloadavg())


def tree_rss(pid: int) -> int:
    """Resident memory of process ``pid`` and all its descendants, in bytes."""
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            with open(f"/proc/{current}/status") as fh:
                total += next(int(line.split()[1]) for line in fh if line.startswith("VmRSS:")) * 1024
            with open(f"/proc/{current}/task/{current}/children") as fh:
                todo += [int(c) for c in fh.read().split()]
        except (FileNotFoundError, StopIteration, ProcessLookupError):
            continue
    return total


def _start_oxigraph(store: Path) -> tuple[subprocess.Popen[bytes], Server]:
    server = Server(_free_port(), "/query")
    proc = subprocess.Popen(
        [
            str(VENV_BIN / "oxigraph"),
            "serve",
            "--location",
            str(store),
            "--bind",
            f"127.0.0.1:{server.port}",
            "--union-default-graph",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _wait(server, proc)
    return proc, server


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


# -- a lean HTTP/1.1 client ----------------------------------------------------------


@dataclass(frozen=True)
class Server:
    port: int
    endpoint: str

    def request(self, query: str, accept: str) -> bytes:
        path = self.endpoint + "?" + urlencode({"query": query})
        return (
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\nAccept: {accept}\r\n"
            "Connection: keep-alive\r\n\r\n"
        ).encode()


async def _response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {
        k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)
    }
    if status in (204, 304) or status < 200:
        return status, b""  # no body, whatever the headers say (RFC 9112 §6.3)
    if "content-length" in headers:
        return status, await reader.readexactly(int(headers["content-length"]))
    if headers.get("transfer-encoding", "").lower() == "chunked":
        parts: list[bytes] = []
        while True:
            size = int((await reader.readline()).split(b";")[0], 16)
            if size == 0:
                await reader.readline()
                return status, b"".join(parts)
            parts.append(await reader.readexactly(size))
            await reader.readexactly(2)
    return status, await reader.read()


async def _one(server: Server, query: str, accept: str) -> tuple[int, bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port, limit=1 << 24)
    try:
        writer.write(server.request(query, accept))
        return await _response(reader)
    finally:
        writer.close()


async def _throughput(server: Server, queries: list[str], total: int) -> float:
    requests = [server.request(q, JSON) for q in queries]
    counter = iter(range(total))
    failures = 0

    async def client() -> None:
        nonlocal failures
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        for i in counter:
            writer.write(requests[i % len(requests)])
            status, _ = await _response(reader)
            failures += status != 200
        writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(CONCURRENCY)))
    elapsed = time.perf_counter() - started
    if failures:
        raise RuntimeError(f"{failures} requests failed")
    return total / elapsed


def _timed(server: Server, query: str, accept: str) -> tuple[float, int]:
    started = time.perf_counter()
    status, body = asyncio.run(_one(server, query, accept))
    elapsed = time.perf_counter() - started
    if status != 200:
        raise RuntimeError(f"status {status}: {body[:300]!r}")
    return elapsed, len(body)


def _round(
    server: Server, selective: list[str], results: dict[str, list[float]], sizes: dict[str, int]
) -> None:
    if "selective" in CASES:
        results["qps"].append(asyncio.run(_throughput(server, selective, REQUESTS)))
    for key, query, accept in (
        ("json", ROWS_40K, JSON),
        ("csv", ROWS_40K, CSV),
        ("turtle", CONSTRUCT_100K, TURTLE),
    ):
        if key not in CASES:
            continue
        seconds, size = _timed(server, query, accept)
        results[key].append(seconds)
        sizes[key] = size


def main() -> None:
    ours_dir, peer_dir, count = _stores()
    baseline = _baseline()
    print(
        f"data: {count} quads ({CITIES} synthetic cities); {REQUESTS} requests x {ROUNDS} rounds, "
        f"concurrency {CONCURRENCY}; {os.cpu_count()} cores; rounds alternate between the servers; "
        f"load average at start {load_average()}"
    )
    iris = _space_iris(ours_dir)
    selective = [SELECTIVE.format(iri=iri) for iri in iris]
    servers: dict[str, tuple[subprocess.Popen[bytes], Server]] = {}
    try:
        servers["lcgraph"] = _start_lcgraph(ours_dir)
        servers["oxigraph"] = _start_oxigraph(peer_dir)
        if baseline is not None:
            servers["baseline"] = _start_lcgraph(baseline[1], baseline[0])
    except BaseException:
        for proc, _ in servers.values():
            _stop(proc)
        raise
    results: dict[str, dict[str, list[float]]] = {
        name: {"qps": [], "json": [], "csv": [], "turtle": []} for name in servers
    }
    sizes: dict[str, dict[str, int]] = {name: {} for name in servers}
    memory: dict[str, list[int]] = {}
    try:
        for name, (proc, server) in servers.items():
            asyncio.run(_throughput(server, selective, 500))  # warm-up
            memory[name] = [tree_rss(proc.pid)]
        # Alternate the servers round by round, so a change in machine load hits both alike.
        for _ in range(ROUNDS):
            for name, (proc, server) in servers.items():
                _round(server, selective, results[name], sizes[name])
                memory[name].append(tree_rss(proc.pid))
    finally:
        for proc, _ in servers.values():
            _stop(proc)
    print(f"load average at end {load_average()}")
    for name, values in results.items():
        print(f"{name} requests/s per round: {', '.join(f'{v:.0f}' for v in values['qps'])}")
    if sizes["lcgraph"] != sizes["oxigraph"]:
        raise RuntimeError(f"the servers' answers differ in size: {sizes}")
    print(f"answer sizes in bytes (identical for both): {sizes['lcgraph']}")
    medians = {name: {key: median(v) for key, v in values.items() if v} for name, values in results.items()}
    ours, peer = medians["lcgraph"], medians["oxigraph"]
    print("\n== SPARQL service, lcgraph vs oxigraph serve (same data, same client, same run; medians)")
    extra = f" {'baseline':>12}" if baseline else ""
    print(f"{'measure':46} {'lcgraph':>12} {'oxigraph':>12} {'ratio':>8}  goal   {extra}")
    rows = [
        ("(a) selective SELECT, conc. 16 (requests/s)", "qps", ">= 0.6x"),
        ("(b) 40k-row SELECT as JSON (ms)", "json", "<= 1.2x"),
        ("(b) 40k-row SELECT as CSV (ms)", "csv", "<= 1.2x"),
        ("(c) CONSTRUCT 100k triples as Turtle (ms)", "turtle", "<= 1.2x"),
    ]
    for label, key, goal in rows:
        if key not in ours:
            continue
        scale = 1 if key == "qps" else 1000
        a, b = ours[key] * scale, peer[key] * scale
        base = f" {medians['baseline'][key] * scale:>12.1f}" if baseline else ""
        print(f"{label:46} {a:>12.1f} {b:>12.1f} {a / b:>7.2f}x  {goal}{base}")
    for name, samples in memory.items():
        idle, peak = samples[0] / 1e6, max(samples) / 1e6
        print(f"(d) {name}: process tree RSS after warm-up {idle:.0f} MB, peak after rounds {peak:.0f} MB")
