"""Shared data for the publishing and privacy tests, and a check that it loads.

The store gets the real ontology, vocabularies and seed facts, plus a small
ILLUSTRATIVE ecology written here: two City Learning Administrators with
example.org e-mail addresses and obviously fake telephone numbers (in
``lcg:private``), a learning space whose address is public (a place's address
is not personal data), and a partner with an office e-mail. None of these
people or numbers exist.
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox

from lcgraph import resources
from lcgraph.namespaces import GRAPH_EXAMPLES, GRAPH_ONTOLOGY, GRAPH_PRIVATE, GRAPH_VOCAB
from lcgraph.store import Dataset

EXAMPLES = str(GRAPH_EXAMPLES)
PRIVATE = str(GRAPH_PRIVATE)

#: Strings that occur only in the private graph: no public answer may contain them.
SECRETS = ("somchai.admin@example.org", "+66-00-000-0001", "malee.admin@example.org", "0000000000001")

ILLUSTRATIVE_TRIG = """
PREFIX lc: <https://w3id.org/lcgraph/def#>
PREFIX admin: <https://w3id.org/lcgraph/id/administrator/>
PREFIX city: <https://w3id.org/lcgraph/id/city/>
PREFIX space: <https://w3id.org/lcgraph/id/space/>
PREFIX activity: <https://w3id.org/lcgraph/id/activity/>
PREFIX partner: <https://w3id.org/lcgraph/id/partner/>
PREFIX spacetype: <https://w3id.org/lcgraph/vocab/space-type/>
PREFIX sector: <https://w3id.org/lcgraph/vocab/sector/>
PREFIX schema: <https://schema.org/>
PREFIX foaf: <http://xmlns.com/foaf/0.1/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX dct: <http://purl.org/dc/terms/>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>

<https://w3id.org/lcgraph/graph/examples> {
  <https://w3id.org/lcgraph/graph/examples> dct:title "ตัวอย่างสมมติ (ไม่ใช่ข้อเท็จจริง)"@th ,
      "Illustrative examples (not facts)"@en .
  admin:example-somchai a lc:CityLearningAdministrator , foaf:Person ;
      rdfs:label "ผู้จัดการการเรียนรู้ตัวอย่าง ก (สมมติ)"@th , "Example administrator A (illustrative)"@en ;
      lc:city city:phayao .
  admin:example-malee a lc:CityLearningAdministrator , foaf:Person ;
      rdfs:label "ผู้จัดการการเรียนรู้ตัวอย่าง ข (สมมติ)"@th , "Example administrator B (illustrative)"@en ;
      lc:city city:hat-yai .
  space:example-phayao-library a lc:LearningSpace , schema:Place ;
      rdfs:label "ห้องสมุดตัวอย่างพะเยา (สมมติ)"@th , "Example Phayao library (illustrative)"@en ;
      lc:city city:phayao ;
      lc:spaceType spacetype:library ;
      lc:managedBy partner:example-library-foundation ;
      schema:address "ถนนตัวอย่าง อำเภอเมืองพะเยา (สมมติ)"@th .
  activity:example-reading-club a lc:LearningActivity ;
      rdfs:label "ชมรมรักการอ่านตัวอย่าง (สมมติ)"@th , "Example reading club (illustrative)"@en ;
      lc:city city:phayao ;
      schema:location space:example-phayao-library ;
      schema:organizer partner:example-library-foundation ;
      schema:startDate "2024-01-15"^^xsd:date ;
      schema:endDate "2024-03-30"^^xsd:date .
  partner:example-library-foundation a lc:PartnerOrganisation ;
      rdfs:label "มูลนิธิห้องสมุดตัวอย่าง (สมมติ)"@th , "Example Library Foundation (illustrative)"@en ;
      lc:sector sector:civil-society ;
      schema:email "office@example.org" .
}

<https://w3id.org/lcgraph/graph/private> {
  admin:example-somchai schema:email "somchai.admin@example.org" ;
      schema:telephone "+66-00-000-0001" ;
      lc:nationalId "0000000000001" .
  admin:example-malee foaf:mbox <mailto:malee.admin@example.org> .
}
"""


def build_store(path: Path) -> Dataset:
    """An on-disk store with the ontology, vocabularies, seed facts and the illustrative data above."""
    ds = Dataset.open(path)
    fill(ds)
    return ds


def fill(ds: Dataset) -> None:
    """Load everything the publishing tests read into ``ds``."""
    ds.load_path(resources.ONTOLOGY_FILE, graph=str(GRAPH_ONTOLOGY))
    for f in resources.vocab_files():
        ds.load_path(f, graph=str(GRAPH_VOCAB))
    for f in resources.seed_files():
        ds.load_path(f)
    ds.load_bytes(ILLUSTRATIVE_TRIG, "trig", source="illustrative test data")
    ds.flush()


def public_quads(ds: Dataset) -> list[ox.Quad]:
    """Every quad outside the private graph (read directly from the store, no SPARQL)."""
    private = ox.NamedNode(PRIVATE)
    return [q for q in ds.quads() if q.graph_name != private]


def test_illustrative_data_loads_and_keeps_personal_data_private(tmp_path: Path) -> None:
    ds = build_store(tmp_path / "db")
    assert ds.count(PRIVATE) == 4
    private_text = " ".join(str(q) for q in ds.quads(graph=PRIVATE))
    public_text = " ".join(str(q) for q in public_quads(ds))
    for secret in SECRETS:
        assert secret in private_text
        assert secret not in public_text
