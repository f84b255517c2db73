"""`lcgraph gaps` run as a real process on a temp on-disk store."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import networkx as nx
import pytest
from test_analysis_data import Net, iri
from test_analysis_findings import planted

from lcgraph.store import Dataset

LCGRAPH = str(Path(sys.executable).parent / "lcgraph")
FINDINGS = "https://w3id.org/lcgraph/graph/findings"


def lcgraph(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([LCGRAPH, *map(str, args)], capture_output=True, text=True, timeout=120)


@pytest.fixture
def store_dir(tmp_path: Path) -> Path:
    path = tmp_path / "store"
    ds = Dataset.open(path)
    planted().load(ds)
    ds.flush()
    del ds  # release the RocksDB lock for the subprocess
    return path


def test_gaps_json_writes_findings_to_the_store_when_asked(store_dir: Path) -> None:
    before = Dataset.open(store_dir)
    quads = len(before._store)
    del before
    looked = lcgraph("gaps", "--data", store_dir, "--format", "json")
    assert looked.returncode == 0 and "wrote" not in looked.stderr
    after = Dataset.open(store_dir)
    assert len(after._store) == quads, "lcgraph gaps wrote into the store without --write"
    del after
    proc = lcgraph("gaps", "--data", store_dir, "--format", "json", "--write")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    kinds = {f["kind"] for f in data["findings"]}
    assert {"isolated-actor", "cut-vertex", "coverage-age-group", "missing-sector"} <= kinds
    assert data["summary"]["findings"] == len(data["findings"])
    assert {s["name"] for s in data["stages"]} >= {"projection (SPARQL)", "communities", "betweenness"}
    assert "wrote" in proc.stderr and "findings" in proc.stderr
    ds = Dataset.open(store_dir)
    n = ds.select(
        f"SELECT (COUNT(DISTINCT ?f) AS ?n) WHERE {{ GRAPH <{FINDINGS}> {{ ?f a "
        "<https://w3id.org/lcgraph/def#Finding> } }"
    )
    assert int(n[0]["n"].value) == len({f["id"] for f in data["findings"]})


def test_gaps_table_for_one_city_in_thai(store_dir: Path) -> None:
    proc = lcgraph("gaps", "--data", store_dir, "--city", "far", "--lang", "th", "--no-write")
    assert proc.returncode == 0, proc.stderr
    assert "ผู้สูงอายุ" in proc.stdout  # older people: a planted gap of 'far'
    assert "coverage-age-group" in proc.stdout


def test_gaps_csv_and_network_files(store_dir: Path, tmp_path: Path) -> None:
    out, gexf = tmp_path / "f.csv", tmp_path / "n.gexf"
    proc = lcgraph("gaps", "--data", store_dir, "--format", "csv", "-o", out, "--network", gexf, "--no-write")
    assert proc.returncode == 0, proc.stderr
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert rows and rows[0]["severity"] == "high" and rows[0]["message_th"]
    g = nx.read_gexf(gexf)
    assert g.nodes[iri("partner", "link")]["kind"] == "partner"
    assert "community" in g.nodes[iri("city", "far")]


def test_gaps_html_report(store_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "report"
    proc = lcgraph("gaps", "--data", store_dir, "--format", "html", "-o", out, "--no-write")
    assert proc.returncode == 0, proc.stderr
    html = (out / "report.html").read_text(encoding="utf-8")
    assert html.count("<svg") == 2 and "ข้อค้นพบ" in html and "Findings" in html
    assert "<img" not in html and "src=" not in html  # self-contained
    for png in ("network.png", "coverage.png"):
        assert (out / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_gaps_bad_input_is_one_line_not_a_traceback(tmp_path: Path, store_dir: Path) -> None:
    empty = tmp_path / "empty"
    Dataset.open(empty).flush()
    proc = lcgraph("gaps", "--data", empty)
    assert proc.returncode == 2 and "the store is empty" in proc.stderr and "Traceback" not in proc.stderr
    proc = lcgraph("gaps", "--data", store_dir, "--city", "atlantis")
    assert proc.returncode == 2 and "no learning city called 'atlantis'" in proc.stderr
    assert "Traceback" not in proc.stderr
    proc = lcgraph("gaps", "--data", store_dir, "--network", tmp_path / "n.png")
    assert proc.returncode == 2 and ".gexf or .graphml" in proc.stderr


def test_gaps_on_a_network_without_ties(tmp_path: Path) -> None:
    path = tmp_path / "store"
    ds = Dataset.open(path)
    net = Net()
    net.city("alone")
    net.load(ds)
    ds.flush()
    del ds
    proc = lcgraph("gaps", "--data", path, "--lang", "en", "--no-write")
    assert proc.returncode == 0, proc.stderr
    assert "no-ties" in proc.stdout and "no-ecology-data" in proc.stdout
