"""JSON-LD for people who read JSON: the ``/context.jsonld`` context and a schema.org view.

For web developers at partner organisations. The context gives every term of
our ontology a short key (``city``, ``spaceType``, ``label``…), typed so
that compacted documents read naturally (links as plain IRIs, dates as
strings, labels as ``{"th": …, "en": …}``). It is built from
``ontology/lcgraph.ttl`` itself, so it never disagrees with the ontology.
The schema.org view of a resource is what a partner's web page embeds in a
``<script type="application/ld+json">`` so search engines understand it.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import pyoxigraph as ox

from lcgraph import resources
from lcgraph.namespaces import DCT, LC, OWL, PREFIXES, RDF, RDFS, SCHEMA, SKOS, XSD
from lcgraph.publish.describe import Description
from lcgraph.store import OxigraphRepository

_PROPERTY_TYPES = {
    str(OWL.ObjectProperty),
    str(OWL.DatatypeProperty),
    str(RDF.Property),
    str(OWL.AnnotationProperty),
}
_CLASS_TYPES = {str(OWL.Class), str(RDFS.Class)}
_LANGUAGE_MAPS = {
    "label": RDFS.label,
    "prefLabel": SKOS.prefLabel,
    "altLabel": SKOS.altLabel,
    "comment": RDFS.comment,
    "definition": SKOS.definition,
    "title": DCT.title,
    "description": DCT.description,
}

#: Our classes as the schema.org types search engines know.
SCHEMA_TYPES = {
    str(LC.LearningCity): "GovernmentOrganization",
    str(LC.LearningSpace): "Place",
    str(LC.KnowledgeAsset): "LearningResource",
    str(LC.LearningActivity): "EducationEvent",
    str(LC.PartnerOrganisation): "Organization",
    str(LC.Network): "Organization",
    str(LC.CityLearningAdministrator): "Person",
    str(LC.LearningCityEvent): "Event",
    str(LC.ResearchProgramme): "ResearchProject",
    str(LC.FundingCall): "Grant",
    str(LC.Partnership): "Project",
}


def _local_name(iri: str) -> str:
    return iri.rsplit("#", 1)[-1] if "#" in iri else iri.rstrip("/").rsplit("/", 1)[-1]


@lru_cache(maxsize=1)
def jsonld_context() -> dict[str, Any]:
    """The ``@context`` document: prefixes, then one short key per ontology term."""
    store = OxigraphRepository.memory()
    store.load_path(resources.ONTOLOGY_FILE, format="turtle")
    terms: dict[str, Any] = {"id": "@id", "type": "@type"}
    terms.update({p: ns for p, ns in PREFIXES.items()})
    for key, prop in _LANGUAGE_MAPS.items():
        terms[key] = {"@id": str(prop), "@container": "@language"}
    found = store.select(f"SELECT ?t ?kind ?range {{ ?t a ?kind OPTIONAL {{ ?t <{RDFS.range}> ?range }} }}")
    rows = [(r["t"], r["kind"], r.get("range")) for r in found]
    kinds: dict[str, set[str]] = {}
    ranges: dict[str, str] = {}
    for t, kind, rng in rows:
        if isinstance(t, ox.NamedNode):
            kinds.setdefault(t.value, set()).add(kind.value)
            if isinstance(rng, ox.NamedNode):
                ranges[t.value] = rng.value
    # Our own terms claim their short key first; reused terms fill the remaining keys.
    ordered = sorted(kinds, key=lambda iri: (not iri.startswith(str(LC)), iri))
    for iri in ordered:
        key = _local_name(iri)
        if not key or key in terms or not key[0].isalpha():
            continue
        terms[key] = _term_definition(iri, kinds[iri], ranges.get(iri))
    return {"@context": terms}


def _term_definition(iri: str, kinds: set[str], rng: str | None) -> str | dict[str, str]:
    if kinds & _CLASS_TYPES or not kinds & _PROPERTY_TYPES:
        return iri
    if str(OWL.ObjectProperty) in kinds:
        return {"@id": iri, "@type": "@id"}
    if rng and rng.startswith(str(XSD)) and rng != str(XSD.string):
        return {"@id": iri, "@type": rng}
    return iri


def schema_org_view(desc: Description, page_url: str) -> dict[str, Any]:
    """A schema.org JSON-LD object for one resource (names in Thai and English, links, dates)."""
    subject = ox.NamedNode(desc.iri)
    own = [q for q in desc.quads if q.subject == subject]
    types = sorted({SCHEMA_TYPES.get(t) or _schema_local(t) for t in desc.types} - {None})
    view: dict[str, Any] = {"@context": "https://schema.org/", "@id": desc.iri, "url": page_url}
    if types:
        view["@type"] = types if len(types) > 1 else types[0]
    own_labels = sorted(desc.labels.get(desc.iri, {}).items())
    names = [{"@value": text, "@language": lang} for lang, text in own_labels if lang]
    if names:
        view["name"] = names
    descriptions = [
        q.object
        for q in own
        if q.predicate.value in (str(RDFS.comment), str(DCT.description), str(SCHEMA.description))
    ]
    if descriptions:
        view["description"] = [_literal(o) for o in descriptions if isinstance(o, ox.Literal)]
    for q in own:
        key = _schema_local(q.predicate.value)
        if key is None or key in ("name", "description", "url"):
            continue
        view.setdefault(key, []).append(_value(q.object, desc))
    return {k: (v[0] if isinstance(v, list) and len(v) == 1 else v) for k, v in view.items()}


def _schema_local(iri: str) -> str | None:
    return iri[len(str(SCHEMA)) :] if iri.startswith(str(SCHEMA)) else None


def _literal(lit: ox.Literal) -> Any:
    if lit.language:
        return {"@value": lit.value, "@language": lit.language}
    return lit.value


def _value(term: object, desc: Description) -> Any:
    if isinstance(term, ox.Literal):
        return _literal(term)
    if isinstance(term, ox.NamedNode):
        name = desc.label(term.value, "en")
        return {"@id": term.value, "name": name} if name else {"@id": term.value}
    return None
