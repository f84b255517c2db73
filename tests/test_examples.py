"""The illustrative ecology in data/examples/: labelled as such, valid, and with exactly its planted gaps.

For whoever edits the examples and for the gap analysis, which tests against
the gaps data/examples/README.md lists. The data is loaded into a real
on-disk store with the ontology and vocabularies; every check is a SPARQL
query against that store (the collaboration network is rebuilt from a SPARQL
result, following the tie rules the README states), and the shapes check is
pyshacl over the same files.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import networkx as nx
import pyoxigraph as ox
import pyshacl
import pytest
import rdflib

from lcgraph import resources
from lcgraph.namespaces import (
    GRAPH_EXAMPLES,
    GRAPH_ONTOLOGY,
    GRAPH_PRIVATE,
    GRAPH_VOCAB,
    LCID,
    LCV,
    sparql_prefixes,
)
from lcgraph.store import Dataset
from lcgraph.synthetic import PROVINCE_CAPITALS

EXAMPLES = resources.EXAMPLES_DIR / "ecology.trig"
README = resources.EXAMPLES_DIR / "README.md"

NORTH, NORTHEAST, SOUTH = (str(LCID[f"city/example-{c}"]) for c in ("north", "northeast", "south"))
CITIES = {NORTH, NORTHEAST, SOUTH}


def iri(kind_slug: str) -> str:
    return str(LCID[kind_slug])


def concept(scheme_code: str) -> str:
    return str(LCV[scheme_code])


# The planted network gaps, exactly as data/examples/README.md lists them.
ISOLATED = {iri("partner/example-hill-craft-cooperative")}
PENDANT = {iri("partner/example-northeast-radio-club")}
ARTICULATION_POINTS = {
    iri("partner/example-north-tourism-company"),
    iri("partner/example-northeast-textile-network"),
    iri("partner/example-heritage-foundation"),
    NORTHEAST,
    SOUTH,
}
BRIDGES = {
    frozenset(
        {iri("partner/example-north-tourism-company"), iri("partner/example-northeast-textile-network")}
    ),
    frozenset({iri("partner/example-heritage-foundation"), SOUTH}),
    frozenset({NORTHEAST, iri("partner/example-northeast-radio-club")}),
}
BROKER = iri("partner/example-heritage-foundation")

AGE_GROUPS = {
    f"age-group/{c}" for c in ("early-childhood", "school-age", "youth", "working-age", "older-people")
}
BUILDING_BLOCKS = {
    f"gnlc/{c}"
    for c in (
        "inclusive-learning-education-system",
        "learning-families-communities",
        "learning-workplace",
        "learning-technologies",
        "quality-learning",
        "culture-of-learning",
    )
}
EXPECTED_SECTORS = {"sector/private", "sector/civil-society", "sector/academic"}

PREFIXES = sparql_prefixes()


@pytest.fixture(scope="module")
def ds(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dataset]:
    """A real on-disk store with the ontology, the vocabularies and the examples."""
    store = Dataset.open(tmp_path_factory.mktemp("examples") / "store")
    store.load_path(resources.ONTOLOGY_FILE, graph=str(GRAPH_ONTOLOGY))
    for f in resources.vocab_files():
        store.load_path(f, graph=str(GRAPH_VOCAB))
    store.load_path(EXAMPLES)
    yield store


def select(ds: Dataset, body: str) -> list[tuple[str | None, ...]]:
    # These tests look at the whole store, personal data included.
    result = ds.query(PREFIXES + body, include_private=True)
    assert isinstance(result, ox.QuerySolutions)
    names = [v.value for v in result.variables]
    return [tuple(None if row[n] is None else row[n].value for n in names) for row in result]


def column(ds: Dataset, body: str) -> set[str]:
    return {row[0] for row in select(ds, body) if row[0] is not None}


def short(values: set[str]) -> set[str]:
    """Concept IRIs as ``scheme/code`` for readable assertion messages."""
    return {v.removeprefix(str(LCV)) for v in values}


# --- Labelled as illustrative, personal data kept apart ---------------------------------


def test_the_file_writes_only_the_examples_and_private_graphs(ds: Dataset) -> None:
    names = column(ds, "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
    assert names == {str(GRAPH_ONTOLOGY), str(GRAPH_VOCAB), str(GRAPH_EXAMPLES), str(GRAPH_PRIVATE)}


def test_the_graph_says_it_is_illustrative_in_thai_and_english(ds: Dataset) -> None:
    rows = select(
        ds,
        f"SELECT ?d (LANG(?d) AS ?lang) WHERE {{ GRAPH <{GRAPH_EXAMPLES}> {{"
        f" <{GRAPH_EXAMPLES}> dct:description ?d }} }}",
    )
    by_lang = {lang: text for text, lang in rows}
    assert by_lang["en"].startswith("Illustrative data, not facts")
    assert "ข้อมูลสมมุติ" in by_lang["th"] and "ไม่ใช่ข้อเท็จจริง" in by_lang["th"]


def test_every_agent_is_labelled_as_an_example_in_both_languages(ds: Dataset) -> None:
    rows = select(
        ds,
        """SELECT ?x ?th ?en WHERE {
        VALUES ?class { lc:LearningCity lc:PartnerOrganisation lc:CityLearningAdministrator lc:Network }
        ?x a ?class .
        OPTIONAL { ?x rdfs:label ?th FILTER(LANG(?th) = "th") }
        OPTIONAL { ?x rdfs:label ?en FILTER(LANG(?en) = "en") } }""",
    )
    assert len(rows) == 3 + 20 + 6 + 1
    for x, th, en in rows:
        assert th and "ตัวอย่าง" in th and ("สมมุติ" in th), x
        assert en and "Example" in en and ("illustrative" in en or "fictional" in en), x


def test_personal_data_only_in_the_private_graph_and_only_at_example_org(ds: Dataset) -> None:
    rows = select(ds, "SELECT ?g ?who ?mail WHERE { GRAPH ?g { ?who schema:email ?mail } }")
    assert len(rows) == 6
    admins = column(ds, "SELECT ?a WHERE { ?a a lc:CityLearningAdministrator }")
    for g, who, mail in rows:
        assert g == str(GRAPH_PRIVATE)
        assert who in admins
        assert re.fullmatch(r"[a-z0-9-]+@example\.org", mail), mail
    assert not column(
        ds,
        "SELECT ?s WHERE { { ?s schema:telephone ?t } UNION { ?s foaf:phone ?t }"
        " UNION { ?s foaf:mbox ?t } UNION { ?s lc:nationalId ?t } }",
    )
    private_subjects = column(ds, f"SELECT DISTINCT ?s WHERE {{ GRAPH <{GRAPH_PRIVATE}> {{ ?s ?p ?o }} }}")
    assert private_subjects <= admins | {str(GRAPH_PRIVATE)}


# --- The size and shape of the ecology ---------------------------------------------------


def test_three_cities_in_real_provinces_with_10_to_20_activities_each(ds: Dataset) -> None:
    rows = select(
        ds,
        """SELECT ?city ?province (COUNT(DISTINCT ?act) AS ?n) WHERE {
        ?city a lc:LearningCity ; lc:province ?province .
        ?province skos:inScheme lcv:province .
        ?act a lc:LearningActivity ; lc:city ?city } GROUP BY ?city ?province""",
    )
    assert {r[0] for r in rows} == CITIES
    for _city, _province, n in rows:
        assert 10 <= int(n) <= 20


def test_activities_are_dated_in_2024_and_2025(ds: Dataset) -> None:
    rows = select(
        ds,
        """SELECT ?a ?start ?end WHERE { ?a a lc:LearningActivity ;
        schema:startDate ?start ; schema:endDate ?end .
        FILTER(datatype(?start) = xsd:date && datatype(?end) = xsd:date) }""",
    )
    total = column(ds, "SELECT ?a WHERE { ?a a lc:LearningActivity }")
    assert len(rows) == len(total) == 42
    for a, start, end in rows:
        assert "2024-01-01" <= start <= end <= "2025-12-31", a


def test_spaces_lie_near_their_province_capital(ds: Dataset) -> None:
    capitals = {str(LCV[f"province/{code}"]): (lat, lon) for code, lat, lon in PROVINCE_CAPITALS}
    rows = select(
        ds,
        """SELECT ?s ?province ?lat ?long (COUNT(DISTINCT ?type) AS ?types) WHERE {
        ?s a lc:LearningSpace ; lc:city/lc:province ?province ; geo:lat ?lat ; geo:long ?long ;
           lc:spaceType ?type } GROUP BY ?s ?province ?lat ?long""",
    )
    assert len(rows) == 29
    for s, province, lat, lon, _ in rows:
        clat, clon = capitals[province]
        assert abs(float(lat) - clat) < 0.15 and abs(float(lon) - clon) < 0.15, s
    kinds = column(ds, "SELECT DISTINCT ?t WHERE { ?s a lc:LearningSpace ; lc:spaceType ?t }")
    assert len(kinds) >= 8


def test_partners_come_from_several_sectors(ds: Dataset) -> None:
    sectors = column(ds, "SELECT DISTINCT ?s WHERE { ?p a lc:PartnerOrganisation ; lc:sector ?s }")
    assert short(sectors) >= EXPECTED_SECTORS | {
        "sector/community",
        "sector/government",
        "sector/public-organisation",
    }


def test_conforms_to_the_shapes(ds: Dataset) -> None:
    shape_files = resources.shape_files()
    assert shape_files, "shapes/ holds no shape files"
    data = rdflib.Graph()
    data.parse(resources.ONTOLOGY_FILE)
    for f in resources.vocab_files():
        data.parse(f)
    quads = rdflib.Dataset()
    quads.parse(EXAMPLES, format="trig")
    for s, p, o, _g in quads.quads((None, None, None, None)):
        data.add((s, p, o))
    shapes = rdflib.Graph()
    for f in shape_files:
        shapes.parse(f)
    _conforms, report, text = pyshacl.validate(data, shacl_graph=shapes, inference="none", advanced=True)
    sh = rdflib.Namespace("http://www.w3.org/ns/shacl#")
    violations = list(report.subjects(sh.resultSeverity, sh.Violation))
    assert violations == [], text
    warnings = list(report.subjects(sh.resultSeverity, sh.Warning))
    assert warnings == [], text


# --- The collaboration network and its planted gaps --------------------------------------

# Two actors are tied when they take part in the same item (README, "The planted gaps").
_TAKES_PART = {
    "lc:LearningActivity": ("?x schema:organizer {w}", "?x lc:city {w}"),
    "lc:LearningSpace": ("?x lc:managedBy {w}", "?x lc:city {w}"),
    "lc:KnowledgeAsset": (
        "?x schema:provider {w}",
        "?x lc:city {w}",
        "?u{w2} lc:usesAsset ?x ; schema:organizer {w}",
    ),
    "lc:Partnership": ("?x lc:party {w}",),
}


def _side(cls: str, var: str) -> str:
    return " UNION ".join("{ " + p.format(w=var, w2=var[1:]) + " }" for p in _TAKES_PART[cls])


def collaboration(ds: Dataset) -> nx.Graph:
    g = nx.Graph()
    g.add_nodes_from(
        column(
            ds,
            """SELECT ?x WHERE {
        VALUES ?c { lc:LearningCity lc:PartnerOrganisation lc:CityLearningAdministrator } ?x a ?c }""",
        )
    )
    shared = " UNION ".join(
        f"{{ ?x a {cls} . {_side(cls, '?a')} {_side(cls, '?b')} }}" for cls in _TAKES_PART
    )
    affiliation = "{ ?a a lc:CityLearningAdministrator . { ?a lc:city ?b } UNION { ?a org:memberOf ?b } }"
    query = f"SELECT DISTINCT ?a ?b WHERE {{ {shared} UNION {affiliation} FILTER(?a != ?b) }}"
    for a, b in select(ds, query):
        if a in g and b in g:
            g.add_edge(a, b)
    return g


@pytest.fixture(scope="module")
def network(ds: Dataset) -> nx.Graph:
    return collaboration(ds)


def test_isolated_and_peripheral_actors(network: nx.Graph) -> None:
    assert {n for n in network if network.degree(n) == 0} == ISOLATED
    assert {n for n in network if network.degree(n) == 1} == PENDANT
    core = nx.core_number(network)
    assert {n for n in network if core[n] <= 1} == ISOLATED | PENDANT


def test_single_points_of_failure(network: nx.Graph) -> None:
    assert set(nx.articulation_points(network)) == ARTICULATION_POINTS
    assert {frozenset(e) for e in nx.bridges(network)} == BRIDGES


def test_the_south_hangs_on_the_broker(network: nx.Graph) -> None:
    rest = network.copy()
    rest.remove_node(BROKER)
    south_side = nx.node_connected_component(rest, SOUTH)
    assert NORTH not in south_side and NORTHEAST not in south_side
    assert len(south_side) == 8  # the city, its two administrators and five partners


def test_north_and_northeast_are_tied_by_one_partnership_only(ds: Dataset, network: nx.Graph) -> None:
    cluster = {c: {c} for c in CITIES}
    for c in CITIES:
        cluster[c] |= column(
            ds,
            f"""SELECT DISTINCT ?x WHERE {{
            {{ ?x lc:city <{c}> }} UNION {{ ?a lc:city <{c}> ; schema:organizer ?x }} }}""",
        ) & set(network)
    north_only = cluster[NORTH] - cluster[NORTHEAST]
    northeast_only = cluster[NORTHEAST] - cluster[NORTH]
    crossing = {
        frozenset((u, v))
        for u, v in network.edges()
        if (u in north_only and v in northeast_only) or (v in north_only and u in northeast_only)
    }
    assert crossing == {
        frozenset(
            {iri("partner/example-north-tourism-company"), iri("partner/example-northeast-textile-network")}
        )
    }
    parties = column(
        ds,
        f"SELECT ?p WHERE {{ <{iri('partnership/example-north-northeast-textile-tourism')}> lc:party ?p }}",
    )
    assert parties == set(next(iter(crossing)))


def test_the_brokers_between_cities(ds: Dataset, network: nx.Graph) -> None:
    cities = column(ds, f"SELECT DISTINCT ?c WHERE {{ ?a schema:organizer <{BROKER}> ; lc:city ?c }}")
    assert cities == {NORTHEAST, SOUTH}
    betweenness = nx.betweenness_centrality(network)
    brokers = {
        BROKER,
        iri("partner/example-north-tourism-company"),
        iri("partner/example-northeast-textile-network"),
    }
    top = sorted(network, key=betweenness.get, reverse=True)[:3]
    assert set(top) == brokers
    others = {n for n in network if "/partner/" in n} - brokers
    assert max(betweenness[n] for n in others) < 0.05


def test_network_matches_the_analysis_projection(ds: Dataset, network: nx.Graph) -> None:
    """The README's tie rules are the analysis's: the two projections agree edge for edge."""
    from lcgraph.analysis.networks import collaboration_network

    theirs = collaboration_network(ds)
    assert set(theirs.nodes) == set(network.nodes)
    assert {frozenset(e) for e in theirs.edges} == {frozenset(e) for e in network.edges}


# --- Coverage gaps ----------------------------------------------------------------------


def per_city(ds: Dataset, pattern: str) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {c: set() for c in CITIES}
    for city, value in select(ds, f"SELECT DISTINCT ?city ?v WHERE {{ {pattern} }}"):
        out.setdefault(city, set()).add(value)
    return out


def test_age_group_gaps(ds: Dataset) -> None:
    ages = per_city(ds, "?a a lc:LearningActivity ; lc:city ?city ; lc:ageGroup ?v")
    missing = {c: AGE_GROUPS - short(v) for c, v in ages.items()}
    assert missing == {
        NORTH: {"age-group/early-childhood"},
        NORTHEAST: {"age-group/older-people"},
        SOUTH: set(),
    }
    assert not any("age-group/all-ages" in short(v) for v in ages.values())
    # The age bounds agree: nothing in the North below 6, nothing in the Northeast from 60.
    assert not column(ds, f"SELECT ?a WHERE {{ ?a lc:city <{NORTH}> ; lc:minAge ?m FILTER(?m < 6) }}")
    assert not column(ds, f"SELECT ?a WHERE {{ ?a lc:city <{NORTHEAST}> ; lc:maxAge ?m FILTER(?m >= 60) }}")


def test_building_block_gap(ds: Dataset) -> None:
    blocks = per_city(ds, "?a a lc:LearningActivity ; lc:city ?city ; lc:buildingBlock ?v")
    missing = {c: BUILDING_BLOCKS - short(v) for c, v in blocks.items()}
    assert missing == {NORTH: set(), NORTHEAST: {"gnlc/learning-workplace"}, SOUTH: set()}


def test_theme_gap(ds: Dataset) -> None:
    all_themes = column(ds, "SELECT ?t WHERE { ?t skos:inScheme lcv:theme }")
    assert len(all_themes) == 16
    themes = per_city(
        ds, "{ ?x a lc:LearningActivity } UNION { ?x a lc:KnowledgeAsset } ?x lc:city ?city ; lc:theme ?v"
    )
    missing = {c: short(all_themes - v) for c, v in themes.items()}
    assert missing == {NORTH: set(), NORTHEAST: set(), SOUTH: {"theme/digital-literacy"}}
    # No partnership of the South brings the theme in either.
    digital = concept("theme/digital-literacy")
    assert not column(ds, f"SELECT ?p WHERE {{ ?p lc:party <{SOUTH}> ; lc:theme <{digital}> }}")


def test_asset_themes_are_used_by_activities_in_the_same_city(ds: Dataset) -> None:
    unused = select(
        ds,
        """SELECT ?asset ?t WHERE { ?asset a lc:KnowledgeAsset ; lc:city ?c ; lc:theme ?t .
        FILTER NOT EXISTS { ?a a lc:LearningActivity ; lc:city ?c ; lc:theme ?t } }""",
    )
    assert unused == []


def test_sector_gaps(ds: Dataset) -> None:
    sectors = per_city(
        ds,
        """?p a lc:PartnerOrganisation ; lc:sector ?v .
        { ?x lc:city ?city ; schema:organizer ?p } UNION { ?x lc:city ?city ; lc:managedBy ?p }
        UNION { ?x lc:city ?city ; schema:provider ?p } UNION { ?x lc:party ?city , ?p }
        ?city a lc:LearningCity""",
    )
    missing = {c: EXPECTED_SECTORS - short(v) for c, v in sectors.items()}
    assert missing == {NORTH: {"sector/academic"}, NORTHEAST: set(), SOUTH: {"sector/private"}}


# --- The README and the data agree -------------------------------------------------------


def test_every_iri_the_readme_names_exists(ds: Dataset) -> None:
    text = README.read_text(encoding="utf-8")
    named = set(re.findall(r"`lcid:([a-z]+/[a-z0-9-]+)`", text))
    named |= set(re.findall(r"`((?:partner|city)/[a-z0-9-]+)`", text))
    assert len(named) >= 15
    subjects = column(ds, f"SELECT DISTINCT ?s WHERE {{ GRAPH <{GRAPH_EXAMPLES}> {{ ?s a ?type }} }}")
    assert {iri(n) for n in named} <= subjects, sorted({iri(n) for n in named} - subjects)
    concepts = set(re.findall(r"`lcv:([a-z-]+/[A-Za-z0-9-]+)`", text))
    known = column(ds, "SELECT ?c WHERE { ?c a skos:Concept }")
    assert {concept(c) for c in concepts} <= known, sorted(concepts)
    for planted in ISOLATED | PENDANT | ARTICULATION_POINTS | {BROKER}:
        assert planted.removeprefix(str(LCID)) in text


def test_the_examples_file_is_the_one_resources_lists() -> None:
    assert EXAMPLES in resources.example_files()
    assert Path(EXAMPLES).read_text(encoding="utf-8").count("lcg:private {") == 1
