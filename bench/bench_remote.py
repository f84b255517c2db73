"""lcgraph over a remote ``oxigraph serve`` beside querying that server directly, same data, same run.

Run with ``python -m bench remote``. The server holds the ~1M-triple
synthetic network (``lcgraph.synthetic``, the data ``bench sparql`` uses)
laid out as :class:`lcgraph.store.sparql.SparqlRepository` keeps it (the
graphs, their union, the meta graph), bulk-loaded once into ``bench/out``.
"lcgraph" is the repository layer a service process uses
(``SparqlRepository.answer_bytes``: the store's own JSON streamed through the
blank-node rewrite, as the query service does; or ``apply``); the peer sends
the same SPARQL over the same protocol with httpx and reads the answer, asking
the same question (default graph = the union):

(a) a 40,000-row SELECT as JSON, end to end — goal <= 1.2x; beside it the
    engine's path (the answer parsed and serialised again: what lcgraph did
    before, and still does for stores whose probe differs) and the rewrite
    alone over the same bytes;
(b) throughput of a selective SELECT at concurrency 16 (threads) — goal >= 0.5x;
(c) a 100-entity guarded write (one conditional update request, union kept,
    version checked) beside a plain ``INSERT DATA`` of the same triples.

Medians of ``BENCH_REMOTE_ROUNDS`` rounds (default 5); ``BENCH_REMOTE_REQUESTS``
(default 2000) selective requests per throughput round.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import cast

import httpx
import pyoxigraph as ox

from bench.bench_sparql import PREFIXES, ROWS_40K, SELECTIVE, _data_file
from bench.common import OUT_DIR, VENV_BIN, median, report
from lcgraph.store.dataset import stored
from lcgraph.store.formats import SPARQL_JSON, engine_sink
from lcgraph.store.sparql import HAS_GRAPH, META, PRIVATE, UNION, VERSION, SparqlRepository, _Rewriter

ROUNDS = int(os.environ.get("BENCH_REMOTE_ROUNDS", "5"))
REQUESTS = int(os.environ.get("BENCH_REMOTE_REQUESTS", "2000"))
CONCURRENCY = 16


def _remote_store() -> Path:
    """The server's database, laid out as SparqlRepository keeps it (made once)."""
    folder = OUT_DIR / "remote-store"
    marker = folder.with_suffix(".loaded")
    if marker.exists():
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    graphs: set[ox.NamedNode | ox.BlankNode] = set()

    def quads() -> Iterator[ox.Quad]:
        with open(_data_file(), "rb") as fh:
            for q in ox.parse(fh, format=ox.RdfFormat.N_QUADS):
                q = stored(q)
                # stored() leaves no quad in the default graph.
                graphs.add(cast("ox.NamedNode | ox.BlankNode", q.graph_name))
                yield q
                if q.graph_name != PRIVATE:
                    yield ox.Quad(q.subject, q.predicate, q.object, UNION)
        for g in graphs:
            yield ox.Quad(META, HAS_GRAPH, g, META)
        yield ox.Quad(META, VERSION, ox.Literal(uuid.uuid4().hex), META)

    store = ox.Store(str(folder))
    store.bulk_extend(quads())
    store.optimize()
    store.flush()
    del store
    marker.write_text("ok\n")
    print(f"laid out the remote store in {time.perf_counter() - started:.1f} s")
    return folder


def _start(folder: Path) -> tuple[subprocess.Popen[bytes], str]:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [str(VENV_BIN / "oxigraph"), "serve", "--location", str(folder), "--bind", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(base + "/query", params={"query": "ASK {}"}, timeout=2).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("oxigraph serve did not start")


def _entities(n: int = 100) -> list[ox.Quad]:
    lc, schema = "https://w3id.org/lcgraph/def#", "https://schema.org/"
    graph = ox.NamedNode("https://w3id.org/lcgraph/graph/bench-writes")
    out = []
    tag = uuid.uuid4().hex[:8]
    for i in range(n):
        s = ox.NamedNode(f"https://w3id.org/lcgraph/id/bench/{tag}/{i}")
        out += [
            ox.Quad(
                s,
                ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
                ox.NamedNode(lc + "LearningSpace"),
                graph,
            ),
            ox.Quad(
                s,
                ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label"),
                ox.Literal(f"Space {i}", language="en"),
                graph,
            ),
            ox.Quad(s, ox.NamedNode(schema + "name"), ox.Literal(f"พื้นที่ {i}", language="th"), graph),
            ox.Quad(
                s,
                ox.NamedNode(schema + "maximumAttendeeCapacity"),
                ox.Literal(str(20 + i), datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")),
                graph,
            ),
            ox.Quad(
                s,
                ox.NamedNode(lc + "city"),
                ox.NamedNode(f"https://w3id.org/lcgraph/id/city/{i % 95}"),
                graph,
            ),
        ]
    return out


def main() -> None:
    folder = _remote_store()
    proc, base = _start(folder)
    try:
        repo = SparqlRepository.open(f"sparql:{base}/query?update={base}/update&gsp={base}/store&timeout=600")
        client = httpx.Client(
            timeout=600, limits=httpx.Limits(max_connections=64, max_keepalive_connections=32)
        )
        union = {"default-graph-uri": UNION.value}
        print(f"data: {repo.count()} quads in {len(repo.graphs())} graphs; {ROUNDS} rounds")

        def direct(query: str) -> bytes:
            r = client.post(
                base + "/query",
                data={"query": query, **union},
                headers={"Accept": "application/sparql-results+json"},
            )
            r.raise_for_status()
            return r.content

        def ours(query: str) -> bytes:
            out = io.BytesIO()
            passed = repo.answer_bytes(query, SPARQL_JSON)
            assert passed is not None and type(passed).__name__ == "_PassedAnswer"
            passed.write_to(out)
            return out.getvalue()

        def parsed(query: str) -> bytes:
            out = io.BytesIO()
            result = repo.query(query)
            assert isinstance(result, ox.QuerySolutions)
            rewriter = _Rewriter("json", out)
            result.serialize(engine_sink(rewriter), format=ox.QueryResultsFormat.JSON)
            rewriter.finish()
            return out.getvalue()

        def rewrite_only(answer: bytes) -> None:
            rewriter = _Rewriter("json", io.BytesIO())
            for i in range(0, len(answer), 65536):
                rewriter.write(answer[i : i + 65536])
            rewriter.finish()

        iris = [r["s"].value for r in repo.select(PREFIXES + "SELECT ?s { ?s a lc:LearningSpace } LIMIT 200")]
        selective = [SELECTIVE.format(iri=iri) for iri in iris]
        answer = direct(ROWS_40K)
        assert ours(ROWS_40K) == answer, "no blank nodes in this answer: the bytes pass through unchanged"
        assert len(parsed(ROWS_40K)) > 0
        print(f"load average at start: {os.getloadavg()}; answer {len(answer)} bytes")

        big_ours: list[float] = []
        big_peer: list[float] = []
        big_parsed: list[float] = []
        big_rewrite: list[float] = []
        thr_ours: list[float] = []
        thr_peer: list[float] = []
        w_ours: list[float] = []
        w_peer: list[float] = []
        for r in range(ROUNDS):
            # The order turns every round: the first query after a round's writes is slower.
            big = [(ours, big_ours), (direct, big_peer), (parsed, big_parsed)]
            for fn, times in big[r % 3 :] + big[: r % 3]:
                t = time.perf_counter()
                fn(ROWS_40K)
                times.append(time.perf_counter() - t)
            t = time.perf_counter()
            rewrite_only(answer)
            big_rewrite.append(time.perf_counter() - t)
            pair = [(ours, thr_ours), (direct, thr_peer)]
            for fn, sink in pair if r % 2 == 0 else pair[::-1]:
                t = time.perf_counter()
                with ThreadPoolExecutor(CONCURRENCY) as pool:
                    list(pool.map(fn, (selective[i % len(selective)] for i in range(REQUESTS))))
                sink.append(REQUESTS / (time.perf_counter() - t))
            print(
                f"round {r + 1}: 40k ours {big_ours[-1]:.3f} s, peer {big_peer[-1]:.3f} s, "
                f"parsed {big_parsed[-1]:.3f} s; selective ours {thr_ours[-1]:.0f}/s, "
                f"peer {thr_peer[-1]:.0f}/s; load {os.getloadavg()[0]:.1f}",
                flush=True,
            )
            quads = _entities()
            t = time.perf_counter()
            repo.apply(add=quads, expect_version=repo.version())
            w_ours.append(time.perf_counter() - t)
            plain = _entities()
            body = " ".join(f"{q.subject} {q.predicate} {q.object} ." for q in plain)
            t = time.perf_counter()
            client.post(
                base + "/update",
                data={"update": f"INSERT DATA {{ GRAPH {plain[0].graph_name} {{ {body} }} }}"},
            ).raise_for_status()
            w_peer.append(time.perf_counter() - t)
        rows = len(repo.select(ROWS_40K))
        print(f"load average at end: {os.getloadavg()}")
        report(
            f"lcgraph over oxigraph serve vs the server directly ({rows} rows; concurrency {CONCURRENCY})",
            [
                ("(a) 40k-row SELECT as JSON (s, lower is better)", median(big_ours), median(big_peer), "s"),
                ("(a') same, engine parses + writes again (s)", median(big_parsed), median(big_peer), "s"),
                ("(a'') the blank-node rewrite alone (s)", median(big_rewrite), median(big_peer), "s"),
                (
                    "(b) selective SELECT (req/s, higher is better)",
                    median(thr_ours),
                    median(thr_peer),
                    "req/s",
                ),
                ("(c) 100-entity write (s): guarded vs INSERT DATA", median(w_ours), median(w_peer), "s"),
            ],
        )
        repo.close()
        client.close()
    finally:
        proc.terminate()
        proc.wait(30)


if __name__ == "__main__":
    main()
