"""Tests for the OWL ontology in ``ontology/lcgraph.ttl``.

They check the file against the data-model contract (``ontology/README.md``):
it parses in rdflib and in Oxigraph, every term it declares has Thai and English
labels and comments, our own properties have domains and ranges, our classes
map onto ORG/schema.org/FOAF/PROV, personal-data properties are marked, and no
file of the project uses an ``lc:`` term the ontology does not declare.
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import RDF, RDFS, BNode, Graph, Literal, Namespace, URIRef
from rdflib import Dataset as RdfDataset
from rdflib.namespace import DCTERMS, FOAF, OWL, PROV, SKOS, XSD

from lcgraph.resources import EXAMPLES_DIR, ONTOLOGY_FILE, ROOT, SEED_DIR, shape_files, vocab_files
from lcgraph.store import Dataset

# Spelled out as ontology/README.md states them, so the test checks the file
# against the contract rather than against the code's namespace module.
LC = Namespace("https://w3id.org/lcgraph/def#")
LCV = Namespace("https://w3id.org/lcgraph/vocab/")
ORG = Namespace("http://www.w3.org/ns/org#")
SCHEMA = Namespace("https://schema.org/")
ONTOLOGY_IRI = URIRef("https://w3id.org/lcgraph/def")
TERM_TYPES = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty, RDFS.Datatype)
PROPERTY_TYPES = (OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty)

CONTRACT_CLASSES = [
    "LearningCity",
    "CityLearningAdministrator",
    "LearningSpace",
    "KnowledgeAsset",
    "LearningActivity",
    "PartnerOrganisation",
    "Network",
    "Partnership",
    "LearningCityEvent",
    "ResearchProgramme",
    "FundingCall",
    "ResearchAgenda",
    "ResearchProject",
    "FrameworkComponent",
    "Goal",
    "Finding",
    "ChangeSet",
    "HistoryPrune",
]
CONTRACT_OBJECT_PROPERTIES = [
    "province",
    "administrativeLevel",
    "city",
    "spaceType",
    "managedBy",
    "assetType",
    "theme",
    "ageGroup",
    "buildingBlock",
    "usesAsset",
    "sector",
    "party",
    "declaredAt",
    "openedBy",
    "announces",
    "programme",
    "goal",
    "component",
    "gnlcArea",
    "about",
    "severity",
    "kind",
]
CONTRACT_DATATYPE_PROPERTIES = [
    "minAge",
    "maxAge",
    "purpose",
    "researchSites",
    "aim",
    "fiscalYear",
    "evidence",
    "recommendation",
    "score",
    "nationalId",
    "unnamedParties",
    "prunedBefore",
    "changeSetsRemoved",
]
# (class, a super-class the contract requires)
MAPPINGS = [
    (LC.LearningCity, ORG.Organization),
    (LC.CityLearningAdministrator, FOAF.Person),
    (LC.CityLearningAdministrator, SCHEMA.Person),
    (LC.LearningSpace, SCHEMA.Place),
    (LC.LearningSpace, Namespace("http://www.opengis.net/ont/geosparql#").Feature),
    (LC.KnowledgeAsset, SCHEMA.LearningResource),
    (LC.LearningActivity, SCHEMA.EducationEvent),
    (LC.PartnerOrganisation, ORG.Organization),
    (LC.Network, ORG.Organization),
    (LC.Partnership, ORG.OrganizationalCollaboration),
    (LC.LearningCityEvent, SCHEMA.Event),
    (LC.ResearchProgramme, SCHEMA.ResearchProject),
    (LC.ResearchProgramme, PROV.Plan),
    (LC.FundingCall, PROV.Entity),
    (LC.ResearchAgenda, PROV.Plan),
    (LC.ResearchProject, SCHEMA.ResearchProject),
    (LC.FrameworkComponent, PROV.Entity),
    (LC.Goal, PROV.Entity),
    (LC.Finding, PROV.Entity),
]
AGENT_CLASSES = [LC.LearningCity, LC.PartnerOrganisation, LC.Network, LC.CityLearningAdministrator]
PERSONAL_PROPERTIES = [SCHEMA.email, SCHEMA.telephone, SCHEMA.address, LC.nationalId, FOAF.mbox, FOAF.phone]


@pytest.fixture(scope="module")
def onto() -> Graph:
    return Graph().parse(ONTOLOGY_FILE, format="turtle")


def _declared_terms() -> list[URIRef]:
    g = Graph().parse(ONTOLOGY_FILE, format="turtle")
    terms = {s for t in TERM_TYPES for s in g.subjects(RDF.type, t) if isinstance(s, URIRef)}
    return sorted(terms)


def _curie(term: URIRef) -> str:
    g = Graph()
    g.bind("lc", LC)
    g.bind("schema", SCHEMA)
    g.bind("org", ORG)
    return g.namespace_manager.normalizeUri(term)


def _langs(g: Graph, s: URIRef, p: URIRef) -> list[str | None]:
    return [o.language for o in g.objects(s, p) if isinstance(o, Literal)]


def test_parses_the_same_in_rdflib_and_oxigraph(onto: Graph) -> None:
    store = ox.Store()
    store.load(path=str(ONTOLOGY_FILE), format=ox.RdfFormat.TURTLE)
    assert len(store) == len(onto) > 500


def test_loads_into_the_store_and_answers_queries() -> None:
    ds = Dataset.memory()
    ds.load_path(ONTOLOGY_FILE, graph="https://w3id.org/lcgraph/graph/ontology")
    rows = list(
        ds.query(
            "PREFIX owl: <http://www.w3.org/2002/07/owl#> "
            "SELECT (COUNT(?c) AS ?n) WHERE { ?c a owl:Class "
            "FILTER STRSTARTS(STR(?c), 'https://w3id.org/lcgraph/def#') }"
        )
    )
    assert int(rows[0]["n"].value) == len(CONTRACT_CLASSES)


def test_ontology_header(onto: Graph) -> None:
    assert (ONTOLOGY_IRI, RDF.type, OWL.Ontology) in onto
    assert sorted(_langs(onto, ONTOLOGY_IRI, DCTERMS.title)) == ["en", "th"]
    assert onto.value(ONTOLOGY_IRI, OWL.versionInfo) is not None
    assert isinstance(onto.value(ONTOLOGY_IRI, DCTERMS.license), URIRef)
    created = onto.value(ONTOLOGY_IRI, DCTERMS.created)
    assert isinstance(created, Literal) and created.datatype == XSD.date


def test_declares_every_term_of_the_contract(onto: Graph) -> None:
    for name in CONTRACT_CLASSES:
        assert (LC[name], RDF.type, OWL.Class) in onto, name
    for name in CONTRACT_OBJECT_PROPERTIES:
        assert (LC[name], RDF.type, OWL.ObjectProperty) in onto, name
    for name in CONTRACT_DATATYPE_PROPERTIES:
        assert (LC[name], RDF.type, OWL.DatatypeProperty) in onto, name
    assert (ORG.Membership, RDF.type, OWL.Class) in onto
    assert (LC.personalData, RDF.type, OWL.AnnotationProperty) in onto


@pytest.mark.parametrize("term", _declared_terms(), ids=_curie)
def test_every_term_has_thai_and_english_label_and_comment(onto: Graph, term: URIRef) -> None:
    for prop in (RDFS.label, RDFS.comment):
        langs = _langs(onto, term, prop)
        name = f"{_curie(term)} {_curie(prop)}"
        assert "th" in langs and "en" in langs, f"{name}: no Thai or no English value ({langs})"
        assert langs.count("th") == 1 and langs.count("en") == 1, f"{name}: several values in one language"


def test_the_term_list_is_not_trivially_small() -> None:
    terms = _declared_terms()
    own = [t for t in terms if t.startswith(str(LC))]
    contract = CONTRACT_CLASSES + CONTRACT_OBJECT_PROPERTIES + CONTRACT_DATATYPE_PROPERTIES
    assert len(own) >= len(contract)
    assert len(terms) > len(own)  # reused terms carry Thai labels too


def test_own_properties_have_domain_and_range(onto: Graph) -> None:
    own = [s for t in PROPERTY_TYPES for s in onto.subjects(RDF.type, t) if str(s).startswith(str(LC))]
    assert own
    for prop in own:
        # lc:personalData annotates properties: OWL 2 has no class of properties to name.
        has_domain = onto.value(prop, RDFS.domain) is not None or prop == LC.personalData
        assert has_domain, f"{prop} has no rdfs:domain"
        assert onto.value(prop, RDFS.range) is not None, f"{prop} has no rdfs:range"


def _is_datatype(onto: Graph, node: object) -> bool:
    if isinstance(node, BNode):
        return (node, RDF.type, RDFS.Datatype) in onto
    return str(node).startswith(str(XSD)) or node == RDF.langString or (node, RDF.type, RDFS.Datatype) in onto


def test_property_kinds_agree_with_their_ranges(onto: Graph) -> None:
    for prop in onto.subjects(RDF.type, OWL.DatatypeProperty):
        for rng in onto.objects(prop, RDFS.range):
            assert _is_datatype(onto, rng), f"datatype property {prop} has a class as range: {rng}"
    for prop in onto.subjects(RDF.type, OWL.ObjectProperty):
        both = (prop, RDF.type, OWL.DatatypeProperty) in onto
        assert not both, f"{prop} is both an object and a datatype property"
        for rng in onto.objects(prop, RDFS.range):
            assert not _is_datatype(onto, rng), f"object property {prop} has a datatype as range: {rng}"


@pytest.mark.parametrize(("cls", "sup"), MAPPINGS, ids=lambda t: _curie(t))
def test_classes_map_onto_reused_vocabularies(onto: Graph, cls: URIRef, sup: URIRef) -> None:
    assert (cls, RDFS.subClassOf, sup) in onto


def test_a_funding_call_is_not_a_grant(onto: Graph) -> None:
    # A call invites proposals; the money that may follow is the grant.
    assert (LC.FundingCall, RDFS.subClassOf, SCHEMA.Grant) not in onto
    assert (LC.ResearchAgenda, RDFS.subClassOf, LC.FundingCall) not in onto


def test_partnership_parties_are_organisations_not_people(onto: Graph) -> None:
    # An org:OrganizationalCollaboration is a collaboration between organisations.
    assert onto.value(LC.party, RDFS.range) == ORG.Organization
    store = ox.Store()
    store.load(path=str(ONTOLOGY_FILE), format=ox.RdfFormat.TURTLE)
    ask = f"ASK {{ <{LC.CityLearningAdministrator}> <{RDFS.subClassOf}>+ <{ORG.Organization}> }}"
    assert not bool(store.query(ask))


def test_province_codes_are_not_places(onto: Graph) -> None:
    # lcv:province values are SKOS concepts: not schema:areaServed values (places).
    assert onto.value(LC.province, RDFS.subPropertyOf) is None
    assert (SCHEMA.address, RDF.type, OWL.DatatypeProperty) in onto
    assert (SCHEMA.address, RDF.type, OWL.ObjectProperty) not in onto


def test_agent_classes_are_foaf_agents_through_the_class_hierarchy() -> None:
    # The shapes check "is an agent" with sh:class foaf:Agent, which follows
    # rdfs:subClassOf in the data graph: the ontology must make the path exist.
    store = ox.Store()
    store.load(path=str(ONTOLOGY_FILE), format=ox.RdfFormat.TURTLE)
    for cls in AGENT_CLASSES:
        ask = f"ASK {{ <{cls}> <{RDFS.subClassOf}>+ <{FOAF.Agent}> }}"
        assert bool(store.query(ask)), f"{cls} is not a subclass of foaf:Agent"
    assert not bool(store.query(f"ASK {{ <{LC.LearningSpace}> <{RDFS.subClassOf}>+ <{FOAF.Agent}> }}"))


def test_personal_data_properties_are_marked_and_queryable() -> None:
    store = ox.Store()
    store.load(path=str(ONTOLOGY_FILE), format=ox.RdfFormat.TURTLE)
    rows = store.query(f"SELECT ?p WHERE {{ ?p <{LC.personalData}> true }}")
    marked = {URIRef(row["p"].value) for row in rows}
    assert set(PERSONAL_PROPERTIES) <= marked
    assert SCHEMA.url not in marked and RDFS.label not in marked


def test_finding_severity_list_ships_with_the_ontology(onto: Graph) -> None:
    scheme = LCV["finding-severity"]
    members = set(onto.subjects(SKOS.inScheme, scheme))
    assert members == {LCV[f"finding-severity/{code}"] for code in ("high", "medium", "low")}
    for concept in members:
        assert sorted(_langs(onto, concept, SKOS.prefLabel)) == ["en", "th"]


def _project_rdf_files() -> list[Path]:
    files = [*vocab_files(), *shape_files(), *sorted((ROOT / "tests" / "data" / "shapes").glob("*.ttl"))]
    files += sorted(SEED_DIR.glob("*.trig")) + sorted(EXAMPLES_DIR.glob("*.trig"))
    return files


def _lc_terms_used(path: Path) -> set[str]:
    """Every lc: IRI in the file, as a node or as a literal's datatype."""
    ds = RdfDataset()
    ds.parse(path, format="trig" if path.suffix == ".trig" else "turtle")
    nodes = {t for quad in ds.quads((None, None, None, None)) for t in quad[:3]}
    iris = {str(t) for t in nodes if isinstance(t, URIRef)}
    iris |= {str(t.datatype) for t in nodes if isinstance(t, Literal) and t.datatype}
    return {iri for iri in iris if iri.startswith(str(LC))}


@pytest.mark.parametrize("path", _project_rdf_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_file_uses_an_undeclared_lc_term(path: Path) -> None:
    declared = {str(t) for t in _declared_terms()}
    undeclared = sorted(_lc_terms_used(path) - declared)
    assert not undeclared, f"{path.name} uses lc: terms the ontology does not declare: {undeclared}"
