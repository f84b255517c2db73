"""Tests for the SKOS vocabularies in ``ontology/vocab/*.ttl``.

They read the Turtle files with rdflib (and once with pyoxigraph, the engine the
store uses) and check them against the data-model contract in
``ontology/README.md``: scheme and concept IRIs, Thai and English labels,
notations, the age ranges, the GNLC Key Features structure and the 77 Thai
provinces with their ISO 3166-2:TH codes.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from itertools import pairwise
from pathlib import Path

import pyoxigraph
import pytest
import rdflib.namespace
from rdflib import RDF, RDFS, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, PROV, SKOS

ROOT = Path(__file__).resolve().parents[1]
VOCAB_DIR = ROOT / "ontology" / "vocab"
README = ROOT / "ontology" / "README.md"

# The IRIs are spelled out here on purpose, exactly as ontology/README.md states
# them, so that these tests check the files against the contract itself rather
# than against whatever the code's namespace module says.
LC = Namespace("https://w3id.org/lcgraph/def#")
LCV = Namespace("https://w3id.org/lcgraph/vocab/")
LCG = Namespace("https://w3id.org/lcgraph/graph/")
SCHEMA = Namespace("https://schema.org/")
ISO_CODE = LC["iso3166-2"]
DOPA_CODE = LC["dopaCode"]
XSD_INTEGER = rdflib.namespace.XSD.integer

SCHEMES = [
    "age-group",
    "theme",
    "space-type",
    "asset-type",
    "sector",
    "gnlc",
    "province",
    "region",
    "admin-level",
    "membership-role",
]


def concept(scheme: str, code: str) -> URIRef:
    return URIRef(f"{LCV}{scheme}/{code}")


@pytest.fixture(scope="module")
def graphs() -> dict[str, Graph]:
    """Each scheme's file, parsed on its own."""
    return {s: Graph().parse(VOCAB_DIR / f"{s}.ttl", format="turtle") for s in SCHEMES}


@pytest.fixture(scope="module")
def vocab(graphs: dict[str, Graph]) -> Graph:
    """All vocabulary files in one graph, as the lcg:vocab named graph holds them."""
    union = Graph()
    for g in graphs.values():
        union += g
    return union


def concepts_of(g: Graph, scheme: str) -> set[URIRef]:
    return {c for c in g.subjects(SKOS.inScheme, LCV[scheme]) if isinstance(c, URIRef)}


def labels(g: Graph, node: URIRef, prop: URIRef = SKOS.prefLabel) -> dict[str, list[str]]:
    by_lang: dict[str, list[str]] = defaultdict(list)
    for o in g.objects(node, prop):
        assert isinstance(o, Literal), f"{node} {prop} {o!r} is not a literal"
        by_lang[o.language or ""].append(str(o))
    return by_lang


def narrower_by_broader(g: Graph, broader: URIRef) -> set[URIRef]:
    return set(g.subjects(SKOS.broader, broader))


# --- every file --------------------------------------------------------------------


def test_every_turtle_file_in_vocab_parses_with_rdflib_and_pyoxigraph() -> None:
    files = sorted(VOCAB_DIR.glob("*.ttl"))
    assert {f.stem for f in files} >= set(SCHEMES), "a scheme file is missing"
    for f in files:
        g = Graph().parse(f, format="turtle")
        quads = list(pyoxigraph.parse(path=str(f), format=pyoxigraph.RdfFormat.TURTLE))
        assert len(g) > 0, f"{f.name} is empty"
        assert len(quads) == len(g), f"{f.name}: rdflib and pyoxigraph read different triples"


@pytest.mark.parametrize("scheme", SCHEMES)
def test_scheme_has_thai_and_english_title_and_top_concepts(graphs: dict[str, Graph], scheme: str) -> None:
    g = graphs[scheme]
    s = LCV[scheme]
    assert (s, RDF.type, SKOS.ConceptScheme) in g
    for prop in (SKOS.prefLabel, DCTERMS.title):
        found = labels(g, s, prop)
        assert len(found["th"]) == 1 and len(found["en"]) == 1, f"{scheme} {prop}: {dict(found)}"
    tops = set(g.objects(s, SKOS.hasTopConcept))
    assert tops, f"{scheme} has no top concept"
    # hasTopConcept and topConceptOf say the same thing from both ends.
    assert tops == set(g.subjects(SKOS.topConceptOf, s))


@pytest.mark.parametrize("scheme", SCHEMES)
def test_every_concept_is_complete(graphs: dict[str, Graph], scheme: str) -> None:
    g = graphs[scheme]
    typed = set(g.subjects(RDF.type, SKOS.Concept))
    members = concepts_of(g, scheme)
    assert members, f"{scheme} has no concepts"
    assert typed == members, f"{scheme}: typed but not in scheme, or the reverse: {typed ^ members}"
    for c in members:
        assert str(c).startswith(f"{LCV}{scheme}/"), f"{c} is outside {LCV}{scheme}/"
        pref = labels(g, c)
        # SKOS allows at most one prefLabel per language; we require th and en.
        assert len(pref["th"]) == 1, f"{c}: Thai prefLabel {pref['th']}"
        assert len(pref["en"]) == 1, f"{c}: English prefLabel {pref['en']}"
        assert re.search(r"[\u0E00-\u0E7F]", pref["th"][0]), f"{c}: @th label has no Thai script"
        assert set(pref) == {"th", "en"}, f"{c}: prefLabel in unexpected languages {set(pref)}"
        assert list(g.objects(c, SKOS.notation)), f"{c} has no skos:notation"
        broader = set(g.objects(c, SKOS.broader))
        top = (c, SKOS.topConceptOf, LCV[scheme]) in g
        assert top or broader, f"{c} is neither a top concept nor has a broader concept"
        assert not (top and broader), f"{c} is a top concept with a broader concept"
        for b in broader:
            assert b in members, f"{c} skos:broader {b}, which is not in {scheme}"
            assert (b, SKOS.narrower, c) in g, f"{b} lacks skos:narrower {c}"
        for n in g.objects(c, SKOS.narrower):
            assert (n, SKOS.broader, c) in g, f"{c} skos:narrower {n} but not the reverse"
        for d in g.objects(c, SKOS.definition):
            assert isinstance(d, Literal) and d.language in {"th", "en"}, f"{c}: definition {d!r}"


@pytest.mark.parametrize("scheme", SCHEMES)
def test_notations_are_unique_within_a_scheme(graphs: dict[str, Graph], scheme: str) -> None:
    g = graphs[scheme]
    notations = Counter(n for c in concepts_of(g, scheme) for n in g.objects(c, SKOS.notation))
    duplicated = {n: k for n, k in notations.items() if k > 1}
    assert not duplicated, f"{scheme}: notations used more than once: {duplicated}"


# --- the contract in ontology/README.md --------------------------------------------


def readme_concepts() -> dict[str, set[URIRef]]:
    """Concept IRIs that ontology/README.md lists, by scheme.

    Reads the "Concept schemes" section: each bullet names a scheme as
    `lcv:{scheme}` and its codes in backticks (a bare code, or `lcv:{scheme}/{code}`).
    """
    text = README.read_text(encoding="utf-8")
    section = text.split("## Concept schemes", 1)[1].split("\n## ", 1)[0]
    listed: dict[str, set[URIRef]] = {}
    for bullet in re.split(r"\n- ", "\n" + section)[1:]:
        head = re.match(r"`lcv:([a-z-]+)`", bullet)
        if not head:
            continue
        scheme = head.group(1)
        codes = set()
        for token in re.findall(r"`([^`]+)`", bullet):
            full = re.fullmatch(r"lcv:([a-z-]+)/([A-Za-z0-9-]+)", token)
            if full:
                codes.add(concept(full.group(1), full.group(2)))
            elif re.fullmatch(r"[a-z][a-z0-9-]*", token):
                codes.add(concept(scheme, token))
        listed[scheme] = codes
    return listed


def test_readme_lists_every_scheme() -> None:
    listed = readme_concepts()
    assert set(listed) == set(SCHEMES)
    for scheme, iris in listed.items():
        assert len(iris) >= 2, f"README section for {scheme} yielded {iris}: has its format changed?"


def test_every_concept_iri_listed_in_readme_exists(vocab: Graph) -> None:
    for scheme, iris in readme_concepts().items():
        missing = iris - concepts_of(vocab, scheme)
        assert not missing, f"listed in ontology/README.md but not in {scheme}.ttl: {sorted(missing)}"


def test_closed_schemes_hold_exactly_the_readme_concepts(vocab: Graph) -> None:
    # The README lists every code of these schemes (for provinces only examples).
    for scheme, iris in readme_concepts().items():
        if scheme == "province":
            continue
        extra = concepts_of(vocab, scheme) - iris
        assert not extra, f"{scheme}.ttl has concepts the README does not list: {sorted(extra)}"


# --- age groups ----------------------------------------------------------------------


def age_range(g: Graph, c: URIRef) -> tuple[int, int]:
    lo = list(g.objects(c, SCHEMA.suggestedMinAge))
    hi = list(g.objects(c, SCHEMA.suggestedMaxAge))
    assert len(lo) == 1 and len(hi) == 1, f"{c}: min {lo}, max {hi}"
    for lit in (lo[0], hi[0]):
        assert isinstance(lit, Literal) and lit.datatype == XSD_INTEGER, f"{c}: {lit!r} is not xsd:integer"
    return int(lo[0]), int(hi[0])


def test_age_groups_are_people_audiences_with_contract_ranges(graphs: dict[str, Graph]) -> None:
    g = graphs["age-group"]
    expected = {
        "early-childhood": (0, 5),
        "school-age": (6, 14),
        "youth": (15, 24),
        "working-age": (25, 59),
        "older-people": (60, 120),
        "all-ages": (0, 120),
    }
    assert concepts_of(g, "age-group") == {concept("age-group", c) for c in expected}
    for code, span in expected.items():
        c = concept("age-group", code)
        assert (c, RDF.type, SCHEMA.PeopleAudience) in g
        assert age_range(g, c) == span


def test_life_stages_cover_0_to_120_without_gaps_or_overlaps(graphs: dict[str, Graph]) -> None:
    g = graphs["age-group"]
    stages = narrower_by_broader(g, concept("age-group", "all-ages"))
    assert len(stages) == 5
    ranges = sorted(age_range(g, c) for c in stages)
    assert ranges[0][0] == 0 and ranges[-1][1] == 120
    for (_, prev_hi), (lo, hi) in pairwise(ranges):
        assert lo == prev_hi + 1, f"gap or overlap between ..{prev_hi} and {lo}.."
        assert lo <= hi
    for age in range(121):
        holders = [r for r in ranges if r[0] <= age <= r[1]]
        assert len(holders) == 1, f"age {age} falls in {holders}"


# --- GNLC Key Features ----------------------------------------------------------------

AREAS = {
    "wider-benefits": ["individual-empowerment", "economic-cultural-prosperity", "sustainable-development"],
    "building-blocks": [
        "inclusive-learning-education-system",
        "learning-families-communities",
        "learning-workplace",
        "learning-technologies",
        "quality-learning",
        "culture-of-learning",
    ],
    "fundamental-conditions": ["political-will", "governance-participation", "resources"],
}


def test_gnlc_has_three_areas_with_3_6_3_sub_areas(graphs: dict[str, Graph]) -> None:
    g = graphs["gnlc"]
    areas = set(g.objects(LCV.gnlc, SKOS.hasTopConcept))
    assert areas == {concept("gnlc", a) for a in AREAS}
    counts = {a: len(narrower_by_broader(g, concept("gnlc", a))) for a in AREAS}
    assert counts == {"wider-benefits": 3, "building-blocks": 6, "fundamental-conditions": 3}
    for area, subs in AREAS.items():
        assert narrower_by_broader(g, concept("gnlc", area)) == {concept("gnlc", s) for s in subs}
        for s in subs:
            assert set(g.objects(concept("gnlc", s), SKOS.broader)) == {concept("gnlc", area)}
    assert len(concepts_of(g, "gnlc")) == 3 + 3 + 6 + 3


def test_gnlc_english_labels_carry_the_verified_uil_wording(graphs: dict[str, Graph]) -> None:
    # Wording checked against UIL's Key Features of Learning Cities page
    # (learningcities.uil.unesco.org/key-features/key-features-of-learning-cities).
    g = graphs["gnlc"]
    expected = {
        "individual-empowerment": "Individual empowerment and social cohesion",
        "economic-cultural-prosperity": "Economic development and cultural prosperity",
        "sustainable-development": "Sustainable development",
        "inclusive-learning-education-system": "Inclusive learning in the education system",
        "learning-workplace": "Effective learning for and in the workplace",
        "learning-technologies": "Extended use of modern learning technologies",
        "quality-learning": "Enhanced quality in learning",
        "culture-of-learning": "A vibrant culture of learning throughout life",
        "political-will": "Strong political will and commitment",
        "governance-participation": "Governance and participation of all stakeholders",
        "resources": "Mobilisation and utilisation of resources",
    }
    for code, wording in expected.items():
        assert labels(g, concept("gnlc", code))["en"] == [wording]


def test_gnlc_names_its_primary_source(graphs: dict[str, Graph]) -> None:
    g = graphs["gnlc"]
    primary = list(g.objects(LCV.gnlc, PROV.hadPrimarySource))
    assert len(primary) == 1
    assert primary[0] in set(g.objects(LCV.gnlc, DCTERMS.source))
    assert (primary[0], SCHEMA.isbn, Literal("978-92-820-1184-3")) in g
    assert labels(g, primary[0], DCTERMS.title)["en"], "the source has no title"
    for sub in (s for subs in AREAS.values() for s in subs):
        assert list(g.objects(concept("gnlc", sub), DCTERMS.source)), f"{sub} has no dct:source"


# --- provinces ----------------------------------------------------------------------

ISO_PATTERN = re.compile(r"^TH-(\d{2}|S)$")


def iso_codes(g: Graph) -> dict[URIRef, str]:
    found: dict[URIRef, str] = {}
    for c in concepts_of(g, "province"):
        codes = [n for n in g.objects(c, SKOS.notation) if isinstance(n, Literal) and n.datatype == ISO_CODE]
        assert len(codes) == 1, f"{c} has ISO notations {codes}"
        found[c] = str(codes[0])
    return found


def test_exactly_77_provinces_plus_pattaya_with_unique_codes(graphs: dict[str, Graph]) -> None:
    codes = iso_codes(graphs["province"])
    assert len(codes) == 78
    assert len(set(codes.values())) == 78, "ISO codes are not unique"
    for c, code in codes.items():
        assert ISO_PATTERN.match(code), f"{c}: {code!r}"
        assert str(c) == f"{LCV}province/{code}", f"{c} does not end in its code {code}"
    numeric = [code for code in codes.values() if code != "TH-S"]
    assert len(numeric) == 77
    assert "TH-S" in codes.values()
    required = {"TH-10", "TH-50", "TH-56", "TH-57", "TH-90", "TH-96", "TH-38"}
    assert required <= set(codes.values())


def test_dopa_code_is_the_iso_number_and_pattaya_has_none(graphs: dict[str, Graph]) -> None:
    g = graphs["province"]
    for c, code in iso_codes(g).items():
        dopa = [n for n in g.objects(c, SKOS.notation) if isinstance(n, Literal) and n.datatype == DOPA_CODE]
        if code == "TH-S":
            assert dopa == []
        else:
            assert [str(d) for d in dopa] == [code[3:]], f"{code}: DOPA notation {dopa}"


def test_notation_datatypes_are_declared_with_labels(graphs: dict[str, Graph]) -> None:
    g = graphs["province"]
    for dt in (ISO_CODE, DOPA_CODE):
        assert (dt, RDF.type, RDFS.Datatype) in g
        found = labels(g, dt, RDFS.label)
        assert found["th"] and found["en"], f"{dt} labels {dict(found)}"


def test_known_provinces_have_their_official_names(graphs: dict[str, Graph]) -> None:
    g = graphs["province"]
    expected = {
        "TH-10": ("กรุงเทพมหานคร", "Bangkok"),
        "TH-14": ("พระนครศรีอยุธยา", "Phra Nakhon Si Ayutthaya"),
        "TH-30": ("นครราชสีมา", "Nakhon Ratchasima"),
        "TH-38": ("บึงกาฬ", "Bueng Kan"),
        "TH-39": ("หนองบัวลำภู", "Nong Bua Lam Phu"),
        "TH-50": ("เชียงใหม่", "Chiang Mai"),
        "TH-56": ("พะเยา", "Phayao"),
        "TH-57": ("เชียงราย", "Chiang Rai"),
        "TH-90": ("สงขลา", "Songkhla"),
        "TH-96": ("นราธิวาส", "Narathiwat"),
        "TH-S": ("เมืองพัทยา", "Pattaya"),
    }
    for code, (th, en) in expected.items():
        pref = labels(g, concept("province", code))
        assert (pref["th"], pref["en"]) == ([th], [en]), code


def test_province_names_agree_with_pythainlp_province_list(graphs: dict[str, Graph]) -> None:
    # An independent list of the 77 provinces (PyThaiNLP's corpus): every Thai
    # name must appear once, with the same English name (PyThaiNLP and we both
    # call TH-10 "Bangkok").
    from pythainlp.corpus import provinces

    theirs = {p["name_th"]: p["name_en"] for p in provinces(details=True)}
    assert len(theirs) == 77
    g = graphs["province"]
    ours = {}
    for c, code in iso_codes(g).items():
        if code != "TH-S":
            pref = labels(g, c)
            ours[pref["th"][0]] = pref["en"][0]
    assert ours == theirs


def test_a_partner_import_can_match_provinces_by_any_name_or_code(graphs: dict[str, Graph]) -> None:
    g = graphs["province"]
    index: dict[str, set[URIRef]] = defaultdict(set)
    for c, code in iso_codes(g).items():
        index[code.casefold()].add(c)
        for prop in (SKOS.prefLabel, SKOS.altLabel):
            for name in g.objects(c, prop):
                index[str(name).casefold()].add(c)
    ambiguous = {k: v for k, v in index.items() if len(v) > 1}
    assert not ambiguous, f"names that match more than one province: {ambiguous}"
    lookups = {
        "Korat": "TH-30",
        "Ayutthaya": "TH-14",
        "Bangkok": "TH-10",
        "Krung Thep Maha Nakhon": "TH-10",
        "กรุงเทพมหานคร": "TH-10",
        "เชียงใหม่": "TH-50",
        "chiang mai": "TH-50",
        "th-90": "TH-90",
        "Phatthaya": "TH-S",
    }
    for name, code in lookups.items():
        assert index[name.casefold()] == {concept("province", code)}, name


def test_pattaya_sits_inside_chon_buri(graphs: dict[str, Graph]) -> None:
    g = graphs["province"]
    assert set(g.objects(concept("province", "TH-S"), SKOS.broader)) == {concept("province", "TH-20")}
    assert labels(g, concept("province", "TH-20"))["en"] == ["Chon Buri"]


def test_every_province_has_exactly_one_region(vocab: Graph) -> None:
    regions = concepts_of(vocab, "region")
    assert len(regions) == 6
    per_region: Counter = Counter()
    for p in concepts_of(vocab, "province") - {concept("province", "TH-S")}:
        found = set(vocab.objects(p, SKOS.broadMatch))
        assert len(found) == 1 and found <= regions, f"{p}: regions {found}"
        per_region[next(iter(found))] += 1
    # The committee's counts: 9 north, 20 northeast, 22 central (with Bangkok), 7 east, 5 west, 14 south.
    expected = {"north": 9, "northeast": 20, "central": 22, "east": 7, "west": 5, "south": 14}
    assert {str(r).rsplit("/", 1)[-1]: n for r, n in per_region.items()} == expected
    assert set(vocab.objects(concept("province", "TH-50"), SKOS.broadMatch)) == {concept("region", "north")}
    assert set(vocab.objects(concept("province", "TH-10"), SKOS.broadMatch)) == {concept("region", "central")}


def test_province_scheme_cites_its_sources(graphs: dict[str, Graph]) -> None:
    g = graphs["province"]
    sources = set(g.objects(LCV.province, DCTERMS.source))
    assert URIRef("https://www.iso.org/obp/ui/#iso:code:3166:TH") in sources
    for s in sources:
        assert labels(g, s, DCTERMS.title)["en"], f"source {s} has no title"


# --- through the engine ----------------------------------------------------------------


def test_oxigraph_answers_sparql_over_the_vocab_graph() -> None:
    store = pyoxigraph.Store()
    graph = pyoxigraph.NamedNode(str(LCG.vocab))
    for scheme in SCHEMES:
        store.load(path=str(VOCAB_DIR / f"{scheme}.ttl"), format=pyoxigraph.RdfFormat.TURTLE, to_graph=graph)
    query = f"""
        PREFIX skos: <{SKOS}>
        PREFIX lc: <{LC}>
        PREFIX lcv: <{LCV}>
        SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE {{
          GRAPH <{LCG.vocab}> {{
            ?p skos:inScheme lcv:province ; skos:notation ?code .
            FILTER(DATATYPE(?code) = lc:iso3166-2 && REGEX(STR(?code), "^TH-[0-9]{{2}}$"))
          }}
        }}"""
    (row,) = list(store.query(query))
    assert int(row["n"].value) == 77
    blocks = f"""
        PREFIX skos: <{SKOS}>
        SELECT ?b WHERE {{ GRAPH <{LCG.vocab}> {{ ?b skos:broader <{LCV}gnlc/building-blocks> }} }}"""
    assert len(list(store.query(blocks))) == 6


def test_codes_named_in_code_exist_in_the_vocabularies() -> None:
    from lcgraph import codes

    wanted = {
        "age-group": (*codes.AGE_GROUPS, codes.ALL_AGES),
        "gnlc": codes.BUILDING_BLOCKS,
        "theme": codes.THEMES,
    }
    for scheme, names in wanted.items():
        graph = Graph().parse(VOCAB_DIR / f"{scheme}.ttl", format="turtle")
        for code in names:
            concept = URIRef(f"https://w3id.org/lcgraph/vocab/{scheme}/{code}")
            assert (concept, RDF.type, SKOS.Concept) in graph, concept


def test_every_province_has_a_thai_and_english_definition_naming_its_code(graphs: dict[str, Graph]) -> None:
    g = graphs["province"]
    for c in concepts_of(g, "province"):
        notations = g.objects(c, SKOS.notation)
        codes = [str(n) for n in notations if isinstance(n, Literal) and n.datatype == ISO_CODE]
        code = codes[0]
        defs = labels(g, c, SKOS.definition)
        assert sorted(defs) == ["en", "th"] and all(len(v) == 1 for v in defs.values()), f"{c}: {dict(defs)}"
        if code != "TH-S":
            assert all(code in v[0] for v in defs.values()), f"{c}: definitions do not name {code}"
            among = "77" in defs["th"][0] and "77" in defs["en"][0]
            assert among, f"{c}: definitions do not place it among the 77"
