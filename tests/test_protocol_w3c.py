"""The W3C SPARQL 1.1 Protocol test suite, every entry, against a real server.

The manifest (``tests/w3c/sparql11-protocol/manifest.ttl``, copied unchanged
from the W3C) describes each test as HTTP requests and expected responses;
``run_w3c_test`` (conftest) replays them over a real uvicorn server on a
temporary on-disk store, emptied before each entry — once against the app alone
and once as ``lcgraph serve`` runs it (query processes and the writer).
"""

from __future__ import annotations

import pytest
from conftest import W3C_DIR, RunningServer, W3CTest, read_manifest, run_w3c_test

MANIFEST = W3C_DIR / "sparql11-protocol" / "manifest.ttl"
TESTS = read_manifest(MANIFEST)


def test_the_manifest_has_all_34_protocol_tests() -> None:
    assert len(TESTS) == 34
    assert len({t.id for t in TESTS}) == 34


@pytest.mark.parametrize("test", TESTS, ids=[t.id for t in TESTS])
def test_w3c_protocol(server: RunningServer, test: W3CTest) -> None:
    run_w3c_test(server, test)


@pytest.mark.parametrize("test", TESTS, ids=[t.id for t in TESTS])
def test_w3c_protocol_through_lcgraph_serve(served_server: RunningServer, test: W3CTest) -> None:
    """The same entries against ``lcgraph serve``'s process tree (query processes and the writer)."""
    run_w3c_test(served_server, test)


def test_w3c_protocol_in_manifest_order_on_one_server(module_server_factory) -> None:  # noqa: ANN001
    """As clients run it: every entry in order against ONE long-running server, no reset between."""
    one = module_server_factory()
    for test in TESTS:
        run_w3c_test(one, test)
