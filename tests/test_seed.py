"""The seed facts in data/seed/: they load, say where they came from, and say what the sources say.

For whoever edits the seed: these tests parse every TriG file with rdflib,
load them into a real on-disk store, and ask that store with SPARQL. They
check provenance (every resource names its primary source, in its own graph),
Thai and English labels, CE dates, and the facts the sources support: the
Learning City Days dates and partners, and the GNLC joining years.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from pathlib import Path

import pytest
import rdflib
from rdflib import Literal, URIRef
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID

from lcgraph.namespaces import (
    DCT,
    FOAF,
    LC,
    LCG,
    LCID,
    LCV,
    ORG,
    PROV,
    RDF,
    RDFS,
    SCHEMA,
    SKOS,
    TIME,
    XSD,
    sparql_prefixes,
)
from lcgraph.store import Dataset

ROOT = Path(__file__).resolve().parents[1]
SEED_DIR = ROOT / "data" / "seed"
ONTOLOGY = ROOT / "ontology" / "lcgraph.ttl"
VOCAB_DIR = ROOT / "ontology" / "vocab"

EVENT_GRAPH = LCG["seed/learning-city-days-2023"]
GNLC_GRAPH = LCG["seed/gnlc-members"]
RESEARCH_GRAPH = LCG["seed/learning-city-research-and-spaces"]
FILE_GRAPHS = {
    "learning-city-days-2023.trig": EVENT_GRAPH,
    "gnlc-members.trig": GNLC_GRAPH,
    "learning-city-research-and-spaces.trig": RESEARCH_GRAPH,
}
RELEASE_TEXT = ROOT.parent / "shared" / "sources" / "pmua-learning-city-days-2023.th.txt"

EVENT = LCID["event/learning-city-days-2023"]
PARTNERSHIP = LCID["partnership/learning-city-days-2023"]
SEVEN_PARTNERS = {
    LCID[f"partner/{slug}"]
    for slug in ("unesco-bangkok", "pmua", "eef", "moe-bic", "sac", "tk-park", "dasta")
}

# Year UNESCO admitted each Thai member, as the sources in SOURCES.md state it.
GNLC_YEARS = {
    "chiang-rai": 2019,
    "chiang-mai": 2020,
    "phuket": 2020,
    "chachoengsao": 2020,
    "sukhothai": 2022,
    "hat-yai": 2022,
    "phayao": 2022,
    "bangkok": 2024,
    "khon-kaen": 2024,
    "yala": 2024,
    "tak": 2025,
    "rayong": 2025,
    "satun": 2025,
}

DATE_PROPERTIES = (SCHEMA.startDate, SCHEMA.endDate, DCT.issued, TIME.inXSDDate)
YEAR_PROPERTIES = (LC.fiscalYear, TIME.inXSDgYear)
# Contact details are personal data (PDPA) and never belong in the seed.
CONTACT_PROPERTIES = (
    FOAF.mbox,
    FOAF.phone,
    SCHEMA.email,
    SCHEMA.telephone,
    SCHEMA.faxNumber,
    URIRef("http://www.w3.org/2006/vcard/ns#hasEmail"),
    URIRef("http://www.w3.org/2006/vcard/ns#hasTelephone"),
)


def seed_files() -> list[Path]:
    return sorted(SEED_DIR.glob("*.trig"))


@pytest.fixture(scope="module")
def seed() -> rdflib.Dataset:
    """Every seed file parsed into one rdflib dataset whose default graph is the union."""
    ds = rdflib.Dataset(default_union=True)
    for path in seed_files():
        ds.parse(path, format="trig")
    return ds


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dataset]:
    """The seed loaded into a real on-disk store through the store's own loader."""
    ds = Dataset.open(tmp_path_factory.mktemp("seed-store") / "store")
    for path in seed_files():
        ds.load_path(path)
    yield ds


def graphs_of(seed: rdflib.Dataset) -> list[rdflib.Graph]:
    return [g for g in seed.graphs() if g.identifier != DATASET_DEFAULT_GRAPH_ID]


def is_source_record(graph: rdflib.Graph, node: object) -> bool:
    return (node, RDF.type, PROV.Entity) in graph and (node, RDF.type, SCHEMA.WebPage) in graph


def select(store: Dataset, body: str) -> list[dict]:
    return store.select(sparql_prefixes() + body)


# --- Files and graphs ---------------------------------------------------------------


def test_the_seed_files_are_the_expected_ones() -> None:
    assert {p.name for p in seed_files()} == set(FILE_GRAPHS)


@pytest.mark.parametrize("name", sorted(FILE_GRAPHS))
def test_each_file_parses_as_trig_into_its_own_named_graph(name: str) -> None:
    ds = rdflib.Dataset()
    ds.parse(SEED_DIR / name, format="trig")
    named = {g.identifier for g in graphs_of(ds) if len(g)}
    assert named == {FILE_GRAPHS[name]}
    assert len(ds.graph(DATASET_DEFAULT_GRAPH_ID)) == 0, "seed facts belong in named graphs only"


def test_the_store_loads_every_file_into_the_expected_graphs(store: Dataset, seed: rdflib.Dataset) -> None:
    assert set(store.graphs()) == {str(g) for g in FILE_GRAPHS.values()}
    # The engine and rdflib read the same statements (quads) from the files.
    assert store.count() == sum(len(g) for g in graphs_of(seed))


# --- Provenance -----------------------------------------------------------------------


def test_every_resource_names_a_primary_source_in_its_own_graph(seed: rdflib.Dataset) -> None:
    missing = []
    for graph in graphs_of(seed):
        for subject in set(graph.subjects()):
            if subject == graph.identifier or is_source_record(graph, subject):
                continue
            sources = list(graph.objects(subject, PROV.hadPrimarySource))
            if not sources:
                missing.append(f"{graph.identifier}: {subject} has no prov:hadPrimarySource")
            for src in sources:
                if not is_source_record(graph, src):
                    missing.append(f"{graph.identifier}: {subject} cites {src}, not described in this graph")
    assert not missing, "\n".join(missing)


def test_each_graph_describes_itself_and_lists_its_sources(seed: rdflib.Dataset) -> None:
    for graph in graphs_of(seed):
        g = graph.identifier
        assert (g, RDF.type, PROV.Entity) in graph, g
        assert {t.language for t in graph.objects(g, DCT.title)} >= {"th", "en"}, g
        listed = set(graph.objects(g, PROV.hadPrimarySource))
        cited = {o for s, o in graph.subject_objects(PROV.hadPrimarySource) if s != g}
        assert cited <= listed, f"{g} does not list {cited - listed}"


def test_source_records_have_url_title_and_publisher(seed: rdflib.Dataset) -> None:
    for graph in graphs_of(seed):
        for src in set(graph.subjects(RDF.type, SCHEMA.WebPage)):
            assert str(src).startswith(str(LCID["source/"])), src
            urls = list(graph.objects(src, SCHEMA.url))
            assert len(urls) == 1 and isinstance(urls[0], URIRef), src
            assert str(urls[0]).startswith(("https://", "http://")), src
            assert len(list(graph.objects(src, DCT.title))) == 1, src
            assert list(graph.objects(src, DCT.publisher)), src


# --- Labels and literals ------------------------------------------------------------


def test_every_labelled_resource_has_thai_and_english_labels(seed: rdflib.Dataset) -> None:
    problems = []
    for subject in set(seed.subjects(RDFS.label)):
        labels = list(seed.objects(subject, RDFS.label))
        languages = {label.language for label in labels}
        if not {"th", "en"} <= languages:
            problems.append(f"{subject}: label languages {sorted(map(str, languages))}")
        if None in languages:
            problems.append(f"{subject}: a label without a language tag")
        if len(labels) != len(languages):
            # A resource described in both graphs must carry the same labels in each.
            problems.append(f"{subject}: more than one label in a language: {sorted(labels)}")
    assert not problems, "\n".join(problems)


def test_every_typed_resource_is_labelled(seed: rdflib.Dataset) -> None:
    unlabelled = {s for s in seed.subjects(RDF.type) if (s, RDFS.label, None) not in seed}
    graph_names = {g.identifier for g in graphs_of(seed)}
    assert unlabelled <= graph_names, unlabelled - graph_names


def test_dates_are_common_era_xsd_dates(seed: rdflib.Dataset) -> None:
    for prop in DATE_PROPERTIES:
        for value in seed.objects(None, prop):
            assert isinstance(value, Literal) and value.datatype == XSD.date, (prop, value)
            assert not value.ill_typed, value
            parsed = value.toPython()
            assert isinstance(parsed, datetime.date)
            # A Buddhist-era year (2562 for 2019) slipping in would land here.
            assert 1990 <= parsed.year <= 2100, value


def test_years_are_common_era_gyears(seed: rdflib.Dataset) -> None:
    values = [v for prop in YEAR_PROPERTIES for v in seed.objects(None, prop)]
    assert values
    for value in values:
        assert isinstance(value, Literal) and value.datatype == XSD.gYear, value
        assert 1990 <= int(str(value)) <= 2100, value


def test_no_contact_details_are_recorded(seed: rdflib.Dataset) -> None:
    for prop in CONTACT_PROPERTIES:
        assert (None, prop, None) not in seed, prop


# --- Terms agree with the ontology and the vocabularies ---------------------------------


def test_concepts_used_exist_in_the_vocabularies(seed: rdflib.Dataset) -> None:
    vocab = rdflib.Graph()
    for path in sorted(VOCAB_DIR.glob("*.ttl")):
        vocab.parse(path, format="turtle")
    used = {o for o in seed.objects() if isinstance(o, URIRef) and str(o).startswith(str(LCV))}
    assert used
    unknown = {c for c in used if (c, RDF.type, SKOS.Concept) not in vocab}
    assert not unknown, unknown


def test_lc_terms_used_are_declared_in_the_ontology(seed: rdflib.Dataset) -> None:
    ontology = rdflib.Graph().parse(ONTOLOGY, format="turtle")
    declared = set(ontology.subjects(RDF.type, None))
    used = {p for p in seed.predicates() if str(p).startswith(str(LC))}
    used |= {o for o in seed.objects(None, RDF.type) if str(o).startswith(str(LC))}
    assert used
    assert not used - declared, used - declared


# --- What the PMU A release says --------------------------------------------------------


def test_learning_city_days_ran_22_to_23_august_2023(store: Dataset) -> None:
    rows = select(
        store,
        """
        SELECT ?start ?end WHERE {
            GRAPH lcg:seed\\/learning-city-days-2023 {
                ?event a lc:LearningCityEvent ; schema:startDate ?start ; schema:endDate ?end .
            }
        }""",
    )
    assert [(r["start"].value, r["end"].value) for r in rows] == [("2023-08-22", "2023-08-23")]
    assert rows[0]["start"].datatype.value == str(XSD.date)


def test_the_declared_cooperation_has_the_seven_named_partners_and_is_open_ended(store: Dataset) -> None:
    rows = select(
        store,
        f"""
        SELECT ?partnership ?party (COUNT(DISTINCT ?sector) AS ?sectors) WHERE {{
            ?partnership a lc:Partnership ; lc:declaredAt <{EVENT}> ; lc:party ?party .
            ?party a lc:PartnerOrganisation .
            OPTIONAL {{ ?party lc:sector ?sector }}
        }} GROUP BY ?partnership ?party""",
    )
    assert {r["partnership"].value for r in rows} == {str(PARTNERSHIP)}
    assert {URIRef(r["party"].value) for r in rows} == SEVEN_PARTNERS
    assert all(int(r["sectors"].value) == 1 for r in rows)
    # The release lists seven bodies "และภาคีเครือข่าย": the list is not closed.
    rows = select(
        store, f"SELECT ?u WHERE {{ <{PARTNERSHIP}> lc:unnamedParties ?u FILTER(LANG(?u) = 'th') }}"
    )
    assert [r["u"].value for r in rows] == ["และภาคีเครือข่าย"]


def test_the_organising_division_is_a_unit_of_pmua_not_a_partner(seed: rdflib.Dataset) -> None:
    division = LCID["partner/pmua-livable-cities-division"]
    assert (EVENT, SCHEMA.organizer, division) in seed
    assert (division, RDF.type, ORG.OrganizationalUnit) in seed
    assert (division, RDF.type, LC.PartnerOrganisation) not in seed
    assert seed.value(division, ORG.unitOf) == LCID["partner/pmua"]
    # Exactly the seven named partners are partner organisations in the release's graph.
    typed = set(seed.graph(EVENT_GRAPH).subjects(RDF.type, LC.PartnerOrganisation))
    assert typed == SEVEN_PARTNERS


def test_the_event_was_opened_by_the_director_of_pmua(store: Dataset) -> None:
    assert store.ask(
        sparql_prefixes()
        + f"""
        ASK {{
            <{EVENT}> lc:openedBy ?post ; schema:location ?venue .
            ?post a org:Post ; org:postIn lcid:partner\\/pmua .
            ?venue a schema:Place .
            FILTER NOT EXISTS {{ ?venue geo:lat ?lat }}
        }}"""
    )


def test_the_event_has_every_part_the_release_names(seed: rdflib.Dataset) -> None:
    parts = set(seed.objects(EVENT, SCHEMA.subEvent))
    th = {str(o) for p in parts for o in seed.objects(p, RDFS.label) if o.language == "th"}
    expected = {
        "เวทีประชุมเชิงปฏิบัติการ",
        "งานเสวนา",
        "การนำเสนอต้นแบบเมืองแห่งการเรียนรู้ประเทศไทยจากฐานงานวิจัยและนวัตกรรม",
        "บูธ",
        "การแสดงดนตรีพื้นบ้านโปงลาง",
        "“รื่นเริงบันเทิงกลองยาว”",
    }
    for words in expected:
        assert any(words in label for label in th), f"no part of the event is named with {words!r}"
    assert len(parts) == len(expected)
    for p in parts:
        assert seed.value(p, SCHEMA.superEvent) == EVENT
    klong_yao = LCID["event/learning-city-days-2023-klong-yao"]
    assert {(str(n), n.language) for n in seed.objects(klong_yao, SCHEMA.name)} == {
        ("รื่นเริงบันเทิงกลองยาว", "th")
    }


def test_the_fy2567_item_is_upgraded_research_questions_not_a_funding_call(seed: rdflib.Dataset) -> None:
    programme = LCID["programme/pmua-learning-city"]
    assert seed.value(programme, LC.researchSites) == Literal(29)
    assert (programme, SCHEMA.funder, None) not in seed.graph(EVENT_GRAPH)
    announced = list(seed.objects(EVENT, LC.announces))
    assert len(announced) == 1
    agenda = announced[0]
    assert (agenda, RDF.type, LC.ResearchAgenda) in seed
    assert (None, RDF.type, LC.FundingCall) not in seed
    assert (agenda, SCHEMA.funder, None) not in seed
    assert seed.value(agenda, LC.fiscalYear) == Literal("2024", datatype=XSD.gYear)
    assert seed.value(agenda, LC.programme) == programme
    th = [str(o) for o in seed.objects(agenda, RDFS.label) if o.language == "th"]
    assert th == ["ประกาศยกระดับโจทย์กรอบการวิจัยเมืองแห่งการเรียนรู้ (Learning City) ปีงบประมาณ 2567"]


def test_the_aim_goals_and_framework_components_are_modelled(seed: rdflib.Dataset) -> None:
    programme = LCID["programme/pmua-learning-city"]
    aims = {a.language: str(a) for a in seed.objects(programme, LC.aim)}
    assert set(aims) == {"th", "en"}
    assert aims["th"].startswith("เมืองศูนย์กลางที่น่าอยู่และเมืองอัจฉริยะ (Livable & Smart City)")
    assert "เชื่อมโยงความเจริญสู่ชนบท" in aims["th"] and "เมืองหลักและเมืองโดยรอบ" in aims["th"]
    goals = set(seed.objects(PARTNERSHIP, LC.goal)) | set(seed.objects(EVENT, LC.goal))
    goal_th = {str(o) for g in goals for o in seed.objects(g, RDFS.label) if o.language == "th"}
    assert "เป้าหมายร่วมของเมืองแห่งการเรียนรู้" in goal_th
    assert any("วาระของประเทศ" in g for g in goal_th)
    components = set(seed.transitive_objects(programme, LC.component)) - {programme}
    see_also = {seed.value(c, RDFS.seeAlso) for c in components}
    assert {
        LC.CityLearningAdministrator,
        LC.LearningSpace,
        LC.KnowledgeAsset,
        LC.LearningActivity,
    } <= see_also
    comp_th = " ".join(str(o) for c in components for o in seed.objects(c, RDFS.label) if o.language == "th")
    for words in (
        "นักจัดการการเรียนรู้ในเมือง (City Learning Administrator)",
        "นิเวศการเรียนรู้ของเมือง (City Learning Ecology)",
    ):
        assert words in comp_th


def test_the_release_names_a_province_and_a_district_which_meet_the_gnlc_members_by_province(
    store: Dataset,
) -> None:
    # The release's areas are recorded as what they are; the member bodies come
    # from gnlc-members; the two meet through lc:province.
    rows = select(
        store,
        """
        SELECT DISTINCT ?city WHERE {
            GRAPH lcg:seed\\/learning-city-days-2023 {
                lcid:programme\\/pmua-learning-city lc:gnlcArea ?area .
                OPTIONAL { ?area lc:province ?inProvince }
            }
            BIND(COALESCE(?inProvince, ?area) AS ?province)
            GRAPH lcg:seed\\/gnlc-members {
                ?m a org:Membership ; org:member ?city ; org:organization lcid:network\\/gnlc .
                ?city lc:province ?province .
            }
        }""",
    )
    assert {r["city"].value for r in rows} == {str(LCID["city/phayao"]), str(LCID["city/hat-yai"])}
    district = LCID["area/hat-yai-district"]
    store_labels = select(store, f"SELECT ?l WHERE {{ <{district}> rdfs:label ?l FILTER(LANG(?l) = 'th') }}")
    assert [r["l"].value for r in store_labels] == ["อำเภอหาดใหญ่ จังหวัดสงขลา"]


def test_the_release_graph_restates_no_network_city_or_membership(seed: rdflib.Dataset) -> None:
    event_graph = seed.graph(EVENT_GRAPH)
    for cls in (LC.Network, LC.LearningCity, ORG.Membership):
        assert (None, RDF.type, cls) not in event_graph, cls
    assert not set(event_graph.subjects()) & set(seed.graph(GNLC_GRAPH).subjects())


@pytest.mark.skipif(not RELEASE_TEXT.exists(), reason="the release's full text is not in ../shared/sources")
def test_every_thai_name_from_the_release_is_in_the_seed_word_for_word(seed: rdflib.Dataset) -> None:
    text = "".join(RELEASE_TEXT.read_text(encoding="utf-8").split())
    names = {
        LCID["partner/unesco-bangkok"]: "องค์การการศึกษา วิทยาศาสตร์ และวัฒนธรรมแห่งสหประชาชาติ (UNESCO) ประเทศไทย",
        LCID["partner/pmua"]: "หน่วยบริหารและจัดการทุนด้านการพัฒนาระดับพื้นที่ (บพท.)",
        LCID["partner/eef"]: "กองทุนเพื่อความเสมอภาคทางการศึกษา (กสศ.)",
        LCID["partner/moe-bic"]: "สำนักความสัมพันธ์ต่างประเทศ สำนักงานปลัดกระทรวงศึกษาธิการ",
        LCID["partner/sac"]: "ศูนย์มานุษยวิทยาสิรินธร (องค์การมหาชน)",
        LCID["partner/tk-park"]: "อุทยานการเรียนรู้ TK Park",
        LCID["partner/dasta"]: "องค์การบริหารการพัฒนาพื้นที่พิเศษเพื่อการท่องเที่ยวอย่างยั่งยืน (องค์การมหาชน)",
        LCID["partner/pmua-livable-cities-division"]: (
            "ฝ่ายวิจัยและนวัตกรรมเพื่อการพัฒนาเมืองน่าอยู่และการกระจายศูนย์กลางความเจริญ"
        ),
        LCID["person/kitti-sajjawattana"]: "ดร.กิตติ สัจจาวัฒนา",
        EVENT: "Learning City Days “นิทรรศการเมืองแห่งการเรียนรู้บนพื้นที่ของคนทุกช่วงวัย”",
        LCID["space/na-at-bangkok-1899"]: "Na at Bangkok1899 บ้านเจ้าพระยาธรรมศักดิ์มนตรี",
        LCID["event/learning-city-days-2023-pong-lang"]: "การแสดงดนตรีพื้นบ้านโปงลาง",
    }
    for node, name in names.items():
        labels = [str(o) for o in seed.objects(node, RDFS.label) if o.language == "th"]
        assert labels == [name], f"{node}: {labels} is not the release's {name!r}"
        # Spaces are layout in Thai, not words: compare with them folded away.
        assert "".join(name.split()) in text, f"{name!r} is not in the release"
    # Every Thai label in the release's graph that quotes the release is found in it.
    quoted = [
        LCID["event/learning-city-days-2023-prototypes"],
        LCID["goal/learning-city-shared-goals"],
        LCID["goal/learning-city-national-agenda"],
        LCID["area/hat-yai-district"],
    ]
    for node in quoted:
        for label in (str(o) for o in seed.objects(node, RDFS.label) if o.language == "th"):
            assert "".join(label.split()) in text, f"{node}: {label!r} is not the release's wording"
    aim = next(
        str(a) for a in seed.objects(LCID["programme/pmua-learning-city"], LC.aim) if a.language == "th"
    )
    assert "".join(aim.split()) in text


# --- The GNLC members ------------------------------------------------------------------


def test_gnlc_members_and_their_joining_years(store: Dataset) -> None:
    rows = select(
        store,
        """
        SELECT ?city ?year WHERE {
            GRAPH lcg:seed\\/gnlc-members {
                ?m a org:Membership ; org:member ?city ; org:organization lcid:network\\/gnlc ;
                   org:role lcv:membership-role\\/member ;
                   org:memberDuring/time:hasBeginning/time:inXSDgYear ?year .
            }
        }""",
    )
    found = {r["city"].value.removeprefix(str(LCID["city/"])): int(r["year"].value) for r in rows}
    assert len(rows) == len(GNLC_YEARS)
    assert found == GNLC_YEARS


def test_every_member_city_has_one_province_and_one_level(store: Dataset) -> None:
    rows = select(
        store,
        """
        SELECT ?city (COUNT(DISTINCT ?p) AS ?provinces) (COUNT(DISTINCT ?l) AS ?levels) WHERE {
            ?city a lc:LearningCity .
            OPTIONAL { ?city lc:province ?p }
            OPTIONAL { ?city lc:administrativeLevel ?l }
        } GROUP BY ?city""",
    )
    assert len(rows) == len(GNLC_YEARS)
    bad = [r["city"].value for r in rows if (int(r["provinces"].value), int(r["levels"].value)) != (1, 1)]
    assert not bad, bad


def test_hat_yai_is_a_municipality_in_songkhla(seed: rdflib.Dataset) -> None:
    hat_yai = LCID["city/hat-yai"]
    assert seed.value(hat_yai, LC.province) == LCV["province/TH-90"]
    assert seed.value(hat_yai, LC.administrativeLevel) == LCV["admin-level/municipality"]
    assert seed.value(LCID["city/phayao"], LC.province) == LCV["province/TH-56"]


def test_memberships_use_iris_not_blank_nodes(seed: rdflib.Dataset) -> None:
    for membership in seed.subjects(RDF.type, ORG.Membership):
        interval = seed.value(membership, ORG.memberDuring)
        start = seed.value(interval, TIME.hasBeginning)
        assert isinstance(interval, URIRef) and isinstance(start, URIRef), membership
        assert (start, RDF.type, TIME.Instant) in seed


# --- Research projects and flagship spaces ------------------------------------------------


def test_research_projects_name_their_area_funder_and_source(seed: rdflib.Dataset) -> None:
    graph = seed.graph(RESEARCH_GRAPH)
    projects = set(graph.subjects(RDF.type, LC.ResearchProject))
    assert len(projects) >= 9
    provinces = set()
    for project in projects:
        assert graph.value(project, SCHEMA.funder) == LCID["partner/pmua"], project
        assert graph.value(project, LC.programme) == LCID["programme/pmua-learning-city"], project
        area = graph.value(project, DCT.spatial)
        assert area is not None and str(area).startswith(str(LCV["province/"])), project
        provinces.add(area)
        source = graph.value(project, PROV.hadPrimarySource)
        assert str(graph.value(source, SCHEMA.url)).startswith("http"), project
    # Phayao, Lampang, Hat Yai (Songkhla), Chiang Mai, Tak Bai (Narathiwat), Kalasin,
    # Khlung (Chanthaburi), Yala, Khon Kaen.
    assert {LCV[f"province/TH-{n}"] for n in (56, 52, 90, 50, 96, 46, 22, 95, 40)} <= provinces
    # A stated figure stays a stated figure: the projects do not pretend to be the 29.
    assert len(projects) < 29


def test_flagship_spaces_belong_to_gnlc_member_cities(store: Dataset) -> None:
    rows = select(
        store,
        """
        SELECT ?space ?city WHERE {
            GRAPH lcg:seed\\/learning-city-research-and-spaces { ?space a lc:LearningSpace ; lc:city ?city }
            GRAPH lcg:seed\\/gnlc-members { ?m org:member ?city ; org:organization lcid:network\\/gnlc }
        }""",
    )
    found = {(r["space"].value.rsplit("/", 1)[1], r["city"].value.rsplit("/", 1)[1]) for r in rows}
    assert found == {
        ("pk-park", "phuket"),
        ("hatyai-knowledge-park", "hat-yai"),
        ("knowledge-center-of-chachoengsao", "chachoengsao"),
        ("tk-park-yala", "yala"),
    }


def test_the_only_person_is_the_one_the_release_names(seed: rdflib.Dataset) -> None:
    # Researchers' names appear on some sources; the seed records projects, not people.
    people = set(seed.subjects(RDF.type, FOAF.Person)) | set(seed.subjects(RDF.type, SCHEMA.Person))
    assert people == {LCID["person/kitti-sajjawattana"]}
