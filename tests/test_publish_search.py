"""Search: Thai words found inside unspaced Thai text, English, ranking, classes, SPARQL function."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
from conftest import RunningServer
from test_publish_support import EXAMPLES, build_store, fill

from lcgraph.publish.search import TEXT_SCORE, SearchIndex, index_for, sparql_functions, text_score, words
from lcgraph.store import Dataset

ID = "https://w3id.org/lcgraph/id/"
LEARNING_CITY = "https://w3id.org/lcgraph/def#LearningCity"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Dataset:
    return build_store(tmp_path_factory.mktemp("search") / "db")


@pytest.fixture(scope="module")
def live(module_server_factory: Callable[..., RunningServer]) -> RunningServer:
    server = module_server_factory()
    fill(server.dataset)
    server.app.state.runtime.mark_written()
    return server


def test_thai_text_is_segmented_into_words() -> None:
    assert words("เทศบาลนครหาดใหญ่") == ["เทศบาลนคร", "หาดใหญ่"]
    assert "การเรียนรู้" in words("เมืองแห่งการเรียนรู้ Learning City")
    assert words("Learning City, Phayao!") == ["learning", "city", "phayao"]


def test_a_thai_word_inside_a_label_finds_the_city_first(store: Dataset) -> None:
    hits = SearchIndex.build(store).search("หาดใหญ่", limit=5)
    assert hits[0].iri == ID + "city/hat-yai"
    assert LEARNING_CITY in hits[0].classes
    assert hits[0].labels["th"] == "เทศบาลนครหาดใหญ่" and hits[0].labels["en"] == "Hat Yai City Municipality"


def test_english_search_and_class_filter(store: Dataset) -> None:
    index = SearchIndex.build(store)
    assert index.search("Phayao", limit=1)[0].iri == ID + "city/phayao"
    only_spaces = index.search("phayao", classes={"https://w3id.org/lcgraph/def#LearningSpace"})
    assert [h.iri for h in only_spaces] == [ID + "space/example-phayao-library"]


def test_part_of_a_thai_word_still_matches(store: Dataset) -> None:
    hits = SearchIndex.build(store).search("นคร", limit=50)
    assert ID + "city/hat-yai" in [h.iri for h in hits]  # "นคร" is inside "เทศบาลนคร"


def test_more_query_words_matched_ranks_higher(store: Dataset) -> None:
    hits = SearchIndex.build(store).search("Learning City Days", limit=10)
    assert all(h.matched == 3 for h in hits[:3])
    assert hits[0].matched >= hits[-1].matched


def test_private_labels_are_not_indexed(tmp_path: Path) -> None:
    ds = build_store(tmp_path / "db")
    ds.update(
        "INSERT DATA { GRAPH <https://w3id.org/lcgraph/graph/private> { "
        f"<{ID}administrator/example-somchai> <http://www.w3.org/2000/01/rdf-schema#label> "
        '"secretname" } }'
    )
    assert SearchIndex.build(ds).search("secretname") == []


def test_index_is_rebuilt_when_the_store_changes(tmp_path: Path) -> None:
    ds = build_store(tmp_path / "db")
    assert index_for(ds).search("zebracrossing") == []
    ds.update(
        f"INSERT DATA {{ GRAPH <{EXAMPLES}> {{ <{ID}space/x> "
        '<http://www.w3.org/2000/01/rdf-schema#label> "zebracrossing (illustrative)"@en } }'
    )
    ds.flush()
    assert [h.iri for h in index_for(ds).search("zebracrossing")] == [ID + "space/x"]


def test_text_score_is_a_sparql_function(store: Dataset) -> None:
    assert text_score("เทศบาลนครหาดใหญ่", "หาดใหญ่") == 1.0
    assert text_score("Phayao", "หาดใหญ่") == 0.0
    query = (
        f"SELECT ?s {{ ?s <http://www.w3.org/2000/01/rdf-schema#label> ?l "
        f'FILTER(<{TEXT_SCORE}>(?l, "หาดใหญ่") = 1) }}'
    )
    rows = store.query(query, custom_functions=sparql_functions())
    assert ox.NamedNode(ID + "city/hat-yai") in {r["s"] for r in rows}


def test_search_route_json_html_and_bad_input(live: RunningServer) -> None:
    r = httpx.get(live.url + "/search", params={"q": "พะเยา", "limit": 3})
    assert r.status_code == 200
    body = r.json()
    assert body["hits"][0]["iri"] == ID + "city/phayao" and body["hits"][0]["page"] == "/id/city/phayao"
    assert LEARNING_CITY in body["hits"][0]["classes"]
    page = httpx.get(live.url + "/search", params={"q": "พะเยา"}, headers={"Accept": "text/html"})
    assert page.status_code == 200 and "/id/city/phayao" in page.text
    assert httpx.get(live.url + "/search").status_code == 400
    assert httpx.get(live.url + "/search", params={"q": "x", "limit": 0}).status_code == 400
    only = httpx.get(live.url + "/search", params={"q": "phayao", "class": "lc:LearningSpace"}).json()
    assert [h["iri"] for h in only["hits"]] == [ID + "space/example-phayao-library"]


def test_text_score_is_a_sparql_function_of_the_endpoint(server_factory) -> None:  # type: ignore[no-untyped-def]
    import httpx

    from lcgraph.bootstrap import initialise

    server = server_factory()
    initialise(server.dataset)
    server.app.state.runtime.mark_written()
    query = (
        "PREFIX lc: <https://w3id.org/lcgraph/def#> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "
        'SELECT ?s ?score WHERE { ?s rdfs:label ?l BIND(lc:textScore(?l, "หาดใหญ่") AS ?score) '
        "FILTER(?score > 0) } ORDER BY DESC(?score)"
    )
    r = httpx.get(
        server.sparql, params={"query": query}, headers={"Accept": "application/sparql-results+json"}
    )
    assert r.status_code == 200, r.text
    hits = [b["s"]["value"] for b in r.json()["results"]["bindings"]]
    assert "https://w3id.org/lcgraph/id/city/hat-yai" in hits
