"""A small ILLUSTRATIVE learning ecology for the validation and import tests (no tests here).

Every city, partner, space, asset and activity is invented ("Test City A",
"Partner P1"…). The store holds the real ontology, the real vocabularies
(only two provinces, to keep full validation quick) and this data, and it
conforms to the shapes with no result at all, so any finding after a change
comes from the change.
"""

from __future__ import annotations

import pyoxigraph as ox
from rdflib import Graph, URIRef
from rdflib.namespace import SKOS

from lcgraph import resources
from lcgraph.namespaces import GRAPH_ONTOLOGY, GRAPH_VOCAB, sparql_prefixes
from lcgraph.store import Dataset

ID = "https://w3id.org/lcgraph/id/"
LC = "https://w3id.org/lcgraph/def#"
V = "https://w3id.org/lcgraph/vocab/"
DATA_GRAPH = "https://w3id.org/lcgraph/graph/test-data"
KEEP_PROVINCES = ("TH-56", "TH-57")

_SCHEMES = ("province", "admin-level", "sector", "space-type", "asset-type", "theme", "age-group", "gnlc")
ECOLOGY = (
    sparql_prefixes("lc", "lcv", "lcid", "org", "schema", "rdfs", "xsd", "geo")
    + "".join(f"PREFIX {s.replace('-', '')}: <{V}{s}/>\n" for s in _SCHEMES)
    + """
INSERT DATA { GRAPH <GRAPH> {
lcid:city\\/test-a a lc:LearningCity ; rdfs:label "เมืองทดสอบ ก"@th, "Test City A"@en ;
    lc:province province:TH-56 ; lc:administrativeLevel adminlevel:province .
lcid:city\\/test-b a lc:LearningCity ; rdfs:label "เมืองทดสอบ ข"@th, "Test City B"@en ;
    lc:province province:TH-57 .
lcid:partner\\/p1 a lc:PartnerOrganisation ; rdfs:label "ภาคี พี1"@th, "Partner P1"@en ;
    lc:sector sector:academic .
lcid:partner\\/p2 a lc:PartnerOrganisation ; rdfs:label "ภาคี พี2"@th, "Partner P2"@en ;
    lc:sector sector:community ; org:subOrganizationOf lcid:partner\\/p1 .
lcid:space\\/s1 a lc:LearningSpace ; rdfs:label "พื้นที่ เอส1"@th, "Space S1"@en ; lc:city lcid:city\\/test-a ;
    lc:spaceType spacetype:library ; lc:managedBy lcid:partner\\/p1 ;
    geo:lat "19.17"^^xsd:decimal ; geo:long "99.90"^^xsd:decimal .
lcid:space\\/s2 a lc:LearningSpace ; rdfs:label "พื้นที่ เอส2"@th, "Space S2"@en ; lc:city lcid:city\\/test-b ;
    lc:spaceType spacetype:online .
lcid:asset\\/a1 a lc:KnowledgeAsset ; rdfs:label "ความรู้ เอ1"@th, "Asset A1"@en ; lc:city lcid:city\\/test-a ;
    lc:assetType assettype:craft ; lc:theme theme:local-wisdom ; schema:provider lcid:partner\\/p2 .
lcid:activity\\/e1 a lc:LearningActivity ; rdfs:label "กิจกรรม อี1"@th, "Activity E1"@en ;
    lc:city lcid:city\\/test-a ; schema:location lcid:space\\/s1 ; schema:organizer lcid:partner\\/p1 ;
    lc:ageGroup agegroup:youth ; lc:theme theme:history ;
    lc:buildingBlock gnlc:learning-families-communities ; lc:usesAsset lcid:asset\\/a1 ;
    schema:startDate "2023-08-22"^^xsd:date ; schema:endDate "2023-08-23"^^xsd:date ;
    lc:minAge 15 ; lc:maxAge 24 .
lcid:activity\\/e2 a lc:LearningActivity ; rdfs:label "กิจกรรม อี2"@th, "Activity E2"@en ;
    lc:city lcid:city\\/test-b ; schema:organizer lcid:city\\/test-b ; lc:ageGroup agegroup:all-ages ;
    lc:theme theme:environment ; schema:startDate "2024-01-10"^^xsd:date .
} }
""".replace("GRAPH>", DATA_GRAPH + ">")
)


def trimmed_vocab() -> Graph:
    """The real vocabularies with only the provinces the tests use."""
    g = Graph()
    for f in resources.vocab_files():
        g.parse(f)
    for concept in list(g.subjects(SKOS.inScheme, URIRef(V + "province"))):
        if not any(str(concept).endswith("/" + code) for code in KEEP_PROVINCES):
            g.remove((concept, None, None))
            g.remove((None, None, concept))
    return g


_VOCAB_NT: bytes | None = None


def vocab_ntriples() -> bytes:
    global _VOCAB_NT
    if _VOCAB_NT is None:
        _VOCAB_NT = trimmed_vocab().serialize(format="nt", encoding="utf-8")
    return _VOCAB_NT


def base_dataset(path: str | None = None, *, ecology: bool = True) -> Dataset:
    """Ontology + trimmed vocabularies (+ the illustrative ecology), on disk if ``path``."""
    ds = Dataset.open(path) if path else Dataset.memory()
    ds.load_path(resources.ONTOLOGY_FILE, graph=str(GRAPH_ONTOLOGY))
    ds.load_bytes(vocab_ntriples(), "ntriples", graph=str(GRAPH_VOCAB))
    if ecology:
        ds.update(ECOLOGY)
    return ds


def quad(s: str, p: str, o: ox.NamedNode | ox.Literal | ox.BlankNode, g: str = DATA_GRAPH) -> ox.Quad:
    def iri(x: str) -> ox.NamedNode:
        return ox.NamedNode(x if "://" in x else ID + x)

    return ox.Quad(iri(s), ox.NamedNode(p), o, ox.NamedNode(g))


def finding_keys(report: object) -> set[tuple]:
    return {(f.severity, f.focus_node, f.path, f.constraint, f.shape, f.value) for f in report.findings}  # type: ignore[attr-defined]
