"""Every reused term the project uses is declared in the ontology with Thai and English labels.

The ontology promises that every screen and report can name any term in both
languages. ``test_ontology.py`` checks the terms the ontology declares; this
file walks every RDF file the store is built from (the ontology, the
vocabularies, the seed facts and the illustrative examples) and collects every
term they *use* from a reused vocabulary (ORG, schema.org, SKOS, PROV, DCMI,
OWL-Time, FOAF, WGS84, GeoSPARQL, VANN, DCAT, VoID, SPARQL service
description): each predicate, each class an instance is typed with, and each
term the ontology builds on (super-classes, super-properties, domains and
ranges). Each must be declared in ``ontology/lcgraph.ttl`` with exactly one
Thai and one English ``rdfs:label``. The language of the files themselves (RDF,
RDFS, OWL, XSD, SHACL) is not a reused domain vocabulary and is left out.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
from rdflib import RDF, RDFS, Dataset, Graph, Literal, URIRef
from rdflib.namespace import OWL

from lcgraph.resources import EXAMPLES_DIR, ONTOLOGY_FILE, ROOT, SEED_DIR, vocab_files

REUSED_NAMESPACES = (
    "http://www.w3.org/ns/org#",
    "https://schema.org/",
    "http://schema.org/",
    "http://www.w3.org/2004/02/skos/core#",
    "http://www.w3.org/ns/prov#",
    "http://purl.org/dc/terms/",
    "http://purl.org/dc/elements/1.1/",
    "http://www.w3.org/2006/time#",
    "http://xmlns.com/foaf/0.1/",
    "http://www.w3.org/2003/01/geo/wgs84_pos#",
    "http://www.opengis.net/ont/geosparql#",
    "http://purl.org/vocab/vann/",
    "http://www.w3.org/ns/dcat#",
    "http://rdfs.org/ns/void#",
    "http://www.w3.org/ns/sparql-service-description#",
)
# Where the ontology names the terms it builds on.
ONTOLOGY_LINKS = (
    RDFS.subClassOf,
    RDFS.subPropertyOf,
    RDFS.domain,
    RDFS.range,
    OWL.equivalentClass,
    RDF.first,
)


def _files() -> list[Path]:
    data = [*sorted(SEED_DIR.glob("*.trig")), *sorted(EXAMPLES_DIR.glob("*.trig"))]
    return [ONTOLOGY_FILE, *vocab_files(), *data]


def _reused(node: object) -> bool:
    if not isinstance(node, URIRef):
        return False
    return any(str(node).startswith(ns) and len(str(node)) > len(ns) for ns in REUSED_NAMESPACES)


def terms_used(path: Path) -> set[URIRef]:
    """The reused terms one file uses as predicates, as classes, or (in the ontology) as building blocks."""
    ds = Dataset()
    ds.parse(path, format="trig" if path.suffix == ".trig" else "turtle")
    used: set[URIRef] = set()
    for _s, p, o, _g in ds.quads((None, None, None, None)):
        if _reused(p):
            used.add(p)
        if p == RDF.type and _reused(o):
            used.add(o)
        if p in ONTOLOGY_LINKS and _reused(o):
            used.add(o)
    return used


@cache
def all_terms_used() -> dict[URIRef, list[str]]:
    where: dict[URIRef, list[str]] = {}
    for path in _files():
        for term in terms_used(path):
            where.setdefault(term, []).append(str(path.relative_to(ROOT)))
    return where


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return Graph().parse(ONTOLOGY_FILE, format="turtle")


def test_the_walk_finds_the_terms_every_part_of_the_model_rests_on() -> None:
    used = all_terms_used()
    # A sample from each kind of file, so that a broken walk cannot pass as "nothing to check".
    expected = {
        URIRef("http://www.w3.org/ns/org#Membership"),  # a class in the seed
        URIRef("http://www.w3.org/2004/02/skos/core#prefLabel"),  # a predicate in the vocabularies
        URIRef("https://schema.org/superEvent"),  # a predicate in the seed
        URIRef("http://www.w3.org/ns/org#OrganizationalCollaboration"),  # a super-class in the ontology
        URIRef("https://schema.org/suggestedMinAge"),  # a predicate in the age groups
    }
    assert expected <= set(used), expected - set(used)
    assert len(used) > 60


@pytest.mark.parametrize("term", sorted(all_terms_used()), ids=str)
def test_every_reused_term_used_is_declared_with_one_thai_and_one_english_label(
    ontology: Graph, term: URIRef
) -> None:
    where = ", ".join(all_terms_used()[term])
    assert (term, RDF.type, None) in ontology, f"{term} (used in {where}) is not declared in the ontology"
    langs = [o.language for o in ontology.objects(term, RDFS.label) if isinstance(o, Literal)]
    assert sorted(langs) == ["en", "th"], f"{term} (used in {where}) has labels in {langs}"
