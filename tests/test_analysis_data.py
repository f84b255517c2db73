"""Small ILLUSTRATIVE learning-city networks for the analysis tests (not real data).

Every city, partner and activity here is invented for tests: names are
"Test City A", "Partner P1" and so on. ``Net`` builds Turtle from a compact
description so each test can state exactly the network it counts by hand.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lcgraph import resources
from lcgraph.codes import AGE_GROUPS, THEMES
from lcgraph.codes import BUILDING_BLOCKS as BLOCKS
from lcgraph.namespaces import sparql_prefixes
from lcgraph.store import Dataset

ID = "https://w3id.org/lcgraph/id/"
V = "https://w3id.org/lcgraph/vocab/"
PREFIXES = sparql_prefixes("lc", "lcv", "lcid", "org", "schema", "rdfs", "xsd")


def iri(kind: str, slug: str) -> str:
    return f"https://w3id.org/lcgraph/id/{kind}/{slug}"


@dataclass
class Net:
    """An illustrative network description that renders to Turtle."""

    lines: list[str] = field(default_factory=list)
    n: int = 0

    def city(self, slug: str, label: str | None = None) -> str:
        name = label or f"Test City {slug}"
        self.lines.append(
            f'<{ID}city/{slug}> a lc:LearningCity ; rdfs:label "เมืองทดสอบ {slug}"@th , "{name}"@en ;'
            f" lc:province <{V}province/TH-10> ."
        )
        return iri("city", slug)

    def partner(self, slug: str, sector: str = "civil-society") -> str:
        self.lines.append(
            f'<{ID}partner/{slug}> a lc:PartnerOrganisation ; rdfs:label "ภาคีทดสอบ {slug}"@th ,'
            f' "Partner {slug}"@en ; lc:sector <{V}sector/{sector}> .'
        )
        return iri("partner", slug)

    def admin(self, slug: str, city: str) -> str:
        self.lines.append(
            f"<{ID}administrator/{slug}> a lc:CityLearningAdministrator ;"
            f' rdfs:label "ผู้จัดการทดสอบ {slug}"@th ,'
            f' "Administrator {slug}"@en ; lc:city <{ID}city/{city}> .'
        )
        return iri("administrator", slug)

    def activity(
        self, city: str, organisers: list[str], ages=("working-age",), themes=("history",), blocks=()
    ) -> str:
        self.n += 1
        slug = f"act-{self.n}"
        orgs = " , ".join(f"<{ID}{o}>" for o in organisers)
        parts = [
            f"<{ID}activity/{slug}> a lc:LearningActivity",
            f'rdfs:label "กิจกรรมทดสอบ {self.n}"@th , "Test activity {self.n}"@en',
            f"lc:city <{ID}city/{city}>",
            f"schema:organizer {orgs}",
            "lc:ageGroup " + " , ".join(f"<{V}age-group/{a}>" for a in ages),
            "lc:theme " + " , ".join(f"<{V}theme/{t}>" for t in themes),
            'schema:startDate "2023-08-22"^^xsd:date',
        ]
        if blocks:
            parts.append("lc:buildingBlock " + " , ".join(f"<{V}gnlc/{b}>" for b in blocks))
        self.lines.append(" ;\n  ".join(parts) + " .")
        return iri("activity", slug)

    def partnership(self, parties: list[str]) -> None:
        self.n += 1
        orgs = " , ".join(f"<{ID}{o}>" for o in parties)
        self.lines.append(
            f'<{ID}partnership/p-{self.n}> a lc:Partnership ; rdfs:label "ข้อตกลงทดสอบ {self.n}"@th ;'
            f" lc:party {orgs} ."
        )

    def turtle(self) -> str:
        head = "".join(f"@prefix {line.split()[1]} {line.split()[2]} .\n" for line in PREFIXES.splitlines())
        return head + "\n".join(self.lines) + "\n"

    def load(self, ds: Dataset, with_vocab: bool = True) -> Dataset:
        if with_vocab:
            for path in resources.vocab_files():
                ds.load_path(path, graph="https://w3id.org/lcgraph/graph/vocab")
        ds.load_bytes(self.turtle(), "turtle", graph="https://w3id.org/lcgraph/graph/examples")
        return ds


def complete_network(cities: int = 3, partners_per_city: int = 3) -> Net:
    """A network with no gap: everyone works with everyone, everything covered.

    Each city has an academic, a private and a civil-society partner; one
    activity per (age group, building block) pair is organised by all cities
    all partners and all administrators together, and the themes are spread over them so that
    every city has every theme; every pair of actors is tied.
    """
    net = Net()
    sectors = ("academic", "private", "civil-society")
    everyone: list[str] = []
    for c in range(cities):
        slug = f"c{c}"
        net.city(slug)
        everyone.append(f"city/{slug}")
        for k in range(partners_per_city):
            net.partner(f"c{c}-p{k}", sectors[k % 3])
            everyone.append(f"partner/c{c}-p{k}")
    for c in range(cities):
        net.admin(f"c{c}-admin", f"c{c}")
        everyone.append(f"administrator/c{c}-admin")
    for c in range(cities):
        for i, age in enumerate(AGE_GROUPS):
            for j, block in enumerate(BLOCKS):
                theme = THEMES[(i * len(BLOCKS) + j) % len(THEMES)]
                net.activity(f"c{c}", everyone, ages=(age,), themes=(theme,), blocks=(block,))
    net.partnership(everyone)
    return net
