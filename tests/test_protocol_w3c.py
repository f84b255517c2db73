"""The W3C SPARQL 1.1 Protocol test suite, every entry, against a real server.

The manifest (``tests/w3c/sparql11-protocol/manifest.ttl``, copied unchanged
from the W3C) describes each test as HTTP requests and expected responses;
``run_w3c_test`` (``w3c_manifest.py``) replays them over a real uvicorn server on
a temporary on-disk store: each entry on its own (the server restarted over an
empty store with the entry's graphs), then all in order against one ``lcgraph
serve`` process tree (query processes and the writer) fed over HTTP.
"""

from __future__ import annotations

import pytest
from live_server import RunningServer
from w3c_manifest import W3C_DIR, W3CTest, read_manifest, run_w3c_test

MANIFEST = W3C_DIR / "sparql11-protocol" / "manifest.ttl"
TESTS = read_manifest(MANIFEST)


def test_the_manifest_has_all_34_protocol_tests() -> None:
    assert len(TESTS) == 34
    assert len({t.id for t in TESTS}) == 34


@pytest.mark.parametrize("test", TESTS, ids=[t.id for t in TESTS])
def test_w3c_protocol(server: RunningServer, test: W3CTest) -> None:
    run_w3c_test(server, test)


def test_w3c_protocol_in_manifest_order_on_one_server(served_server: RunningServer) -> None:
    """Every entry in order against ONE ``lcgraph serve`` process tree (query processes and the
    writer), as clients meet it: never restarted; before each entry it is emptied with DROP ALL
    and given the entry's graphs with Graph Store PUTs, over HTTP."""
    for test in TESTS:
        run_w3c_test(served_server, test, fresh=False)
