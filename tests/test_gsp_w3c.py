"""The W3C Graph Store Protocol tests with indirect identification (``?graph=``), all 9.

Replayed from ``tests/w3c/sparql11-graph-store-protocol/manifest-indirect.ttl``
(copied unchanged from the W3C) over a real server; ``/gsp`` in the manifest
is our ``/store``. Run against the app alone and as ``lcgraph serve`` runs it.
"""

from __future__ import annotations

import pytest
from conftest import W3C_DIR, RunningServer, W3CTest, read_manifest, run_w3c_test

MANIFEST = W3C_DIR / "sparql11-graph-store-protocol" / "manifest-indirect.ttl"
TESTS = read_manifest(MANIFEST)


def test_the_manifest_has_all_9_indirect_tests() -> None:
    assert len(TESTS) == 9


@pytest.mark.parametrize("test", TESTS, ids=[t.id for t in TESTS])
def test_w3c_graph_store(server: RunningServer, test: W3CTest) -> None:
    run_w3c_test(server, test)


@pytest.mark.parametrize("test", TESTS, ids=[t.id for t in TESTS])
def test_w3c_graph_store_through_lcgraph_serve(served_server: RunningServer, test: W3CTest) -> None:
    """The same entries against ``lcgraph serve``'s process tree (query processes and the writer)."""
    run_w3c_test(served_server, test)


def test_w3c_graph_store_in_manifest_order_on_one_server(module_server_factory) -> None:  # noqa: ANN001
    """As clients run it: every entry in order against ONE long-running server, no reset between."""
    one = module_server_factory()
    for test in TESTS:
        run_w3c_test(one, test)
