"""The web UI's pages and the canned-query REST endpoints, on a real server over the shipped data."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator

import httpx
import pytest
from conftest import RunningServer

from lcgraph.bootstrap import initialise
from lcgraph.namespaces import GRAPH_PRIVATE

EXAMPLE_CITY = "https://w3id.org/lcgraph/id/city/example-north"


@pytest.fixture(scope="module")
def site(module_server_factory: Callable[..., RunningServer]) -> Iterator[RunningServer]:
    server = module_server_factory()
    initialise(server.dataset, examples=True)
    server.app.state.runtime.mark_written()
    yield server


def count(server: RunningServer, cls: str) -> int:
    r = httpx.post(
        server.sparql,
        data={"query": f"SELECT (COUNT(DISTINCT ?s) AS ?n) {{ ?s a <{cls}> }}"},
        headers={"Accept": "text/csv"},
    )
    return int(r.text.splitlines()[1])


def test_home_shows_the_counts_in_both_languages(site: RunningServer) -> None:
    cities = count(site, "https://w3id.org/lcgraph/def#LearningCity")
    activities = count(site, "https://w3id.org/lcgraph/def#LearningActivity")
    assert cities >= 3 and activities >= 40
    th = httpx.get(site.url + "/", params={"lang": "th"})
    assert th.status_code == 200 and 'lang="th"' in th.text
    assert re.search(rf'data-count="cities">{cities:,}<', th.text)
    assert re.search(rf'data-count="activities">{activities:,}<', th.text)
    assert "เมืองแห่งการเรียนรู้" in th.text
    assert th.cookies.get("lcgraph_lang") == "th"
    en = httpx.get(site.url + "/", headers={"Accept-Language": "en-GB,en;q=0.8"})
    assert 'lang="en"' in en.text and "Learning cities" in en.text
    for link in ("/query", "/explore", "/gaps"):
        assert f'href="{link}?lang=en"' in en.text


def test_home_counts_follow_writes(site: RunningServer) -> None:
    """The home page's figures are kept between requests, and renewed by a write."""

    def triples() -> int:
        html = httpx.get(site.url + "/", params={"lang": "en"}).text
        found = re.search(r'data-count="triples">([\d,]+)<', html)
        assert found, "the home page shows the number of triples"
        return int(found.group(1).replace(",", ""))

    def public_triples() -> int:
        private = str(GRAPH_PRIVATE)
        return site.dataset.count() - (site.dataset.count(private) if site.dataset.has_graph(private) else 0)

    before = triples()
    assert before == public_triples()
    assert before > 1000 and triples() == before
    graph = "http://example.org/test-web/home-counts"
    put = httpx.put(
        site.store,
        params={"graph": graph},
        content='<http://example.org/test-web/s> <http://example.org/test-web/p> "one", "two" .',
        headers={"Content-Type": "text/turtle", **site.write_headers},
    )
    assert put.status_code in (201, 204), put.text
    try:
        # The two triples, and the change's record in the history graph.
        assert triples() == public_triples() >= before + 2
    finally:
        httpx.delete(site.store, params={"graph": graph}, headers=site.write_headers)
    assert triples() == public_triples()


def test_pages_use_no_outside_resources(site: RunningServer) -> None:
    for path in ("/", "/query", "/explore"):
        html = httpx.get(site.url + path).text
        assert not re.search(r'(src|href)="(https?:)?//', html), path
    assert httpx.get(site.url + "/static/app.css").status_code == 200
    assert "function" in httpx.get(site.url + "/static/query.js").text


def test_query_page_offers_canned_queries(site: RunningServer) -> None:
    html = httpx.get(site.url + "/query", params={"lang": "en"}).text
    assert 'data-canned="partners-of-city"' in html
    assert "Activities of a city by age group" in html
    assert '<textarea id="editor"' in html and "<label" in html


def test_explore_by_class_and_by_city(site: RunningServer) -> None:
    html = httpx.get(site.url + "/explore", params={"lang": "en"}).text
    assert "Learning activity" in html or "learning activity" in html.lower()
    assert "Example City North" in html
    city = httpx.get(site.url + "/explore", params={"city": EXAMPLE_CITY, "lang": "en"}).text
    assert city.count('href="/id/activity/') >= 10
    cls = httpx.get(
        site.url + "/explore",
        params={"class": "https://w3id.org/lcgraph/def#PartnerOrganisation", "lang": "en"},
    ).text
    assert 'href="/id/partner/unesco-bangkok"' in cls


def test_canned_queries_listed_in_json_openapi_and_service_description(site: RunningServer) -> None:
    listing = httpx.get(site.url + "/queries").json()["queries"]
    names = {q["name"] for q in listing}
    assert "partners-of-city" in names
    params = {q["name"]: [p["name"] for p in q["parameters"]] for q in listing}
    assert params["activities-in-date-range"] == ["from", "to"]
    paths = httpx.get(site.url + "/openapi.json").json()["paths"]
    assert "/queries/{name}" in paths
    documented = paths["/queries/activities-in-date-range"]["get"]
    assert [p["name"] for p in documented["parameters"]] == ["from", "to", "format"]
    sd = httpx.get(site.sparql, headers={"Accept": "application/n-triples"}).text
    assert f"<{site.url}/queries/partners-of-city>" in sd
    assert "https://w3id.org/lcgraph/def#cannedQuery" in sd


def test_canned_query_in_any_format(site: RunningServer) -> None:
    url = site.url + "/queries/partners-of-city"
    r = httpx.get(url, params={"city": EXAMPLE_CITY, "format": "csv"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert rows and all(row["city"] == EXAMPLE_CITY for row in rows)
    j = httpx.get(url, params={"city": EXAMPLE_CITY}, headers={"Accept": "application/sparql-results+json"})
    assert len(j.json()["results"]["bindings"]) == len(rows)
    be = httpx.get(
        site.url + "/queries/activities-in-date-range",
        params={"from": "1/1/2567", "to": "31 ธันวาคม 2567", "format": "json"},
    )
    starts = [b["start"]["value"] for b in be.json()["results"]["bindings"]]
    assert starts and all(s.startswith("2024-") for s in starts)


def test_canned_query_injection_stays_a_literal(site: RunningServer) -> None:
    attack = EXAMPLE_CITY + "> } UNION { ?city ?p ?o } #"
    r = httpx.get(site.url + "/queries/partners-of-city", params={"city": attack, "format": "json"})
    assert r.status_code == 400 and "not an absolute IRI" in r.text
    dates = httpx.get(
        site.url + "/queries/activities-in-date-range",
        params={"from": '2024-01-01"^^<x> } #', "format": "json"},
    )
    assert dates.status_code == 400


@pytest.mark.parametrize(
    ("path", "params", "status", "text"),
    [
        ("/queries/no-such-query", {}, 404, "available: activities-by-age-group"),
        ("/queries/partners-of-city", {}, 400, "missing parameter city"),
        ("/queries/activities-in-date-range", {"from": "31/02/2566"}, 400, "this query takes: from (date"),
        ("/queries/activities-in-date-range", {"since": "2024-01-01"}, 400, "unknown parameter(s) since"),
    ],
)
def test_canned_query_errors_list_what_is_valid(
    site: RunningServer, path: str, params: dict[str, str], status: int, text: str
) -> None:
    r = httpx.get(site.url + path, params=params, headers={"Accept": "application/json"})
    assert r.status_code == status
    assert text in r.text


def test_gaps_dashboard_filters_by_city_and_severity(site: RunningServer) -> None:
    html = httpx.get(site.url + "/gaps", params={"lang": "en"}, timeout=120).text
    assert 'class="finding"' in html and "<svg" in html
    assert EXAMPLE_CITY in html  # offered in the city filter
    north = httpx.get(site.url + "/gaps", params={"lang": "en", "city": EXAMPLE_CITY}, timeout=120).text
    assert "GNLC readiness scorecard" in north
    high = httpx.get(site.url + "/gaps", params={"lang": "en", "severity": "high"}, timeout=120).text
    severities = set(re.findall(r'data-severity="(\w+)"', high))
    assert severities == {"high"}
    everything = set(re.findall(r'data-severity="(\w+)"', html))
    assert len(everything) > 1


def test_gaps_dashboard_unknown_city_is_explained(site: RunningServer) -> None:
    r = httpx.get(
        site.url + "/gaps", params={"lang": "en", "city": "https://example.org/nowhere"}, timeout=120
    )
    assert r.status_code == 200
    assert 'role="alert"' in r.text and "example-north" in r.text
