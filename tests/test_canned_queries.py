"""Canned queries: headers, typed parameters bound by the engine, user folders."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from lcgraph.queries import CannedQueries, CannedQueryError, ParameterError
from lcgraph.store import Dataset

DATA = """
@prefix lc: <https://w3id.org/lcgraph/def#> .
@prefix schema: <https://schema.org/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix act: <https://w3id.org/lcgraph/id/activity/> .
@prefix city: <https://w3id.org/lcgraph/id/city/> .
@prefix sp: <https://w3id.org/lcgraph/id/space/> .
<https://w3id.org/lcgraph/graph/test> {
  act:a1 a lc:LearningActivity ; lc:city city:x ; rdfs:label "กิจกรรมหนึ่ง"@th ;
      schema:startDate "2023-08-22"^^xsd:date .
  act:a2 a lc:LearningActivity ; lc:city city:x ; rdfs:label "กิจกรรมสอง"@th ;
      schema:startDate "2024-02-01"^^xsd:date .
  sp:s1 a lc:LearningSpace ; lc:city city:x ; rdfs:label "ห้องสมุด"@th .
  sp:s2 a lc:LearningSpace ; lc:city city:y ; rdfs:label "ลานวัด"@th .
  act:a1 schema:location sp:s1 .
}
"""


@pytest.fixture(scope="module")
def ds(tmp_path_factory: pytest.TempPathFactory) -> Dataset:
    store = Dataset.open(tmp_path_factory.mktemp("canned") / "store")
    store.load_bytes(DATA, "trig")
    return store


@pytest.fixture(scope="module")
def registry() -> CannedQueries:
    return CannedQueries.load()


def run(ds: Dataset, registry: CannedQueries, name: str, **params: str) -> list[dict[str, str]]:
    q = registry.get(name)
    result = ds.query(q.sparql, substitutions=q.bind(params))
    assert isinstance(result, ox.QuerySolutions)
    names = [v.value for v in result.variables]
    return [{n: row[n].value for n in names if row[n] is not None} for row in result]


def test_packaged_queries_have_bilingual_titles(registry: CannedQueries) -> None:
    assert {
        "activities-by-age-group",
        "partners-of-city",
        "spaces-without-activities",
        "administrators-per-city",
        "activities-in-date-range",
    } <= set(registry.names())
    for name in registry.names():
        q = registry.get(name)
        assert q.title.get("en") and q.title.get("th"), name
        assert q.description.get("en") and q.description.get("th"), name


@pytest.mark.parametrize("start", ["2023-01-01", "2566-01-01", "1/1/2566", "1 มกราคม 2566"])
def test_date_range_accepts_common_and_buddhist_era(ds: Dataset, registry: CannedQueries, start: str) -> None:
    rows = run(ds, registry, "activities-in-date-range", **{"from": start, "to": "2023-12-31"})
    assert [r["activity"] for r in rows] == ["https://w3id.org/lcgraph/id/activity/a1"]


def test_optional_parameter_left_out_means_all(ds: Dataset, registry: CannedQueries) -> None:
    everywhere = run(ds, registry, "spaces-without-activities")
    assert [r["space"] for r in everywhere] == ["https://w3id.org/lcgraph/id/space/s2"]
    in_x = run(ds, registry, "spaces-without-activities", city="https://w3id.org/lcgraph/id/city/x")
    assert in_x == []


def test_injection_attempt_stays_a_literal(tmp_path: Path, ds: Dataset) -> None:
    (tmp_path / "label-search.rq").write_text(
        "# title@en: Things with a label\n"
        '# param: label string "exact label"\n'
        "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
        "SELECT ?label ?s WHERE { ?s rdfs:label ?l FILTER(STR(?l) = ?label) }\n",
        encoding="utf-8",
    )
    registry = CannedQueries.load([tmp_path])
    attack = '" ) } UNION { ?s ?p ?label } #'
    before = ds.count()
    rows = run(ds, registry, "label-search", label=attack)
    assert rows == []  # the text matched nothing: it was compared as a string, not run as SPARQL
    assert ds.count() == before
    assert [r["s"] for r in run(ds, registry, "label-search", label="ลานวัด")] == [
        "https://w3id.org/lcgraph/id/space/s2"
    ]


@pytest.mark.parametrize(
    ("name", "params", "message"),
    [
        ("activities-in-date-range", {"from": "31/02/2566"}, "February"),
        ("activities-in-date-range", {"since": "2023-01-01"}, "unknown parameter(s) since"),
        ("partners-of-city", {}, "missing parameter city"),
        ("partners-of-city", {"city": "not an iri"}, "not an absolute IRI"),
    ],
)
def test_bad_parameters_list_the_valid_ones(
    registry: CannedQueries, name: str, params: dict[str, str], message: str
) -> None:
    with pytest.raises(ParameterError) as info:
        registry.get(name).bind(params)
    assert message in str(info.value)
    assert "this query takes:" in str(info.value)


def test_unknown_query_lists_available(registry: CannedQueries) -> None:
    with pytest.raises(KeyError, match="available: activities-by-age-group"):
        registry.get("no-such-query")


def test_user_folder_adds_and_overrides(tmp_path: Path) -> None:
    (tmp_path / "partners-of-city.rq").write_text(
        "# title@en: Mine\nSELECT ?x WHERE { ?x ?p ?o } LIMIT 1\n", encoding="utf-8"
    )
    registry = CannedQueries.load([tmp_path])
    assert registry.get("partners-of-city").title == {"en": "Mine"}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("SELECT ?x WHERE { ?x ?p ?o }\n", "title@en"),
        ("# title@en: t\n# param: y iri\nSELECT ?x WHERE { ?x ?p ?y }\n", "SELECT variables"),
        ("# title@en: t\n# param: y colour\nSELECT ?y WHERE { ?y ?p ?o }\n", "TYPE one of"),
        ("# title@en: t\n# param: y iri\nSELEC ?y WHERE { ?y ?p ?o }\n", "syntax"),
    ],
)
def test_malformed_query_files_are_refused_at_load(tmp_path: Path, content: str, message: str) -> None:
    (tmp_path / "broken.rq").write_text(content, encoding="utf-8")
    with pytest.raises(CannedQueryError, match=message):
        CannedQueries.load([tmp_path])


@pytest.mark.parametrize(
    ("sparql", "form"),
    # A prefix or a comment naming another form does not change the form.
    [
        ("PREFIX describe: <http://example.org/d#>\nSELECT ?x WHERE { ?x describe:p ?o }", "SELECT"),
        (
            "PREFIX select: <http://example.org/s#>\n# SELECT in a comment\nASK { ?x select:p 'SELECT' }",
            "ASK",
        ),
        ("PREFIX ask: <http://example.org/a#>\nCONSTRUCT { ?x ask:p ?o } WHERE { ?x ?p ?o }", "CONSTRUCT"),
        ("PREFIX construct: <http://example.org/c#>\nDESCRIBE ?x WHERE { ?x construct:p ?o }", "DESCRIBE"),
    ],
)
def test_the_form_comes_from_the_parsed_query(tmp_path: Path, sparql: str, form: str) -> None:
    (tmp_path / "mine.rq").write_text(f"# title@en: Mine\n{sparql}\n", encoding="utf-8")
    query = CannedQueries.load([tmp_path]).get("mine")
    assert query.form == form
    assert query.describe()["form"] == form
