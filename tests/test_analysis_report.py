"""Report outputs: the coverage cube, plots with and without a Thai font, network exports."""

from __future__ import annotations

import io
from pathlib import Path

import networkx as nx
import pytest
from test_analysis_data import iri
from test_analysis_findings import planted

from lcgraph.analysis import plots
from lcgraph.analysis.gaps import GapReport, analyse
from lcgraph.analysis.network_files import annotated_network, network_bytes, write_network
from lcgraph.analysis.networks import coverage_cube
from lcgraph.analysis.report_files import findings_csv, render_html
from lcgraph.store import Dataset

V = "https://w3id.org/lcgraph/vocab/"


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Dataset:
    ds = Dataset.open(tmp_path_factory.mktemp("report") / "store")
    planted().load(ds)
    return ds


@pytest.fixture(scope="module")
def report(loaded: Dataset) -> GapReport:
    return analyse(loaded)


def test_coverage_cube_counts_activities(loaded: Dataset) -> None:
    cube = coverage_cube(loaded)
    far = iri("city", "far")
    # 'far' has one youth activity per theme, each tagged quality-learning.
    cells = {k: n for k, n in cube.items() if k[0] == far}
    assert len(cells) == 16 and set(cells.values()) == {1}
    assert all(k[1] == f"{V}age-group/youth" and k[3] == f"{V}gnlc/quality-learning" for k in cells)
    # c0 has 30 activities (5 age groups x 6 blocks) plus the one 'link' co-organises (no block).
    c0 = sum(n for k, n in cube.items() if k[0] == iri("city", "c0"))
    assert c0 == 31
    assert cube[(iri("city", "c0"), f"{V}age-group/youth", f"{V}theme/tourism", None)] == 1


def test_plots_fall_back_to_english_without_a_thai_font(
    report: GapReport, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert plots.thai_font() is not None  # the Debian TLWG fonts are installed here
    assert plots.bilingual("เมือง", "City") == "เมือง\nCity"
    monkeypatch.setattr(plots, "thai_font", lambda: None)
    assert plots.bilingual("เมือง", "City") == "City"
    svg = plots.figure_bytes(plots.coverage_figure(report), "svg")
    assert svg.startswith(b"<?xml") and b"<svg" in svg


def test_html_is_self_contained_and_bilingual(report: GapReport) -> None:
    html = render_html(report)
    assert html.count("<svg") == 2 and "<script" not in html and "src=" not in html
    assert "ข้อเสนอการจับคู่ความร่วมมือ" in html and "Suggested partnerships" in html
    assert "Test City far" in html


def test_csv_rows_follow_the_ranking(report: GapReport) -> None:
    lines = findings_csv(report.findings).splitlines()
    assert lines[0].startswith("rank,id,severity,kind")
    assert len(lines) == len(report.findings) + 1


@pytest.mark.parametrize("fmt", ["gexf", "graphml"])
def test_network_exports_round_trip(report: GapReport, fmt: str) -> None:
    data = network_bytes(report, fmt)
    g = (nx.read_gexf if fmt == "gexf" else nx.read_graphml)(io.BytesIO(data))
    ours = report.projections.collaboration
    assert g.number_of_nodes() == ours.number_of_nodes() and g.number_of_edges() == ours.number_of_edges()
    link, f1 = iri("partner", "link"), iri("partner", "f1")
    assert int(g[link][f1]["weight"]) == 16 and g[link][f1]["kinds"] == "activity"
    assert g.nodes[link]["label_th"] == "ภาคีทดสอบ link"
    with pytest.raises(ValueError, match="unknown network format"):
        network_bytes(report, "png")


@pytest.mark.parametrize("fmt", ["gexf", "graphml"])
def test_streamed_export_matches_the_annotated_network(report: GapReport, fmt: str, tmp_path: Path) -> None:
    # Written element by element to a file; read back, every attribute and its type survive.
    path = tmp_path / f"n.{fmt}"
    with path.open("wb") as stream:
        write_network(report, fmt, stream)
    assert path.read_bytes() == network_bytes(report, fmt)
    g = (nx.read_gexf if fmt == "gexf" else nx.read_graphml)(path)
    want = annotated_network(report)
    assert set(g.nodes) == set(want.nodes) and g.number_of_edges() == want.number_of_edges()
    for n, d in want.nodes(data=True):
        got = g.nodes[n]
        assert got["broker"] is d["broker"] and got["community"] == d["community"]
        assert got["betweenness"] == pytest.approx(d["betweenness"]) and got["label_th"] == d["label_th"]
    for u, v, d in want.edges(data=True):
        assert g[u][v]["kinds"] == d["kinds"] and float(g[u][v]["weight"]) == d["weight"]
