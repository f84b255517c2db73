"""The gap analysis finds every gap planted in data/examples/ (listed in its README), and no other.

The examples are illustrative (invented cities and partners). They are
loaded with the vocabularies into a real on-disk store; the analysis reads
them back by SPARQL.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from lcgraph import resources
from lcgraph.analysis.cohesion import cut_points, periphery
from lcgraph.analysis.gaps import GapReport, analyse
from lcgraph.namespaces import GRAPH_VOCAB
from lcgraph.store import Dataset

ID = "https://w3id.org/lcgraph/id/"
V = "https://w3id.org/lcgraph/vocab/"
NORTH, NORTHEAST, SOUTH = (f"{ID}city/example-{c}" for c in ("north", "northeast", "south"))
HERITAGE = f"{ID}partner/example-heritage-foundation"
TOURISM = f"{ID}partner/example-north-tourism-company"
TEXTILE = f"{ID}partner/example-northeast-textile-network"
RADIO = f"{ID}partner/example-northeast-radio-club"
HILL = f"{ID}partner/example-hill-craft-cooperative"


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> GapReport:
    examples = resources.example_files()
    if not examples:
        pytest.fail("data/examples/*.trig is missing")
    ds = Dataset.open(tmp_path_factory.mktemp("examples") / "store")
    for path in resources.vocab_files():
        ds.load_path(path, graph=str(GRAPH_VOCAB))
    for path in examples:
        ds.load_path(path)
    return analyse(ds)


def subjects(report: GapReport, kind: str) -> list[set]:
    return [set(f.subjects) for f in report.findings if f.kind == kind]


def test_gap_1_2_isolated_and_peripheral(report: GapReport) -> None:
    per = periphery(report.projections.collaboration)
    assert per.isolated == [HILL]
    assert per.pendant == [RADIO]
    assert subjects(report, "isolated-actor") == [{HILL}]
    assert subjects(report, "peripheral-partners") == [{RADIO}]
    assert subjects(report, "peripheral-city") == []


def test_gap_3_4_articulation_points_and_bridges(report: GapReport) -> None:
    cuts = cut_points(report.projections.collaboration)
    arts = {c.where[0] for c in cuts if c.kind == "articulation"}
    assert arts == {TOURISM, TEXTILE, HERITAGE, NORTHEAST, SOUTH}
    bridges = {frozenset(c.where) for c in cuts if c.kind == "bridge"}
    assert bridges == {
        frozenset({TOURISM, TEXTILE}),
        frozenset({HERITAGE, SOUTH}),
        frozenset({NORTHEAST, RADIO}),
    }


def test_gap_3_single_point_of_failure_cuts_the_south_off(report: GapReport) -> None:
    south = [f for f in report.findings if f.kind == "bridge" and set(f.subjects) == {HERITAGE, SOUTH}]
    assert len(south) == 1
    f = south[0]
    # The eight actors of Example City South: the city, 2 administrators, 5 partners.
    assert f.severity == "high"
    assert (f.evidence["cut_off_actors"], f.evidence["cut_off_cities"], f.evidence["cut_off_partners"]) == (
        8,
        1,
        5,
    )
    assert "Example City South" in f.message_en


def test_gap_4_two_clusters_on_one_tie(report: GapReport) -> None:
    bridge = [f for f in report.findings if f.kind == "bridge" and set(f.subjects) == {TOURISM, TEXTILE}]
    assert len(bridge) == 1 and bridge[0].severity == "high"
    thin = [f for f in report.findings if f.kind == "thin-community"]
    assert thin and all(f.evidence["crossing_ties"] == 1 for f in thin)
    carriers = {c for f in thin for c in f.evidence["carriers"]}
    assert carriers <= {TOURISM, TEXTILE, HERITAGE, SOUTH, NORTHEAST}


def test_gap_5_brokers_between_cities(report: GapReport) -> None:
    bc = report.measures.betweenness.values
    assert report.measures.betweenness.exact
    partners = [n for n, k in report.projections.collaboration.nodes(data="kind") if k == "partner"]
    top3 = sorted(partners, key=lambda n: -bc[n])[:3]
    assert set(top3) == {TOURISM, TEXTILE, HERITAGE}
    assert bc[TEXTILE] == pytest.approx(0.44, abs=0.01)
    assert bc[HERITAGE] == pytest.approx(0.41, abs=0.01) and bc[TOURISM] == pytest.approx(0.41, abs=0.01)
    assert all(bc[n] < 0.05 for n in partners if n not in top3)
    brokers = {s for f in report.findings if f.kind == "broker-dependence" for s in f.subjects}
    assert {TOURISM, TEXTILE, HERITAGE} <= brokers
    heritage = next(f for f in report.findings if f.kind == "broker-dependence" and f.subjects == [HERITAGE])
    roles = heritage.evidence["brokerage_by_city"]
    assert roles["gatekeeper"] + roles["representative"] + roles["liaison"] > 0  # it brokers across cities


def test_gaps_6_to_11_coverage_and_nothing_else(report: GapReport) -> None:
    coverage = {
        (f.kind, frozenset(f.subjects))
        for f in report.findings
        if f.kind.startswith("coverage") or f.kind == "missing-sector"
    }
    assert coverage == {
        ("coverage-age-group", frozenset({NORTHEAST, f"{V}age-group/older-people"})),
        ("coverage-age-group", frozenset({NORTH, f"{V}age-group/early-childhood"})),
        ("coverage-building-block", frozenset({NORTHEAST, f"{V}gnlc/learning-workplace"})),
        ("coverage-theme-absent", frozenset({SOUTH})),
        ("missing-sector", frozenset({SOUTH, f"{V}sector/private"})),
        ("missing-sector", frozenset({NORTH, f"{V}sector/academic"})),
    }
    absent = next(f for f in report.findings if f.kind == "coverage-theme-absent")
    assert absent.evidence["absent_themes"] == ["digital-literacy"]
    ages = {frozenset(f.subjects): f.severity for f in report.findings if f.kind == "coverage-age-group"}
    assert set(ages.values()) == {"high"}  # older people and early childhood are priority groups


def test_every_finding_kind_is_one_the_readme_plants(report: GapReport) -> None:
    planted = {
        "isolated-actor",
        "peripheral-partners",
        "bridge",
        "cut-vertex",
        "thin-community",
        "broker-dependence",
        "coverage-age-group",
        "coverage-building-block",
        "coverage-theme-absent",
        "missing-sector",
        "disconnected-fragment",
    }
    assert {f.kind for f in report.findings} <= planted
    # The only fragment apart from the main network is the isolated cooperative (reported as isolated).
    assert subjects(report, "disconnected-fragment") == []
    # Every cut vertex finding is one of the README's articulation points.
    assert {s for f in report.findings if f.kind == "cut-vertex" for s in f.subjects} <= {
        TOURISM,
        TEXTILE,
        HERITAGE,
        NORTHEAST,
        SOUTH,
    }


def test_scorecards_for_the_three_cities(report: GapReport) -> None:
    assert set(report.scorecards) == {NORTH, NORTHEAST, SOUTH}
    ne = {s.code: s for area in report.scorecards[NORTHEAST].areas.values() for s in area}
    assert ne["learning-workplace"].status == "missing"
    assert "older-people" in ne["individual-empowerment"].missing
    south = {s.code: s for area in report.scorecards[SOUTH].areas.values() for s in area}
    assert "private" in south["governance-participation"].missing
    assert south["political-will"].status == "evident"  # a candidate membership and administrators


def test_report_files_render(report: GapReport, tmp_path: Path) -> None:
    from lcgraph.analysis.report_files import write_report

    html, network, coverage = write_report(report, tmp_path)
    text = html.read_text(encoding="utf-8")
    assert "Example Heritage Foundation" in text and "เมืองตัวอย่างใต้" in text
    assert network.stat().st_size > 10_000 and coverage.stat().st_size > 10_000
