"""Incremental validation reaches exactly the findings full validation reaches.

A store that conforms with no result at all gets random changes (valid and
invalid: new entities, removed links, wrong types, values out of range,
vocabulary and class-hierarchy edits, the same triple in two graphs); for
each, the findings of incremental validation must equal those of pyshacl
run over the whole changed store.
"""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_validation_data import DATA_GRAPH, ID, LC, V, base_dataset, finding_keys

from lcgraph.store import Repository
from lcgraph.validation.guarded import default_shapes
from lcgraph.validation.incremental import affected_nodes, validate_change, validate_full
from lcgraph.validation.view import ChangeView

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
SUBCLASS = "http://www.w3.org/2000/01/rdf-schema#subClassOf"
SCHEMA = "https://schema.org/"
GEO = "http://www.w3.org/2003/01/geo/wgs84_pos#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
ORG = "http://www.w3.org/ns/org#"
XSD = "http://www.w3.org/2001/XMLSchema#"
OTHER_GRAPH = "https://w3id.org/lcgraph/graph/test-other"

SUBJECTS = [
    ID + s
    for s in (
        "city/test-a",
        "city/test-b",
        "partner/p1",
        "partner/p2",
        "space/s1",
        "space/s2",
        "asset/a1",
        "activity/e1",
        "activity/e2",
        "activity/new",
        "space/new",
    )
]
SUBJECTS += [V + "theme/history", V + "space-type/library", V + "gnlc/learning-families-communities"]
PREDICATES = [
    RDF_TYPE,
    LABEL,
    LC + "city",
    LC + "spaceType",
    LC + "theme",
    LC + "ageGroup",
    LC + "buildingBlock",
    LC + "usesAsset",
    LC + "managedBy",
    LC + "province",
    LC + "sector",
    LC + "minAge",
    LC + "maxAge",
    SCHEMA + "location",
    SCHEMA + "organizer",
    SCHEMA + "startDate",
    SCHEMA + "endDate",
    SCHEMA + "provider",
    SCHEMA + "url",
    GEO + "lat",
    GEO + "long",
    SKOS + "inScheme",
    SKOS + "broader",
    ORG + "subOrganizationOf",
]


def _lit(value: str, datatype: str | None = None, lang: str | None = None) -> ox.Literal:
    if lang:
        return ox.Literal(value, language=lang)
    return ox.Literal(value, datatype=ox.NamedNode(datatype)) if datatype else ox.Literal(value)


OBJECTS: list[ox.NamedNode | ox.Literal] = (
    [ox.NamedNode(s) for s in SUBJECTS]
    + [
        ox.NamedNode(LC + c)
        for c in (
            "LearningCity",
            "LearningSpace",
            "KnowledgeAsset",
            "LearningActivity",
            "PartnerOrganisation",
        )
    ]
    + [
        ox.NamedNode(V + c)
        for c in (
            "theme/environment",
            "space-type/museum",
            "age-group/older-people",
            "gnlc/building-blocks",
            "gnlc/political-will",
            "sector/private",
            "province/TH-56",
            "theme",
            "space-type",
        )
    ]
    + [
        _lit("ชื่อไทย", lang="th"),
        _lit("English name", lang="en"),
        _lit("no language"),
        _lit("19.5", XSD + "decimal"),
        _lit("50.0", XSD + "decimal"),
        _lit("100.1", XSD + "decimal"),
        _lit("7", XSD + "integer"),
        _lit("150", XSD + "integer"),
        _lit("30", XSD + "integer"),
        _lit("2023-01-01", XSD + "date"),
        _lit("2566-01-01", XSD + "date"),
        _lit("2022-12-31", XSD + "date"),
        _lit("https://example.org/"),
        ox.NamedNode("https://example.org/"),
    ]
)

add_op = st.tuples(
    st.just("add"),
    st.sampled_from(SUBJECTS),
    st.sampled_from(PREDICATES),
    st.sampled_from(OBJECTS),
    st.sampled_from([DATA_GRAPH, OTHER_GRAPH]),
)
remove_op = st.tuples(st.just("remove"), st.integers(min_value=0, max_value=10_000))
hierarchy_op = st.tuples(
    st.just("hierarchy"),
    st.sampled_from(
        [(LC + "LearningCity", ORG + "Organization"), (LC + "PartnerOrganisation", ORG + "Organization")]
    ),
)


def _valid_bundles() -> list[list[tuple[str, str, ox.NamedNode | ox.Literal]]]:
    """Changes that keep the store valid on their own (they may still combine badly)."""
    n = ox.NamedNode
    space = [
        (ID + "space/new", RDF_TYPE, n(LC + "LearningSpace")),
        (ID + "space/new", LABEL, _lit("พื้นที่ใหม่", lang="th")),
        (ID + "space/new", LABEL, _lit("New space", lang="en")),
        (ID + "space/new", LC + "city", n(ID + "city/test-b")),
        (ID + "space/new", LC + "spaceType", n(V + "space-type/online")),
    ]
    activity = [
        (ID + "activity/new", RDF_TYPE, n(LC + "LearningActivity")),
        (ID + "activity/new", LABEL, _lit("กิจกรรมใหม่", lang="th")),
        (ID + "activity/new", LABEL, _lit("New activity", lang="en")),
        (ID + "activity/new", LC + "city", n(ID + "city/test-a")),
        (ID + "activity/new", SCHEMA + "organizer", n(ID + "partner/p2")),
        (ID + "activity/new", LC + "ageGroup", n(V + "age-group/older-people")),
        (ID + "activity/new", LC + "theme", n(V + "theme/environment")),
        (ID + "activity/new", SCHEMA + "startDate", _lit("2023-01-01", XSD + "date")),
    ]
    return [
        space,
        activity,
        [(ID + "activity/e2", LC + "theme", n(V + "theme/history"))],
        [(ID + "activity/e1", SCHEMA + "organizer", n(ID + "city/test-a"))],
        [(ID + "space/s2", LC + "managedBy", n(ID + "partner/p2"))],
    ]


VALID_BUNDLES = _valid_bundles()
bundle_op = st.tuples(st.just("bundle"), st.integers(min_value=0, max_value=len(VALID_BUNDLES) - 1))
changes = st.lists(
    st.one_of(add_op, add_op, remove_op, remove_op, hierarchy_op, bundle_op, bundle_op, bundle_op),
    min_size=1,
    max_size=4,
)


@pytest.fixture(scope="module")
def base() -> tuple[Repository, list[ox.Quad]]:
    ds = base_dataset()
    quads = sorted(ds.quads(graph=DATA_GRAPH), key=str)
    return ds, quads


def _change(
    ops: list[tuple], store: Repository, data_quads: list[ox.Quad]
) -> tuple[set[ox.Quad], set[ox.Quad]]:
    add: set[ox.Quad] = set()
    remove: set[ox.Quad] = set()
    for op in ops:
        if op[0] == "add":
            _, s, p, o, g = op
            add.add(ox.Quad(ox.NamedNode(s), ox.NamedNode(p), o, ox.NamedNode(g)))
        elif op[0] == "bundle":
            add.update(
                ox.Quad(ox.NamedNode(s), ox.NamedNode(p), o, ox.NamedNode(DATA_GRAPH))
                for s, p, o in VALID_BUNDLES[op[1]]
            )
        elif op[0] == "remove":
            remove.add(data_quads[op[1] % len(data_quads)])
        else:
            sub, sup = op[1]
            remove.update(store.quads(ox.NamedNode(sub), ox.NamedNode(SUBCLASS), ox.NamedNode(sup)))
    add = {q for q in add if not store.contains(q)}
    return add, remove - add


def _after(store: Repository, add: set[ox.Quad], remove: set[ox.Quad]) -> Repository:
    copy = store.scratch_copy()
    copy.apply(add, remove)
    return copy


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=changes)
def test_incremental_equals_full(base: tuple[Repository, list[ox.Quad]], ops: list[tuple]) -> None:
    store, data_quads = base
    add, remove = _change(ops, store, data_quads)
    shapes = default_shapes()
    incremental = validate_change(shapes, store, add, remove)
    full = validate_full(shapes, _after(store, add, remove))
    assert finding_keys(incremental) == finding_keys(full)
    assert incremental.conforms == full.conforms


def test_base_store_has_no_findings(base: tuple[Repository, list[ox.Quad]]) -> None:
    report = validate_full(default_shapes(), base[0])
    assert report.findings == []


def _q(s: str, p: str, o: ox.NamedNode | ox.Literal, g: str = DATA_GRAPH) -> ox.Quad:
    return ox.Quad(ox.NamedNode(s), ox.NamedNode(p), o, ox.NamedNode(g))


def test_removing_a_city_type_reaches_everything_linked_to_it(base: tuple[Repository, list[ox.Quad]]) -> None:
    store, _ = base
    city = ID + "city/test-a"
    gone = _q(city, RDF_TYPE, ox.NamedNode(LC + "LearningCity"))
    affected = affected_nodes(default_shapes(), ChangeView(store, [], [gone]))
    # sh:class lc:LearningCity on lc:city: the space, asset and activity of city A are affected
    # (found backwards from the city), and not the ones of city B.
    names = {n.value.removeprefix(ID) for n in affected}
    assert {"space/s1", "asset/a1", "activity/e1"} <= names
    assert not {"space/s2", "activity/e2"} & names
    report = validate_change(default_shapes(), store, [], [gone])
    assert not report.conforms
    assert {f.focus_node for f in report.findings if f.severity == "Violation"} >= {
        ID + "space/s1",
        ID + "asset/a1",
        ID + "activity/e1",
    }


def test_vocabulary_change_reaches_users_of_the_concept(base: tuple[Repository, list[ox.Quad]]) -> None:
    store, _ = base
    concept = V + "theme/history"
    gone = list(store.quads(ox.NamedNode(concept), ox.NamedNode(SKOS + "inScheme")))
    report = validate_change(default_shapes(), store, [], gone)
    focus = {f.focus_node for f in report.findings if f.severity == "Violation"}
    assert ID + "activity/e1" in focus  # lc:theme must be in lcv:theme (a SPARQL-based component)
    assert concept in focus  # and the concept itself lost its scheme


def test_triple_still_in_another_graph_is_not_removed(base: tuple[Repository, list[ox.Quad]]) -> None:
    store, _ = base
    city = _q(ID + "space/s1", LC + "city", ox.NamedNode(ID + "city/test-a"))
    copy = _q(ID + "space/s1", LC + "city", ox.NamedNode(ID + "city/test-a"), OTHER_GRAPH)
    report = validate_change(default_shapes(), store, [copy], [city])
    assert report.conforms


def test_only_affected_nodes_are_checked(base: tuple[Repository, list[ox.Quad]]) -> None:
    store, _ = base
    label = _q(ID + "partner/p2", LABEL, ox.Literal("Second English name", language="en"))
    report = validate_change(default_shapes(), store, [label], [])
    assert report.focus_nodes == 1
    assert [(f.severity, f.focus_node) for f in report.findings] == [("Warning", ID + "partner/p2")]
