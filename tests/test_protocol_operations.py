"""``lcgraph serve`` as operators run it: a real process, SIGTERM mid-write, the store intact after."""

from __future__ import annotations

import json
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
from attacks.live import serve_existing
from live_server import DEFAULT_TOKENS, WRITE_TOKEN

from lcgraph.store import Dataset

GRAPH = "http://example.org/graceful"
TRIPLES = 20000


@pytest.mark.slow
@pytest.mark.timeout(240)  # a hang is the failure
def test_sigterm_lets_an_in_flight_write_finish_and_the_store_reopens(tmp_path: Path) -> None:
    data = tmp_path / "store"
    live = serve_existing(
        data, tmp_path / "serve.log", LCGRAPH_TOKENS=DEFAULT_TOKENS, LCGRAPH_ACCESS_LOG="true"
    )
    proc, url = live.proc, live.url
    try:
        started = threading.Event()

        def body() -> Iterator[bytes]:
            lines = [f'<http://example.org/s{i}> <http://example.org/p> "{i}" .\n' for i in range(TRIPLES)]
            yield "".join(lines[:100]).encode()
            started.set()
            time.sleep(1.0)  # SIGTERM arrives while the body is still coming in
            yield "".join(lines[100:]).encode()

        result: dict[str, httpx.Response] = {}

        def put() -> None:
            result["r"] = httpx.put(
                url + "/store",
                params={"graph": GRAPH},
                content=body(),
                headers={"Content-Type": "application/n-triples", "Authorization": f"Bearer {WRITE_TOKEN}"},
                timeout=120,
            )

        writer = threading.Thread(target=put)
        writer.start()
        assert started.wait(30)
        time.sleep(0.2)
        proc.send_signal(signal.SIGTERM)
        writer.join(timeout=120)
        assert result["r"].status_code == 201, result["r"].text
        # uvicorn re-raises the signal once its graceful shutdown is done.
        assert proc.wait(timeout=60) in (0, -signal.SIGTERM)
    finally:
        live.kill()
    log = live.log.read_text()
    access = [json.loads(line.split(" ", 4)[-1]) for line in log.splitlines() if "lcgraph.access" in line]
    assert any(entry["path"] == "/store" and entry["status"] == 201 for entry in access)
    ds = Dataset.open(data)
    assert len(list(ds.quads(None, None, None, ox.NamedNode(GRAPH)))) == TRIPLES
