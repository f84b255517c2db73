"""The gap analysis end to end on small illustrative networks in a real on-disk store."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from test_analysis_data import AGE_GROUPS, BLOCKS, THEMES, Net, complete_network, iri

from lcgraph.analysis.findings import Finding
from lcgraph.analysis.gaps import analyse
from lcgraph.analysis.networks import AnalysisInputError, UnknownCity, project
from lcgraph.analysis.rdf_out import write_findings
from lcgraph.store import Dataset

FINDINGS = "https://w3id.org/lcgraph/graph/findings"
V = "https://w3id.org/lcgraph/vocab/"


@pytest.fixture
def store(tmp_path: Path) -> Dataset:
    return Dataset.open(tmp_path / "store")


def planted() -> Net:
    """A complete 3-city network plus deliberate gaps, each listed here.

    1. partner 'lonely' (private) has no tie at all                 -> isolated-actor
    2. city 'far' hangs on the network through partner 'link' only  -> peripheral-city
    3. 'link' holds 'far' and its partners 'f1', 'f2' on the network -> cut-vertex / bridge (cuts a city off)
    4. 'far' has activities for youth only                  -> coverage-age-group (older people: high)
    5. 'far' has no activity for any building block but one          -> coverage-building-block
    6. 'far' has only civil-society partners                         -> missing-sector private, academic
    """
    net = complete_network()
    net.partner("lonely", "private")
    net.city("far")
    net.partner("link", "civil-society")
    net.partner("f1", "civil-society")
    net.partner("f2", "civil-society")
    everything = dict(ages=("youth",), blocks=("quality-learning",))
    for theme in THEMES:
        net.activity("far", ["partner/link", "partner/f1", "partner/f2"], themes=(theme,), **everything)
    net.activity("c0", ["partner/link", "partner/c0-p0"], ages=("youth",), themes=("tourism",))
    return net


def kinds_about(findings: list[Finding], kind: str) -> list[set]:
    return [set(f.subjects) for f in findings if f.kind == kind]


def test_complete_network_has_no_false_alarm(store: Dataset) -> None:
    complete_network().load(store)
    report = analyse(store)
    assert report.findings == []
    g = report.projections.collaboration
    n = g.number_of_nodes()
    assert g.number_of_edges() == n * (n - 1) // 2  # really complete
    for card in report.scorecards.values():
        assert card.score > 0.8


def test_planted_gaps_are_found(store: Dataset) -> None:
    planted().load(store)
    report = analyse(store)
    f = report.findings
    far, link = iri("city", "far"), iri("partner", "link")
    assert {iri("partner", "lonely")} in kinds_about(f, "isolated-actor")
    # 'far' is tied to link, f1 and f2, who are all tied to each other: the city is in a
    # triangle, but the whole group hangs on 'link' -> one cut vertex finding naming a city.
    cut = [x for x in f if x.kind == "cut-vertex" and x.subjects == [link]]
    assert cut and cut[0].severity == "high" and cut[0].evidence["cut_off_cities"] == 1
    assert cut[0].evidence["cut_off_actors"] == 3
    ages = kinds_about(f, "coverage-age-group")
    for code in AGE_GROUPS:
        expected = {far, f"{V}age-group/{code}"}
        assert (expected in ages) == (code != "youth")
    older = next(
        x for x in f if x.kind == "coverage-age-group" and f"{V}age-group/older-people" in x.subjects
    )
    assert older.severity == "high" and older.cities == [far]
    blocks = kinds_about(f, "coverage-building-block")
    assert len(blocks) == len(BLOCKS) - 1 and {far, f"{V}gnlc/quality-learning"} not in blocks
    sectors = sorted(sorted(s) for s in kinds_about(f, "missing-sector"))
    assert sectors == sorted(sorted({far, f"{V}sector/{code}"}) for code in ("private", "academic"))
    # Nothing is reported about the three complete cities except what 'link' changes.
    complete_cities = {iri("city", f"c{i}") for i in range(3)}
    coverage = [x for x in f if x.kind.startswith("coverage") or x.kind == "missing-sector"]
    assert not any(set(x.cities) & complete_cities for x in coverage)
    # Severity order: every high before every medium before every low.
    order = [("high", "medium", "low").index(x.severity) for x in f]
    assert order == sorted(order)


def test_findings_have_bilingual_text_and_evidence(store: Dataset) -> None:
    planted().load(store)
    for f in analyse(store).findings:
        assert f.message_th and f.message_en and f.recommendation_th and f.recommendation_en
        assert any("\u0e00" <= ch <= "\u0e7f" for ch in f.message_th), f.message_th  # Thai script
        assert f.evidence, f.kind
        assert all(n.iri and (n.label_en or n.label_th) for n in f.nodes)


def test_one_city_keeps_only_its_findings(store: Dataset) -> None:
    planted().load(store)
    report = analyse(store, city="far")
    assert report.city == iri("city", "far")
    assert report.findings and all(iri("city", "far") in f.cities for f in report.findings)
    assert list(report.scorecards) == [iri("city", "far")]
    assert analyse(store, city="Test City far").city == iri("city", "far")  # by label
    assert analyse(store, city=iri("city", "far")).city == iri("city", "far")  # by IRI


def test_recommendations_explain_themselves(store: Dataset) -> None:
    planted().load(store)
    report = analyse(store)
    recs = report.recommendations
    assert recs
    g = report.projections.collaboration
    for r in recs:
        assert not g.has_edge(r.a, r.b) and r.a != r.b
        assert r.reason_en and r.reason_th
    # 'far' and c0's partner c0-p0 share 'link' and sit in different clusters.
    far_pairs = [r for r in recs if iri("city", "far") in (r.a, r.b)]
    assert far_pairs and any("partner(s) in common" in r.reason_en for r in far_pairs)


def test_scorecard_shows_what_is_missing(store: Dataset) -> None:
    planted().load(store)
    card = analyse(store, city="far").scorecards[iri("city", "far")]
    subs = {s.code: s for area in card.areas.values() for s in area}
    assert set(subs) >= {"individual-empowerment", "quality-learning", "political-will", "resources"}
    assert subs["quality-learning"].status == "evident"  # 16 activities tagged
    assert subs["learning-workplace"].status == "missing"
    assert (
        subs["individual-empowerment"].status == "partial"
        and "older-people" in subs["individual-empowerment"].missing
    )
    assert subs["resources"].status == "missing"  # no spaces, no assets
    assert 0 < card.score < 1


# --- bad input -------------------------------------------------------------------------------


def test_empty_store_is_a_clear_error(store: Dataset) -> None:
    with pytest.raises(AnalysisInputError, match="the store is empty"):
        analyse(store)


def test_store_without_actors_is_a_clear_error(store: Dataset) -> None:
    Net().load(store)  # vocabularies only
    with pytest.raises(AnalysisInputError, match="no actors"):
        analyse(store)


def test_unknown_city_names_the_known_ones(store: Dataset) -> None:
    planted().load(store)
    with pytest.raises(
        UnknownCity, match=r"no learning city called 'atlantis'.*known cities: c0, c1, c2, far"
    ):
        analyse(store, city="atlantis")


def test_network_without_ties(store: Dataset) -> None:
    net = Net()
    net.city("a")
    net.city("b")
    net.partner("p")
    net.load(store)
    report = analyse(store)
    kinds = [f.kind for f in report.findings]
    assert kinds[0] == "no-ties"
    # The partner is isolated; the two cities have nothing recorded at all: one finding each.
    assert kinds.count("isolated-actor") == 1
    assert kinds.count("no-ecology-data") == 2 and "missing-sector" not in kinds
    assert report.recommendations == []


# --- RDF written back --------------------------------------------------------------------------


def test_findings_written_back_with_provenance(store: Dataset) -> None:
    planted().load(store)
    before = {g: store.count(g) for g in store.graphs()}
    report = analyse(store)
    started = datetime.now(UTC)
    write_findings(store, report.findings, report.projections.graphs_used, started, datetime.now(UTC))
    q = f"""PREFIX lc: <https://w3id.org/lcgraph/def#> PREFIX prov: <http://www.w3.org/ns/prov#>
    SELECT (COUNT(DISTINCT ?f) AS ?n) WHERE {{ GRAPH <{FINDINGS}> {{
      ?f a lc:Finding ; lc:severity ?s ; lc:kind ?k ;
      prov:wasGeneratedBy ?run ; prov:generatedAtTime ?t . ?run prov:used ?g }} }}"""
    assert int(store.select(q)[0]["n"].value) == len({f.id for f in report.findings})
    used = {
        r["g"].value
        for r in store.select(
            f"SELECT DISTINCT ?g WHERE {{ GRAPH <{FINDINGS}> {{"
            " ?run <http://www.w3.org/ns/prov#used> ?g } }"
        )
    }
    assert used == {"https://w3id.org/lcgraph/graph/examples", "https://w3id.org/lcgraph/graph/vocab"}
    # The analysed graphs are untouched.
    assert {g: store.count(g) for g in store.graphs() if g != FINDINGS} == before
    # A researcher can ask: which high-severity findings concern the city 'far'?
    rows = store.select(
        """PREFIX lc: <https://w3id.org/lcgraph/def#> PREFIX dct: <http://purl.org/dc/terms/>
        SELECT ?f ?msg WHERE {{ ?f lc:severity <https://w3id.org/lcgraph/vocab/finding-severity/high> ;
        dct:spatial <{}> ; dct:description ?msg FILTER(lang(?msg) = "en") }}""".format(iri("city", "far"))
    )
    assert len(rows) == sum(
        1 for f in report.findings if f.severity == "high" and iri("city", "far") in f.cities
    )


def test_findings_replace_the_previous_ones(store: Dataset) -> None:
    planted().load(store)
    report = analyse(store)
    now = datetime.now(UTC)
    write_findings(store, report.findings, report.projections.graphs_used, now, now)
    first = store.count(FINDINGS)
    # Old findings must not feed the next analysis, and a second run replaces them exactly.
    again = analyse(store)
    assert [f.id for f in again.findings] == [f.id for f in report.findings]
    write_findings(store, again.findings, again.projections.graphs_used, now, datetime.now(UTC))
    runs = store.select(
        f"SELECT (COUNT(DISTINCT ?r) AS ?n) WHERE {{ GRAPH <{FINDINGS}> {{ ?r a "
        "<http://www.w3.org/ns/prov#Activity> } }"
    )
    assert int(runs[0]["n"].value) == 1
    assert store.count(FINDINGS) == first  # the same findings, one run: nothing left over


def test_projection_reads_only_sparql_results(store: Dataset) -> None:
    planted().load(store)
    p = project(store)
    g = p.collaboration
    # 'link' co-organised 16 activities with f1 in 'far': the weight counts shared items.
    edge = g[iri("partner", "link")][iri("partner", "f1")]
    assert edge["weight"] == 16 and edge["activity"] == 16 and edge["kinds"] == "activity"
    assert g.nodes[iri("partner", "link")]["city"] == iri("city", "far")  # does most there
    assert p.city_partner.has_edge(iri("city", "far"), iri("partner", "f2"))


def test_a_region_scope_draws_its_own_part_of_the_network() -> None:
    from lcgraph.analysis.gaps import analyse
    from lcgraph.analysis.plots import _drawn_subgraph
    from lcgraph.bootstrap import initialise
    from lcgraph.store import Dataset

    ds = Dataset.memory()
    initialise(ds, examples=True)
    north = analyse(ds, region="north")
    whole = analyse(ds)
    south = "https://w3id.org/lcgraph/id/city/example-south"
    assert (
        north.scope.kind == "region"
        and "https://w3id.org/lcgraph/id/city/example-north" in north.scope.cities
    )
    assert south not in north.scope.cities and set(north.scorecards) == set(north.scope.cities)
    drawn, _ = _drawn_subgraph(north)
    assert (
        south not in drawn and 0 < drawn.number_of_nodes() < whole.projections.collaboration.number_of_nodes()
    )
    assert all(set(f.cities) & north.scope.cities for f in north.findings)
    assert len(north.findings) < len(whole.findings)
