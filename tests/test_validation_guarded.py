"""The guarded write path: valid changes land whole with a history record, invalid ones leave no trace.

Real on-disk stores in temp directories; "unchanged" is checked by dumping
the whole store as N-Quads before and after and comparing the bytes.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pyoxigraph as ox
import pytest
from test_validation_data import DATA_GRAPH, ID, LC, V, base_dataset, quad

from lcgraph.ingest.history import list_changes
from lcgraph.store import Dataset, LoadError
from lcgraph.store.dataset import UNNAMED
from lcgraph.validation.guarded import ValidationFailed, apply_change, apply_update, check_change, load_file
from lcgraph.validation.updates import UpdateEffect, UpdateNotSupported, UpdateSyntaxError, update_change
from lcgraph.validation.view import StoreProbe

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
PREFIXES = f"PREFIX lc: <{LC}>\nPREFIX lcid: <{ID}>\nPREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"


def dump(ds: Dataset) -> bytes:
    lines = ox.serialize(ds._store, format=ox.RdfFormat.N_QUADS).splitlines()
    return b"\n".join(sorted(lines))


@pytest.fixture
def ds(tmp_path: Path) -> Dataset:
    return base_dataset(str(tmp_path / "store"))


def new_space(name: str = "space/new", city: str = "city/test-b") -> list[ox.Quad]:
    return [
        quad(name, RDF_TYPE, ox.NamedNode(LC + "LearningSpace")),
        quad(name, LABEL, ox.Literal("พื้นที่ใหม่", language="th")),
        quad(name, LABEL, ox.Literal("New space", language="en")),
        quad(name, LC + "city", ox.NamedNode(ID + city)),
        quad(name, LC + "spaceType", ox.NamedNode(V + "space-type/online")),
    ]


def test_valid_change_lands_with_history(ds: Dataset) -> None:
    result = apply_change(ds, add_quads=new_space(), source="test", agent="steward")
    assert (result.added, result.removed) == (5, 0)
    assert result.report.conforms
    assert all(q in ds._store for q in new_space())
    changes = list_changes(ds)
    assert [(c.agent, c.added, c.removed, c.source, c.forced) for c in changes] == [
        ("steward", 5, 0, "test", False)
    ]
    assert changes[0].graphs == (DATA_GRAPH,)
    assert changes[0].iri == result.change


def test_invalid_change_is_refused_and_store_unchanged(ds: Dataset) -> None:
    before = dump(ds)
    bad = new_space()[:3]  # no city, no space type
    with pytest.raises(ValidationFailed) as info:
        apply_change(ds, add_quads=bad, source="test", agent="steward")
    report = info.value.report
    assert not report.conforms
    paths = {f.path for f in report.findings if f.severity == "Violation"}
    assert paths == {f"<{LC}city>", f"<{LC}spaceType>"}
    for f in report.findings:
        assert f.focus_node == ID + "space/new"
        assert f.message_th and f.message_en and f.message_th != f.message_en
        assert f.constraint and f.shape
    assert dump(ds) == before


def test_warnings_pass_and_come_back(ds: Dataset) -> None:
    no_english = [
        q for q in new_space() if not (isinstance(q.object, ox.Literal) and q.object.language == "en")
    ]
    result = apply_change(ds, add_quads=no_english, source="test", agent="steward")
    assert [f.severity for f in result.report.findings] == ["Warning"]
    assert "English" in result.report.findings[0].message_en


def test_report_as_json_and_shacl_graph(ds: Dataset) -> None:
    report = check_change(ds, add_quads=new_space()[:3])
    data = report.to_json()
    assert data["conforms"] is False and data["violations"] == 2
    first = data["results"][0]
    assert {"severity", "focusNode", "path", "constraint", "shape", "message"} <= set(first)
    assert set(first["message"]) == {"th", "en"}
    turtle = report.serialize("text/turtle")
    g = ox.Store()
    g.load(turtle.encode(), format=ox.RdfFormat.TURTLE)
    assert bool(
        g.query(
            "PREFIX sh: <http://www.w3.org/ns/shacl#> "
            "ASK { ?r a sh:ValidationReport ; sh:conforms false ; sh:result ?x . "
            "?x sh:focusNode ?f ; sh:resultSeverity sh:Violation ; sh:resultMessage ?m "
            "FILTER(lang(?m) = 'th') }"
        )
    )


def test_forced_write_is_logged_and_marked(ds: Dataset, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="lcgraph.writes"):
        result = apply_change(ds, add_quads=new_space()[:3], source="test", agent="admin", force=True)
    assert result.forced and not result.report.conforms
    assert "FORCED write by admin" in caplog.text
    assert list_changes(ds)[0].forced


def test_removal_that_breaks_a_link_elsewhere_is_refused(ds: Dataset) -> None:
    before = dump(ds)
    city_type = quad("city/test-a", RDF_TYPE, ox.NamedNode(LC + "LearningCity"))
    with pytest.raises(ValidationFailed) as info:
        apply_change(ds, remove_quads=[city_type], source="test", agent="steward")
    assert ID + "space/s1" in {f.focus_node for f in info.value.report.findings}
    assert dump(ds) == before


def test_graph_replacement_with_blank_nodes_is_one_step(ds: Dataset) -> None:
    graph = "https://w3id.org/lcgraph/graph/test-blank"
    b = ox.BlankNode()
    first = [ox.Quad(b, ox.NamedNode(LABEL), ox.Literal("x"), ox.NamedNode(graph))]
    apply_change(ds, add_quads=first, source="test", agent="steward")
    stored = list(ds.quads(None, None, None, ox.NamedNode(graph)))
    assert len(stored) == 1
    replacement = [quad("thing/1", LABEL, ox.Literal("y"), graph)]
    result = apply_change(ds, add_quads=replacement, remove_quads=stored, source="test", agent="steward")
    assert (result.added, result.removed) == (1, 1)
    assert list(ds.quads(None, None, None, ox.NamedNode(graph))) == replacement


def test_same_quad_added_and_removed_stays(ds: Dataset) -> None:
    q = quad("space/s1", LABEL, ox.Literal("Space S1", language="en"))
    result = apply_change(ds, add_quads=[q], remove_quads=[q], source="test", agent="steward")
    assert (result.added, result.removed, result.change) == (0, 0, None)
    assert q in ds._store


def test_schema_http_is_normalised(ds: Dataset) -> None:
    q = ox.Quad(
        ox.NamedNode(ID + "space/s1"),
        ox.NamedNode("http://schema.org/description"),
        ox.Literal("คำอธิบาย", language="th"),
        ox.NamedNode(DATA_GRAPH),
    )
    apply_change(ds, add_quads=[q], source="test", agent="steward")
    assert list(ds.quads(None, ox.NamedNode("https://schema.org/description"), None))
    assert not list(ds.quads(None, ox.NamedNode("http://schema.org/description"), None))


def test_sparql_update_valid_and_invalid(ds: Dataset) -> None:
    ok = PREFIXES + f"""INSERT DATA {{ GRAPH <{DATA_GRAPH}> {{ lcid:space\\/s2 rdfs:label "อีกชื่อ"@th }} }}"""
    with pytest.raises(ValidationFailed):  # two Thai labels is only a warning, but...
        apply_update(ds, ok.replace("อีกชื่อ", "x").replace("@th", ""), agent="steward")  # untagged: violation
    before = dump(ds)
    bad = PREFIXES + "DELETE WHERE { GRAPH ?g { ?space lc:city ?city } }"
    with pytest.raises(ValidationFailed) as info:
        apply_update(ds, bad, agent="steward")
    assert len({f.focus_node for f in info.value.report.findings}) >= 4
    assert dump(ds) == before
    result = apply_update(ds, ok, agent="steward")
    assert result.added == 1 and [f.severity for f in result.report.findings] == ["Warning"]
    assert list_changes(ds)[0].source == "SPARQL UPDATE"


def test_update_errors(ds: Dataset) -> None:
    before = dump(ds)
    with pytest.raises(UpdateSyntaxError):
        apply_update(ds, "INSERT DATA { <a> <b> }", agent="x")
    with pytest.raises(UpdateNotSupported):
        apply_update(ds, "LOAD <http://example.org/data.ttl>", agent="x")
    assert dump(ds) == before


UPDATE_CASES = [
    "DELETE WHERE { ?s ex:p ?o }",
    "WITH ex:g DELETE { ?s ex:p ?o } INSERT { ?s ex:p2 ?o . GRAPH ex:k { ?s ex:was ?o } } "
    "WHERE { ?s ex:p ?o }",
    "INSERT { ?s ex:n [ ex:v ?o ] } WHERE { ?s ex:p ?o FILTER(?o < 2) }",
    "INSERT DATA { ex:new ex:p 5 } ; DELETE { ?s ex:p ?o } WHERE { ?s ex:p ?o FILTER(?o > 4) }",
    "CLEAR GRAPH ex:g",
    "DROP ALL",
    "CLEAR NAMED",
    "CLEAR DEFAULT",
    "ADD ex:g TO DEFAULT",
    "MOVE ex:g TO ex:h",
    "COPY DEFAULT TO ex:h",
    "CREATE GRAPH ex:new",
    "DELETE { GRAPH ?g { ?s ?p ?o } } USING NAMED ex:g WHERE { GRAPH ?g { ?s ?p ?o } }",
    "DELETE { ?s ?p ?o } USING ex:g WHERE { ?s ?p ?o }",
    '# a comment with WHERE {\n INSERT { ?s ex:label "WHERE { }" } WHERE { ?s ex:q ?x }',
    "DELETE DATA { ex:a ex:p 1 } ; INSERT DATA { ex:a ex:p 1 }",
    "INSERT { GRAPH ex:h { ?s ex:copy ?o } } WHERE { ?s ex:p ?o } ; DELETE { GRAPH ex:h { ?s ?p ?o } } "
    "WHERE { GRAPH ex:h { ?s ex:copy ?o . ?s ?p ?o } }",
]


def _canonical(store: ox.Store) -> list[str]:
    return sorted(
        f"_ {q.predicate} {q.graph_name}"
        if isinstance(q.subject, ox.BlankNode) or isinstance(q.object, ox.BlankNode)
        else str(q)
        for q in store
    )


def _as_plain_store(ds: Dataset) -> ox.Store:
    """The dataset as a plain SPARQL store sees it: lcg:default is the default graph, no merge."""
    plain = ox.Store()
    for q in ds._store:
        if isinstance(q.graph_name, ox.DefaultGraph):
            continue
        if q.graph_name == UNNAMED:
            q = ox.Quad(q.subject, q.predicate, q.object)
        plain.add(q)
    for g in ds._store.named_graphs():
        if g != UNNAMED:
            plain.add_graph(g)
    return plain


def _commit(ds: Dataset, effect: UpdateEffect) -> None:
    ds.apply(effect.add, effect.remove, clear=effect.clear, drop=effect.drop, create=effect.create)


@pytest.mark.parametrize("on_disk", [False, True])
@pytest.mark.parametrize("update", UPDATE_CASES)
def test_update_change_matches_the_engine(update: str, on_disk: bool, tmp_path: Path) -> None:
    """What update_change works out, committed, equals what the engine does running the update itself."""
    prefix = "PREFIX ex: <http://ex/>\n"
    ds = Dataset.open(tmp_path / "s") if on_disk else Dataset.memory()
    seed = (
        prefix + 'INSERT DATA { ex:a ex:p 1 . ex:b ex:p 2 . ex:c ex:q "x" . ex:z ex:p 7 . '
        "GRAPH ex:g { ex:a ex:p 3 . ex:d ex:r ex:a } GRAPH ex:h { ex:z ex:p 9 } }"
    )
    _commit(ds, update_change(ds, seed))
    reference = _as_plain_store(ds)
    before = set(ds._store)
    effect = update_change(ds, prefix + update)
    assert set(ds._store) == before  # nothing was run on the store itself
    reference.update(prefix + update)
    _commit(ds, effect)
    mine = _as_plain_store(ds)
    assert _canonical(mine) == _canonical(reference)
    assert sorted(map(str, mine.named_graphs())) == sorted(map(str, reference.named_graphs()))
    # The merged default graph is the union of the named graphs, each triple once.
    union = {
        (q.subject, q.predicate, q.object) for q in ds._store if not isinstance(q.graph_name, ox.DefaultGraph)
    }
    merged = {(q.subject, q.predicate, q.object) for q in ds.quads(None, None, None, ox.DefaultGraph())}
    assert merged == union


def test_load_file_names_line_and_column(ds: Dataset, tmp_path: Path) -> None:
    bad = tmp_path / "bad.ttl"
    bad.write_text('@prefix ex: <http://example.org/> .\nex:a ex:b ex:c .\nex:d ex:e "unterminated .\n')
    before = dump(ds)
    with pytest.raises(LoadError) as info:
        load_file(ds, bad)
    assert info.value.line == 3 and info.value.column is not None
    assert "bad.ttl:3" in str(info.value)
    assert dump(ds) == before


def test_load_file_validates_and_replaces(ds: Dataset, tmp_path: Path) -> None:
    good = tmp_path / "space.ttl"
    good.write_text(f"""@prefix lc: <{LC}> . @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
<{ID}space/file> a lc:LearningSpace ; rdfs:label "ไฟล์"@th, "File"@en ; lc:city <{ID}city/test-a> ;
    lc:spaceType <{V}space-type/museum> .""")
    graph = "https://w3id.org/lcgraph/graph/file"
    result = load_file(ds, good, graph=graph, agent="steward")
    assert result.added == 5
    again = load_file(ds, good, graph=graph, agent="steward", replace=True)
    assert (again.added, again.removed) == (0, 0)
    assert ds.count(graph) == 5


MEMBERSHIP = """@prefix org: <http://www.w3.org/ns/org#> . @prefix time: <http://www.w3.org/2006/time#> .
@prefix lc: <https://w3id.org/lcgraph/def#> . @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
<https://w3id.org/lcgraph/id/network/test> a lc:Network ; rdfs:label "เครือข่ายทดสอบ"@th, "Test network"@en .
<https://w3id.org/lcgraph/id/membership/test> a org:Membership ;
    rdfs:label "สมาชิกภาพทดสอบ"@th, "Test membership"@en ;
    org:member <https://w3id.org/lcgraph/id/city/test-a> ;
    org:organization <https://w3id.org/lcgraph/id/network/test> ;
    org:role <https://w3id.org/lcgraph/vocab/membership-role/member> ;
    org:memberDuring [ a time:Interval ;
        time:hasBeginning [ a time:Instant ; time:inXSDgYear "2022"^^xsd:gYear ] ;
        time:hasEnd [ a time:Instant ; time:inXSDgYear "END"^^xsd:gYear ] ] .
"""


def test_blank_node_intervals_are_followed(ds: Dataset, tmp_path: Path) -> None:
    from lcgraph.validation.guarded import default_shapes
    from lcgraph.validation.incremental import validate_full

    good, bad = tmp_path / "good.ttl", tmp_path / "bad.ttl"
    good.write_text(MEMBERSHIP.replace("END", "2024"))
    bad.write_text(MEMBERSHIP.replace("END", "2020"))  # ends before it begins
    before = dump(ds)
    with pytest.raises(ValidationFailed) as info:
        load_file(ds, bad, graph=DATA_GRAPH)
    assert dump(ds) == before
    refused = {(f.focus_node, f.path) for f in info.value.report.findings if f.severity == "Violation"}
    assert (ID + "membership/test", "<http://www.w3.org/ns/org#memberDuring>") in refused
    load_file(ds, good, graph=DATA_GRAPH)
    assert validate_full(default_shapes(), ds).conforms
    # Now change the end year inside the stored blank nodes: found by walking back from a blank node.
    end = next(
        iter(
            ds.quads(
                None,
                ox.NamedNode("http://www.w3.org/2006/time#inXSDgYear"),
                ox.Literal("2024", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#gYear")),
            )
        )
    )
    earlier = ox.Quad(
        end.subject,
        end.predicate,
        ox.Literal("2019", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#gYear")),
        end.graph_name,
    )
    report = check_change(ds, add_quads=[earlier], remove_quads=[end])
    assert ID + "membership/test" in {f.focus_node for f in report.findings if f.severity == "Violation"}


def _in_default_graph(ds: Dataset, s: str, p: str) -> list[str]:
    """The objects of ``s p`` in the merged default graph that queries see."""
    rows = ds.select(f"SELECT ?o WHERE {{ <{ID}{s}> <{p}> ?o }}")
    return sorted(r["o"].value for r in rows)


def test_a_triple_moved_between_graphs_stays_in_the_default_graph(ds: Dataset) -> None:
    """Importing a sheet again moves its triples to a new graph; queries keep seeing them, once."""
    other = ox.NamedNode("https://w3id.org/lcgraph/graph/test-other")
    first = new_space()
    apply_change(ds, add_quads=first, source="test")
    moved = [ox.Quad(q.subject, q.predicate, q.object, other) for q in first]
    result = apply_change(ds, add_quads=moved, remove_quads=first, source="test")
    assert (result.added, result.removed) == (5, 5)
    assert not any(q in ds._store for q in first) and all(q in ds._store for q in moved)
    assert _in_default_graph(ds, "space/new", LABEL) == ["New space", "พื้นที่ใหม่"]
    apply_change(ds, remove_quads=moved, source="test")
    assert _in_default_graph(ds, "space/new", LABEL) == []


def test_a_typed_literal_is_reported_as_the_store_will_hold_it(ds: Dataset) -> None:
    """``"50.0"^^xsd:decimal`` is read back as ``"50"``: the refusal names the value the store would hold."""
    decimal = ox.NamedNode("http://www.w3.org/2001/XMLSchema#decimal")
    bad = quad("city/test-a", LABEL, ox.Literal("50.0", datatype=decimal))
    before = dump(ds)
    with pytest.raises(ValidationFailed) as refused:
        apply_change(ds, add_quads=[bad], source="test")
    assert dump(ds) == before
    values = {f.value for f in refused.value.report.findings if f.path == f"<{LABEL}>"}
    assert values == {"50"}


def test_a_probe_of_an_older_store_is_not_trusted(ds: Dataset) -> None:
    """What the importer asked the store is reused only while the store has not changed since."""
    probe = StoreProbe(ds, ds.version())
    assert not probe.has_subject(ox.NamedNode(ID + "space/new"))
    apply_change(ds, add_quads=new_space(), source="test")
    again = apply_change(ds, add_quads=new_space(), source="test", probe=probe)
    assert (again.added, again.change) == (0, None)
