"""Mixed load: 16 clients for 60 s on ``lcgraph serve``, beside ``oxigraph serve`` under the same reads.

Run with ``python -m bench mixed``. Same ~1M-triple synthetic store as
``bench_sparql``. Sixteen keep-alive clients each loop over a mix of reads:
a selective SELECT, a 1,000-row SELECT, a canned query for one city
(``/queries/…`` on lcgraph; its SPARQL text on Oxigraph) and, on lcgraph
only, a resource page (``/id/…``, HTML); on lcgraph one more client makes one small
valid write per second (Graph Store POST with a write token). Printed:
requests, errors (must be 0), p50/p99 latency per kind and overall reads,
beside Oxigraph's figures for the same SPARQL reads, and the peak resident
memory of each server's whole process tree at idle and under the load.

Environment: ``BENCH_MIXED_SECONDS`` (default 60), ``BENCH_MIXED_CLIENTS`` (16),
``BENCH_MIXED_ROUNDS`` (1; the servers take turns, latencies of all rounds pooled).
"""

from __future__ import annotations

import asyncio
import itertools
import os
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from bench.bench_sparql import (
    JSON,
    PREFIXES,
    SELECTIVE,
    Server,
    _free_port,
    _response,
    _space_iris,
    _start_oxigraph,
    _stop,
    _stores,
    _wait,
    load_average,
    tree_rss,
)
from bench.common import OUT_DIR, VENV_BIN

SECONDS = float(os.environ.get("BENCH_MIXED_SECONDS", "60"))
CLIENTS = int(os.environ.get("BENCH_MIXED_CLIENTS", "16"))
ROUNDS = int(os.environ.get("BENCH_MIXED_ROUNDS", "1"))
TOKEN = "bench-mixed-write-token-1"
ROWS_1000 = PREFIXES + (
    "SELECT ?activity ?start WHERE { ?activity a lc:LearningActivity ; schema:startDate ?start } LIMIT 1000"
)
CANNED = "activities-by-age-group"  # with ?city bound (a city's activities by age group)


def _city(store: Path) -> str:
    import pyoxigraph as ox

    query = PREFIXES + "SELECT ?c WHERE { ?c a lc:LearningCity } ORDER BY ?c LIMIT 1"
    solutions = ox.Store.read_only(str(store)).query(query, use_default_graph_as_union=True)
    assert isinstance(solutions, ox.QuerySolutions)
    return next(iter(solutions))["c"].value


def _canned_text(city: str) -> str:
    """The canned query's SPARQL with the city bound, for a server that has no canned queries."""
    from lcgraph.queries import CannedQueries

    return CannedQueries.load([]).get(CANNED).sparql + f"\nVALUES ?city {{ <{city}> }}"


def _get(server: Server, path: str, accept: str) -> bytes:
    return (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nAccept: {accept}\r\n"
        "Connection: keep-alive\r\n\r\n"
    ).encode()


def _query(server: Server, query: str) -> bytes:
    return _get(server, server.endpoint + "?" + urlencode({"query": query}), JSON)


def _write(server: Server, n: int) -> bytes:
    body = f'<http://example.org/bench/s{n % 50}> <http://www.w3.org/2000/01/rdf-schema#label> "w{n}" .\n'
    data = body.encode()
    graph = quote("http://example.org/bench/writes", safe="")
    return (
        f"POST /store?graph={graph} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
        f"Authorization: Bearer {TOKEN}\r\nContent-Type: text/turtle\r\n"
        f"Content-Length: {len(data)}\r\nConnection: keep-alive\r\n\r\n"
    ).encode() + data


def _mix(server: Server, iris: list[str], city: str, lcgraph: bool) -> list[tuple[str, bytes]]:
    mix = [("selective", _query(server, SELECTIVE.format(iri=iri))) for iri in iris[:50]]
    mix += [("rows1000", _query(server, ROWS_1000))] * 5
    if lcgraph:
        mix += [("canned", _get(server, f"/queries/{CANNED}?" + urlencode({"city": city}), JSON))] * 5
        mix += [("page", _get(server, "/id/" + iri.rsplit("/id/", 1)[-1], "text/html")) for iri in iris[:5]]
    else:
        mix += [("canned", _query(server, _canned_text(city)))] * 5
    return mix


async def _load(server: Server, mix: list[tuple[str, bytes]], writes: bool) -> dict[str, list[float]]:
    latencies: dict[str, list[float]] = {}
    errors: list[str] = []
    deadline = time.monotonic() + SECONDS

    reconnects = [0]

    async def exchange(link: list[Any], request: bytes) -> tuple[int, bytes]:
        """Send on the keep-alive connection; if the server had closed it while idle (its keep-alive
        time passed before this busy client sent again), reconnect and send once more (RFC 9112 §9.3.1)."""
        for attempt in (1, 2):
            if link[0] is None:
                link[0], link[1] = await asyncio.open_connection("127.0.0.1", server.port, limit=1 << 24)
            link[1].write(request)
            try:
                return await _response(link[0])
            except asyncio.IncompleteReadError as exc:
                link[1].close()
                link[0] = link[1] = None
                if exc.partial or attempt == 2:
                    raise
                reconnects[0] += 1
        raise AssertionError("unreachable")

    async def client(offset: int) -> None:
        link: list[Any] = [None, None]
        try:
            for kind, request in itertools.islice(itertools.cycle(mix), offset, None):
                if time.monotonic() > deadline:
                    return
                started = time.perf_counter()
                status, _ = await exchange(link, request)
                latencies.setdefault(kind, []).append(time.perf_counter() - started)
                if status >= 400:
                    errors.append(f"{kind}: {status}")
        finally:
            if link[1] is not None:
                link[1].close()

    async def writer_client() -> None:
        link: list[Any] = [None, None]
        n = 0
        try:
            while time.monotonic() < deadline:
                started = time.perf_counter()
                status, body = await exchange(link, _write(server, n))
                latencies.setdefault("write", []).append(time.perf_counter() - started)
                if status not in (201, 204):
                    errors.append(f"write: {status} {body[:200]!r}")
                n += 1
                await asyncio.sleep(max(0.0, 1.0 - (time.perf_counter() - started)))
        finally:
            if link[1] is not None:
                link[1].close()

    tasks = [client(i * 7) for i in range(CLIENTS)]
    if writes:
        tasks.append(writer_client())
    results = await asyncio.gather(*tasks, return_exceptions=True)
    errors += [f"{type(r).__name__}: {r}" for r in results if isinstance(r, BaseException)]
    latencies["errors"] = [float(len(errors))]
    latencies["reconnects"] = [float(reconnects[0])]
    if errors:
        print("errors:", errors[:10])
    return latencies


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))] if ordered else float("nan")


class PeakRss:
    """The peak resident memory of a process tree, sampled in a thread."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak, self._stop = pid, 0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, tree_rss(self.pid))
            self._stop.wait(0.25)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _start_lcgraph(store: Path) -> tuple[subprocess.Popen[bytes], Server]:
    server = Server(_free_port(), "/sparql")
    log = open(OUT_DIR / "mixed-bench-server.log", "wb")  # noqa: SIM115 - lives as long as the server
    proc = subprocess.Popen(
        [str(VENV_BIN / "lcgraph"), "serve", "--data", str(store), "--port", str(server.port)],
        stdout=log,
        stderr=log,
        env={**os.environ, "LCGRAPH_TOKENS": f"bench:{TOKEN}:write"},
    )
    _wait(server, proc)
    return proc, server


def _scratch_copy(store: Path) -> Path:
    """A checkpoint of the cached store (hard links, instant) for lcgraph to write into, so the
    writes of one run never change the data the next run reads."""
    import pyoxigraph as ox

    from lcgraph.store.dataset import _UNION_MARK

    copy = Path(tempfile.mkdtemp(prefix="mixed-", dir=OUT_DIR)) / "db"
    ox.Store(str(store)).backup(str(copy))
    # The mark that the merged default graph is built (else opening the copy rebuilds it).
    shutil.copy2(store / _UNION_MARK, copy / _UNION_MARK)
    return copy


def main() -> None:
    cached_dir, peer_dir, count = _stores()
    ours_dir = _scratch_copy(cached_dir)
    iris = _space_iris(ours_dir)
    city = _city(ours_dir)
    print(
        f"data: {count} quads; {CLIENTS} clients x {SECONDS:g} s per server; {os.cpu_count()} cores; "
        f"load average {load_average()}"
    )
    rows: dict[str, tuple[dict[str, list[float]], int, int]] = {}
    # Both servers run side by side; the load alternates between them round by round, so a change
    # in the machine's other load hits both alike. Latencies of all rounds are pooled.
    started = {
        "lcgraph": _start_lcgraph(ours_dir),
        "oxigraph": _start_oxigraph(peer_dir),
    }
    try:
        time.sleep(2)
        for name, (proc, _) in started.items():
            rows[name] = ({}, tree_rss(proc.pid), 0)
        for round_ in range(ROUNDS):
            for name, (proc, server) in started.items():
                with PeakRss(proc.pid) as peak:
                    latencies = asyncio.run(
                        _load(server, _mix(server, iris, city, name == "lcgraph"), name == "lcgraph")
                    )
                pooled, idle, top = rows[name]
                for kind, values in latencies.items():
                    pooled[kind] = (
                        [pooled.get(kind, [0.0])[0] + values[0]]
                        if kind in ("errors", "reconnects")
                        else pooled.get(kind, []) + values
                    )
                rows[name] = (pooled, idle, max(top, peak.peak))
                print(f"round {round_ + 1}: {name} done; load average {load_average()}")
    finally:
        for proc, _ in started.values():
            _stop(proc)
        shutil.rmtree(ours_dir.parent, ignore_errors=True)
    print(f"\n== Mixed load, {CLIENTS} clients, {ROUNDS} x {SECONDS:g} s (latency ms: p50 / p99; same reads)")
    print(f"{'kind':12} {'lcgraph n':>10} {'p50':>8} {'p99':>8}   {'oxigraph n':>10} {'p50':>8} {'p99':>8}")
    for kind in ("selective", "rows1000", "canned", "page", "write", "reads (SPARQL)"):
        cells = []
        for name in ("lcgraph", "oxigraph"):
            lat = rows[name][0]
            values = (
                lat.get("selective", []) + lat.get("rows1000", []) + lat.get("canned", [])
                if kind.startswith("reads")
                else lat.get(kind, [])
            )
            p50, p99 = _percentile(values, 0.5) * 1000, _percentile(values, 0.99) * 1000
            cells.append(
                f"{len(values):>10} {p50:>8.1f} {p99:>8.1f}" if values else f"{'-':>10} {'-':>8} {'-':>8}"
            )
        print(f"{kind:12} {cells[0]}   {cells[1]}")
    for name in ("lcgraph", "oxigraph"):
        latencies, idle, top = rows[name]
        print(
            f"{name}: errors {int(latencies['errors'][0])}, reconnects after an idle close "
            f"{int(latencies['reconnects'][0])}; process tree RSS idle {idle / 1e6:.0f} MB, "
            f"peak under load {top / 1e6:.0f} MB"
        )
