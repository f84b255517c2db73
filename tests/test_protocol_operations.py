"""``lcgraph serve`` as operators run it: a real process, SIGTERM mid-write, the store intact after."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
from conftest import DEFAULT_TOKENS, WRITE_TOKEN

from lcgraph.store import Dataset

GRAPH = "http://example.org/graceful"
TRIPLES = 20000


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_sigterm_lets_an_in_flight_write_finish_and_the_store_reopens(tmp_path: Path) -> None:
    data = tmp_path / "store"
    port = _free_port()
    env = {**os.environ, "LCGRAPH_TOKENS": DEFAULT_TOKENS}
    proc = subprocess.Popen(
        [sys.executable, "-m", "lcgraph.cli", "serve", "--data", str(data), "--port", str(port)],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(url + "/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
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
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    log = proc.stderr.read() if proc.stderr else ""
    access = [json.loads(line.split(" ", 4)[-1]) for line in log.splitlines() if "lcgraph.access" in line]
    assert any(entry["path"] == "/store" and entry["status"] == 201 for entry in access)
    ds = Dataset.open(data)
    assert len(list(ds.quads(None, None, None, ox.NamedNode(GRAPH)))) == TRIPLES
