"""Both W3C manifests (SPARQL 1.1 Protocol, Graph Store Protocol) against lcgraph over a remote store.

The service runs over ``oxigraph serve`` and over Virtuoso (started by the
test setup, tests/stores.py) exactly as ``lcgraph serve --store`` runs it;
every entry of each manifest is replayed in manifest order against that one
server, which is emptied and given the entry's graphs over HTTP before each
entry (as clients meet a running service).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from live_server import DEFAULT_TOKENS, RunningServer
from stores import empty_remote
from w3c_manifest import W3C_DIR, read_manifest, run_w3c_test

from lcgraph.config import Settings
from lcgraph.store.open import open_repository

pytestmark = pytest.mark.slow

PROTOCOL = read_manifest(W3C_DIR / "sparql11-protocol" / "manifest.ttl")
GRAPH_STORE = read_manifest(W3C_DIR / "sparql11-graph-store-protocol" / "manifest-indirect.ttl")


@pytest.fixture(scope="module", params=["oxigraph-serve", "virtuoso"])
def remote_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningServer]:
    store = request.getfixturevalue(
        "oxigraph_server" if request.param == "oxigraph-serve" else "virtuoso_server"
    )
    empty_remote(store)
    repo = open_repository(store.spec)
    settings = Settings(data_dir=Path(tmp_path_factory.mktemp("unused"))).with_overrides(
        store=store.spec, tokens=DEFAULT_TOKENS
    )
    server = RunningServer(settings, repo)  # type: ignore[arg-type]
    server.start()
    try:
        yield server
    finally:
        server.stop()
        repo.close()


def test_the_manifests_are_all_there() -> None:
    assert (len(PROTOCOL), len(GRAPH_STORE)) == (34, 9)


def test_w3c_protocol_in_order_over_a_remote_store(remote_server: RunningServer) -> None:
    for test in PROTOCOL:
        run_w3c_test(remote_server, test, fresh=False)


def test_w3c_graph_store_in_order_over_a_remote_store(remote_server: RunningServer) -> None:
    for test in GRAPH_STORE:
        run_w3c_test(remote_server, test, fresh=False)
