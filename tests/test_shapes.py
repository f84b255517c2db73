"""Tests for the SHACL shapes in ``shapes/*.ttl``.

The shapes are run with pyshacl over a data graph that holds the ontology, the
vocabularies and the illustrative test data in ``tests/data/shapes/``:

* ``valid.ttl`` uses every class and passes every shape without any result;
* each ``bad-*.ttl`` resource breaks exactly one rule, and the table ``BAD``
  below says which rule must report it, with which severity and message; every
  rule of the shapes is exercised by at least one bad resource;
* the same data read back from a pyoxigraph store (where plain strings come
  back as ``xsd:string`` literals) gets the same verdict.

They also check the conventions the shapes promise to other modules: Thai and
English messages everywhere, deliberate severities, class targets only.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pyoxigraph as ox
import pyshacl
import pytest
from rdflib import RDF, BNode, Dataset, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, SH, SKOS, XSD

from lcgraph.resources import EXAMPLES_DIR, ONTOLOGY_FILE, ROOT, SEED_DIR, shape_files, vocab_files

DATA = ROOT / "tests" / "data" / "shapes"
LC = Namespace("https://w3id.org/lcgraph/def#")
LCSH = Namespace("https://w3id.org/lcgraph/shapes#")
BASE = "https://w3id.org/lcgraph/"
ORG = Namespace("http://www.w3.org/ns/org#")
BAD_FILES = sorted(DATA.glob("bad-*.ttl"))


@dataclass(frozen=True)
class Expect:
    """What one crafted bad resource must produce.

    ``focus`` is the resource (its IRI after ``https://w3id.org/lcgraph/``); ``rule`` the property shape or
    SPARQL constraint (local name under ``lcsh:``) that must report it, and the
    only rule that may; ``phrase`` words its English message contains;
    ``inner`` the rule of a nested shape (``sh:node``) that the result's
    ``sh:detail`` must name, for rules that delegate to one.
    """

    focus: str
    rule: str
    severity: str
    phrase: str
    inner: str | None = None


BAD = [
    # bad-core.ttl: labels and concepts
    Expect("id/city/bad-no-thai-label", "label-th", "Violation", "Thai name"),
    Expect("id/city/bad-no-english-label", "label-en", "Warning", "English name"),
    Expect("id/city/bad-untagged-label", "label-tagged", "Violation", "language tag"),
    Expect("id/city/bad-two-thai-labels", "label-unique", "Warning", "same language"),
    Expect("vocab/test-scheme/bad-no-thai-label", "Concept-prefLabel-th", "Violation", "Thai skos:prefLabel"),
    Expect(
        "vocab/test-scheme/bad-no-english-label", "Concept-prefLabel-en", "Warning", "English skos:prefLabel"
    ),
    Expect("vocab/test-scheme/bad-no-scheme", "Concept-inScheme", "Violation", "skos:inScheme"),
    # bad-agents.ttl
    Expect("id/city/bad-no-province", "LearningCity-province", "Violation", "exactly one province"),
    Expect("id/city/bad-two-provinces", "LearningCity-province", "Violation", "exactly one province"),
    Expect(
        "id/city/bad-province-not-in-list",
        "LearningCity-province",
        "Violation",
        "lcv:province",
        inner="ProvinceConcept-inScheme",
    ),
    Expect(
        "id/city/bad-admin-level",
        "LearningCity-administrativeLevel",
        "Violation",
        "lcv:admin-level",
        inner="AdminLevelConcept-inScheme",
    ),
    Expect("id/city/bad-url-text", "Organisation-url", "Violation", "not text"),
    Expect("id/partner/bad-no-sector", "PartnerOrganisation-sector", "Violation", "exactly one sector"),
    Expect(
        "id/partner/bad-sector-not-in-list",
        "PartnerOrganisation-sector",
        "Violation",
        "lcv:sector",
        inner="SectorConcept-inScheme",
    ),
    Expect("id/partner/bad-two-urls", "Organisation-url", "Violation", "At most one"),
    Expect(
        "id/partner/bad-parent-not-organisation",
        "Organisation-subOrganizationOf",
        "Violation",
        "org:Organization",
    ),
    Expect("id/network/bad-url-ftp", "Organisation-url", "Violation", "http://"),
    Expect("id/administrator/bad-no-city", "Administrator-city", "Violation", "learning city"),
    Expect("id/administrator/bad-member-of-space", "Administrator-memberOf", "Violation", "organisation"),
    Expect("id/administrator/bad-email", "Person-email", "Violation", "name@domain"),
    Expect("id/administrator/bad-telephone", "Person-telephone", "Violation", "digits"),
    Expect("id/administrator/bad-national-id", "Person-nationalId", "Violation", "13 digits"),
    Expect("id/membership/bad-member-not-city", "Membership-member", "Violation", "learning city"),
    Expect("id/membership/bad-no-network", "Membership-organization", "Violation", "network"),
    Expect(
        "id/membership/bad-role",
        "Membership-role",
        "Violation",
        "member or candidate",
        inner="MembershipRoleConcept-inScheme",
    ),
    Expect("id/membership/bad-period-text", "Membership-memberDuring", "Violation", "time:Interval"),
    Expect(
        "id/membership/bad-period-no-beginning",
        "Membership-memberDuring",
        "Violation",
        "beginning",
        inner="Interval-hasBeginning",
    ),
    Expect(
        "id/membership/bad-period-two-ends",
        "Membership-memberDuring",
        "Violation",
        "end",
        inner="Interval-hasEnd",
    ),
    Expect(
        "id/membership/bad-period-order",
        "Membership-memberDuring",
        "Violation",
        "not before",
        inner="interval-order",
    ),
    Expect(
        "id/membership/bad-period-year-text",
        "Membership-memberDuring",
        "Violation",
        "xsd:gYear",
        inner="Instant-year",
    ),
    Expect(
        "id/membership/bad-period-date-time",
        "Membership-memberDuring",
        "Violation",
        "xsd:date",
        inner="Instant-date",
    ),
    Expect(
        "id/membership/bad-period-empty-instant",
        "Membership-memberDuring",
        "Violation",
        "year",
        inner="Instant-when",
    ),
    Expect(
        "id/membership/bad-period-buddhist-era",
        "Membership-memberDuring",
        "Violation",
        "common-era",
        inner="Instant-era",
    ),
    # bad-ecology.ttl
    Expect("id/space/bad-no-city", "Ecology-city", "Violation", "exactly one learning city"),
    Expect("id/space/bad-city-not-city", "Ecology-city", "Violation", "lc:LearningCity"),
    Expect("id/space/bad-no-type", "LearningSpace-spaceType", "Violation", "lcv:space-type"),
    Expect(
        "id/space/bad-type-not-in-list",
        "LearningSpace-spaceType",
        "Violation",
        "lcv:space-type",
        inner="SpaceTypeConcept-inScheme",
    ),
    Expect("id/space/bad-manager-not-agent", "LearningSpace-managedBy", "Violation", "agent"),
    Expect("id/space/bad-latitude-outside-thailand", "LearningSpace-lat", "Violation", "inside Thailand"),
    Expect("id/space/bad-latitude-text", "LearningSpace-lat", "Violation", "xsd:decimal"),
    Expect("id/space/bad-longitude-outside-thailand", "LearningSpace-long", "Violation", "inside Thailand"),
    Expect("id/space/bad-latitude-only", "coordinates-paired", "Violation", "or neither"),
    Expect("id/space/bad-no-coordinates", "coordinates-recommended", "Info", "mapped"),
    Expect("id/asset/bad-no-type", "KnowledgeAsset-assetType", "Violation", "exactly one kind"),
    Expect("id/asset/bad-two-types", "KnowledgeAsset-assetType", "Violation", "exactly one kind"),
    Expect(
        "id/asset/bad-type-not-in-list",
        "KnowledgeAsset-assetType",
        "Violation",
        "lcv:asset-type",
        inner="AssetTypeConcept-inScheme",
    ),
    Expect("id/asset/bad-no-theme", "Ecology-theme", "Violation", "themes"),
    Expect(
        "id/asset/bad-theme-not-in-list",
        "Ecology-theme",
        "Violation",
        "lcv:theme",
        inner="ThemeConcept-inScheme",
    ),
    Expect("id/asset/bad-provider-not-agent", "KnowledgeAsset-provider", "Violation", "agent"),
    Expect("id/activity/bad-two-locations", "LearningActivity-location", "Violation", "at most one location"),
    Expect(
        "id/activity/bad-location-not-space", "LearningActivity-location", "Violation", "lc:LearningSpace"
    ),
    Expect("id/activity/bad-no-organizer", "LearningActivity-organizer", "Violation", "organisers"),
    Expect("id/activity/bad-no-age-group", "LearningActivity-ageGroup", "Violation", "age groups"),
    Expect(
        "id/activity/bad-age-group-not-in-list",
        "LearningActivity-ageGroup",
        "Violation",
        "lcv:age-group",
        inner="AgeGroupConcept-inScheme",
    ),
    Expect(
        "id/activity/bad-building-block-area",
        "LearningActivity-buildingBlock",
        "Violation",
        "six GNLC",
        inner="BuildingBlockConcept-broader",
    ),
    Expect(
        "id/activity/bad-building-block-condition",
        "LearningActivity-buildingBlock",
        "Violation",
        "six GNLC",
        inner="BuildingBlockConcept-broader",
    ),
    Expect(
        "id/activity/bad-building-block-theme",
        "LearningActivity-buildingBlock",
        "Violation",
        "six GNLC",
        inner="BuildingBlockConcept-inScheme",
    ),
    Expect("id/activity/bad-uses-space", "LearningActivity-usesAsset", "Violation", "knowledge asset"),
    Expect("id/activity/bad-no-start-date", "LearningActivity-startDate-recommended", "Info", "start date"),
    Expect("id/activity/bad-start-date-time", "Dated-startDate", "Violation", "xsd:date"),
    Expect("id/activity/bad-two-end-dates", "Dated-endDate", "Violation", "At most one end date"),
    Expect("id/activity/bad-end-before-start", "end-not-before-start", "Violation", "before the start date"),
    Expect("id/activity/bad-buddhist-era", "Dated-startDate-era", "Violation", "Buddhist-era"),
    Expect("id/activity/bad-min-age-negative", "LearningActivity-minAge", "Violation", "from 0 to 120"),
    Expect("id/activity/bad-min-age-decimal", "LearningActivity-minAge", "Violation", "whole number"),
    Expect("id/activity/bad-max-age-too-old", "LearningActivity-maxAge", "Violation", "from 0 to 120"),
    Expect("id/activity/bad-age-order", "age-order", "Violation", "greater than the maximum age"),
    Expect("id/activity/bad-space-of-other-city", "activity-in-own-city", "Warning", "check the city"),
    # bad-collaboration.ttl
    Expect("id/partnership/bad-one-party", "Partnership-party", "Violation", "at least two parties"),
    Expect("id/partnership/bad-party-not-agent", "Partnership-party", "Violation", "organisation agent"),
    Expect("id/partnership/bad-party-person", "Partnership-party", "Violation", "not a person"),
    Expect("id/project/bad-two-fiscal-years", "ResearchProject-fiscalYear", "Violation", "at most one"),
    Expect("id/programme/bad-component#part", "FrameworkComponent-component", "Violation", "framework"),
    Expect("id/partnership/bad-purpose-untagged", "Partnership-purpose", "Violation", "language-tagged"),
    Expect("id/partnership/bad-no-purpose", "Partnership-purpose-recommended", "Info", "purpose"),
    Expect(
        "id/partnership/bad-theme-not-in-list",
        "Partnership-theme",
        "Violation",
        "lcv:theme",
        inner="ThemeConcept-inScheme",
    ),
    Expect("id/partnership/bad-declared-at-city", "Partnership-declaredAt", "Violation", "schema:Event"),
    Expect(
        "id/partnership/bad-end-before-start", "end-not-before-start", "Violation", "before the start date"
    ),
    Expect("id/partnership/bad-end-buddhist-era", "Dated-endDate-era", "Violation", "Buddhist-era"),
    Expect("id/event/bad-no-start-date", "LearningCityEvent-startDate", "Violation", "start date"),
    Expect("id/event/bad-location-not-place", "LearningCityEvent-location", "Violation", "schema:Place"),
    Expect("id/event/bad-organizer-not-agent", "LearningCityEvent-organizer", "Violation", "agent"),
    Expect("id/event/bad-opened-by-city", "LearningCityEvent-openedBy", "Violation", "org:Post"),
    Expect("id/event/bad-sub-event-not-event", "LearningCityEvent-subEvent", "Violation", "schema:Event"),
    Expect("id/event/bad-announces-programme", "LearningCityEvent-announces", "Violation", "agenda"),
    Expect("id/event/bad-end-before-start", "end-not-before-start", "Violation", "before the start date"),
    Expect("id/event/bad-buddhist-era", "Dated-startDate-era", "Violation", "Buddhist-era"),
    Expect("id/programme/bad-funder-not-agent", "ResearchProgramme-funder", "Violation", "foaf:Agent"),
    Expect("id/programme/bad-sites-negative", "ResearchProgramme-researchSites", "Violation", "non-negative"),
    Expect("id/programme/bad-aim-untagged", "ResearchProgramme-aim", "Violation", "language-tagged"),
    Expect("id/call/bad-no-fiscal-year", "FundingCall-fiscalYear", "Violation", "exactly one fiscal year"),
    Expect("id/call/bad-fiscal-year-integer", "FundingCall-fiscalYear", "Violation", "xsd:gYear"),
    Expect("id/call/bad-fiscal-year-buddhist-era", "FundingCall-fiscalYear-era", "Violation", "Buddhist-era"),
    Expect("id/call/bad-programme-not-programme", "FundingCall-programme", "Violation", "research programme"),
    # bad-finding.ttl
    Expect("id/finding/bad-no-about", "Finding-about", "Violation", "what it is about"),
    Expect("id/finding/bad-about-text", "Finding-about", "Violation", "by IRI"),
    Expect("id/finding/bad-no-severity", "Finding-severity", "Violation", "exactly one severity"),
    Expect(
        "id/finding/bad-severity-not-in-list",
        "Finding-severity",
        "Violation",
        "lcv:finding-severity",
        inner="FindingSeverityConcept-inScheme",
    ),
    Expect("id/finding/bad-no-kind", "Finding-kind", "Violation", "exactly one kind"),
    Expect("id/finding/bad-evidence-untagged", "Finding-evidence", "Violation", "language-tagged"),
    Expect("id/finding/bad-no-evidence", "Finding-evidence-recommended", "Warning", "evidence"),
    Expect(
        "id/finding/bad-recommendation-untagged", "Finding-recommendation", "Violation", "language-tagged"
    ),
    Expect("id/finding/bad-two-scores", "Finding-score", "Violation", "at most one score"),
    Expect("id/finding/bad-score-text", "Finding-score", "Violation", "xsd:decimal"),
    Expect("id/finding/bad-generated-date", "Finding-generatedAtTime", "Violation", "xsd:dateTime"),
    # bad-history.ttl
    Expect("id/change/bad-no-end", "ChangeSet-endedAtTime", "Violation", "time it ended"),
    Expect("id/change/bad-end-as-date", "ChangeSet-endedAtTime", "Violation", "xsd:dateTime"),
    Expect("id/change/bad-no-agent", "ChangeSet-agent", "Violation", "who made it"),
    Expect("id/change/bad-negative-added", "ChangeSet-triplesAdded", "Violation", "not below zero"),
    Expect("id/change/bad-removed-as-text", "ChangeSet-triplesRemoved", "Violation", "whole number"),
    Expect("id/change/bad-prune-no-cut", "HistoryPrune-prunedBefore", "Violation", "pruned up to"),
    Expect(
        "id/change/bad-prune-count-as-text",
        "HistoryPrune-changeSetsRemoved",
        "Violation",
        "change sets removed",
    ),
]


@dataclass(frozen=True)
class Result:
    """One pyshacl validation result, reduced to what the tests compare."""

    focus: object
    rule: str
    severity: str
    value: object
    messages: tuple[Literal, ...]
    details: tuple[Result, ...]


# --- building the graphs ------------------------------------------------------


@cache
def shapes_graph() -> Graph:
    g = Graph()
    for path in shape_files():
        g.parse(path, format="turtle")
    return g


def _vocabularies() -> Graph:
    """The project's vocabularies, completed by the fallback concepts they lack."""
    g = Graph()
    for path in vocab_files():
        g.parse(path, format="turtle")
    fallback = Graph().parse(DATA / "concepts.ttl", format="turtle")
    for node in set(fallback.subjects()):
        if (node, RDF.type, None) not in g:
            for triple in fallback.triples((node, None, None)):
                g.add(triple)
    return g


@cache
def base_graph() -> Graph:
    """Ontology + vocabularies + valid.ttl: what a store's union graph would hold."""
    g = Graph().parse(ONTOLOGY_FILE, format="turtle")
    g += _vocabularies()
    g.parse(DATA / "valid.ttl", format="turtle")
    return g


def data_graph(*files: Path) -> Graph:
    g = Graph()
    g += base_graph()
    for path in files:
        g.parse(path, format="turtle")
    return g


# --- running pyshacl ------------------------------------------------------------


def _local(node: object) -> str:
    return str(node).removeprefix(str(LCSH)).removeprefix(str(SH))


def _result(report: Graph, r: object) -> Result:
    # A SPARQL constraint's results name the node shape as sh:sourceShape and
    # the constraint as sh:sourceConstraint: the constraint is the rule.
    rule = report.value(r, SH.sourceConstraint) or report.value(r, SH.sourceShape)
    return Result(
        focus=report.value(r, SH.focusNode),
        rule=_local(rule),
        severity=_local(report.value(r, SH.resultSeverity)),
        value=report.value(r, SH.value),
        messages=tuple(m for m in report.objects(r, SH.resultMessage) if isinstance(m, Literal)),
        details=tuple(_result(report, d) for d in report.objects(r, SH.detail)),
    )


def validate(data: Graph) -> list[Result]:
    """Run every shape over ``data``; return the top-level results."""
    conforms, report, _ = pyshacl.validate(data, shacl_graph=shapes_graph(), inference="none")
    reports = list(report.subjects(RDF.type, SH.ValidationReport))
    assert len(reports) == 1
    results = [_result(report, r) for r in report.objects(reports[0], SH.result)]
    assert conforms == (not results)
    return results


@cache
def bad_results() -> tuple[Result, ...]:
    """Every bad file at once: their resources are independent of each other."""
    return tuple(validate(data_graph(*BAD_FILES)))


def _all_rules(results: tuple[Result, ...] | list[Result]) -> set[str]:
    out: set[str] = set()
    for r in results:
        out.add(r.rule)
        out |= _all_rules(list(r.details))
    return out


# --- messages -------------------------------------------------------------------


def _templates(rule: str) -> dict[str | None, str]:
    return {m.language: str(m) for m in shapes_graph().objects(LCSH[rule], SH.message)}


def _matches(template: str, text: str) -> bool:
    # pyshacl fills {?var} and {$this} in SPARQL messages; a filled value may be anything.
    pattern = ".+".join(re.escape(part) for part in re.split(r"\{[?$]\w+\}", template))
    return re.fullmatch(pattern, text, re.S) is not None


# --- the tests -------------------------------------------------------------------


def test_shape_files_parse_in_rdflib_and_oxigraph() -> None:
    assert len(shape_files()) >= 4
    for path in shape_files():
        store = ox.Store()
        store.load(path=str(path), format=ox.RdfFormat.TURTLE)
        assert len(store) == len(Graph().parse(path, format="turtle")) > 0


def test_valid_example_passes_without_any_result() -> None:
    assert validate(data_graph()) == []


def test_the_project_data_has_no_violation() -> None:
    """The seed facts and the illustrative examples meet the shapes they are loaded under."""
    files = sorted(SEED_DIR.glob("*.trig")) + sorted(EXAMPLES_DIR.glob("*.trig"))
    assert files, "data/seed and data/examples hold no TriG files"
    g = Graph().parse(ONTOLOGY_FILE, format="turtle")
    g += _vocabularies()
    for path in files:
        ds = Dataset()
        ds.parse(path, format="trig")
        for s, p, o, _ in ds.quads((None, None, None, None)):
            g.add((s, p, o))
    violations = [r for r in validate(g) if r.severity == "Violation"]
    assert violations == []


@pytest.mark.parametrize("expect", BAD, ids=lambda e: e.focus)
def test_bad_example_is_rejected_by_its_rule_with_its_message(expect: Expect) -> None:
    focus = URIRef(BASE + expect.focus)
    mine = [r for r in bad_results() if r.focus == focus]
    assert mine, f"{expect.focus} was accepted"
    assert {r.rule for r in mine} == {expect.rule}, f"{expect.focus} broke other rules too"
    assert {r.severity for r in mine} == {expect.severity}
    templates = _templates(expect.rule)
    assert set(templates) >= {"th", "en"}, f"{expect.rule} lacks a Thai or English sh:message"
    for result in mine:
        texts = [str(m) for m in result.messages]
        for lang in ("th", "en"):
            assert any(_matches(templates[lang], t) for t in texts), f"no @{lang} message in {texts}"
        assert any(expect.phrase in t for t in texts if _matches(templates["en"], t))
    if expect.inner:
        assert expect.inner in _all_rules([d for r in mine for d in r.details])


def test_every_rule_is_exercised_by_a_bad_example() -> None:
    sg = shapes_graph()
    expected = {e.rule for e in BAD} | {e.inner for e in BAD if e.inner}
    assert _reporting_rules(sg) - expected == set(), "rules without a crafted bad example"
    named = {_local(s) for s in _constrained_shapes(sg) if isinstance(s, URIRef)}
    assert expected - named == set(), "the table names rules the shapes do not have"
    assert expected <= _all_rules(bad_results())


def _reporting_rules(sg: Graph) -> set[str]:
    """Rules whose own results reach a report.

    Those of targeted shapes (their property shapes, SPARQL constraints and own
    constraints) and those of shapes reached through sh:node, which pyshacl
    reports as sh:detail. Members of sh:or never report on their own.
    """
    targeted = set(sg.subjects(SH.targetClass, None))
    constrained = _constrained_shapes(sg)
    rules = {s for s in targeted if s in constrained}
    frontier = set(targeted)
    seen: set[object] = set()
    while frontier:
        shape = frontier.pop()
        seen.add(shape)
        rules |= set(sg.objects(shape, SH.sparql))
        for prop in sg.objects(shape, SH.property):
            rules.add(prop)
            frontier |= set(sg.objects(prop, SH.node)) - seen
        frontier |= set(sg.objects(shape, SH.node)) - seen
    return {_local(r) for r in rules}


# Predicates of the shapes graph that are not constraints.
_NOT_CONSTRAINTS = {
    SH.targetClass,
    SH.property,
    SH.sparql,
    SH.severity,
    SH.message,
    SH.deactivated,
    SH.prefixes,
    SH.declare,
    SH.path,
    SH.name,
    SH.description,
    SH.order,
    SH.group,
}


def _constrained_shapes(sg: Graph) -> set[object]:
    """Shapes and SPARQL constraints that produce results of their own."""
    out: set[object] = set(sg.subjects(RDF.type, SH.SPARQLConstraint))
    for kind in (SH.NodeShape, SH.PropertyShape):
        for shape in sg.subjects(RDF.type, kind):
            preds = {p for p in sg.predicates(shape) if str(p).startswith(str(SH))}
            if preds - _NOT_CONSTRAINTS:
                out.add(shape)
    return out


def test_every_constraint_has_one_thai_and_one_english_message() -> None:
    sg = shapes_graph()
    shapes = _constrained_shapes(sg)
    assert len(shapes) > 50
    for shape in shapes:
        langs = Counter(m.language for m in sg.objects(shape, SH.message) if isinstance(m, Literal))
        assert langs == Counter({"th": 1, "en": 1}), f"{_local(shape)} messages: {dict(langs)}"
        thai = next(str(m) for m in sg.objects(shape, SH.message) if m.language == "th")
        assert re.search(r"[\u0E00-\u0E7F]", thai), f"{_local(shape)}: the @th message has no Thai in it"


def test_every_shape_with_constraints_is_named_and_typed() -> None:
    # A blank or untyped shape would escape the message check above.
    sg = shapes_graph()
    for pred in (SH.property, SH.node, SH.qualifiedValueShape):
        for shape in sg.objects(None, pred):
            assert isinstance(shape, URIRef), f"anonymous shape under {_local(pred)}"
            assert (shape, RDF.type, None) in sg, f"{_local(shape)} has no rdf:type"
    for head in sg.objects(None, SH["or"]):
        for shape in Collection(sg, head):
            assert isinstance(shape, URIRef) and (shape, RDF.type, SH.NodeShape) in sg


def test_severities_are_deliberate() -> None:
    sg = shapes_graph()
    targeted = set(sg.subjects(SH.targetClass, None))
    reached = {p for s in targeted for p in sg.objects(s, SH.property)}
    for shape in targeted | reached:
        assert sg.value(shape, SH.severity) is not None, f"{_local(shape)} leaves its severity implicit"
    used = {_local(o) for o in sg.objects(None, SH.severity)}
    assert used == {"Violation", "Warning", "Info"}
    assert sg.value(LCSH["label-en"], SH.severity) == SH.Warning
    assert sg.value(LCSH["Concept-prefLabel-en"], SH.severity) == SH.Warning
    assert sg.value(LCSH["coordinates-recommended"], SH.severity) == SH.Info
    assert sg.value(LCSH["activity-in-own-city"], SH.severity) == SH.Warning
    for rule in ("label-th", "LearningCity-province", "LearningSpace-lat", "LearningActivity-minAge"):
        assert sg.value(LCSH[rule], SH.severity) == SH.Violation


def test_shapes_target_by_class_and_cover_every_class() -> None:
    sg = shapes_graph()
    for other in (SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf, SH.target):
        assert (None, other, None) not in sg, f"a shape uses {other}: target by class only"
    onto = Graph().parse(ONTOLOGY_FILE, format="turtle")
    own = {c for c in onto.subjects(RDF.type, OWL.Class) if str(c).startswith(str(LC))}
    targeted = set(sg.objects(None, SH.targetClass))
    assert own | {ORG.Membership, SKOS.Concept} <= targeted
    assert not targeted & {OWL.Thing, URIRef("http://www.w3.org/2000/01/rdf-schema#Resource")}


def test_no_sh_in_over_plain_literals() -> None:
    # Oxigraph hands plain strings back as xsd:string; rdflib then fails sh:in.
    sg = shapes_graph()
    for head in sg.objects(None, SH["in"]):
        assert all(isinstance(v, URIRef) for v in Collection(sg, head))


def test_sparql_constraints_are_only_where_core_shacl_cannot_say_it() -> None:
    """pyshacl re-parses a SPARQL query for every focus node: keep them few."""
    sg = shapes_graph()
    names = {_local(s) for s in sg.subjects(RDF.type, SH.SPARQLConstraint)}
    assert names == {"end-not-before-start", "age-order", "interval-order"}


# --- the same verdict on both backends ---------------------------------------------


def _to_rdflib(term: object) -> object:
    """Convert a pyoxigraph term as an Oxigraph-backed rdflib store does."""
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    assert isinstance(term, ox.Literal)
    if term.language:
        return Literal(term.value, lang=term.language)
    # Oxigraph types every plain string as xsd:string: keep that, it is the trap.
    return Literal(term.value, datatype=URIRef(term.datatype.value))


def _store_of(g: Graph) -> ox.Store:
    store = ox.Store()
    store.load(g.serialize(format="nt", encoding="utf-8"), format=ox.RdfFormat.N_TRIPLES)
    return store


def _read_back_terms(g: Graph) -> Graph:
    out = Graph()
    for quad in _store_of(g).quads_for_pattern(None, None, None, None):
        out.add((_to_rdflib(quad.subject), _to_rdflib(quad.predicate), _to_rdflib(quad.object)))
    return out


def _read_back_dump(g: Graph) -> Graph:
    ds = Dataset()
    ds.parse(data=_store_of(g).dump(format=ox.RdfFormat.N_QUADS), format="nquads")
    out = Graph()
    for s, p, o, _ in ds.quads((None, None, None, None)):
        out.add((s, p, o))
    return out


def _verdict(results: list[Result] | tuple[Result, ...]) -> Counter:
    def norm(node: object) -> object:
        if isinstance(node, BNode):
            return "_:blank"
        if isinstance(node, Literal):
            # Oxigraph writes canonical forms ("35.0" comes back as "35"): compare values.
            return (str(node) if node.value is None else node.value, node.language)
        return node

    return Counter((norm(r.focus), r.rule, r.severity, norm(r.value)) for r in results)


@pytest.mark.slow
@pytest.mark.parametrize("read_back", [_read_back_terms, _read_back_dump], ids=["terms", "dump"])
def test_same_verdict_through_an_oxigraph_store(read_back) -> None:
    original = data_graph(*BAD_FILES)
    copy = read_back(original)
    assert len(copy) == len(original)
    if read_back is _read_back_terms:
        typed = [o for o in copy.objects() if isinstance(o, Literal) and o.datatype == XSD.string]
        assert typed, "the read-back graph should carry xsd:string-typed literals"
    assert _verdict(validate(copy)) == _verdict(bad_results())
