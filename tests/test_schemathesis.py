"""Schemathesis over ``/openapi.json`` of a real ``lcgraph serve``: no request it generates gets a 5xx.

Every generated case is sent four times: anonymously and with each token
(write; read-private; write+admin), to a server of its own (the write tokens
may change its store). The number of cases per operation is bounded so the
test takes about a minute.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
import schemathesis
from attacks.live import WHO, Live, auth, make_template, serve
from hypothesis import HealthCheck, Phase, given, settings

CASES_PER_OPERATION = 25


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    template = make_template(tmp_path_factory.mktemp("schemathesis-store"))
    server = serve(template, tmp_path_factory.mktemp("schemathesis-server"), LCGRAPH_QUERY_TIMEOUT="5")
    yield server
    server.stop()


def operations(live: Live) -> list[schemathesis.APIOperation]:
    schema = schemathesis.openapi.from_url(live.url + "/openapi.json")
    return [result.ok() for result in schema.get_all_operations()]


def check_operation(live: Live, operation: schemathesis.APIOperation) -> None:
    """Generate cases for one operation and send each with every credential; no answer may be a 5xx."""

    @given(case=operation.as_strategy())
    @settings(
        max_examples=CASES_PER_OPERATION,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    def check(case: schemathesis.Case) -> None:
        for who in WHO:
            try:
                response = case.call(base_url=live.url, headers=auth(who), timeout=60)
            except httpx.HTTPError as exc:
                pytest.fail(f"{case.method} {case.formatted_path} ({who}): {type(exc).__name__}: {exc}")
            assert response.status_code < 500, (
                f"{who}: {case.method} {case.formatted_path} -> {response.status_code}\n"
                f"{case.as_curl_command()}\n{response.text[:500]}"
            )

    check()


@pytest.mark.slow
def test_no_generated_request_gets_a_server_error(live: Live) -> None:
    failures = []
    ops = operations(live)
    assert len(ops) > 20
    for operation in ops:
        try:
            check_operation(live, operation)
        except AssertionError as exc:  # hypothesis re-raises the shrunk failure
            failures.append(f"{operation.method.upper()} {operation.path}: {str(exc)[:600]}")
    assert failures == [], "\n\n".join(failures)


def test_the_schema_is_served_and_lists_the_main_routes(live: Live) -> None:
    paths = httpx.get(live.url + "/openapi.json", timeout=30).json()["paths"]
    for route in ("/sparql", "/store", "/validate", "/queries", "/export", "/search"):
        assert route in paths, route
