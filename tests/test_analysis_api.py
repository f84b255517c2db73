"""The /analysis routes on a real uvicorn server over a temp on-disk store."""

from __future__ import annotations

import csv
import io

import httpx
import networkx as nx
import pytest
from test_analysis_data import iri
from test_analysis_findings import planted


@pytest.fixture
def loaded(server):
    server.change(planted().load)
    return server


def test_gaps_as_json_csv_and_html(loaded) -> None:
    r = httpx.get(loaded.url + "/analysis/gaps", timeout=60)
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    data = r.json()
    assert data["summary"]["findings"] == len(data["findings"]) > 0
    assert data["findings"][0]["severity"] == "high"
    r = httpx.get(loaded.url + "/analysis/gaps", params={"city": "far", "format": "csv"}, timeout=60)
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert r.status_code == 200 and rows and all(iri("city", "far") in row["cities"] for row in rows)
    r = httpx.get(loaded.url + "/analysis/gaps", params={"format": "html"}, timeout=60)
    assert r.status_code == 200 and "<svg" in r.text and "ข้อค้นพบ" in r.text


def test_recommendations_and_scorecard(loaded) -> None:
    r = httpx.get(loaded.url + "/analysis/recommendations", params={"top": 3}, timeout=60)
    assert r.status_code == 200
    recs = r.json()["recommendations"]
    assert 0 < len(recs) <= 3 and all(x["reason_en"] and x["reason_th"] for x in recs)
    r = httpx.get(loaded.url + "/analysis/scorecard/far", timeout=60)
    assert r.status_code == 200
    card = r.json()
    assert card["city"] == iri("city", "far")
    assert set(card["areas"]) == {"wider-benefits", "building-blocks", "fundamental-conditions"}
    assert 0 < card["score"] < 1


@pytest.mark.parametrize("fmt", ["gexf", "graphml"])
def test_network_download(loaded, fmt: str) -> None:
    r = httpx.get(f"{loaded.url}/analysis/network.{fmt}", timeout=60)
    assert r.status_code == 200 and "attachment" in r.headers["content-disposition"]
    g = (nx.read_gexf if fmt == "gexf" else nx.read_graphml)(io.BytesIO(r.content))
    assert g.number_of_nodes() == 20 and g.has_edge(iri("partner", "link"), iri("city", "far"))


def test_bad_requests_are_4xx_with_a_message(server, loaded) -> None:
    json_accept = {"Accept": "application/json"}
    r = httpx.get(loaded.url + "/analysis/scorecard/atlantis", headers=json_accept, timeout=60)
    assert r.status_code == 404 and "no learning city called 'atlantis'" in r.json()["message"]
    r = httpx.get(loaded.url + "/analysis/gaps", params={"format": "pdf"}, timeout=60)
    assert r.status_code == 400 and "format must be json, csv or html" in r.text
    r = httpx.get(loaded.url + "/analysis/network.png", timeout=60)
    assert r.status_code == 404 and "network.gexf" in r.text
    r = httpx.get(loaded.url + "/analysis/recommendations", params={"top": 0}, timeout=60)
    assert r.status_code == 400


def test_empty_store_is_422_not_500(server) -> None:
    r = httpx.get(server.url + "/analysis/gaps", headers={"Accept": "application/json"}, timeout=60)
    assert r.status_code == 422 and "the store is empty" in r.json()["message"]
