"""Attacks on a real ``lcgraph serve`` (issue 16, with the access model of issues 12 and 14).

Every test plays an adversary against a live server over a copy of
``lcgraph init --examples`` plus a few marked private statements
(:mod:`attacks.live`), then checks the concrete outcome: the status code and
the data (no private value in any anonymous answer; triples per graph before
and after a wipe attempt). The access model under test:

* anonymous: reads everything but the private graph, writes nothing;
* ``read-private``: reads everything, writes nothing;
* ``write``: writes data graphs only, and a write sees only what the caller may
  read; never the private graph, the history or the reference graphs (ontology,
  vocabularies, shapes);
* ``write+admin``: may also write the reference graphs; nobody edits the history.

The numbers in test names refer to the items of issue 16.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import re
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
from attacks.live import (
    CITY_NORTH,
    EXAMPLES,
    HIDDEN_CITY,
    HISTORY,
    LCGRAPH,
    NATIONAL_ID,
    NORTH_1,
    NORTH_2,
    PRIVATE,
    PROTECTED,
    READ,
    REFERENCE,
    VOCAB,
    WRITE,
    G,
    Live,
    Servers,
    leaks,
    make_template,
    run,
    serve,
    serve_existing,
)

LEAK_GRAPH = G + "attack-leak"
LC = "https://w3id.org/lcgraph/def#"
RDFS_COMMENT = "http://www.w3.org/2000/01/rdf-schema#comment"
SCRATCH = "http://example.org/attack/"
ONE = f'<{SCRATCH}s> <{SCRATCH}p> "1" .'
P = (
    "PREFIX schema: <https://schema.org/> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "
    "PREFIX lc: <https://w3id.org/lcgraph/def#> PREFIX org: <http://www.w3.org/ns/org#> "
    "PREFIX time: <http://www.w3.org/2006/time#> PREFIX xsd: <http://www.w3.org/2001/XMLSchema#> "
    "PREFIX prov: <http://www.w3.org/ns/prov#> PREFIX lcg: <https://w3id.org/lcgraph/graph/> "
)
UPDATE = {"Content-Type": "application/sparql-update"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


# -- fixtures ------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_template(tmp_path_factory.mktemp("attack-store"))


@pytest.fixture(scope="module")
def servers(template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    s = Servers(template, tmp_path_factory.mktemp("attack-servers"))
    yield s
    s.close()


@pytest.fixture
def srv(servers: Servers) -> Iterator[Live]:
    """The module's server; replaced by a clean one after the test if its store changed."""
    yield servers.live
    servers.restore()


class Before(dict[str, int]):
    """Triples per graph when a test starts, and the history's triples then."""

    history: set[tuple[str, str, str]]


@pytest.fixture
def baseline(srv: Live) -> Before:
    before = Before(srv.counts())
    before.history = srv.graph_triples(HISTORY)
    return before


@pytest.fixture
def fresh(template: Path, tmp_path: Path) -> Iterator[Live]:
    """A server of its own, for attacks that may wedge or crash it."""
    live = serve(template, tmp_path)
    yield live
    live.stop()


def public_dump(srv: Live) -> str:
    """What an anonymous reader gets from the cheap whole-data routes, as one text."""
    parts = []
    with srv.client() as c:
        for method, path, kw in (
            ("GET", "/sparql", {"params": {"query": "SELECT * WHERE { ?s ?p ?o }"}}),
            ("GET", "/sparql", {"params": {"query": "SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }"}}),
            ("GET", "/store", {"headers": {"Accept": "application/n-quads"}}),
            ("GET", "/export", {"params": {"format": "nquads"}}),
            ("GET", "/search", {"params": {"q": "example.org"}}),
            ("GET", "/search", {"params": {"q": "hidden"}}),
            ("GET", "/id/administrator/example-north-1", {"headers": {"Accept": "text/turtle"}}),
            ("GET", "/id/city/example-north", {"headers": {"Accept": "text/turtle"}}),
        ):
            r = c.request(method, path, **kw)
            assert r.status_code < 500, f"{path}: {r.status_code}"
            parts.append(r.text)
    return "\n".join(parts)


def non_private_leaks(srv: Live) -> list[str]:
    """Private values stored in any graph but the private one (seen with the read-private token)."""
    rows = srv.select(
        "SELECT ?g ?o WHERE { GRAPH ?g { ?s ?p ?o } "
        f"FILTER(?g != <{PRIVATE}>) FILTER(isLiteral(?o) || isIRI(?o)) }}"
    )
    return sorted({f"{r['g']}: {hit}" for r in rows for hit in leaks(r["o"])})


def assert_unchanged(srv: Live, before: Before, graphs: tuple[str, ...] = PROTECTED) -> None:
    """The ``graphs`` hold as many triples as before; the history may only have grown (a change-set)."""
    after = srv.counts()
    changed = {
        g: (before.get(g, 0), after.get(g, 0))
        for g in graphs
        if g != HISTORY and before.get(g, 0) != after.get(g, 0)
    }
    assert not changed, f"graphs changed (before, after): {changed}"
    if HISTORY in graphs:
        lost = before.history - srv.graph_triples(HISTORY)
        assert not lost, f"{len(lost)} history triples gone"


# -- sanity: the plant is there and the tokens work (these pass on a correct server) ---------


def test_the_planted_private_data_is_visible_to_read_private_only(srv: Live) -> None:
    q = "SELECT ?o WHERE { ?s ?p ?o }"
    with srv.client("read") as c:
        r = c.get("/sparql", params={"query": q})
    assert r.status_code == 200
    assert {"PRIVMARK", "example-north-1@example.org", NATIONAL_ID} <= set(leaks(r.text))
    for who in ("anonymous", "write", "admin"):
        with srv.client(who) as c:
            r = c.get("/sparql", params={"query": q})
        assert r.status_code == 200 and leaks(r.text) == [], who


def test_a_valid_small_write_is_accepted_and_recorded(srv: Live, baseline: Before) -> None:
    r = srv.update(f"INSERT DATA {{ GRAPH <{SCRATCH}g> {{ <{SCRATCH}s> <{SCRATCH}p> 1 }} }}")
    assert r.status_code == 204, r.text
    after = srv.counts()
    assert after[SCRATCH + "g"] == 1
    assert after[HISTORY] > baseline[HISTORY]  # the change-set is recorded
    rows = srv.select(
        f"PREFIX prov: <http://www.w3.org/ns/prov#> SELECT ?a WHERE {{ GRAPH <{HISTORY}> "
        "{ ?c prov:wasAssociatedWith ?a } }"
    )
    assert any(r["a"].endswith("/w") for r in rows)


# -- 1. a write token must not copy private data where others can read it ------------------

LEAK_UPDATES = {
    "where-graph-private": f"INSERT {{ GRAPH <{LEAK_GRAPH}> {{ ?p rdfs:comment ?e }} }} "
    f"WHERE {{ GRAPH <{PRIVATE}> {{ ?p schema:email ?e }} }}",
    "where-default-graph": f"INSERT {{ GRAPH <{LEAK_GRAPH}> {{ ?p rdfs:comment ?e }} }} "
    "WHERE { ?p schema:email ?e }",
    "where-graph-variable": f"INSERT {{ GRAPH <{LEAK_GRAPH}> {{ ?p rdfs:comment ?e }} }} "
    "WHERE { GRAPH ?g { ?p schema:email ?e } }",
    "with": f"WITH <{PRIVATE}> INSERT {{ GRAPH <{LEAK_GRAPH}> {{ ?p rdfs:comment ?e }} }} "
    "WHERE { ?p schema:email ?e }",
    "using": f"INSERT {{ GRAPH <{LEAK_GRAPH}> {{ ?p rdfs:comment ?e }} }} USING <{PRIVATE}> "
    "WHERE { ?p schema:email ?e }",
    "using-named": f"INSERT {{ GRAPH <{LEAK_GRAPH}> {{ ?p rdfs:comment ?e }} }} USING NAMED <{PRIVATE}> "
    "WHERE { GRAPH ?g { ?p schema:email ?e } }",
    "copy": f"COPY <{PRIVATE}> TO <{LEAK_GRAPH}>",
    "copy-default": f"COPY DEFAULT TO <{LEAK_GRAPH}>",
    "add-default": f"ADD DEFAULT TO <{LEAK_GRAPH}>",
    "copy-everything": f"INSERT {{ GRAPH <{LEAK_GRAPH}> {{ ?s ?p ?o }} }} WHERE {{ ?s ?p ?o }}",
    "copy-every-graph": f"INSERT {{ GRAPH <{LEAK_GRAPH}> {{ ?s ?p ?o }} }} "
    "WHERE { GRAPH ?g { ?s ?p ?o } }",
    "add": f"ADD <{PRIVATE}> TO <{LEAK_GRAPH}>",
    "copy-silent": f"COPY SILENT <{PRIVATE}> TO <{LEAK_GRAPH}>",
    "into-a-public-data-graph": f"INSERT {{ GRAPH <{EXAMPLES}> {{ ?p rdfs:comment ?e }} }} "
    f"WHERE {{ GRAPH <{PRIVATE}> {{ ?p schema:email ?e }} }}",
    "national-id-as-label": f"INSERT {{ GRAPH <{LEAK_GRAPH}> {{ ?p rdfs:label ?id }} }} "
    f"WHERE {{ GRAPH <{PRIVATE}> {{ ?p lc:nationalId ?id }} }}",
    "on-an-organisation": f"INSERT {{ GRAPH <{LEAK_GRAPH}> {{ ?city rdfs:comment ?e }} }} "
    f"WHERE {{ GRAPH <{PRIVATE}> {{ ?p schema:email ?e }} ?p lc:city ?city }}",
    "as-an-iri": f"INSERT {{ GRAPH <{LEAK_GRAPH}> {{ ?p rdfs:seeAlso ?m }} }} "
    f"WHERE {{ GRAPH <{PRIVATE}> {{ ?p schema:email ?e }} BIND(IRI(CONCAT('mailto:', ?e)) AS ?m) }}",
    "subquery": f"INSERT {{ GRAPH <{LEAK_GRAPH}> {{ ?p rdfs:comment ?e }} }} "
    f"WHERE {{ {{ SELECT ?p ?e WHERE {{ GRAPH <{PRIVATE}> {{ ?p schema:email ?e }} }} }} }}",
    "property-path": f"INSERT {{ GRAPH <{LEAK_GRAPH}> {{ ?p rdfs:comment ?e }} }} "
    f"WHERE {{ GRAPH <{PRIVATE}> {{ ?p schema:email|lc:nationalId ?e }} }}",
    "private-label-via-union": f"INSERT {{ GRAPH <{LEAK_GRAPH}> {{ ?s rdfs:comment ?l }} }} "
    'WHERE { ?s rdfs:label ?l FILTER(STRSTARTS(?l, "PRIVMARK")) }',
    "unicode-escaped-graph-name": f"INSERT {{ GRAPH <{LEAK_GRAPH}> {{ ?p rdfs:comment ?e }} }} "
    "WHERE { GRAPH <https://w3id.org/lcgraph/graph/\\u0070rivate> { ?p schema:email ?e } }",
    "relative-iri-with-base": "BASE <https://w3id.org/lcgraph/graph/> "
    f"INSERT {{ GRAPH <{LEAK_GRAPH}> {{ ?p rdfs:comment ?e }} }} WHERE {{ GRAPH <private> "
    "{ ?p schema:email ?e } }",
    "prefixed-graph-name": f"INSERT {{ GRAPH <{LEAK_GRAPH}> {{ ?p rdfs:comment ?e }} }} "
    "WHERE { GRAPH lcg:private { ?p schema:email ?e } }",
    "second-operation": f"INSERT DATA {{ GRAPH <{SCRATCH}g> {{ <{SCRATCH}s> <{SCRATCH}p> 1 }} }} ; "
    f"INSERT {{ GRAPH <{LEAK_GRAPH}> {{ ?p rdfs:comment ?e }} }} "
    f"WHERE {{ GRAPH <{PRIVATE}> {{ ?p schema:email ?e }} }}",
    "delete-insert": f"DELETE {{ GRAPH <{SCRATCH}g> {{ ?p <{SCRATCH}none> ?e }} }} "
    f"INSERT {{ GRAPH <{LEAK_GRAPH}> {{ ?p rdfs:comment ?e }} }} "
    f"WHERE {{ GRAPH <{PRIVATE}> {{ ?p schema:email ?e }} }}",
}


@pytest.mark.parametrize("name", LEAK_UPDATES)
def test_1_a_write_cannot_copy_private_data_into_a_readable_graph(srv: Live, name: str) -> None:
    r = srv.update(P + LEAK_UPDATES[name])
    # 422: refused by the shapes (e.g. copying everything leaves dangling links); nothing written.
    assert r.status_code in (204, 400, 403, 422), f"{r.status_code}: {r.text[:300]}"
    assert non_private_leaks(srv) == [], "private values now stored outside the private graph"
    assert leaks(public_dump(srv)) == [], "private values readable anonymously"


@pytest.mark.parametrize(
    "params",
    [
        {"using-graph-uri": PRIVATE},
        {"using-named-graph-uri": PRIVATE},
        {"using-graph-uri": PRIVATE, "using-named-graph-uri": PRIVATE},
    ],
    ids=["using-graph-uri", "using-named-graph-uri", "both"],
)
@pytest.mark.parametrize("as_form", [False, True], ids=["direct", "form"])
def test_1_protocol_dataset_parameters_do_not_open_the_private_graph_to_a_writer(
    srv: Live, params: dict[str, str], as_form: bool
) -> None:
    update = P + (
        f"INSERT {{ GRAPH <{LEAK_GRAPH}> {{ ?p rdfs:comment ?e }} }} "
        "WHERE { { ?p schema:email ?e } UNION { GRAPH ?g { ?p schema:email ?e } } }"
    )
    with srv.client("write") as c:
        if as_form:
            r = c.post("/sparql", data={"update": update, **params})
        else:
            r = c.post("/sparql", params=params, content=update.encode(), headers=UPDATE)
    assert r.status_code in (204, 400, 403), f"{r.status_code}: {r.text[:300]}"
    assert non_private_leaks(srv) == []
    assert leaks(public_dump(srv)) == []


def test_1_move_of_the_private_graph_neither_leaks_nor_destroys_it(srv: Live, baseline: Before) -> None:
    r = srv.update(f"MOVE <{PRIVATE}> TO <{LEAK_GRAPH}>")
    assert r.status_code in (400, 403), f"{r.status_code}: {r.text[:300]}"
    assert_unchanged(srv, baseline)
    assert non_private_leaks(srv) == []


def test_1_a_write_cannot_probe_private_data_through_an_exists_filter(srv: Live) -> None:
    """A boolean oracle: write a marker only if a guessed private value exists."""
    for guess in ("example-north-1@example.org", "nobody@example.net"):
        r = srv.update(
            P + f'INSERT {{ GRAPH <{LEAK_GRAPH}> {{ <{SCRATCH}probe> rdfs:comment "{guess}-found" }} }} '
            f'WHERE {{ FILTER EXISTS {{ ?p schema:email "{guess}" }} }}'
        )
        assert r.status_code in (204, 400, 403), r.text[:300]
    rows = srv.select(f"SELECT ?o WHERE {{ GRAPH ?g {{ <{SCRATCH}probe> ?p ?o }} }}")
    assert [r["o"] for r in rows if "example-north-1" in r["o"]] == [], "the oracle answered"


def test_1_the_write_report_does_not_show_a_writer_private_values(srv: Live) -> None:
    """A second national ID breaks maxCount 1; the refusal must not quote the private one."""
    r = srv.update(
        P + f'INSERT DATA {{ GRAPH <{EXAMPLES}> {{ <{NORTH_1}> lc:nationalId "1100100000000" }} }}'
    )
    assert r.status_code in (204, 403, 422), r.text[:300]
    assert leaks(r.text) == []
    r2 = srv.update(
        P + f'INSERT DATA {{ GRAPH <{EXAMPLES}> {{ <{NORTH_2}> lc:nationalId "1100100000000" }} }}'
    )
    # The answer may not depend on whether the person has a private national ID (an oracle).
    assert r.status_code == r2.status_code, (r.status_code, r2.status_code)


def test_1_a_writer_reads_no_private_data(srv: Live) -> None:
    with srv.client("write") as c:
        for params in (
            {"query": "SELECT * WHERE { ?s ?p ?o }"},
            {"query": f"SELECT * WHERE {{ GRAPH <{PRIVATE}> {{ ?s ?p ?o }} }}"},
            {"query": "SELECT * WHERE { ?s ?p ?o }", "default-graph-uri": PRIVATE},
        ):
            r = c.get("/sparql", params=params)
            assert r.status_code in (200, 403) and leaks(r.text) == []
        r = c.get("/store", params={"graph": PRIVATE})
        assert r.status_code in (403, 404) and leaks(r.text) == []


# -- every read route, anonymously ----------------------------------------------------------

SPARQL_READS = {
    "all": "SELECT * WHERE { ?s ?p ?o }",
    "graph-var": "SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }",
    "graph-private": f"SELECT * WHERE {{ GRAPH <{PRIVATE}> {{ ?s ?p ?o }} }}",
    "from": f"SELECT * FROM <{PRIVATE}> WHERE {{ ?s ?p ?o }}",
    "from-named": f"SELECT * FROM NAMED <{PRIVATE}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
    "from-both": f"SELECT * FROM <{EXAMPLES}> FROM <{PRIVATE}> WHERE {{ ?s ?p ?o }}",
    "unicode-escape": "SELECT * WHERE { GRAPH <https://w3id.org/lcgraph/graph/\\u0070rivate> { ?s ?p ?o } }",
    "base-relative": "BASE <https://w3id.org/lcgraph/graph/> SELECT * FROM <private> WHERE { ?s ?p ?o }",
    "prefixed": "PREFIX g: <https://w3id.org/lcgraph/graph/> SELECT * FROM NAMED g:private "
    "WHERE { GRAPH ?g { ?s ?p ?o } }",
    "construct": "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }",
    "describe": f"DESCRIBE <{NORTH_1}> <{HIDDEN_CITY}>",
    "ask-oracle": 'ASK { ?s ?p "example-north-1@example.org" }',
    "email-path": "SELECT ?e WHERE { ?p <https://schema.org/email>|^<https://schema.org/email> ?e }",
    "values-graph": f"SELECT * WHERE {{ VALUES ?g {{ <{PRIVATE}> }} GRAPH ?g {{ ?s ?p ?o }} }}",
    "bind-graph": f'SELECT * WHERE {{ BIND(IRI("{PRIVATE}") AS ?g) GRAPH ?g {{ ?s ?p ?o }} }}',
    "graph-names": "SELECT DISTINCT ?g WHERE { GRAPH ?g { } }",
    "hidden-city": f"SELECT * WHERE {{ <{HIDDEN_CITY}> ?p ?o }}",
}


@pytest.mark.parametrize("name", SPARQL_READS)
@pytest.mark.parametrize("method", ["GET", "POST-form", "POST-direct"])
def test_anonymous_sparql_reads_see_no_private_data(srv: Live, name: str, method: str) -> None:
    q = SPARQL_READS[name]
    with srv.client() as c:
        if method == "GET":
            r = c.get("/sparql", params={"query": q})
        elif method == "POST-form":
            r = c.post("/sparql", data={"query": q})
        else:
            r = c.post("/sparql", content=q.encode(), headers={"Content-Type": "application/sparql-query"})
    assert r.status_code in (200, 403), f"{r.status_code}: {r.text[:200]}"
    assert leaks(r.text) == []
    if name == "ask-oracle" and r.status_code == 200:
        assert "false" in r.text
    if name == "graph-names" and r.status_code == 200:
        assert PRIVATE not in r.text


@pytest.mark.parametrize(
    "params",
    [
        {"default-graph-uri": PRIVATE},
        {"named-graph-uri": PRIVATE},
        {"default-graph-uri": EXAMPLES, "named-graph-uri": PRIVATE},
        {"default-graph-uri": " " + PRIVATE},
        {"default-graph-uri": PRIVATE + "#"},
    ],
    ids=["dgu", "ngu", "both", "leading-space", "fragment"],
)
def test_anonymous_protocol_dataset_parameters_see_no_private_data(srv: Live, params: dict[str, str]) -> None:
    q = "SELECT * WHERE { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }"
    with srv.client() as c:
        for r in (
            c.get("/sparql", params={"query": q, **params}),
            c.post("/sparql", data={"query": q, **params}),
        ):
            assert r.status_code in (200, 400, 403), f"{r.status_code}: {r.text[:200]}"
            assert leaks(r.text) == []


READ_ROUTES = [
    "/",
    "/?lang=en",
    "/explore",
    "/explore?lang=en",
    "/explore?class=https://w3id.org/lcgraph/def%23LearningCity",
    "/explore?class=https://w3id.org/lcgraph/def%23PartnerOrganisation&lang=en",
    f"/explore?city={CITY_NORTH}",
    f"/explore?city={CITY_NORTH}&lang=en",
    f"/explore?city={HIDDEN_CITY}&lang=en",
    "/store",
    "/store?default",
    f"/store?graph={PRIVATE}",
    "/export",
    "/export?format=nquads",
    "/export?format=trig",
    f"/export?graph={PRIVATE}",
    f"/export?city={CITY_NORTH}",
    "/export?class=https://w3id.org/lcgraph/def%23CityLearningAdministrator",
    "/search?q=hidden",
    "/search?q=example.org",
    "/search?q=example-north-1",
    "/search?q=" + NATIONAL_ID[:8],
    "/id/administrator/example-north-1",
    "/id/administrator/example-north-1?format=jsonld",
    "/id/city/example-north",
    "/id/city/privmark-hidden",
    "/id/partner/privmark-org",
    "/graph/private",
    "/graph/examples",
    "/catalog",
    "/.well-known/void",
    "/sparql",
    "/analysis/gaps",
    "/analysis/gaps?format=csv",
    "/analysis/recommendations",
    "/analysis/network.gexf",
    "/analysis/network.graphml",
    "/analysis/scorecard/example-north",
    "/gaps",
    "/gaps?lang=en",
]


@pytest.mark.parametrize("path", READ_ROUTES)
@pytest.mark.parametrize("accept", ["text/html", "text/turtle", "application/n-quads"])
def test_2_anonymous_read_routes_show_no_private_data(srv: Live, path: str, accept: str) -> None:
    with srv.client() as c:
        r = c.get(path, headers={"Accept": accept})
    assert r.status_code < 500, f"{path}: {r.status_code} {r.text[:200]}"
    assert leaks(r.text) == [], f"{path} answered {r.status_code} with private values"


@pytest.mark.parametrize("path", ["/id/city/privmark-hidden", "/id/partner/privmark-org"])
def test_2_a_private_only_resource_is_not_found_anonymously(srv: Live, path: str) -> None:
    with srv.client() as c:
        assert c.get(path, headers={"Accept": "text/turtle"}).status_code == 404
    with srv.client("read") as c:
        assert c.get(path, headers={"Accept": "text/turtle"}).status_code == 200


def test_2_the_home_page_and_explore_count_no_private_city(srv: Live) -> None:
    lc = "https://w3id.org/lcgraph/def#"
    q = f"SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE {{ ?c a <{lc}LearningCity> }}"
    public = int(srv.select(q, who="anonymous")[0]["n"])
    everything = int(srv.select(q, who="read")[0]["n"])
    assert everything == public + 1  # the planted private-only city
    with srv.client() as c:
        home = c.get("/", params={"lang": "en"}).text
        explore = c.get("/explore", params={"lang": "en"}).text
    shown = re.search(r'data-count="cities">([0-9,]+)<', home)
    assert shown, "no city count on the home page"
    assert int(shown.group(1).replace(",", "")) == public
    row = re.search(r'LearningCity[^"]*&lang=en">[^<]*</a></td><td class="num">([0-9,]+)<', explore)
    assert row, "no LearningCity row on the explore page"
    assert int(row.group(1).replace(",", "")) == public
    assert "PRIVMARK" not in explore and HIDDEN_CITY not in explore


def test_canned_queries_show_no_private_data(srv: Live) -> None:
    with srv.client() as c:
        listing = c.get("/queries").json()["queries"]
        assert listing
        for q in listing:
            params = {}
            for p in q["parameters"]:
                if p["required"]:
                    params[p["name"]] = {"iri": CITY_NORTH, "date": "2020-01-01", "integer": "1"}.get(
                        p["type"], "x"
                    )
            for fmt in ("json", "csv"):
                r = c.get(f"/queries/{q['name']}", params={**params, "format": fmt})
                assert r.status_code == 200, f"{q['name']}: {r.status_code} {r.text[:200]}"
                assert leaks(r.text) == [], q["name"]


@pytest.mark.parametrize("method", ["GET", "HEAD"])
@pytest.mark.parametrize(
    "graph",
    [PRIVATE, PRIVATE + "/", "HTTPS://w3id.org/lcgraph/graph/private", PRIVATE.replace("p", "%70", 1)],
)
def test_gsp_reads_of_the_private_graph_are_refused(srv: Live, method: str, graph: str) -> None:
    with srv.client() as c:
        r = c.request(method, "/store", params={"graph": graph})
    assert r.status_code in (400, 403, 404), r.status_code
    assert leaks(r.text) == []


# -- 10. /validate is no oracle on private data ---------------------------------------------


def test_10_anonymous_validate_is_no_oracle_on_private_data(srv: Live) -> None:
    """north-1 has a planted private national ID, north-2 has none: a second one must look the same."""
    answers = []
    with srv.client() as c:
        for person in (NORTH_1, NORTH_2):
            body = f'<{person}> <https://w3id.org/lcgraph/def#nationalId> "1100100000000" .'
            r = c.post("/validate", content=body.encode(), headers={"Content-Type": "application/n-triples"})
            assert r.status_code == 200, r.text[:300]
            assert leaks(r.text) == []
            answers.append(r.json()["conforms"])
    assert answers[0] == answers[1], f"conforms differs: {answers}"


TRIPLE_TERM = "<https://example.org/a> <https://example.org/says> <<( <https://example.org/b> <https://example.org/c> <https://example.org/d> )>> ."


def test_rdf12_triple_terms_are_refused_with_400_and_nothing_written(srv: Live, baseline: Before) -> None:
    """The shapes describe resources and literals: a triple term is refused by name, never a 500."""
    with srv.client() as c:
        for params in ({}, {"alone": "true"}):
            r = c.post(
                "/validate",
                params=params,
                content=TRIPLE_TERM.encode(),
                headers={"Content-Type": "text/turtle"},
            )
            assert r.status_code == 400 and "triple terms" in r.text, (params, r.status_code, r.text[:300])
    r = srv.gsp("POST", body=TRIPLE_TERM, media="text/turtle", graph="https://w3id.org/lcgraph/graph/t")
    assert r.status_code == 400 and "triple terms" in r.text, (r.status_code, r.text[:300])
    assert_unchanged(srv, baseline)


def test_10_anonymous_whole_store_validation_quotes_no_private_data(srv: Live) -> None:
    with srv.client() as c:
        r = c.post("/validate", params={"all": "true"})
    assert r.status_code < 500
    assert leaks(r.text) == []
    assert HIDDEN_CITY not in r.text  # a private-only node is not even named


def test_10_validate_into_the_private_graph_is_no_oracle(srv: Live) -> None:
    answers = []
    with srv.client() as c:
        for person in (NORTH_1, NORTH_2):
            body = f'<{person}> <https://w3id.org/lcgraph/def#nationalId> "1100100000000" .'
            r = c.post(
                "/validate",
                params={"graph": PRIVATE},
                content=body.encode(),
                headers={"Content-Type": "application/n-triples"},
            )
            assert r.status_code in (200, 403)
            answers.append((r.status_code, r.json().get("conforms") if r.status_code == 200 else None))
    assert answers[0] == answers[1]


# -- 3. what is validated is what is committed ----------------------------------------------


def full_violations(srv: Live) -> int:
    # The whole store (personal data included) is validated for administrators only.
    with srv.client("admin", timeout=120) as c:
        r = c.post("/validate", params={"all": "true"})
    assert r.status_code == 200, r.text[:300]
    return int(r.json()["report"]["violations"])


@pytest.mark.parametrize(
    "update",
    [
        'INSERT { GRAPH ?g { ?i time:hasEnd _:e . _:e a time:Instant ; time:inXSDgYear "2030"^^xsd:gYear } } '
        "WHERE { GRAPH ?g { ?m org:memberDuring ?i FILTER(isBlank(?i)) "
        "FILTER NOT EXISTS { ?i time:hasEnd ?x } } }",
        'INSERT { GRAPH ?g { ?i time:hasEnd _:e . _:e a time:Instant ; time:inXSDgYear "2030"^^xsd:gYear } } '
        "WHERE { GRAPH ?g { ?m org:memberDuring ?i FILTER(isBlank(?i)) } }",
        "INSERT { GRAPH ?g { ?m org:memberDuring _:i . _:i a time:Interval ; time:hasBeginning ?b } } "
        "WHERE { GRAPH ?g { ?m org:memberDuring ?i . ?i time:hasBeginning ?b FILTER(isBlank(?b)) } }",
    ],
    ids=["end-where-none", "end-everywhere", "second-interval-shared-beginning"],
)
def test_3_blank_node_updates_commit_what_was_validated(srv: Live, update: str) -> None:
    before = full_violations(srv)
    r = srv.update(P + update)
    assert r.status_code in (204, 422), r.text[:300]
    assert full_violations(srv) == before, f"the update answered {r.status_code} and broke the shapes"


# -- 4. the audit trail cannot be erased or forged ------------------------------------------

FORGED = (
    f"<{G}attack-change> a <https://w3id.org/lcgraph/def#ChangeSet> , <http://www.w3.org/ns/prov#Activity> ; "
    "<http://www.w3.org/ns/prov#wasAssociatedWith> <https://w3id.org/lcgraph/id/agent/a> ; "
    "<https://w3id.org/lcgraph/def#forced> true ; <https://w3id.org/lcgraph/def#triplesAdded> 1000 ."
)
HISTORY_UPDATES = {
    "drop": f"DROP GRAPH <{HISTORY}>",
    "drop-silent": f"DROP SILENT GRAPH <{HISTORY}>",
    "clear": f"CLEAR GRAPH <{HISTORY}>",
    "delete-where": f"DELETE WHERE {{ GRAPH <{HISTORY}> {{ ?s ?p ?o }} }}",
    "delete-one-change": f"DELETE {{ GRAPH <{HISTORY}> {{ ?c ?p ?o }} }} WHERE {{ GRAPH <{HISTORY}> "
    "{ ?c a <https://w3id.org/lcgraph/def#ChangeSet> ; ?p ?o } }",
    "delete-via-graph-var": "DELETE { GRAPH ?g { ?c ?p ?o } } WHERE { GRAPH ?g "
    "{ ?c a <https://w3id.org/lcgraph/def#ChangeSet> ; ?p ?o } }",
    "forge-insert-data": f"INSERT DATA {{ GRAPH <{HISTORY}> {{ {FORGED} }} }}",
    "copy-over": f"COPY <{EXAMPLES}> TO <{HISTORY}>",
    "move-over": f"MOVE <{SCRATCH}nothing> TO <{HISTORY}>",
    "add-into": f"ADD <{EXAMPLES}> TO <{HISTORY}>",
    "with-delete": f"WITH <{HISTORY}> DELETE {{ ?s ?p ?o }} WHERE {{ ?s ?p ?o }}",
}


@pytest.mark.parametrize("who", ["write", "admin"])
@pytest.mark.parametrize("name", HISTORY_UPDATES)
def test_4_nobody_edits_the_history_through_sparql(srv: Live, who: str, name: str) -> None:
    before = srv.graph_triples(HISTORY)
    r = srv.update(HISTORY_UPDATES[name], who=who)
    if name == "delete-via-graph-var":
        # May act on the graphs the caller may write only (204), never on the history.
        assert r.status_code in (204, 400, 403), f"{name} by {who}: {r.status_code} {r.text[:200]}"
        assert before <= srv.graph_triples(HISTORY)
        return
    assert r.status_code in (400, 403), f"{name} by {who}: {r.status_code} {r.text[:200]}"
    assert srv.graph_triples(HISTORY) == before


@pytest.mark.parametrize("who", ["write", "admin"])
@pytest.mark.parametrize("method", ["PUT", "POST", "DELETE"])
def test_4_nobody_edits_the_history_through_the_graph_store(srv: Live, who: str, method: str) -> None:
    before = srv.graph_triples(HISTORY)
    body = None if method == "DELETE" else FORGED
    r = srv.gsp(method, who, body, "text/turtle", graph=HISTORY)
    assert r.status_code in (400, 403), f"{method} by {who}: {r.status_code}"
    assert srv.graph_triples(HISTORY) == before


PRUNE_CHANGE_SETS = (
    "PREFIX lc: <https://w3id.org/lcgraph/def#> PREFIX prov: <http://www.w3.org/ns/prov#> "
    f"SELECT ?c ?agent ?before ?n ?t WHERE {{ GRAPH <{HISTORY}> {{ ?c a lc:ChangeSet ; prov:endedAtTime ?t ;"
    " prov:wasAssociatedWith ?agent OPTIONAL { ?c a lc:HistoryPrune ; lc:prunedBefore ?before ;"
    " lc:changeSetsRemoved ?n } } } ORDER BY ?t"
)


@pytest.mark.parametrize(("who", "status"), [("anonymous", 401), ("write", 403), ("read", 403)])
def test_4_only_an_administrator_may_prune_the_history(srv: Live, who: str, status: int) -> None:
    before = srv.graph_triples(HISTORY)
    assert before, "the template's forced load is recorded"
    for when in ("2100-01-01", "2000-01-01", "junk"):
        r = srv.request("POST", "/admin/history/prune", who, params={"before": when})
        assert r.status_code == status, f"{who}: {r.status_code} {r.text[:200]}"
    assert srv.graph_triples(HISTORY) == before


def test_4_an_administrator_prunes_the_history_and_the_prune_is_recorded(srv: Live) -> None:
    r = srv.update(f"INSERT DATA {{ GRAPH <{SCRATCH}g> {{ <{SCRATCH}s> <{SCRATCH}p> 1 }} }}")
    assert r.status_code == 204, r.text
    rows = srv.select(PRUNE_CHANGE_SETS)
    old = {row["c"] for row in rows}
    assert len(old) >= 2 and not any("before" in row for row in rows)
    # Bad dates are refused and change nothing.
    for bad in ("junk", "2100-01-01"):
        refused = srv.request("POST", "/admin/history/prune", "admin", params={"before": bad})
        assert refused.status_code == 400, refused.text
    assert {row["c"] for row in srv.select(PRUNE_CHANGE_SETS)} == old
    cut = max(row["t"] for row in rows)
    time.sleep(0.01)
    done = srv.request("POST", "/admin/history/prune", "admin", params={"before": cut})
    assert done.status_code == 200, done.text
    answer = done.json()
    # Everything strictly before the newest change-set went; the newest stays.
    assert answer["removed_change_sets"] == len(old) - 1 and answer["removed_triples"] > len(old)
    after = srv.select(PRUNE_CHANGE_SETS)
    prunes = [row for row in after if "before" in row]
    assert len(prunes) == 1 and prunes[0]["c"] == answer["change"]
    assert prunes[0]["agent"].endswith("/agent/a") and int(prunes[0]["n"]) == len(old) - 1
    assert {row["c"] for row in after} == {answer["change"], *(c for c in old if c not in {
        row["c"] for row in rows if row["t"] < cut})}  # fmt: skip
    # A later prune up to now removes the remaining write, never an earlier prune record.
    again = srv.request("POST", "/admin/history/prune", "admin", params={"before": after[-1]["t"]})
    assert again.status_code == 200 and again.json()["removed_change_sets"] == 1
    final = srv.select(PRUNE_CHANGE_SETS)
    assert {row["c"] for row in final} == {answer["change"], again.json()["change"]}
    # Still nobody else edits the history, prune records included.
    forged = srv.update(f"DELETE WHERE {{ GRAPH <{HISTORY}> {{ <{answer['change']}> ?p ?o }} }}", who="admin")
    assert forged.status_code in (400, 403)


def test_4_lcgraph_history_prune_on_the_command_line(template: Path, tmp_path: Path) -> None:
    data = tmp_path / "db"
    shutil.copytree(template, data)
    listed = run("history", "--json", "--data", str(data))
    assert listed.returncode == 0, listed.stderr
    assert len(json.loads(listed.stdout)) >= 1
    bad = run("history", "prune", "--before", "yesterday", "--data", str(data))
    assert bad.returncode == 2 and "not a date" in bad.stderr
    done = run("history", "prune", "--before", "2100-01-01", "--data", str(data))
    assert done.returncode == 2 and "future" in done.stderr
    now = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())
    done = run("history", "prune", "--before", now, "--agent", "steward", "--data", str(data))
    assert done.returncode == 0 and "removed 1 change-sets" in done.stdout, done.stdout + done.stderr
    listed = json.loads(run("history", "--json", "--data", str(data)).stdout)
    assert [c["agent"] for c in listed] == ["steward"] and listed[0]["source"].startswith("history prune")


@pytest.mark.parametrize("fmt", ["application/trig", "application/n-quads"])
def test_4_a_whole_dataset_post_cannot_forge_a_change_set(srv: Live, fmt: str) -> None:
    body = f'<{G}attack-change> <https://w3id.org/lcgraph/def#forced> "true" <{HISTORY}> .'
    if fmt == "application/trig":
        body = f"<{HISTORY}> {{ {FORGED} }}"
    before = srv.graph_triples(HISTORY)
    with srv.client("write") as c:
        r = c.post("/store", content=body.encode(), headers={"Content-Type": fmt})
    assert r.status_code in (400, 403), r.status_code
    assert srv.graph_triples(HISTORY) == before


# -- 5. a write token cannot wipe the store -------------------------------------------------

WIPES = [
    "DROP ALL",
    "CLEAR ALL",
    "DROP NAMED",
    "CLEAR NAMED",
    "DROP SILENT ALL",
    "DELETE WHERE { GRAPH ?g { ?s ?p ?o } }",
    "DELETE { GRAPH ?g { ?s ?p ?o } } WHERE { GRAPH ?g { ?s ?p ?o } }",
    "DELETE WHERE { ?s ?p ?o }",
]


@pytest.mark.parametrize("update", WIPES)
def test_5_a_writer_cannot_wipe_the_protected_graphs(srv: Live, baseline: Before, update: str) -> None:
    r = srv.update(update)
    assert r.status_code in (204, 400, 403, 422), r.text[:300]
    assert_unchanged(srv, baseline)


def test_5_admin_drop_all_keeps_the_history(srv: Live, baseline: Before) -> None:
    r = srv.update("DROP ALL", who="admin")
    assert r.status_code in (204, 400, 403, 422), r.text[:300]
    assert_unchanged(srv, baseline, (HISTORY,))


PROTECTED_UPDATES = {
    "drop": "DROP GRAPH <{g}>",
    "clear": "CLEAR GRAPH <{g}>",
    "delete-where": "DELETE WHERE {{ GRAPH <{g}> {{ ?s ?p ?o }} }}",
    "insert-data": f"INSERT DATA {{{{ GRAPH <{{g}}> {{{{ <{SCRATCH}s> <{SCRATCH}p> 1 }}}} }}}}",
    "copy-onto": f"COPY <{SCRATCH}empty> TO <{{g}}>",
    "move-away": f"MOVE <{{g}}> TO <{SCRATCH}moved>",
    "add-into": f"ADD <{EXAMPLES}> TO <{{g}}>",
    "create": "CREATE GRAPH <{g}>",
}


@pytest.mark.parametrize("graph", [PRIVATE, *REFERENCE], ids=["private", "ontology", "vocab", "shapes"])
@pytest.mark.parametrize("name", PROTECTED_UPDATES)
def test_5_a_writer_cannot_change_private_or_reference_graphs(
    srv: Live, baseline: Before, graph: str, name: str
) -> None:
    r = srv.update(PROTECTED_UPDATES[name].format(g=graph))
    assert r.status_code in (400, 403), f"{r.status_code}: {r.text[:200]}"
    assert_unchanged(srv, baseline)


@pytest.mark.parametrize("graph", [PRIVATE, *REFERENCE], ids=["private", "ontology", "vocab", "shapes"])
@pytest.mark.parametrize("method", ["PUT", "POST", "DELETE"])
def test_5_a_writer_cannot_change_private_or_reference_graphs_by_gsp(
    srv: Live, baseline: Before, graph: str, method: str
) -> None:
    r = srv.gsp(method, body=None if method == "DELETE" else ONE, graph=graph)
    assert r.status_code in (400, 403), r.status_code
    assert_unchanged(srv, baseline)


@pytest.mark.parametrize("fmt", ["application/trig", "application/n-quads"])
def test_5_a_whole_dataset_put_by_a_writer_keeps_the_protected_graphs(
    srv: Live, baseline: Before, fmt: str
) -> None:
    body = f'<{SCRATCH}s> <{SCRATCH}p> "1" <{SCRATCH}g> .'
    if fmt == "application/trig":
        body = f"<{SCRATCH}g> {{ <{SCRATCH}s> <{SCRATCH}p> 1 }}"
    with srv.client("write") as c:
        r = c.put("/store", content=body.encode(), headers={"Content-Type": fmt})
    assert r.status_code in (200, 201, 204, 400, 403, 422), r.status_code
    assert_unchanged(srv, baseline)


@pytest.mark.parametrize(
    ("method", "params"),
    [("PUT", {"default": ""}), ("DELETE", {"default": ""}), ("POST", {"default": ""}), ("DELETE", {})],
    ids=["put-default", "delete-default", "post-default", "delete-dataset"],
)
def test_5_default_graph_and_dataset_writes_keep_the_protected_graphs(
    srv: Live, baseline: Before, method: str, params: dict[str, str]
) -> None:
    r = srv.gsp(method, body=None if method == "DELETE" else ONE, **params)
    assert r.status_code < 500, r.status_code
    assert_unchanged(srv, baseline, (*PROTECTED, EXAMPLES))


def test_5_a_whole_dataset_post_cannot_write_the_private_graph(srv: Live, baseline: Before) -> None:
    body = f'<{PRIVATE}> {{ <{NORTH_2}> <https://schema.org/email> "attacker@example.net" }}'
    with srv.client("write") as c:
        r = c.post("/store", content=body.encode(), headers={"Content-Type": "application/trig"})
    assert r.status_code in (400, 403), r.status_code
    assert_unchanged(srv, baseline)


def test_5_a_multipart_post_cannot_write_the_private_graph(srv: Live, baseline: Before) -> None:
    files = {"file": ("x.nt", f'<{SCRATCH}s> <{SCRATCH}p> "1" .'.encode(), "application/n-triples")}
    with srv.client("write") as c:
        r = c.post("/store", params={"graph": PRIVATE}, files=files)
    assert r.status_code in (400, 403), r.status_code
    assert_unchanged(srv, baseline)


def test_5_a_refused_operation_takes_the_whole_request_with_it(srv: Live, baseline: Before) -> None:
    r = srv.update(
        f"INSERT DATA {{ GRAPH <{SCRATCH}g> {{ <{SCRATCH}s> <{SCRATCH}p> 1 }} }} ; DROP GRAPH <{HISTORY}>"
    )
    assert r.status_code in (400, 403), r.status_code
    assert srv.counts() == baseline


def test_5_admin_may_write_a_reference_graph(srv: Live, baseline: Before) -> None:
    label = f'<{SCRATCH}term> <http://www.w3.org/2000/01/rdf-schema#comment> "added by the admin" .'
    assert srv.update(f"INSERT DATA {{ GRAPH <{VOCAB}> {{ {label} }} }}", who="write").status_code == 403
    r = srv.update(f"INSERT DATA {{ GRAPH <{VOCAB}> {{ {label} }} }}", who="admin")
    assert r.status_code == 204, r.text[:300]
    assert srv.counts()[VOCAB] == baseline[VOCAB] + 1


def test_readers_cannot_write_at_all(srv: Live, baseline: Before) -> None:
    for who in ("anonymous", "read"):
        r = srv.update(f"INSERT DATA {{ GRAPH <{SCRATCH}g> {{ <{SCRATCH}s> <{SCRATCH}p> 1 }} }}", who=who)
        assert r.status_code in (401, 403), (who, r.status_code)
        assert srv.gsp("PUT", who, ONE, graph=SCRATCH + "g").status_code in (401, 403)
        with srv.client(who) as c:
            r = c.get("/sparql", params={"update": "DROP ALL"})
            assert r.status_code in (400, 401, 403, 405)
    assert srv.counts() == baseline


# -- issue 12: set semantics; DROP drops, CLEAR keeps ---------------------------------------


def test_12_a_triple_in_several_graphs_counts_once(srv: Live) -> None:
    graphs = [f"{SCRATCH}set{i}" for i in range(3)]
    data = " ".join(f"GRAPH <{g}> {{ <{SCRATCH}x> <{SCRATCH}n> 5 }}" for g in graphs)
    assert srv.update(f"INSERT DATA {{ {data} }}").status_code == 204
    default = srv.select(
        f"SELECT (COUNT(*) AS ?n) (SUM(?v) AS ?s) WHERE {{ <{SCRATCH}x> <{SCRATCH}n> ?v }}", "anonymous"
    )
    assert (default[0]["n"], default[0]["s"]) == ("1", "5")
    froms = " ".join(f"FROM <{g}>" for g in graphs)
    listed = srv.select(f"SELECT (COUNT(*) AS ?n) {froms} WHERE {{ ?s <{SCRATCH}n> ?v }}", "anonymous")
    assert listed[0]["n"] == "1"


def test_12_drop_removes_a_graph_and_clear_keeps_it(srv: Live) -> None:
    g1, g2 = SCRATCH + "dropped", SCRATCH + "cleared"
    data = f"GRAPH <{g1}> {{ <{SCRATCH}s> <{SCRATCH}p> 1 }} GRAPH <{g2}> {{ <{SCRATCH}s> <{SCRATCH}p> 1 }}"
    assert srv.update(f"INSERT DATA {{ {data} }}").status_code == 204
    assert srv.update(f"DROP GRAPH <{g1}> ; CLEAR GRAPH <{g2}>").status_code == 204
    with srv.client("write") as c:
        assert c.get("/store", params={"graph": g1}).status_code == 404
        assert c.get("/store", params={"graph": g2}).status_code == 200
        names = {r["g"] for r in srv.select("SELECT ?g WHERE { GRAPH ?g { } }")}
        assert g1 not in names and g2 in names
        assert srv.gsp("PUT", body=ONE, graph=g1).status_code == 201


# -- 8. bad IRIs in paths and bad cells: 4xx, never 5xx ------------------------------------

BAD_PATHS = [
    "/id/a%20b",
    "/vocab/a%7Bb",
    "/graph/a%22b",
    "/ontology/a%20b",
    "/id/a%3Cb%3E",
    "/vocab/%00",
    "/id/a%5Cu0020b",
    "/graph/%7C",
    "/id/a%5Eb",
    "/id/%E0%B8",
]


@pytest.mark.parametrize("path", BAD_PATHS)
@pytest.mark.parametrize("method", ["GET", "HEAD"])
@pytest.mark.parametrize(
    "accept",
    ["text/html", "text/turtle", "application/ld+json", "application/n-triples", "application/rdf+xml"],
)
def test_8_bad_iris_in_paths_are_4xx(srv: Live, path: str, method: str, accept: str) -> None:
    # httpx would normalise the path; send it as raw bytes.
    with srv.client() as c:
        req = c.build_request(method, srv.url + "/", headers={"Accept": accept})
        req.url = httpx.URL(srv.url).copy_with(raw_path=path.encode())
        r = c.send(req)
    assert 400 <= r.status_code < 500, f"{method} {path} ({accept}): {r.status_code} {r.text[:200]}"
    if method == "GET":
        assert r.text.strip(), "a 4xx with no message"


CSV_HEAD = {
    "partners": "id,name_th,name_en,sector,url,parent,province",
    "spaces": "id,name_th,name_en,city,province,space_type,managed_by,latitude,longitude,url,description",
}


def template_csv(template: str, rows: list[dict[str, str]]) -> bytes:
    """A CSV in the template's own header (fetched from the template file)."""
    path = Path(__file__).resolve().parents[1] / "data" / "templates" / f"{template}.csv"
    header = next(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    keys = [h.split("/")[-1].strip() for h in header]
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(header)
    for row in rows:
        w.writerow([row.get(k, "") for k in keys])
    return out.getvalue().encode("utf-8")


def partner_row(n: int, **over: str) -> dict[str, str]:
    return {
        "id": f"attack-partner-{n}",
        "name_th": f"ภาคีทดสอบ {n}",
        "name_en": f"Attack partner {n}",
        "sector": "academic",
        "url": f"https://example.org/p{n}",
        "province": "chiang-mai",
        **over,
    }


@pytest.mark.parametrize(
    "bad",
    [
        "https://example.org/{x}",
        "https://example.org/a|b",
        "https://example.org/a^b",
        "https://exa mple.org/",
        "javascript:alert(1)",
        "https://example.org/\\",
    ],
)
@pytest.mark.parametrize("who", ["anonymous", "write"])
def test_8_import_with_bad_url_cells_is_4xx_and_writes_nothing(
    srv: Live, baseline: Before, bad: str, who: str
) -> None:
    body = template_csv("partners", [partner_row(1, url=bad)])
    with srv.client(who) as c:
        r = c.post(
            "/import/partners",
            params={"dry_run": "true", "filename": "p.csv"},
            content=body,
            headers={"Content-Type": "text/csv"},
        )
        assert 400 <= r.status_code < 500, f"dry run: {r.status_code} {r.text[:300]}"
        if who == "write":
            r = c.post(
                "/import/partners",
                params={"filename": "p.csv"},
                content=body,
                headers={"Content-Type": "text/csv"},
            )
            assert 400 <= r.status_code < 500, f"import: {r.status_code} {r.text[:300]}"
    assert srv.counts() == baseline


# -- 14. control characters in imported cells are refused -----------------------------------


@pytest.mark.parametrize("char", ["\x00", "\u202e", "\x1b", "\u2066"], ids=["nul", "rlo", "esc", "lri"])
def test_14_control_characters_in_imported_cells_are_refused(srv: Live, baseline: Before, char: str) -> None:
    body = template_csv("partners", [partner_row(2, name_en=f"Attack{char}partner")])
    with srv.client("write") as c:
        for params in ({"dry_run": "true"}, {}):
            r = c.post(
                "/import/partners",
                params={**params, "filename": "p.csv"},
                content=body,
                headers={"Content-Type": "text/csv"},
            )
            assert r.status_code in (400, 422), f"{params}: {r.status_code} {r.text[:300]}"
            text = r.text.lower()
            assert "name_en" in text or "character" in text or "อักขระ" in r.text, r.text[:300]
    assert srv.counts() == baseline


@pytest.mark.parametrize(
    "cell",
    ['=HYPERLINK("http://evil.example/","x")', "+cmd|' /C calc'!A0", "@SUM(1+1)", "-2+3+cmd|' /C calc'!A0"],
    ids=["equals", "plus-pipe", "at", "minus-pipe"],
)
def test_14_formula_cells_cannot_enter_through_an_import(srv: Live, baseline: Before, cell: str) -> None:
    """SPARQL CSV answers carry values verbatim (the format must round-trip); formula-like values are
    refused where spreadsheets come in, so a download opened in a spreadsheet runs nothing."""
    body = template_csv("partners", [partner_row(2, name_en=cell)])
    with srv.client("write") as c:
        for params in ({"dry_run": "true"}, {}):
            r = c.post(
                "/import/partners",
                params={**params, "filename": "p.csv"},
                content=body,
                headers={"Content-Type": "text/csv"},
            )
            assert r.status_code in (400, 422), f"{params}: {r.status_code} {r.text[:300]}"
            assert "formula" in r.text or "สูตร" in r.text, r.text[:300]
    assert srv.counts() == baseline


# -- 14. caching and duplicate credentials --------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["/sparql?query=ASK%7B%7D", "/store?default", "/export", "/id/city/example-north", "/catalog", "/"],
)
def test_14_authenticated_answers_are_private_to_the_caller(srv: Live, path: str) -> None:
    with srv.client("read") as c:
        r = c.get(
            path,
            headers={"Accept": "text/turtle" if "sparql" not in path else "application/sparql-results+json"},
        )
    assert r.status_code == 200, r.status_code
    cache = r.headers.get("cache-control", "").lower()
    assert "private" in cache or "no-store" in cache, f"Cache-Control: {cache!r}"
    vary = [v.strip().lower() for v in r.headers.get("vary", "").split(",")]
    assert "authorization" in vary, f"Vary: {r.headers.get('vary')!r}"


@pytest.mark.parametrize("order", ["read-first", "bogus-first"])
def test_14_duplicate_authorization_headers_give_no_private_data(srv: Live, order: str) -> None:
    pair = [("Authorization", f"Bearer {READ}"), ("Authorization", "Bearer bogus-token-0000")]
    if order == "bogus-first":
        pair.reverse()
    with httpx.Client(base_url=srv.url, timeout=30) as c:
        r = c.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o }"}, headers=pair)
        assert r.status_code in (400, 401, 403), r.status_code
        assert leaks(r.text) == []


@pytest.mark.parametrize("order", ["write-first", "bogus-first"])
def test_14_duplicate_authorization_headers_write_nothing(srv: Live, baseline: Before, order: str) -> None:
    pair = [("Authorization", f"Bearer {WRITE}"), ("Authorization", "Bearer bogus-token-0000")]
    if order == "bogus-first":
        pair.reverse()
    with httpx.Client(base_url=srv.url, timeout=30) as c:
        r = c.post(
            "/sparql",
            content=f"INSERT DATA {{ GRAPH <{SCRATCH}g> {{ <{SCRATCH}s> <{SCRATCH}p> 1 }} }}".encode(),
            headers=[*pair, ("Content-Type", "application/sparql-update")],
        )
    assert r.status_code in (400, 401, 403), r.status_code
    assert srv.counts() == baseline


def test_14_a_forced_nquads_load_names_the_changed_graph(template: Path, tmp_path: Path) -> None:
    nq = tmp_path / "forced.nq"
    nq.write_text(f'<{SCRATCH}s> <{SCRATCH}p> "1" <{SCRATCH}bulk> .\n', encoding="utf-8")
    landed, _, _ = forced_load(template, tmp_path, nq, None)
    assert landed == 1
    q = f"SELECT ?c ?p WHERE {{ GRAPH <{HISTORY}> {{ ?c ?p <{SCRATCH}bulk> }} }}"
    done = run("query", q, "--format", "csv", "--data", str(tmp_path / "db"))
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.strip().splitlines()) > 1, "no change-set names the graph the forced load changed"


# -- 11. the update scanner and the engine agree -------------------------------------------

ESCAPED = [
    "PREFIX ex: <http://example.org/attack/> INSERT DATA { GRAPH ex:esc { ex:a\\' ex:p ex:b\\# } }",
    "PREFIX ex: <http://example.org/attack/> INSERT DATA { GRAPH ex:esc { ex:c\\.d ex:p ex:e\\~f } }",
    "PREFIX ex: <http://example.org/attack/> INSERT DATA { GRAPH ex:esc { ex:g\\-h ex:p ex:i\\!j\\$k\\&l } }",
    "PREFIX ex: <http://example.org/attack/> INSERT DATA { GRAPH ex:esc "
    '{ ex:m ex:p "GRAPH <https://w3id.org/lcgraph/graph/private> { }" } }',
    "PREFIX ex: <http://example.org/attack/> INSERT DATA { GRAPH ex:esc { ex:n ex:p 'a\\'b' } } # DROP ALL",
    'PREFIX ex: <http://example.org/attack/> INSERT DATA { GRAPH ex:esc\\#x { ex:o ex:p """x } y""" } }',
    "PREFIX ex: <http://example.org/attack/> INSERT DATA "
    "{ GRAPH <http://example.org/attack/esc\\u0023y> { ex:q ex:p 1 } }",
    "PREFIX ex: <http://example.org/attack/> INSERT DATA { GRAPH ex:esc { ex:r\\(s\\) ex:p ex:t\\=u\\?v } }",
]


def engine_quads(update: str) -> set[tuple[str, str, str, str]]:
    store = ox.Store()
    store.update(update)
    return {(str(q.subject), str(q.predicate), str(q.object), str(q.graph_name)) for q in store}


@pytest.mark.parametrize("update", ESCAPED)
def test_11_the_server_writes_what_the_engine_would(srv: Live, update: str) -> None:
    expected = engine_quads(update)
    r = srv.update(update)
    assert r.status_code == 204, f"{r.status_code}: {r.text[:300]}"
    graphs = {q[3] for q in expected}
    got = set()
    for g in graphs:
        iri = g.strip("<>")
        for s, p, o in srv.graph_triples(iri):
            got.add((s, p, o, iri))
    want = {(s.strip("<>"), p.strip("<>"), o, g.strip("<>")) for s, p, o, g in expected}
    # compare subjects/predicates/graphs exactly; literals by their lexical form
    norm = {(s, p, ox_value(o), g) for s, p, o, g in want}
    assert got == norm


def ox_value(term: str) -> str:
    if term.startswith("<"):
        return term[1:-1]
    return next(iter(ox.parse(f"<x:s> <x:p> {term} .".encode(), ox.RdfFormat.N_TRIPLES))).object.value


# -- own attacks: parsers, references to the outside, the engine's limits --------------------


def test_rdfxml_external_entities_are_not_read(srv: Live) -> None:
    body = (
        '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="http://example.org/attack/">'
        '<rdf:Description rdf:about="http://example.org/attack/xxe"><ex:p>&x;</ex:p></rdf:Description></rdf:RDF>'
    )
    r = srv.gsp("PUT", body=body, media="application/rdf+xml", graph=SCRATCH + "xxe")
    assert r.status_code < 500
    assert "root:" not in r.text
    assert "root:" not in srv.get("/store", params={"graph": SCRATCH + "xxe"}).text


def test_rdfxml_entity_expansion_is_bounded(fresh: Live) -> None:
    ents = '<!ENTITY a "aaaaaaaaaa">' + "".join(
        f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(8)
    )
    body = (
        f'<?xml version="1.0"?><!DOCTYPE r [{ents}]>'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="http://example.org/attack/">'
        '<rdf:Description rdf:about="http://example.org/attack/lol"><ex:p>&i;</ex:p></rdf:Description></rdf:RDF>'
    )
    r = fresh.gsp("PUT", body=body, media="application/rdf+xml", graph=SCRATCH + "lol")
    assert 400 <= r.status_code < 500, r.status_code
    assert fresh.alive()


def test_jsonld_remote_contexts_are_not_fetched(srv: Live) -> None:
    """The server fetches nothing for a client: a remote @context is refused, not followed."""
    hits: list[bytes] = []
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    listener.settimeout(0.5)
    port = listener.getsockname()[1]
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            hits.append(conn.recv(1024))
            conn.close()

    t = threading.Thread(target=accept, daemon=True)
    t.start()
    body = f'{{"@context": "http://127.0.0.1:{port}/ctx.jsonld", "@id": "{SCRATCH}j", "name": "x"}}'
    try:
        r = srv.gsp("PUT", body=body, media="application/ld+json", graph=SCRATCH + "jsonld")
        with srv.client("write") as c:
            v = c.post("/validate", content=body.encode(), headers={"Content-Type": "application/ld+json"})
    finally:
        stop.set()
        t.join(timeout=5)
        listener.close()
    assert hits == [], "the server fetched a client-named URL"
    assert 400 <= r.status_code < 500 and v.status_code < 500


@pytest.mark.parametrize("target", ["file:///etc/passwd", "http://127.0.0.1:1/x.ttl"])
def test_load_is_refused(srv: Live, baseline: Before, target: str) -> None:
    for who in ("write", "admin"):
        r = srv.update(f"LOAD <{target}> INTO GRAPH <{SCRATCH}loaded>", who=who)
        assert 400 <= r.status_code < 500, r.status_code
    assert srv.counts() == baseline


def test_service_is_refused(srv: Live) -> None:
    with srv.client() as c:
        r = c.get(
            "/sparql", params={"query": "SELECT * WHERE { SERVICE <http://127.0.0.1:1/sparql> { ?s ?p ?o } }"}
        )
    assert 400 <= r.status_code < 500


@pytest.mark.parametrize("depth", [5_000, 100_000])
def test_deeply_nested_queries_are_4xx_and_the_server_survives(fresh: Live, depth: int) -> None:
    q = "SELECT * WHERE { FILTER(" + "(" * depth + "1" + ")" * depth + ") }"
    with fresh.client() as c:
        r = c.post("/sparql", content=q.encode(), headers={"Content-Type": "application/sparql-query"})
        assert r.status_code < 500, r.status_code
        g = "{ " * depth + "?s ?p ?o " + "} " * depth
        r = c.post(
            "/sparql",
            content=f"SELECT * WHERE {g}".encode(),
            headers={"Content-Type": "application/sparql-query"},
        )
        assert r.status_code < 500
    assert fresh.alive()


@pytest.mark.parametrize(
    "value", [f"{CITY_NORTH}> }} ; DROP ALL ; {{ <x:y", f'{CITY_NORTH}" . ?x ?y ?z', "not an iri"]
)
def test_canned_query_parameters_cannot_inject(srv: Live, baseline: Before, value: str) -> None:
    with srv.client("write") as c:
        listing = c.get("/queries").json()["queries"]
        for q in listing:
            iri_params = [p["name"] for p in q["parameters"] if p["type"] == "iri"]
            for name in iri_params:
                r = c.get(f"/queries/{q['name']}", params={name: value})
                assert r.status_code == 400, f"{q['name']}?{name}: {r.status_code}"
    assert srv.counts() == baseline


@pytest.mark.parametrize(
    "path",
    [
        "/static/../pyproject.toml",
        "/static/%2e%2e/%2e%2e/pyproject.toml",
        "/static/..%2f..%2f..%2fpyproject.toml",
    ],
)
def test_static_files_do_not_escape_their_folder(srv: Live, path: str) -> None:
    with srv.client() as c:
        req = c.build_request("GET", srv.url + "/")
        req.url = httpx.URL(srv.url).copy_with(raw_path=path.encode())
        r = c.send(req)
    assert r.status_code in (400, 404), r.status_code
    assert "[project]" not in r.text


def test_update_by_get_writes_nothing(srv: Live, baseline: Before) -> None:
    with srv.client("write") as c:
        r = c.get(
            "/sparql",
            params={"update": f"INSERT DATA {{ GRAPH <{SCRATCH}g> {{ <{SCRATCH}s> <{SCRATCH}p> 1 }} }}"},
        )
    assert 400 <= r.status_code < 500
    assert srv.counts() == baseline


def test_query_and_update_together_are_refused(srv: Live, baseline: Before) -> None:
    with srv.client("write") as c:
        r = c.post("/sparql", data={"query": "ASK {}", "update": "DROP ALL"})
    assert r.status_code == 400, r.status_code
    assert srv.counts() == baseline


# -- 6, 13: request heads -------------------------------------------------------------------


def raw_request(live: Live, head: bytes, timeout: float = 30) -> bytes:
    """Send raw bytes and return the answer's head.

    A connection the server closes or resets counts as refused (``b""``); a
    server that neither reads nor answers within ``timeout`` gives ``b"TIMEOUT"``.
    """
    chunks = []
    try:
        with socket.create_connection(("127.0.0.1", live.port), timeout=timeout) as s:
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                s.sendall(head)
            while b"\r\n\r\n" not in b"".join(chunks):
                b = s.recv(65536)
                if not b:
                    break
                chunks.append(b)
    except TimeoutError:
        return b"TIMEOUT"
    except ConnectionResetError:
        pass
    return b"".join(chunks)


def status_of(answer: bytes) -> int | None:
    if not answer.startswith(b"HTTP/1."):
        return None
    return int(answer.split(b" ", 2)[1])


def probe_while(live: Live, work: threading.Thread, every: float = 0.1) -> list[str]:
    """``ASK {}`` every ``every`` seconds while ``work`` runs; the errors seen."""
    errors = []
    with httpx.Client(base_url=live.url, timeout=10) as c:
        while work.is_alive():
            try:
                r = c.get("/sparql", params={"query": "ASK {}"})
                if r.status_code != 200:
                    errors.append(str(r.status_code))
            except httpx.HTTPError as exc:
                errors.append(type(exc).__name__)
            time.sleep(every)
    return errors


@pytest.mark.parametrize("size_mb", [1, pytest.param(8, marks=pytest.mark.slow)])
def test_6_repeated_header_names_are_refused_and_others_keep_being_answered(
    fresh: Live, size_mb: int
) -> None:
    line = b"X-Repeat: " + b"a" * 90 + b"\r\n"
    head = (
        b"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\nHost: x\r\n"
        + line * (size_mb * 1024 * 1024 // len(line))
        + b"\r\n"
    )
    answers: list[bytes] = []
    work = threading.Thread(target=lambda: answers.append(raw_request(fresh, head)))
    work.start()
    errors = probe_while(fresh, work)
    work.join()
    assert answers[0] != b"TIMEOUT", "the head was neither read nor answered within 30 s"
    assert status_of(answers[0]) in (None, 400, 413, 431), answers[0][:200]
    assert errors == [], errors


@pytest.mark.parametrize("where", ["url", "header"])
def test_13_a_32_mb_request_head_is_refused(fresh: Live, where: str) -> None:
    big = b"a" * (32 * 1024 * 1024)
    if where == "url":
        head = b"GET /sparql?query=ASK%7B%7D&x=" + big + b" HTTP/1.1\r\nHost: x\r\n\r\n"
    else:
        head = b"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\nHost: x\r\nX-Big: " + big + b"\r\n\r\n"
    answer = raw_request(fresh, head)
    assert answer != b"TIMEOUT", "the head was neither read nor answered within 30 s"
    assert status_of(answer) in (None, 400, 413, 414, 431), answer[:200]
    assert fresh.alive()


@pytest.mark.slow
def test_13_incomplete_requests_are_timed_out(fresh: Live) -> None:
    conns = []
    for _ in range(200):
        s = socket.create_connection(("127.0.0.1", fresh.port), timeout=5)
        s.sendall(b"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\nHost: x\r\n")
        conns.append(s)
    try:
        assert fresh.get("/sparql", params={"query": "ASK {}"}).status_code == 200
        deadline = time.monotonic() + 40
        open_ = list(conns)
        while open_ and time.monotonic() < deadline:
            still = []
            for s in open_:
                s.settimeout(0.01)
                try:
                    if s.recv(1) == b"":
                        continue  # closed by the server
                    continue  # an answer (e.g. 408) counts as handled too
                except TimeoutError:
                    still.append(s)
                except OSError:
                    continue
            open_ = still
            time.sleep(0.5)
        assert not open_, f"{len(open_)} of 200 incomplete requests still held open after 40 s"
    finally:
        for s in conns:
            s.close()


# -- 7. runaway queries never cost other clients --------------------------------------------

RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"


@pytest.fixture(scope="module")
def short_timeout(template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    live = serve(template, tmp_path_factory.mktemp("attack-timeout"), LCGRAPH_QUERY_TIMEOUT="2")
    yield live
    live.stop()


@pytest.mark.slow
@pytest.mark.parametrize("wave", [1, 2])
def test_7_runaway_queries_never_refuse_other_clients(short_timeout: Live, wave: int) -> None:
    codes: list[object] = []

    def runaway() -> None:
        try:
            with httpx.Client(base_url=short_timeout.url, timeout=60) as c:
                codes.append(c.get("/sparql", params={"query": RUNAWAY}).status_code)
        except httpx.HTTPError as exc:
            codes.append(type(exc).__name__)

    threads = [threading.Thread(target=runaway) for _ in range(20)]
    for t in threads:
        t.start()

    def wait_all() -> None:
        for t in threads:
            t.join()
        time.sleep(10)  # and the replacements after the runaways

    work = threading.Thread(target=wait_all)
    work.start()
    errors = probe_while(short_timeout, work, every=0.05)
    work.join()
    assert errors == [], f"{len(errors)} probe errors: {errors[:10]}"
    assert codes == [503] * 20, codes


# -- 9. anonymous dry runs are bounded -------------------------------------------------------


def huge_sheet(kind: str, rows: int) -> tuple[bytes, str]:
    """A partners sheet of ``rows`` valid-looking rows, as CSV or XLSX, and its media type."""
    body = template_csv("partners", [partner_row(n) for n in range(rows)])
    if kind == "csv":
        return body, "text/csv"
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    for row in csv.reader(io.StringIO(body.decode())):
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_9_a_huge_anonymous_dry_run_is_bounded(fresh: Live, kind: str) -> None:
    """150,000 rows, anonymously: answered within 30 s (refused or cut short), others unaffected."""
    body, media = huge_sheet(kind, 150_000)
    answers: list[httpx.Response | str] = []

    def send() -> None:
        try:
            with httpx.Client(base_url=fresh.url, timeout=30) as c:
                answers.append(
                    c.post(
                        "/import/partners",
                        params={"dry_run": "true", "filename": f"p.{kind}"},
                        content=body,
                        headers={"Content-Type": media},
                    )
                )
        except httpx.HTTPError as exc:
            answers.append(type(exc).__name__)

    work = threading.Thread(target=send)
    work.start()
    errors = probe_while(fresh, work)
    work.join()
    r = answers[0]
    assert isinstance(r, httpx.Response), f"no answer within 30 s: {r}"
    assert 400 <= r.status_code < 500, f"{r.status_code}: {r.text[:300]}"
    assert errors == []


@pytest.fixture(scope="module")
def short_dry_runs(template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """A server whose dry runs may take one second."""
    live = serve(template, tmp_path_factory.mktemp("attack-dry-runs"), LCGRAPH_DRY_RUN_TIMEOUT="1")
    yield live
    live.stop()


def _turtle_partners(n: int) -> bytes:
    lines = [
        "@prefix lc: <https://w3id.org/lcgraph/def#> . @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> ."
    ]
    lines += [f'<{SCRATCH}partner-{i}> a lc:PartnerOrganisation ; rdfs:label "p{i}"@en .' for i in range(n)]
    return "\n".join(lines).encode()


def _stopped_lines(live: Live, what: str) -> list[str]:
    return [line for line in live.log.read_text(errors="replace").splitlines() if f"{what} stopped:" in line]


def test_9_a_dry_run_over_its_time_limit_is_503_and_stopped(short_dry_runs: Live) -> None:
    """A writer's large import dry run and validation: 503 at the limit, with what to do, and the work ends."""
    body, media = huge_sheet("csv", 60_000)
    t0 = time.monotonic()
    with short_dry_runs.client("write", timeout=60) as c:
        r = c.post("/import/partners", params={"dry_run": "true", "filename": "p.csv"}, content=body,
                   headers={"Content-Type": media, "Accept": "application/json"})  # fmt: skip
    took = time.monotonic() - t0
    assert r.status_code == 503, f"{r.status_code}: {r.text[:300]}"
    assert "did not finish within 1 seconds" in r.json()["message"] and "split" in r.json()["message"]
    assert took < 10, took
    with short_dry_runs.client("write", timeout=60) as c:
        v = c.post("/validate", content=_turtle_partners(40_000), headers={"Content-Type": "text/turtle"})
    assert v.status_code == 503 and "validation did not finish" in v.text, v.text[:300]
    assert any("longer than 1 s" in line for line in _stopped_lines(short_dry_runs, "the import dry run"))
    # The work itself ends soon after: it stops at its next row, not after every row is read.
    ended = _wait_for_end(short_dry_runs, "the import dry run")
    assert ended is not None and ended < 10, short_dry_runs.log.read_text()[-2000:]
    checked = _wait_for_end(short_dry_runs, "the validation", within=60)
    assert checked is not None, short_dry_runs.log.read_text()[-2000:]
    print(f"import dry run ended {ended:.2f} s, validation {checked:.2f} s after their time ran out")


def _wait_for_end(live: Live, what: str, within: float = 30) -> float | None:
    """Seconds between stopping ``what`` and its work ending, from the server log (``None``: not ended)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        for line in live.log.read_text(errors="replace").splitlines():
            found = re.search(re.escape(what) + r" ended ([\d.]+) s after it was stopped", line)
            if found:
                return float(found.group(1))
        time.sleep(0.2)
    return None


@pytest.mark.slow
def test_9_a_dry_run_stops_when_its_client_goes(fresh: Live) -> None:
    """The client gives up after a second: the server stops the work (seconds, not the minutes it needs)."""
    body, media = huge_sheet("csv", 150_000)
    sent = time.monotonic()
    with (
        pytest.raises(httpx.ReadTimeout),
        httpx.Client(base_url=fresh.url, timeout=httpx.Timeout(60, read=2)) as c,
    ):
        c.post("/import/partners", params={"dry_run": "true", "filename": "p.csv"}, content=body,
               headers={"Content-Type": media, "Authorization": f"Bearer {WRITE}"})  # fmt: skip
    gone = time.monotonic()
    while time.monotonic() < gone + 15 and not _stopped_lines(fresh, "the import dry run"):
        time.sleep(0.1)
    stopped = _stopped_lines(fresh, "the import dry run")
    noticed = time.monotonic() - gone
    assert stopped and "the client went away" in stopped[-1], fresh.log.read_text()[-2000:]
    ended = _wait_for_end(fresh, "the import dry run")
    assert ended is not None and ended < 10
    print(
        f"noticed {noticed:.1f} s after the client left ({gone - sent:.1f} s in); work ended {ended:.2f} s later"
    )
    assert noticed < 15 and fresh.alive()


# -- 12, 14: faults ------------------------------------------------------------------------


def forced_load(template: Path, where: Path, nq: Path, kill_after: float | None) -> tuple[int, int, float]:
    """Run ``lcgraph load --force`` on a fresh copy, ``kill -9`` it after ``kill_after`` s.

    Returns the triples that landed, the forced change-sets in the history and the time taken.
    """
    data = where / "db"
    if data.exists():
        shutil.rmtree(data)
    shutil.copytree(template, data)
    t0 = time.monotonic()
    proc = subprocess.Popen(
        [LCGRAPH, "load", str(nq), "--force", "--data", str(data)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        proc.wait(timeout=kill_after if kill_after is not None else 300)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    took = time.monotonic() - t0
    q = (
        "SELECT ?n ?h WHERE { "
        f"{{ SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{SCRATCH}bulk> {{ ?s ?p ?o }} }} }} "
        f"{{ SELECT (COUNT(*) AS ?h) WHERE {{ GRAPH <{HISTORY}> {{ ?c <{LC}forced> true }} }} }} }}"
    )
    done = run("query", q, "--format", "csv", "--data", str(data))
    assert done.returncode == 0, done.stderr
    landed, forced = (int(v) for v in done.stdout.split()[-1].split(","))
    return landed, forced, took


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_12_killing_a_forced_load_never_leaves_data_without_history(template: Path, tmp_path: Path) -> None:
    nq = tmp_path / "bulk.nq"
    lines = (f'<{SCRATCH}s{i}> <{SCRATCH}p> "{i}" <{SCRATCH}bulk> .\n' for i in range(30_000))
    nq.write_text("".join(lines), encoding="utf-8")
    landed, forced, whole = forced_load(template, tmp_path, nq, None)
    assert landed == 30_000
    before = forced - 1  # the forced change-sets already in the template (the plant's)
    bad = []
    for i in range(15):
        kill_after = whole * (0.5 + 0.6 * i / 14)  # around the end of the load, where the window was
        landed, forced, _ = forced_load(template, tmp_path, nq, kill_after)
        if landed and forced == before:
            bad.append(round(kill_after, 2))
    assert bad == [], f"data landed without its history record when killed after {bad} s"


def temp_paths_of(pgid: int) -> set[str]:
    """The ``/tmp/lcgraph-*`` entries the processes of group ``pgid`` hold (files, Unix sockets)."""
    inodes, paths = set(), set()
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if os.getpgid(int(proc.name)) != pgid:
                continue
            for fd in (proc / "fd").iterdir():
                target = os.readlink(fd)
                if target.startswith("socket:["):
                    inodes.add(target[8:-1])
                elif target.startswith("/tmp/lcgraph-"):
                    paths.add(target)
        except OSError:
            continue
    for line in Path("/proc/net/unix").read_text().splitlines()[1:]:
        fields = line.split()
        if len(fields) >= 8 and fields[6] in inodes and fields[7].startswith("/tmp/lcgraph-"):
            paths.add(fields[7])
    return {"/tmp/" + Path(p).relative_to("/tmp").parts[0] for p in paths}


def test_14_a_killed_server_leaves_no_temp_files_after_the_next_start(template: Path, tmp_path: Path) -> None:
    first = serve(template, tmp_path / "first")
    held = temp_paths_of(first.proc.pid)
    first.kill()
    again = serve_existing(first.data, tmp_path / "again.log")
    again.stop()
    remaining = sorted(p for p in held if Path(p).exists())
    assert remaining == [], f"left behind by the killed server: {remaining}"


# -- the admin token is not a reader of private data ----------------------------------------


def test_admin_without_read_private_reads_no_private_data(srv: Live) -> None:
    with srv.client("admin") as c:
        r = c.get("/sparql", params={"query": f"SELECT * WHERE {{ GRAPH <{PRIVATE}> {{ ?s ?p ?o }} }}"})
        assert r.status_code in (200, 403) and leaks(r.text) == []
        assert leaks(c.get("/export", params={"format": "nquads"}).text) == []


# -- the attacks themselves are well-formed (so a 400 above is a refusal, not a typo) -------


def test_every_attack_update_is_valid_sparql() -> None:
    texts = [P + u for u in LEAK_UPDATES.values()]
    texts += list(HISTORY_UPDATES.values()) + WIPES + ESCAPED
    texts += [u.format(g=g) for u in PROTECTED_UPDATES.values() for g in PROTECTED]
    for text in texts:
        try:
            ox.Store().update(text)
        except SyntaxError as exc:
            pytest.fail(f"not SPARQL: {text}: {exc}")
        except (OSError, ValueError, RuntimeError):
            pass  # evaluation errors (COPY of a missing graph) are fine here
