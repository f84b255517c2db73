"""The W3C Graph Store Protocol tests with indirect identification (``?graph=``), all 9.

Replayed from ``tests/w3c/sparql11-graph-store-protocol/manifest-indirect.ttl``
(copied unchanged from the W3C) over a real server; ``/gsp`` in the manifest
is our ``/store``. Each entry on its own against the app, then all in order against
one ``lcgraph serve`` process tree (see ``test_protocol_w3c.py``).
"""

from __future__ import annotations

import pytest
from live_server import RunningServer
from w3c_manifest import W3C_DIR, W3CTest, read_manifest, run_w3c_test

MANIFEST = W3C_DIR / "sparql11-graph-store-protocol" / "manifest-indirect.ttl"
TESTS = read_manifest(MANIFEST)


def test_the_manifest_has_all_9_indirect_tests() -> None:
    assert len(TESTS) == 9


@pytest.mark.parametrize("test", TESTS, ids=[t.id for t in TESTS])
def test_w3c_graph_store(server: RunningServer, test: W3CTest) -> None:
    run_w3c_test(server, test)


def test_w3c_graph_store_in_manifest_order_on_one_server(served_server: RunningServer) -> None:
    """Every entry in order against ONE ``lcgraph serve`` process tree (query processes and the
    writer), as clients meet it: never restarted; before each entry it is emptied with DROP ALL
    and given the entry's graphs with Graph Store PUTs, over HTTP."""
    for test in TESTS:
        run_w3c_test(served_server, test, fresh=False)
