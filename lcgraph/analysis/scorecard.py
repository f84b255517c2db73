"""A GNLC-readiness scorecard per city, following UNESCO's Key Features framework.

For analysts preparing a city's case for the UNESCO Global Network of
Learning Cities. The framework (Beijing Declaration, 2013) has three areas
and twelve sub-areas (``lcv:gnlc``). The graph cannot measure the
framework's indicators directly, so each sub-area is read through a stated
proxy: what the graph shows, and what is missing. The proxies are ours and
are listed in :data:`PROXIES`; a sub-area is ``evident`` (1 point),
``partial`` (½) or ``missing`` (0).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field

from lcgraph.analysis.coverage import AGE_GROUPS, BUILDING_BLOCKS, EXPECTED_SECTORS, PRIORITY_AGE_GROUPS
from lcgraph.analysis.networks import Projections, concept_iri, short_name

AREAS = {
    "wider-benefits": ("individual-empowerment", "economic-cultural-prosperity", "sustainable-development"),
    "building-blocks": BUILDING_BLOCKS,
    "fundamental-conditions": ("political-will", "governance-participation", "resources"),
}
PROSPERITY_THEMES = (
    "vocational-skills",
    "entrepreneurship",
    "culture-heritage",
    "arts-music",
    "tourism",
    "local-wisdom",
)
SUSTAINABILITY_THEMES = ("environment", "agriculture-food", "health-wellbeing")
PROXIES = {
    "individual-empowerment": "age groups reached by activities (evident: 4 or more of 5, "
    "including both priority groups, early childhood and older people)",
    "economic-cultural-prosperity": "activity themes among "
    + ", ".join(PROSPERITY_THEMES)
    + " (evident: 2+)",
    "sustainable-development": "activity themes among " + ", ".join(SUSTAINABILITY_THEMES) + " (evident: 2+)",
    "building-block": "activities tagged with the building block (evident: 2+, partial: 1)",
    "political-will": "a GNLC or national-network membership, and city learning administrators",
    "governance-participation": "partner sectors engaged (evident: 3+ with a declared partnership)",
    "resources": "learning spaces and knowledge assets recorded (evident: both)",
}
POINTS = {"evident": 1.0, "partial": 0.5, "missing": 0.0}


@dataclass
class SubArea:
    """One sub-area of the framework as the graph shows it for a city."""

    code: str
    iri: str
    label_th: str
    label_en: str
    status: str
    shows: str
    missing: str
    proxy: str
    #: What the graph shows and lacks, in words for readers (labels, not codes).
    text_th: str = ""
    text_en: str = ""


@dataclass
class Scorecard:
    """A city's readiness: each area's sub-areas, and scores (0–1)."""

    city: str
    label_th: str
    label_en: str
    areas: dict[str, list[SubArea]] = field(default_factory=dict)

    def area_score(self, area: str) -> float:
        subs = self.areas[area]
        return sum(POINTS[s.status] for s in subs) / len(subs) if subs else 0.0

    @property
    def score(self) -> float:
        subs = [s for area in self.areas.values() for s in area]
        return sum(POINTS[s.status] for s in subs) / len(subs) if subs else 0.0

    def as_dict(self) -> dict:
        data = asdict(self)
        data["score"] = round(self.score, 3)
        data["area_scores"] = {a: round(self.area_score(a), 3) for a in self.areas}
        return data


def _status(value: int, evident: int, partial: int = 1) -> str:
    return "evident" if value >= evident else "partial" if value >= partial else "missing"


def _themes(p: Projections, city: str, codes: tuple[str, ...]) -> list[str]:
    counts: Mapping[str, int] = p.theme_by_city.get(city, {})
    return [c for c in codes if counts.get(concept_iri("theme", c))]


def _wider(p: Projections, city: str, code: str) -> tuple[str, str, str]:
    if code == "individual-empowerment":
        counts: Mapping[str, int] = p.age_by_city.get(city, {})
        have = [a for a in AGE_GROUPS if counts.get(concept_iri("age-group", a))]
        lacking = [a for a in AGE_GROUPS if a not in have]
        status = _status(len(have), 4)
        # A priority group without activities is a high-severity finding: never "evident" beside it.
        if status == "evident" and any(a in lacking for a in PRIORITY_AGE_GROUPS):
            status = "partial"
        return status, f"age groups reached: {', '.join(have) or 'none'}", ", ".join(lacking)
    codes = PROSPERITY_THEMES if code == "economic-cultural-prosperity" else SUSTAINABILITY_THEMES
    have = _themes(p, city, codes)
    lacking = [c for c in codes if c not in have]
    return _status(len(have), 2), f"themes with activities: {', '.join(have) or 'none'}", ", ".join(lacking)


def _block(p: Projections, city: str, code: str) -> tuple[str, str, str]:
    counts: Mapping[str, int] = p.block_by_city.get(city, {})
    n = counts.get(concept_iri("gnlc", code), 0)
    return _status(n, 2), f"{n} activities tagged", "" if n >= 2 else "activities for this building block"


def _condition(p: Projections, city: str, code: str) -> tuple[str, str, str]:
    facts: Mapping[str, int] = p.city_facts.get(city, {})
    if code == "political-will":
        members = p.memberships.get(city, [])
        admins = facts.get("administrators", 0)
        shows = f"{len(members)} network membership(s), {admins} administrator(s)"
        lacking = ", ".join(x for x, ok in (("membership", members), ("administrators", admins)) if not ok)
        return _status(bool(members) + bool(admins), 2), shows, lacking
    if code == "governance-participation":
        g = p.collaboration
        partners = list(p.city_partner[city]) if city in p.city_partner else []
        sectors = sorted({short_name(g.nodes[m]["sector"]) for m in partners if g.nodes[m].get("sector")})
        deals = facts.get("partnerships", 0)
        status = "evident" if len(sectors) >= 3 and deals else "partial" if partners else "missing"
        lacking = ", ".join(s for s in EXPECTED_SECTORS if s not in sectors)
        return (
            status,
            f"{len(partners)} partners in sectors {', '.join(sectors) or 'none'}; {deals} partnerships",
            (lacking + ("" if deals else ("; " if lacking else "") + "a declared partnership")),
        )
    spaces, assets = facts.get("spaces", 0), facts.get("assets", 0)
    lacking = ", ".join(x for x, n in (("learning spaces", spaces), ("knowledge assets", assets)) if not n)
    return (
        _status(bool(spaces) + bool(assets), 2),
        f"{spaces} learning spaces, {assets} knowledge assets",
        lacking,
    )


_WORDS = {
    "reached": ("มีกิจกรรมแล้ว", "Reached"),
    "lacking": ("ยังขาด", "Missing"),
    "none": ("ยังไม่มี", "none"),
}
_SCHEMES = {"individual-empowerment": "age-group", "economic-cultural-prosperity": "theme"}
_SCHEMES["sustainable-development"] = "theme"


def _names(p: Projections, scheme: str, codes: str, lang: str) -> str:
    """Codes ("a, b") as their labels in ``lang``; unknown codes stay as they are."""
    out = []
    for code in (c.strip() for c in codes.split(",") if c.strip()):
        iri = concept_iri(scheme, code)
        out.append(p.label(iri, lang) if iri in p.concepts else code)
    return ", ".join(out)


# The English readings of the proxies, phrase by phrase (longest first), for the Thai text.
_THAI_PHRASES = (
    ("activities for this building block", "กิจกรรมสำหรับองค์ประกอบนี้"),
    ("a declared partnership", "ข้อตกลงความร่วมมือที่ประกาศไว้"),
    ("network membership(s)", "การเป็นสมาชิกเครือข่าย"),
    ("activities tagged", "กิจกรรมที่ระบุองค์ประกอบนี้"),
    ("partners in sectors", "ภาคีในภาคส่วน"),
    ("knowledge assets", "ตัวความรู้"),
    ("learning spaces", "พื้นที่การเรียนรู้"),
    ("administrator(s)", "นักจัดการการเรียนรู้"),
    ("administrators", "นักจัดการการเรียนรู้"),
    ("partnerships", "ข้อตกลงความร่วมมือ"),
    ("civil-society", "ภาคประชาสังคม"),
    ("membership", "การเป็นสมาชิกเครือข่าย"),
    ("academic", "ภาควิชาการ"),
    ("private", "ภาคเอกชน"),
    ("public", "ภาครัฐ"),
    ("Missing", "ยังขาด"),
    ("none", "ยังไม่มี"),
)


def _thai(text: str) -> str:
    for en, th in _THAI_PHRASES:
        text = text.replace(en, th)
    return text


def _texts(p: Projections, code: str, shows: str, missing: str) -> tuple[str, str]:
    """The sub-area's reading in Thai and English, with concept labels instead of codes."""
    scheme = _SCHEMES.get(code)
    if scheme is None:
        en = shows + (f" · {_WORDS['lacking'][1]}: {missing}" if missing else "")
        return _thai(en), en
    have = shows.split(":", 1)[1].strip() if ":" in shows else ""
    have = "" if have == "none" else have
    out = []
    for i, lang in enumerate(("th", "en")):
        reached = _names(p, scheme, have, lang) or _WORDS["none"][i]
        text = f"{_WORDS['reached'][i]}: {reached}"
        if missing:
            text += f" · {_WORDS['lacking'][i]}: {_names(p, scheme, missing, lang)}"
        out.append(text)
    return out[0], out[1]


def scorecard(p: Projections, city: str) -> Scorecard:
    """The readiness scorecard of one city (an IRI from :func:`resolve_city`)."""
    card = Scorecard(city, p.label(city, "th"), p.label(city, "en"))
    readers = {"wider-benefits": _wider, "building-blocks": _block, "fundamental-conditions": _condition}
    for area, codes in AREAS.items():
        card.areas[area] = []
        for code in codes:
            status, shows, missing = readers[area](p, city, code)
            iri = concept_iri("gnlc", code)
            proxy = PROXIES.get(code, PROXIES["building-block"])
            text_th, text_en = _texts(p, code, shows, missing)
            card.areas[area].append(
                SubArea(
                    code,
                    iri,
                    p.label(iri, "th"),
                    p.label(iri, "en"),
                    status,
                    shows,
                    missing,
                    proxy,
                    text_th,
                    text_en,
                )
            )
    return card
