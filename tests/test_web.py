"""The web UI's pages and the canned-query REST endpoints, on a real server over the shipped data."""

from __future__ import annotations

import csv
import io
import re
from functools import partial

import httpx
import pytest
from live_server import RunningServer, Seed

from lcgraph.bootstrap import initialise
from lcgraph.namespaces import GRAPH_PRIVATE

EXAMPLE_CITY = "https://w3id.org/lcgraph/id/city/example-north"


@pytest.fixture(scope="module")
def live_seed() -> Seed:
    return partial(initialise, examples=True)


@pytest.fixture(scope="module")
def site(live: RunningServer) -> RunningServer:
    """The module's ``live`` server (conftest), started over ``lcgraph init --examples``."""
    return live


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
    for path in ("/", "/query", "/explore", "/docs", "/redoc", "/queries/partners-of-city", "/catalog"):
        html = httpx.get(site.url + path, headers={"Accept": "text/html"}).text
        # Nothing is loaded from elsewhere (links to this server's own formats are fine).
        assert not re.search(r'(src="|rel="stylesheet" href="|@import ")(https?:)?//', html), path
        assert "cdn." not in html and "fonts.googleapis" not in html, path
    assert httpx.get(site.url + "/static/app.css").status_code == 200
    # The editor is CodeMirror 6, bundled at make time from the npm packages.
    bundle = httpx.get(site.url + "/static/build/query.js")
    assert bundle.status_code == 200 and "cm-editor" in bundle.text
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css", "redoc.standalone.js"):
        assert httpx.get(site.url + "/static/build/" + asset).status_code == 200, asset


def test_query_page_links_canned_queries_to_their_forms(site: RunningServer) -> None:
    html = httpx.get(site.url + "/query", params={"lang": "en"}).text
    assert 'href="/queries/partners-of-city?lang=en"' in html
    assert "Activities of a city by age group" in html
    assert '<textarea id="editor"' in html and "<label" in html
    # The default query asks for labels in the page's language.
    assert "FILTER(LANG(?label) = &#34;en&#34;)" in html
    assert "FILTER(LANG(?label) = &#34;th&#34;)" in httpx.get(site.url + "/query", params={"lang": "th"}).text


def test_query_check_explains_errors_in_the_users_language(site: RunningServer) -> None:
    def check(query: str, lang: str) -> dict:
        r = httpx.post(site.url + "/query/check", json={"query": query, "lang": lang})
        assert r.status_code == 200
        return r.json()

    assert check("SELECT * WHERE { ?s ?p ?o }", "en") == {"ok": True}
    broken = "SELECT ?s WHERE {\n  ?s ?p ?o\n} LIMIT x"
    en, th = check(broken, "en"), check(broken, "th")
    assert not en["ok"] and (en["line"], en["column"]) == (3, 9)
    assert en["message"].startswith("Syntax error at line 3, column 9") and "“x”" in en["message"]
    assert th["message"].startswith("ไวยากรณ์ผิดที่บรรทัด 3 ตำแหน่ง 9")
    prefix = check("SELECT * WHERE {\n  ?s a lc:LearningCity }", "th")
    assert prefix["line"] == 2 and prefix["column"] == 8
    assert prefix["fix"] == "PREFIX lc: <https://w3id.org/lcgraph/def#>"
    assert "ยังไม่ได้ประกาศ prefix lc:" in prefix["message"]
    assert httpx.post(site.url + "/query/check", content=b"not json").status_code == 400


def test_canned_queries_are_pages_for_browsers_and_json_for_programs(site: RunningServer) -> None:
    page = httpx.get(site.url + "/queries", params={"lang": "en"}, headers={"Accept": "text/html"})
    assert page.headers["content-type"].startswith("text/html")
    assert 'href="/queries/activities-in-date-range?lang=en"' in page.text
    assert httpx.get(site.url + "/queries").headers["content-type"].startswith("application/json")
    form = httpx.get(
        site.url + "/queries/activities-in-date-range",
        params={"lang": "th"},
        headers={"Accept": "text/html,application/xhtml+xml"},
    ).text
    # Typed inputs with their defaults, dates in the Buddhist Era for Thai readers.
    assert 'name="from" value="01/01/2566"' in form and 'data-type="date"' in form
    assert 'name="to" value="31/12/2573"' in form
    city_form = httpx.get(
        site.url + "/queries/partners-of-city", params={"lang": "en"}, headers={"Accept": "text/html"}
    ).text
    assert f'<option value="{EXAMPLE_CITY}"' in city_form
    bound = httpx.get(
        site.url + "/queries/partners-of-city",
        params={"lang": "en", "city": EXAMPLE_CITY},
        headers={"Accept": "text/html"},
    ).text
    assert "VALUES+%28%3Fcity%29" in bound  # "open in editor" carries the bound value


@pytest.mark.parametrize(
    ("accept", "page"),
    [
        ("application/json;q=0.5, text/html", True),  # HTML preferred though not first
        ("application/xhtml+xml", True),
        ("text/html;q=0.1, application/json", False),  # HTML first but JSON preferred
        ("text/html;q=0", False),  # HTML refused
        ("*/*", False),
    ],
)
def test_page_or_json_is_chosen_by_the_q_values_of_accept(
    site: RunningServer, accept: str, page: bool
) -> None:
    r = httpx.get(site.url + "/queries", headers={"Accept": accept})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html" if page else "application/json")


def test_docs_are_served_from_local_copies(site: RunningServer) -> None:
    docs = httpx.get(site.url + "/docs").text
    assert "/static/build/swagger-ui-bundle.js" in docs and "/openapi.json" in docs
    assert "/static/build/redoc.standalone.js" in httpx.get(site.url + "/redoc").text


def test_every_page_has_one_layout_and_keeps_the_language(site: RunningServer) -> None:
    for path in (
        "/",
        "/query",
        "/explore",
        "/search?q=phayao",
        "/catalog",
        "/id/city/example-north",
        "/ontology",
    ):
        r = httpx.get(site.url + path, params={"lang": "en"}, headers={"Accept": "text/html"})
        assert r.status_code == 200, path
        assert '<html lang="en">' in r.text, path
        assert 'href="/gaps?lang=en"' in r.text and 'class="lang"' in r.text, path
    html = {"Accept": "text/html"}
    resource = httpx.get(site.url + "/id/city/example-north", params={"lang": "en"}, headers=html).text
    assert "<title>Example City North (illustrative) · lcgraph</title>" in resource
    thai = httpx.get(site.url + "/id/city/example-north", params={"lang": "th"}, headers=html).text
    assert '<html lang="th">' in thai and "ข้อเท็จจริง" in thai


def test_home_says_which_counts_are_illustrative(site: RunningServer) -> None:
    html = httpx.get(site.url + "/", params={"lang": "en"}).text
    assert "illustrative Example Cities" in html
    with_examples = int(re.search(r'data-count="cities">([\d,]+)<', html).group(1))
    examples = int(re.search(r'data-examples="cities">[^:]+: ([\d,]+)<', html).group(1))
    real = httpx.get(site.url + "/", params={"lang": "en", "examples": "hide"}).text
    assert int(re.search(r'data-count="cities">([\d,]+)<', real).group(1)) == with_examples - examples
    assert examples == 3


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


def test_gaps_page_puts_ranked_actions_first_in_both_languages(site: RunningServer) -> None:
    en = httpx.get(site.url + "/gaps", params={"lang": "en"}, timeout=120).text
    th = httpx.get(site.url + "/gaps", params={"lang": "th"}, timeout=120).text
    for html, heading, rule in (
        (en, "What to do first", "How these are ranked"),
        (th, "สิ่งที่ควรทำก่อน", "วิธีจัดลำดับ"),
    ):
        assert html.index(heading) < html.index('id="findings-h"') < html.index('id="network-h"')
        assert rule in html
        actions = re.findall(r'class="action" data-kind="[^"]+" data-severity="(\w+)"', html)
        assert 1 <= len(actions) <= 5
        order = {"high": 0, "medium": 1, "low": 2}
        assert [order[a] for a in actions] == sorted(order[a] for a in actions)
    # Thai mode says severities in Thai, not codes.
    assert '<span class="sev sev-high">สูง</span>' in th and ">high</span>" not in th
    # Findings are grouped by kind; a kind's page is paged.
    kind = re.search(r'data-kind="([^"]+)"', en).group(1)
    page = httpx.get(site.url + "/gaps", params={"lang": "en", "kind": kind}, timeout=120).text
    kinds = set(re.findall(r'class="finding" data-kind="([^"]+)"', page))
    assert kinds == {kind}


def test_csv_downloads_keep_thai_for_spreadsheets(site: RunningServer) -> None:
    r = httpx.get(site.url + "/gaps/findings.csv", params={"city": EXAMPLE_CITY}, timeout=120)
    assert r.status_code == 200 and r.content.startswith(b"\xef\xbb\xbf")
    assert "attachment" in r.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows and all(EXAMPLE_CITY in row["cities"] for row in rows)
    assert any("\u0e00" <= ch <= "\u0e7f" for ch in rows[0]["message_th"])


def test_explore_says_not_recorded_for_cities_without_data(site: RunningServer) -> None:
    html = httpx.get(site.url + "/explore", params={"lang": "en"}).text
    assert "nothing recorded yet" in html
    city = re.search(
        r'href="/explore\?city=([^&"]+)&lang=en">[^<]+</a> <span class="muted small not-recorded">', html
    )
    assert city, "a city with nothing recorded is marked as such"
    page = httpx.get(site.url + f"/explore?city={city.group(1)}&lang=en").text
    assert "not “no activity”" in page


def test_gaps_page_tells_not_recorded_from_none(site: RunningServer) -> None:
    en = httpx.get(site.url + "/gaps", params={"lang": "en"}, timeout=120).text
    assert "Cities whose learning ecology is not recorded yet" in en
    assert "Phayao" in en  # a real GNLC city with nothing recorded in this store
    phayao = site.dataset.select(
        "SELECT ?c WHERE { ?c a <https://w3id.org/lcgraph/def#LearningCity> ; "
        '<http://www.w3.org/2000/01/rdf-schema#label> "Phayao Town Municipality"@en }'
    )
    if phayao:
        city = phayao[0]["c"].value
        one = httpx.get(site.url + "/gaps", params={"lang": "en", "city": city}, timeout=120).text
        assert "not “no activity”" in one
    figure = httpx.get(site.url + "/gaps/figure/coverage.svg", params={"lang": "en"}, timeout=120)
    assert figure.status_code == 200 and figure.headers["content-type"] == "image/svg+xml"


def test_gaps_page_says_what_changed_since_the_stored_analysis(site: RunningServer) -> None:
    from datetime import UTC, datetime

    from lcgraph.analysis.gaps import analyse
    from lcgraph.analysis.rdf_out import write_findings
    from lcgraph.namespaces import GRAPH_FINDINGS

    before = httpx.get(site.url + "/gaps", params={"lang": "en"}, timeout=120).text
    assert "Since the previous analysis" not in before  # nothing stored yet
    findings = analyse(site.dataset).findings
    now = datetime.now(UTC)
    # The stored run lacks the first finding and has one that is gone now.
    gone = findings[-1]
    gone_kind, gone.kind = gone.kind, "isolated-actor"
    stored = [*findings[1:-1], gone]
    site.change(lambda ds: write_findings(ds, stored, [], now, now))
    gone.kind = gone_kind
    try:
        html = httpx.get(site.url + "/gaps", params={"lang": "en"}, timeout=120).text
        assert "Since the previous analysis" in html
        assert re.search(r'data-change="new">2 new gap', html), html[html.find("changes-h") :][:600]
        assert re.search(r'data-change="closed">1 closed', html)
        assert re.search(rf'data-change="persisting">{len(findings) - 2:,} persisting', html)
    finally:
        site.change(lambda ds: ds.update(f"DROP SILENT GRAPH <{GRAPH_FINDINGS}>"))


def test_scorecard_agrees_with_the_findings(site: RunningServer) -> None:
    north = httpx.get(site.url + "/gaps", params={"lang": "th", "city": EXAMPLE_CITY}, timeout=120).text
    # Example City North has no early-childhood activity (a high finding): not "evident" for empowerment.
    row = re.search(r'<tr data-status="(\w+)"><td>[^<]*(?:บุคคล|Individual)[^<]*</td>', north)
    assert row and row.group(1) != "evident"
    assert "สถานะ" in north and "มีหลักฐาน" in north and ">evident<" not in north
    assert "100%" not in north


def test_gaps_dashboard_unknown_city_is_explained(site: RunningServer) -> None:
    r = httpx.get(
        site.url + "/gaps", params={"lang": "en", "city": "https://example.org/nowhere"}, timeout=120
    )
    assert r.status_code == 404
    assert 'role="alert"' in r.text and "example-north" in r.text


def _cities_in(site: RunningServer, region: str) -> set[str]:
    """The learning cities whose province maps to ``region``, asked of the store directly."""
    rows = site.dataset.select(
        "PREFIX skos: <http://www.w3.org/2004/02/skos/core#> "
        "SELECT DISTINCT ?c WHERE { ?c a <https://w3id.org/lcgraph/def#LearningCity> ; "
        "<https://w3id.org/lcgraph/def#province> ?p . ?p skos:broader?/skos:broadMatch "
        f"<https://w3id.org/lcgraph/vocab/region/{region}> }}"
    )
    return {r["c"].value for r in rows}


def test_gaps_scope_by_region_and_province_in_a_shareable_url(site: RunningServer) -> None:
    north = _cities_in(site, "north")
    south = _cities_in(site, "south")
    assert EXAMPLE_CITY in north and north and south and not north & south
    th = httpx.get(site.url + "/gaps", params={"lang": "th", "region": "north"}, timeout=120)
    en = httpx.get(site.url + "/gaps", params={"lang": "en", "region": "north"}, timeout=120)
    assert th.status_code == en.status_code == 200
    assert "<h1>ช่องว่าง: ภาคเหนือ" in th.text and 'data-scope-kind="region"' in th.text
    assert "<h1>Gaps: Northern Thailand" in en.text
    assert f"Learning cities in this scope: {len(north):,}" in en.text
    assert 'value="region:north" selected' in en.text  # the form shows the scope chosen
    # The findings of the scope concern its cities, and only them.
    rows = list(csv.DictReader(io.StringIO(httpx.get(
        site.url + "/gaps/findings.csv", params={"region": "north"}, timeout=120).content.decode("utf-8-sig"))))  # fmt: skip
    assert rows
    for row in rows:
        assert any(c in row["cities"] for c in north), row["cities"]
        assert not any(c in row["cities"] for c in south - north)
    # The whole country has more findings than the region.
    everything = httpx.get(site.url + "/gaps/findings.csv", timeout=120).content.decode("utf-8-sig")
    assert len(list(csv.DictReader(io.StringIO(everything)))) > len(rows)
    svg = httpx.get(
        site.url + "/gaps/figure/coverage.svg", params={"lang": "en", "region": "north"}, timeout=120
    )
    assert svg.status_code == 200 and svg.headers["content-type"] == "image/svg+xml"
    # The form's single choice (scope=kind:value) and the province's ISO code give the same scope.
    nan = httpx.get(site.url + "/gaps", params={"lang": "en", "scope": "province:TH-55"}, timeout=120).text
    assert "<h1>Gaps: Nan" in nan and 'data-scope-kind="province"' in nan
    assert "Learning cities in this scope: 1<" in nan
    assert "province=TH-55" in nan  # links on the page keep the scope


def test_gaps_scope_without_cities_and_unknown_scope(site: RunningServer) -> None:
    held = {r["p"].value for r in site.dataset.select(
        "SELECT DISTINCT ?p WHERE { ?c a <https://w3id.org/lcgraph/def#LearningCity> ; "
        "<https://w3id.org/lcgraph/def#province> ?p }")}  # fmt: skip
    empty = next(f"TH-{n}" for n in range(96, 9, -1)
                 if f"https://w3id.org/lcgraph/vocab/province/TH-{n}" not in held)  # fmt: skip
    r = httpx.get(site.url + "/gaps", params={"lang": "en", "province": empty}, timeout=120)
    assert r.status_code == 200 and "data-scope-empty" in r.text and 'id="network-h"' not in r.text
    bad = httpx.get(site.url + "/gaps", params={"lang": "en", "region": "atlantis"}, timeout=120)
    assert bad.status_code == 404 and 'role="alert"' in bad.text and "northeast" in bad.text
    api = httpx.get(site.url + "/analysis/gaps", params={"province": "TH-55"}, timeout=120).json()
    assert api["summary"]["scope"]["kind"] == "province"
    assert api["summary"]["scope"]["cities"] == [EXAMPLE_CITY]


def test_explore_and_gaps_can_hide_the_illustrative_examples(site: RunningServer) -> None:
    shown = httpx.get(site.url + "/explore", params={"lang": "en"}).text
    hidden = httpx.get(site.url + "/explore", params={"lang": "en", "examples": "hide"}).text
    assert 'data-examples="shown"' in shown and "Example City North" in shown
    assert 'data-examples="hidden"' in hidden and "Example City North" not in hidden
    assert "examples=hide" in hidden  # links keep the choice

    def activities(html: str) -> int:
        found = re.search(
            r'def%23LearningActivity&lang=en[^"]*">[^<]+</a></td><td class="num">([\d,]+)<', html
        )
        return int(found.group(1).replace(",", "")) if found else 0

    assert activities(shown) >= 40 and activities(hidden) < activities(shown)
    cls = httpx.get(site.url + "/explore", params={"lang": "en", "examples": "hide",
                    "class": "https://w3id.org/lcgraph/def#LearningCity"}).text  # fmt: skip
    assert "example-north" not in cls and 'href="/id/city/' in cls
    gaps = httpx.get(site.url + "/gaps", params={"lang": "th", "examples": "hide"}, timeout=120).text
    assert 'data-examples="hidden"' in gaps and "แสดงเฉพาะข้อมูลจริง" in gaps
    assert EXAMPLE_CITY not in gaps and 'name="examples" value="hide"' in gaps
    default = httpx.get(site.url + "/gaps", params={"lang": "en"}, timeout=120).text
    assert 'data-examples="shown"' in default and EXAMPLE_CITY in default
