"""Schemathesis over ``/openapi.json`` of a real ``lcgraph serve``: no request it generates gets a 5xx.

Every generated case is sent four times: anonymously and with each token
(write; read-private; write+admin), to a server of its own (the write tokens
may change its store). The number of cases per operation is bounded so the
test takes about a minute.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import schemathesis
from attacks.live import WHO, Live, auth, make_template, serve
from hypothesis import HealthCheck, Phase, settings

CASES_PER_OPERATION = 25


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    template = make_template(tmp_path_factory.mktemp("schemathesis-store"))
    server = serve(template, tmp_path_factory.mktemp("schemathesis-server"), LCGRAPH_QUERY_TIMEOUT="5")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def api_schema(live: Live) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_url(live.url + "/openapi.json")


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=CASES_PER_OPERATION,
    deadline=None,
    phases=[Phase.explicit, Phase.generate, Phase.target],
    suppress_health_check=list(HealthCheck),
)
def test_no_generated_request_gets_a_server_error(case: schemathesis.Case, live: Live) -> None:
    for who in WHO:
        try:
            response = case.call(base_url=live.url, headers=auth(who), timeout=60)
        except httpx.HTTPError as exc:  # pragma: no cover - only on a broken server
            pytest.fail(f"{case.method} {case.formatted_path} ({who}): {type(exc).__name__}: {exc}")
        assert response.status_code < 500, (
            f"{who}: {case.method} {case.formatted_path} -> {response.status_code}\n"
            f"{case.as_curl_command()}\n{response.text[:500]}"
        )


def test_the_schema_is_served_and_lists_the_main_routes(live: Live) -> None:
    paths = httpx.get(live.url + "/openapi.json", timeout=30).json()["paths"]
    for route in ("/sparql", "/store", "/validate", "/queries", "/export", "/search"):
        assert route in paths, route


_ = Path
