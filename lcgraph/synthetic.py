"""Synthetic learning-city networks at national scale, for benchmarks and load tests.

For developers who need a big, realistic-looking graph that anyone can
rebuild exactly: ``generate(cities, seed, out, fmt)`` writes N-Quads or
N-Triples in the data model of ``ontology/README.md`` (the same classes,
properties and code lists as ``data/examples/``), valid against the shapes.
The same ``cities`` and ``seed`` always give the same bytes.

It is streamed: each city is drawn and written on its own, so memory stays
flat however many cities are asked for; no RDF graph is ever built. Every
label says the data is synthetic, and everything goes into the named graph
``lcg:synthetic`` (N-Quads), which describes itself as synthetic.

What the network looks like, per city:

* 50-300 learning spaces (a city-specific mix of space types, coordinates
  near the capital of the city's province), about 0.5 partner organisations
  and 0.25 knowledge assets per space, 2-6 City Learning Administrators;
* 3.5 activities per space, each with 1-4 organisers. Partners join the
  city one by one as its activities happen (a partner joins by organising
  one), and further organisers are drawn mostly by preferential attachment
  (an actor already chosen is more likely to be chosen again): growth plus
  preferential attachment, as in Barabasi and Albert (1999), so the early
  partners become hubs and there is a long tail. About 1 in 20 organiser
  slots goes to a national partner (picked with a Zipf-like skew), which
  ties the cities together through a few national hubs;
* about 3% of partners never take part in anything (isolated actors), and
  each city leaves some age groups, themes, building blocks and sectors out,
  so the gap analysis has something to find.

Sizes, measured with seeds 1-20: 29 cities give 290-370 thousand triples,
100 cities 1.03-1.25 million. The ``benchmark`` profile is sized for the
gap-analysis benchmark: ``lcgraph generate --cities 1000 --profile
benchmark`` gives about 100k actors and 1M ties in the collaboration network.
"""

from __future__ import annotations

import datetime
import io
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import BinaryIO, TextIO

from lcgraph.codes import BUILDING_BLOCKS, THEMES
from lcgraph.namespaces import (
    DCAT,
    DCT,
    GEO,
    GRAPH_SYNTHETIC,
    LC,
    LCID,
    LCV,
    ORG,
    PROV,
    RDF,
    RDFS,
    SCHEMA,
    TIME,
    XSD,
)

FORMATS = ("nq", "nt")

# Approximate coordinates of each province's capital (ISO 3166-2:TH code,
# latitude, longitude), used only to place synthetic spaces roughly where
# their city is. Not a source of facts.
PROVINCE_CAPITALS: tuple[tuple[str, float, float], ...] = (
    ("TH-10", 13.75, 100.50),
    ("TH-11", 13.60, 100.60),
    ("TH-12", 13.86, 100.51),
    ("TH-13", 14.02, 100.53),
    ("TH-14", 14.35, 100.57),
    ("TH-15", 14.59, 100.45),
    ("TH-16", 14.80, 100.65),
    ("TH-17", 14.89, 100.40),
    ("TH-18", 15.19, 100.13),
    ("TH-19", 14.53, 100.91),
    ("TH-20", 13.36, 100.98),
    ("TH-21", 12.68, 101.28),
    ("TH-22", 12.61, 102.10),
    ("TH-23", 12.24, 102.52),
    ("TH-24", 13.69, 101.07),
    ("TH-25", 14.05, 101.37),
    ("TH-26", 14.20, 101.21),
    ("TH-27", 13.82, 102.07),
    ("TH-30", 14.97, 102.10),
    ("TH-31", 14.99, 103.10),
    ("TH-32", 14.88, 103.49),
    ("TH-33", 15.12, 104.32),
    ("TH-34", 15.24, 104.85),
    ("TH-35", 15.79, 104.15),
    ("TH-36", 15.81, 102.03),
    ("TH-37", 15.86, 104.63),
    ("TH-38", 18.36, 103.65),
    ("TH-39", 17.20, 102.44),
    ("TH-40", 16.43, 102.83),
    ("TH-41", 17.41, 102.79),
    ("TH-42", 17.49, 101.72),
    ("TH-43", 17.85, 102.74),
    ("TH-44", 16.18, 103.30),
    ("TH-45", 16.05, 103.65),
    ("TH-46", 16.43, 103.51),
    ("TH-47", 17.16, 104.15),
    ("TH-48", 17.39, 104.75),
    ("TH-49", 16.54, 104.70),
    ("TH-50", 18.79, 98.98),
    ("TH-51", 18.58, 99.01),
    ("TH-52", 18.29, 99.49),
    ("TH-53", 17.62, 100.10),
    ("TH-54", 18.14, 100.14),
    ("TH-55", 18.78, 100.77),
    ("TH-56", 19.17, 99.90),
    ("TH-57", 19.91, 99.83),
    ("TH-58", 19.30, 97.97),
    ("TH-60", 15.70, 100.14),
    ("TH-61", 15.38, 100.02),
    ("TH-62", 16.48, 99.52),
    ("TH-63", 16.88, 99.13),
    ("TH-64", 17.01, 99.82),
    ("TH-65", 16.82, 100.27),
    ("TH-66", 16.44, 100.35),
    ("TH-67", 16.42, 101.16),
    ("TH-70", 13.54, 99.81),
    ("TH-71", 14.02, 99.53),
    ("TH-72", 14.47, 100.12),
    ("TH-73", 13.82, 100.06),
    ("TH-74", 13.55, 100.27),
    ("TH-75", 13.41, 100.00),
    ("TH-76", 13.11, 99.94),
    ("TH-77", 11.81, 99.80),
    ("TH-80", 8.43, 99.96),
    ("TH-81", 8.09, 98.91),
    ("TH-82", 8.45, 98.53),
    ("TH-83", 7.89, 98.40),
    ("TH-84", 9.14, 99.33),
    ("TH-85", 9.96, 98.64),
    ("TH-86", 10.49, 99.18),
    ("TH-90", 7.20, 100.59),
    ("TH-91", 6.62, 100.07),
    ("TH-92", 7.56, 99.61),
    ("TH-93", 7.62, 100.08),
    ("TH-94", 6.87, 101.25),
    ("TH-95", 6.54, 101.28),
    ("TH-96", 6.43, 101.82),
)

# Code lists of the data model (ontology/README.md), with the Thai and
# English words the synthetic labels use.
SPACE_TYPES: dict[str, tuple[str, str]] = {
    "library": ("ห้องสมุด", "library"),
    "museum": ("พิพิธภัณฑ์", "museum"),
    "community-learning-centre": ("ศูนย์การเรียนรู้ชุมชน", "community learning centre"),
    "temple": ("วัด", "temple"),
    "park": ("สวนสาธารณะ", "park"),
    "school": ("โรงเรียน", "school"),
    "university": ("มหาวิทยาลัย", "university"),
    "market": ("ตลาด", "market"),
    "online": ("พื้นที่ออนไลน์", "online space"),
    "community-space": ("พื้นที่ชุมชน", "community space"),
    "cultural-centre": ("ศูนย์วัฒนธรรม", "cultural centre"),
    "learning-park": ("อุทยานการเรียนรู้", "learning park"),
    "historic-site": ("แหล่งประวัติศาสตร์", "historic site"),
    "event-venue": ("สถานที่จัดงาน", "event venue"),
}
ASSET_TYPES = ("local-wisdom", "curriculum", "media", "publication", "dataset", "craft", "performance")
# Age group -> (youngest, oldest) as in ontology/vocab/age-group.ttl.
AGE_GROUPS: dict[str, tuple[int, int]] = {
    "early-childhood": (0, 5),
    "school-age": (6, 14),
    "youth": (15, 24),
    "working-age": (25, 59),
    "older-people": (60, 120),
    "all-ages": (0, 120),
}
LOCAL_SECTORS = (
    "government",
    "academic",
    "private",
    "civil-society",
    "community",
    "local-government",
    "public-organisation",
)
NATIONAL_SECTORS = (
    "government",
    "public-organisation",
    "international",
    "academic",
    "private",
    "civil-society",
)

FIRST_DAY = datetime.date(2024, 1, 1)
DAYS = 731  # activities start in 2024-2025


@dataclass(frozen=True)
class Profile:
    """How big and how gappy each synthetic city is (the defaults are the documented ones)."""

    min_spaces: int = 50
    max_spaces: int = 300
    partners_per_space: float = 0.5
    assets_per_space: float = 0.25
    activities_per_space: float = 3.5
    min_administrators: int = 2
    max_administrators: int = 6
    isolated_share: float = 0.03  # partners that take part in nothing
    national_share: float = 0.05  # organiser slots that go to a national partner
    preferential: float = 0.6  # share of local draws by preferential attachment (the rest: uniform)
    gap_chance: float = 0.12  # chance that a city leaves out one age group, theme, block or sector

    def __post_init__(self) -> None:
        if not 1 <= self.min_spaces <= self.max_spaces:
            raise ValueError("need 1 <= min_spaces <= max_spaces")


DEFAULT_PROFILE = Profile()
# "benchmark": the same model, sized so that 1,000 cities give about 100k
# actors and 1M ties in the collaboration network (the analysis benchmark).
PROFILES: dict[str, Profile] = {
    "default": DEFAULT_PROFILE,
    "benchmark": Profile(partners_per_space=0.55, activities_per_space=2.4),
}


def _iri(term: str) -> str:
    return f"<{term}>"


def _lit(text: str, lang: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    return f'"{escaped}"@{lang}'


def _typed(value: object, datatype: str) -> str:
    return f'"{value}"^^{datatype}'


# Predicates and fixed objects, rendered once (the hot loop only joins strings).
A = _iri(RDF.type)
LABEL = _iri(RDFS.label)
P_CITY, P_SPACE_TYPE, P_MANAGED_BY = _iri(LC.city), _iri(LC.spaceType), _iri(LC.managedBy)
P_ASSET_TYPE, P_THEME = _iri(LC.assetType), _iri(LC.theme)
P_AGE, P_BLOCK = _iri(LC.ageGroup), _iri(LC.buildingBlock)
P_USES, P_MIN_AGE, P_MAX_AGE = _iri(LC.usesAsset), _iri(LC.minAge), _iri(LC.maxAge)
P_SECTOR, P_PARTY, P_PURPOSE = _iri(LC.sector), _iri(LC.party), _iri(LC.purpose)
P_PROVINCE, P_LEVEL = _iri(LC.province), _iri(LC.administrativeLevel)
P_ORGANIZER, P_LOCATION, P_PROVIDER = _iri(SCHEMA.organizer), _iri(SCHEMA.location), _iri(SCHEMA.provider)
P_START, P_END = _iri(SCHEMA.startDate), _iri(SCHEMA.endDate)
P_LAT, P_LONG = _iri(GEO.lat), _iri(GEO.long)
P_MEMBER_OF, P_MEMBER, P_ORGANIZATION = _iri(ORG.memberOf), _iri(ORG.member), _iri(ORG.organization)
P_ROLE, P_MEMBER_DURING = _iri(ORG.role), _iri(ORG.memberDuring)
P_BEGINNING, P_YEAR = _iri(TIME.hasBeginning), _iri(TIME.inXSDgYear)
C_CITY, C_SPACE, C_ASSET = _iri(LC.LearningCity), _iri(LC.LearningSpace), _iri(LC.KnowledgeAsset)
C_ACTIVITY, C_PARTNER, C_ADMIN = (
    _iri(LC.LearningActivity),
    _iri(LC.PartnerOrganisation),
    _iri(LC.CityLearningAdministrator),
)
C_NETWORK, C_PARTNERSHIP, C_MEMBERSHIP = _iri(LC.Network), _iri(LC.Partnership), _iri(ORG.Membership)
C_INTERVAL, C_INSTANT = _iri(TIME.Interval), _iri(TIME.Instant)
XSD_DATE, XSD_DECIMAL, XSD_INTEGER, XSD_GYEAR = (
    _iri(XSD.date),
    _iri(XSD.decimal),
    _iri(XSD.integer),
    _iri(XSD.gYear),
)
NETWORK = _iri(LCID["network/synthetic-learning-cities"])
MUNICIPALITY = _iri(LCV["admin-level/municipality"])


def _codes(scheme: str, codes: Sequence[str]) -> dict[str, str]:
    return {c: _iri(LCV[f"{scheme}/{c}"]) for c in codes}


SPACE_TYPE_IRI = _codes("space-type", tuple(SPACE_TYPES))
ASSET_TYPE_IRI = _codes("asset-type", ASSET_TYPES)
THEME_IRI = _codes("theme", THEMES)
BLOCK_IRI = _codes("gnlc", BUILDING_BLOCKS)
AGE_IRI = _codes("age-group", tuple(AGE_GROUPS))
SECTOR_IRI = _codes("sector", tuple(dict.fromkeys(LOCAL_SECTORS + NATIONAL_SECTORS)))
ROLE_IRI = _codes("membership-role", ("member", "candidate"))
DATES = tuple(_typed(FIRST_DAY + datetime.timedelta(days=d), XSD_DATE) for d in range(DAYS + 120))
INTEGERS = tuple(_typed(n, XSD_INTEGER) for n in range(121))


class _Sink:
    """Collects N-Triples/N-Quads lines and writes them in chunks to a text or binary stream."""

    def __init__(self, out: BinaryIO | TextIO, fmt: str) -> None:
        if fmt not in FORMATS:
            raise ValueError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
        self._out = out
        self._text = isinstance(out, io.TextIOBase)
        self._end = f" {_iri(GRAPH_SYNTHETIC)} .\n" if fmt == "nq" else " .\n"
        self._lines: list[str] = []
        self.count = 0

    def add(self, s: str, p: str, o: str) -> None:
        self._lines.append(f"{s} {p} {o}{self._end}")

    def flush(self) -> None:
        chunk = "".join(self._lines)
        self.count += len(self._lines)
        self._lines.clear()
        self._out.write(chunk if self._text else chunk.encode("utf-8"))  # type: ignore[arg-type]


def _weights(rng: random.Random, n: int, gap_chance: float, keep: int) -> list[float]:
    """Uneven weights over ``n`` codes; some drop to zero (a gap), but at least ``keep`` stay."""
    w = [rng.random() ** 2 + 0.02 for _ in range(n)]
    for i in range(n):
        if rng.random() < gap_chance:
            w[i] = 0.0
    while sum(1 for x in w if x > 0) < keep:
        w[rng.randrange(n)] = rng.random() + 0.02
    return w


def _pick(rng: random.Random, codes: Sequence[str], weights: Sequence[float], most: int) -> list[str]:
    """1..``most`` distinct codes drawn by weight."""
    k = rng.randint(1, most)
    chosen = dict.fromkeys(rng.choices(codes, weights, k=k))
    return list(chosen)


@dataclass
class _National:
    """The national partners: few, active everywhere, drawn with a Zipf-like skew (hubs)."""

    iris: list[str]

    def draw(self, rng: random.Random) -> str:
        # u**3 puts most draws on the first few partners: a handful of national hubs.
        return self.iris[int(len(self.iris) * rng.random() ** 3)]


def _describe_graph(sink: _Sink, cities: int, seed: int) -> None:
    g = _iri(GRAPH_SYNTHETIC)
    sink.add(g, A, _iri(PROV.Entity))
    sink.add(g, A, _iri(DCAT.Dataset))
    sink.add(g, _iri(DCT.title), _lit("เครือข่ายเมืองแห่งการเรียนรู้สังเคราะห์", "th"))
    sink.add(g, _iri(DCT.title), _lit("Synthetic learning-city network", "en"))
    sink.add(
        g,
        _iri(DCT.description),
        _lit(f"ข้อมูลสังเคราะห์ ไม่ใช่ข้อเท็จจริง สร้างด้วยคำสั่ง lcgraph generate --cities {cities} --seed {seed}", "th"),
    )
    sink.add(
        g,
        _iri(DCT.description),
        _lit(f"Synthetic data, not facts: made by lcgraph generate --cities {cities} --seed {seed}.", "en"),
    )
    sink.add(NETWORK, A, C_NETWORK)
    sink.add(NETWORK, LABEL, _lit("เครือข่ายเมืองแห่งการเรียนรู้สังเคราะห์", "th"))
    sink.add(NETWORK, LABEL, _lit("Synthetic Learning City Network", "en"))


def _national_partners(sink: _Sink, rng: random.Random, cities: int) -> _National:
    iris = []
    for n in range(10 + cities // 2):
        iri = _iri(LCID[f"partner/syn-national-{n:04d}"])
        sink.add(iri, A, C_PARTNER)
        sink.add(iri, LABEL, _lit(f"ภาคีระดับชาติสังเคราะห์ {n:04d}", "th"))
        sink.add(iri, LABEL, _lit(f"Synthetic national partner {n:04d}", "en"))
        sink.add(iri, P_SECTOR, SECTOR_IRI[rng.choice(NATIONAL_SECTORS)])
        iris.append(iri)
    return _National(iris)


class _City:
    """One synthetic city, drawn and written in one go."""

    def __init__(self, index: int, seed: int, profile: Profile, national: _National, sink: _Sink) -> None:
        self.tag = f"{index:04d}"
        self.rng = random.Random(f"lcgraph-synthetic:{seed}:{index}")
        self.p = profile
        self.national = national
        self.sink = sink
        self.iri = _iri(LCID[f"city/syn-{self.tag}"])
        province = PROVINCE_CAPITALS[(index + seed) % len(PROVINCE_CAPITALS)]
        self.province, self.lat, self.long = province
        rng, gap = self.rng, profile.gap_chance
        self.space_w = _weights(rng, len(SPACE_TYPES), gap, 4)
        self.theme_w = _weights(rng, len(THEMES), gap, 6)
        self.block_w = _weights(rng, len(BUILDING_BLOCKS), gap, 3)
        self.age_w = _weights(rng, len(AGE_GROUPS), gap, 3)
        self.age_w[-1] *= 0.3  # all-ages events are the exception, not the rule
        self.sector_w = _weights(rng, len(LOCAL_SECTORS), gap, 3)
        self.urn: list[str] = []  # preferential attachment: an actor appears once per time chosen
        self.local: set[str] = set()  # the city, its administrators and its active partners
        self.partners: list[str] = []  # active partners, in the order they join
        self.admitted = 0  # how many of them are in the urn so far
        self.admins: list[str] = []
        self.members: list[str] = []  # the city, its administrators and the partners admitted so far
        self.n_spaces = rng.randint(profile.min_spaces, profile.max_spaces)
        # Space IRIs are known up front: activities are held in them before the spaces are written.
        self.spaces = [_iri(LCID[f"space/syn-{self.tag}-{n:03d}"]) for n in range(self.n_spaces)]
        self.assets: list[tuple[str, list[str]]] = []

    def write(self) -> None:
        self._city()
        self._administrators()
        self._partners()
        self._admit(0.1)  # the first tenth of the partners are there from the start
        self._assets()
        self._activities()  # the other partners join one by one as activities happen
        self._spaces()
        self._partnerships()

    def _city(self) -> None:
        add, s = self.sink.add, self.iri
        add(s, A, C_CITY)
        add(s, LABEL, _lit(f"เมืองสังเคราะห์ {self.tag}", "th"))
        add(s, LABEL, _lit(f"Synthetic City {self.tag}", "en"))
        add(s, P_PROVINCE, _iri(LCV[f"province/{self.province}"]))
        add(s, P_LEVEL, MUNICIPALITY)
        m = _iri(LCID[f"membership/syn-{self.tag}"])
        role = "member" if self.rng.random() < 0.7 else "candidate"
        add(m, A, C_MEMBERSHIP)
        add(m, LABEL, _lit(f"การเป็นสมาชิกเครือข่ายสังเคราะห์ของเมืองสังเคราะห์ {self.tag}", "th"))
        add(m, LABEL, _lit(f"Synthetic City {self.tag} in the Synthetic Learning City Network", "en"))
        add(m, P_MEMBER, s)
        add(m, P_ORGANIZATION, NETWORK)
        add(m, P_ROLE, ROLE_IRI[role])
        interval, instant = f"_:syn{self.tag}i", f"_:syn{self.tag}b"
        add(m, P_MEMBER_DURING, interval)
        add(interval, A, C_INTERVAL)
        add(interval, P_BEGINNING, instant)
        add(instant, A, C_INSTANT)
        add(instant, P_YEAR, _typed(self.rng.randint(2019, 2025), XSD_GYEAR))
        self.urn += [s] * 6  # the municipality itself organises a good share
        self.members.append(s)
        self.local.add(s)

    def _administrators(self) -> None:
        add = self.sink.add
        for n in range(self.rng.randint(self.p.min_administrators, self.p.max_administrators)):
            s = _iri(LCID[f"administrator/syn-{self.tag}-{n:02d}"])
            add(s, A, C_ADMIN)
            add(s, LABEL, _lit(f"นักจัดการการเรียนรู้สังเคราะห์ {self.tag}-{n:02d}", "th"))
            add(s, LABEL, _lit(f"Synthetic administrator {self.tag}-{n:02d}", "en"))
            add(s, P_CITY, self.iri)
            add(s, P_MEMBER_OF, self.iri)
            self.urn += [s] * 2
            self.local.add(s)
            self.admins.append(s)
            self.members.append(s)

    def _partners(self) -> None:
        add, rng = self.sink.add, self.rng
        for n in range(max(2, round(self.n_spaces * self.p.partners_per_space))):
            s = _iri(LCID[f"partner/syn-{self.tag}-{n:03d}"])
            add(s, A, C_PARTNER)
            add(s, LABEL, _lit(f"ภาคีสังเคราะห์ {self.tag}-{n:03d}", "th"))
            add(s, LABEL, _lit(f"Synthetic partner {self.tag}-{n:03d}", "en"))
            add(s, P_SECTOR, SECTOR_IRI[rng.choices(LOCAL_SECTORS, self.sector_w)[0]])
            if rng.random() >= self.p.isolated_share:
                self.partners.append(s)
                self.local.add(s)

    def _admit(self, share: float) -> list[str]:
        """Let partners join the urn in order, up to ``share`` of them; return the newcomers.

        Growth plus preferential attachment (Barabasi and Albert 1999): the
        partners that join early gather the most activities and become hubs.
        """
        upto = min(len(self.partners), max(1, round(share * len(self.partners))))
        newcomers = self.partners[self.admitted : upto]
        self.urn += newcomers
        self.members += newcomers
        self.admitted = max(self.admitted, upto)
        return newcomers

    def _local(self) -> str:
        """A local actor: mostly by preferential attachment, otherwise any actor already there."""
        if self.rng.random() < self.p.preferential:
            return self.rng.choice(self.urn)
        return self.rng.choice(self.members)

    def _spaces(self) -> None:
        add, rng, codes = self.sink.add, self.rng, tuple(SPACE_TYPES)
        for n, s in enumerate(self.spaces):
            kinds = _pick(rng, codes, self.space_w, 2)
            th, en = SPACE_TYPES[kinds[0]]
            add(s, A, C_SPACE)
            add(s, LABEL, _lit(f"{th}สังเคราะห์ {self.tag}-{n:03d}", "th"))
            add(s, LABEL, _lit(f"Synthetic {en} {self.tag}-{n:03d}", "en"))
            add(s, P_CITY, self.iri)
            for k in kinds:
                add(s, P_SPACE_TYPE, SPACE_TYPE_IRI[k])
            add(s, P_MANAGED_BY, self.iri if rng.random() < 0.5 else self._local())
            if "online" not in kinds:
                add(s, P_LAT, _typed(f"{self.lat + rng.uniform(-0.08, 0.08):.4f}", XSD_DECIMAL))
                add(s, P_LONG, _typed(f"{self.long + rng.uniform(-0.08, 0.08):.4f}", XSD_DECIMAL))

    def _assets(self) -> None:
        add, rng = self.sink.add, self.rng
        for n in range(max(1, round(self.n_spaces * self.p.assets_per_space))):
            s = _iri(LCID[f"asset/syn-{self.tag}-{n:03d}"])
            themes = _pick(rng, THEMES, self.theme_w, 2)
            add(s, A, C_ASSET)
            add(s, LABEL, _lit(f"ตัวความรู้สังเคราะห์ {self.tag}-{n:03d}", "th"))
            add(s, LABEL, _lit(f"Synthetic knowledge asset {self.tag}-{n:03d}", "en"))
            add(s, P_CITY, self.iri)
            add(s, P_ASSET_TYPE, ASSET_TYPE_IRI[rng.choice(ASSET_TYPES)])
            for t in themes:
                add(s, P_THEME, THEME_IRI[t])
            provider = self._local()
            add(s, P_PROVIDER, provider)
            self.assets.append((s, themes))

    def _organisers(self, newcomers: list[str]) -> list[str]:
        """1-4 organisers: the partners joining now (a partner joins by organising), then urn draws."""
        rng = self.rng
        k = max(len(newcomers), rng.choices((1, 2, 3, 4), (0.3, 0.35, 0.22, 0.13))[0])
        chosen: dict[str, None] = dict.fromkeys(newcomers)
        for _ in range(k * 2):  # a few retries: duplicates are simply skipped
            if len(chosen) == k:
                break
            who = self.national.draw(rng) if rng.random() < self.p.national_share else self._local()
            chosen[who] = None
        for who in chosen:
            if who in self.local:  # national partners have their own skew
                self.urn.append(who)
        return list(chosen)

    def _activities(self) -> None:
        add, rng = self.sink.add, self.rng
        ages_codes = tuple(AGE_GROUPS)
        total = round(self.n_spaces * self.p.activities_per_space)
        for n in range(total):
            newcomers = self._admit(0.1 + 0.9 * (n + 1) / total)
            s = _iri(LCID[f"activity/syn-{self.tag}-{n:05d}"])
            add(s, A, C_ACTIVITY)
            add(s, LABEL, _lit(f"กิจกรรมการเรียนรู้สังเคราะห์ {self.tag}-{n:05d}", "th"))
            add(s, LABEL, _lit(f"Synthetic learning activity {self.tag}-{n:05d}", "en"))
            add(s, P_CITY, self.iri)
            add(s, P_LOCATION, rng.choice(self.spaces))
            for who in self._organisers(newcomers):
                add(s, P_ORGANIZER, who)
            ages = _pick(rng, ages_codes, self.age_w, 2)
            for a in ages:
                add(s, P_AGE, AGE_IRI[a])
            add(s, P_MIN_AGE, INTEGERS[min(AGE_GROUPS[a][0] for a in ages)])
            add(s, P_MAX_AGE, INTEGERS[max(AGE_GROUPS[a][1] for a in ages)])
            if self.assets and rng.random() < 0.2:
                asset, themes = rng.choice(self.assets)
                add(s, P_USES, asset)
            else:
                themes = _pick(rng, THEMES, self.theme_w, 2)
            for t in themes:
                add(s, P_THEME, THEME_IRI[t])
            if rng.random() < 0.85:
                for b in _pick(rng, BUILDING_BLOCKS, self.block_w, 2):
                    add(s, P_BLOCK, BLOCK_IRI[b])
            start = rng.randrange(DAYS)
            add(s, P_START, DATES[start])
            add(s, P_END, DATES[start + (0 if rng.random() < 0.6 else rng.randint(1, 90))])

    def _partnerships(self) -> None:
        add, rng = self.sink.add, self.rng
        for n in range(max(1, len(self.partners) // 8)):
            s = _iri(LCID[f"partnership/syn-{self.tag}-{n:03d}"])
            # A partnership is a collaboration of organisations (lc:party ranges over
            # org:Organization): administrators drawn from the urn are left out.
            drawn = (self._local() for _ in range(rng.randint(2, 4)))
            parties = list(dict.fromkeys(who for who in drawn if who not in self.admins))
            for extra in (self.iri, *self.partners):  # too few: the city, then the earliest partners
                if len(parties) >= 2:
                    break
                if extra not in parties:
                    parties.append(extra)
            if len(parties) < 2:  # a city without any active partner has no partnership to make
                continue
            add(s, A, C_PARTNERSHIP)
            add(s, LABEL, _lit(f"ความร่วมมือสังเคราะห์ {self.tag}-{n:03d}", "th"))
            add(s, LABEL, _lit(f"Synthetic partnership {self.tag}-{n:03d}", "en"))
            for who in parties:
                add(s, P_PARTY, who)
            add(s, P_PURPOSE, _lit("ความร่วมมือสังเคราะห์เพื่อการทดสอบ", "th"))
            add(s, P_PURPOSE, _lit("A synthetic partnership, for testing.", "en"))
            add(s, P_THEME, THEME_IRI[_pick(rng, THEMES, self.theme_w, 1)[0]])
            add(s, P_START, DATES[rng.randrange(DAYS)])


def generate(
    cities: int,
    seed: int,
    out: BinaryIO | TextIO,
    fmt: str = "nq",
    *,
    profile: Profile = DEFAULT_PROFILE,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Write a synthetic national learning-city network; return the number of triples written.

    ``out`` is a binary stream (UTF-8 is written) or a text stream. ``fmt`` is
    ``"nq"`` (N-Quads, everything in the graph ``lcg:synthetic``) or ``"nt"``
    (N-Triples). ``progress``, if given, is called with (cities done, cities)
    after each city. Raises ``ValueError`` for a bad argument before writing.
    """
    if cities < 1:
        raise ValueError(f"cities must be at least 1, got {cities}")
    sink = _Sink(out, fmt)
    rng = random.Random(f"lcgraph-synthetic:{seed}:national")
    _describe_graph(sink, cities, seed)
    national = _national_partners(sink, rng, cities)
    sink.flush()
    for i in range(1, cities + 1):
        _City(i, seed, profile, national, sink).write()
        sink.flush()
        if progress is not None:
            progress(i, cities)
    return sink.count
