"""Coverage gaps: who and what a city's learning ecology leaves out.

For analysts asking "which age groups, GNLC building blocks, themes and
partner sectors does each city reach?". Reads the coverage counts of
:class:`~lcgraph.analysis.networks.Projections` (all computed by SPARQL) and
words one finding per gap. A city with no activity at all gets one finding
instead of a gap for every age group and building block.
"""

from __future__ import annotations

from collections.abc import Mapping

from lcgraph.analysis.findings import Finding, NodeRef, listing, lower
from lcgraph.analysis.network_findings import ref
from lcgraph.analysis.networks import Projections, concept_iri
from lcgraph.codes import AGE_GROUPS, ALL_AGES, BUILDING_BLOCKS, THEMES

# The codes of the data-model contract (ontology/README.md).
# Sectors a city's ecology should draw on (issue 5): business, civil society, academia.
EXPECTED_SECTORS = ("private", "civil-society", "academic")
# Age groups the national programme singles out: a gap there is most severe.
PRIORITY_AGE_GROUPS = ("early-childhood", "older-people")


def _concept(p: Projections, scheme: str, code: str) -> NodeRef:
    iri = concept_iri(scheme, code)
    return NodeRef(iri, p.label(iri, "th") if iri in p.concepts else code, p.label(iri, "en"), "concept")


def no_ecology_finding(p: Projections, city: str) -> Finding:
    th, en = p.label(city, "th"), p.label(city, "en")
    return Finding(
        kind="no-ecology-data",
        severity="medium",
        subjects=[city],
        cities=[city],
        message_th=f"ยังไม่มีข้อมูลนิเวศการเรียนรู้ของ {th} ในกราฟ (ไม่มีกิจกรรม พื้นที่ ตัวความรู้ หรือภาคี) "
        "จึงยังประเมินช่องว่างของเมืองนี้ไม่ได้",
        message_en=f"Nothing of the learning ecology of {en} is recorded (no activity, space, knowledge "
        "asset or partner), so its gaps cannot be judged yet.",
        recommendation_th=f"รวบรวมและนำเข้าข้อมูลพื้นที่ ตัวความรู้ กิจกรรม และภาคีของ {th}",
        recommendation_en="Collect and load the learning spaces, knowledge assets, activities "
        f"and partners of {en}.",
        evidence=dict(p.city_facts.get(city, {}))
        or {"activities": 0, "spaces": 0, "assets": 0, "partners": 0},
        nodes=[ref(p, city)],
        score=1.0,
    )


def no_activity_finding(p: Projections, city: str) -> Finding:
    th, en = p.label(city, "th"), p.label(city, "en")
    return Finding(
        kind="coverage-no-activities",
        severity="high",
        subjects=[city],
        cities=[city],
        message_th=f"ยังไม่มีกิจกรรมการเรียนรู้ของ {th} ในกราฟเลย",
        message_en=f"No learning activity of {en} is recorded in the graph.",
        recommendation_th=f"บันทึกกิจกรรมการเรียนรู้ของ {th} (ช่วงวัย ประเด็น และองค์ประกอบหลัก GNLC) หรือเริ่มจัดกิจกรรม",
        recommendation_en=f"Record the learning activities of {en} "
        "(age groups, themes, GNLC building blocks), "
        "or start some.",
        evidence={"activities": 0, **dict(p.city_facts.get(city, {}))},
        nodes=[ref(p, city)],
        score=10.0,
    )


def age_group_findings(p: Projections, city: str) -> list[Finding]:
    """Age groups no activity of the city is aimed at."""
    counts: Mapping[str, int] = p.age_by_city.get(city, {})
    all_ages = counts.get(concept_iri("age-group", ALL_AGES), 0)
    out = []
    for code in AGE_GROUPS:
        if counts.get(concept_iri("age-group", code), 0):
            continue
        severity = "high" if code in PRIORITY_AGE_GROUPS else "medium"
        if all_ages:
            severity = lower(severity)  # all-ages events reach them, but nothing is designed for them
        c = _concept(p, "age-group", code)
        th, en = p.label(city, "th"), p.label(city, "en")
        out.append(
            Finding(
                kind="coverage-age-group",
                severity=severity,
                subjects=[city, c.iri],
                cities=[city],
                message_th=f"{th} ไม่มีกิจกรรมการเรียนรู้สำหรับ{c.label_th} "
                f"(มีกิจกรรมทั้งหมด {p.activities_by_city.get(city, 0)} รายการ, สำหรับทุกช่วงวัย {all_ages} รายการ)",
                message_en=f"{en} has no learning activity for {c.label_en.lower()} "
                f"({p.activities_by_city.get(city, 0)} activities in all, {all_ages} open to all ages).",
                recommendation_th=f"ออกแบบกิจกรรมสำหรับ{c.label_th}ร่วมกับภาคีที่ทำงานกับกลุ่มนี้อยู่แล้ว",
                recommendation_en=f"Design activities for {c.label_en.lower()} with partners who already "
                "work with this group.",
                evidence={
                    "age_group": code,
                    "activities": p.activities_by_city.get(city, 0),
                    "all_ages_activities": all_ages,
                    "activities_by_age_group": _coded(counts),
                },
                nodes=[ref(p, city), c],
                score=2.0 if code in PRIORITY_AGE_GROUPS else 1.0,
            )
        )
    return out


def _coded(counts: Mapping[str, int]) -> dict[str, int]:
    return {k.rstrip("/").rsplit("/", 1)[-1]: v for k, v in sorted(counts.items())}


def building_block_findings(p: Projections, city: str) -> list[Finding]:
    """GNLC building blocks none of the city's activities contributes to."""
    counts: Mapping[str, int] = p.block_by_city.get(city, {})
    missing = [code for code in BUILDING_BLOCKS if not counts.get(concept_iri("gnlc", code), 0)]
    out = []
    th, en = p.label(city, "th"), p.label(city, "en")
    for code in missing:
        c = _concept(p, "gnlc", code)
        out.append(
            Finding(
                kind="coverage-building-block",
                severity="medium",
                subjects=[city, c.iri],
                cities=[city],
                message_th=f'{th} ไม่มีกิจกรรมที่ส่งเสริมองค์ประกอบหลัก GNLC "{c.label_th}"',
                message_en=f'No activity of {en} contributes to the GNLC building block "{c.label_en}".',
                recommendation_th=f'เพิ่มกิจกรรมด้าน "{c.label_th}" '
                "และระบุองค์ประกอบหลัก (lc:buildingBlock) ให้กิจกรรมที่มีอยู่",
                recommendation_en=f'Add activities for "{c.label_en}", and tag existing activities with the '
                "building blocks they serve (lc:buildingBlock).",
                evidence={
                    "building_block": code,
                    "activities": p.activities_by_city.get(city, 0),
                    "activities_by_building_block": _coded(counts),
                },
                nodes=[ref(p, city), c],
                score=1.0,
            )
        )
    return out


def theme_findings(p: Projections, city: str) -> list[Finding]:
    """Themes absent from the city's ecology, and knowledge assets no activity puts to use."""
    acts: Mapping[str, int] = p.theme_by_city.get(city, {})
    assets: Mapping[str, int] = p.asset_theme_by_city.get(city, {})
    th, en = p.label(city, "th"), p.label(city, "en")
    out = []
    absent = [
        c for c in THEMES if not acts.get(concept_iri("theme", c)) and not assets.get(concept_iri("theme", c))
    ]
    if absent:
        refs = [_concept(p, "theme", c) for c in absent]
        out.append(
            Finding(
                kind="coverage-theme-absent",
                severity="low",
                subjects=[city],
                cities=[city],
                message_th=f"ประเด็นความรู้ {len(absent)} ประเด็นไม่ปรากฏในนิเวศการเรียนรู้ของ {th} เลย: "
                f"{listing((r.label_th for r in refs), lang='th')}",
                message_en=f"{len(absent)} knowledge theme(s) appear nowhere "
                f"in the learning ecology of {en}: "
                f"{listing(r.label_en for r in refs)}.",
                recommendation_th="พิจารณาว่าประเด็นใดสำคัญต่อเมือง แล้วหาภาคีหรือตัวความรู้ที่มีประเด็นนั้นจากเมืองอื่น",
                recommendation_en="Decide which of these matter to the city, "
                "then look for partners or knowledge "
                "assets on them in other cities.",
                evidence={
                    "absent_themes": absent,
                    "activity_themes": _coded(acts),
                    "asset_themes": _coded(assets),
                },
                nodes=[ref(p, city)] + refs,
                score=float(len(absent)) / len(THEMES),
            )
        )
    unused = sorted(k for k in assets if not acts.get(k))
    if unused:
        labels = [p.label(k, "en") for k in unused]
        out.append(
            Finding(
                kind="coverage-assets-unused",
                severity="low",
                subjects=[city] + unused,
                cities=[city],
                message_th=f"{th} มีตัวความรู้ด้าน {listing((p.label(k, 'th') for k in unused), lang='th')} "
                "แต่ยังไม่มีกิจกรรมในประเด็นนั้น",
                message_en=f"{en} has knowledge assets on {listing(labels)} but no activity on those themes.",
                recommendation_th="นำตัวความรู้เหล่านี้ไปใช้ในกิจกรรมการเรียนรู้ (lc:usesAsset)",
                recommendation_en="Put these knowledge assets to use in learning activities (lc:usesAsset).",
                evidence={"themes": _coded({k: assets[k] for k in unused})},
                nodes=[ref(p, city)]
                + [NodeRef(k, p.label(k, "th"), p.label(k, "en"), "concept") for k in unused],
                score=0.5,
            )
        )
    return out


def sector_findings(p: Projections, city: str) -> list[Finding]:
    """Expected partner sectors with no partner working in the city."""
    g, b = p.collaboration, p.city_partner
    partners = list(b[city]) if city in b else []
    have = {g.nodes[m].get("sector") for m in partners if m in g}
    th, en = p.label(city, "th"), p.label(city, "en")
    out = []
    for code in EXPECTED_SECTORS:
        iri = concept_iri("sector", code)
        if iri in have:
            continue
        c = _concept(p, "sector", code)
        out.append(
            Finding(
                kind="missing-sector",
                severity="medium",
                subjects=[city, iri],
                cities=[city],
                message_th=f"{th} ยังไม่มีภาคี{c.label_th}ร่วมงาน (มีภาคีทั้งหมด {len(partners)} ราย)",
                message_en=f"{en} works with no {c.label_en.lower()} partner "
                f"({len(partners)} partners in all).",
                recommendation_th=f"ชวนภาคี{c.label_th}ที่ทำงานในเมืองอื่นหรือในพื้นที่ มาร่วมจัดกิจกรรม",
                recommendation_en=f"Invite a {c.label_en.lower()} partner, local or active in other cities, "
                "to co-organise activities.",
                evidence={
                    "sector": code,
                    "partners": len(partners),
                    "partner_sectors": sorted(s.rsplit("/", 1)[-1] for s in have if s),
                },
                nodes=[ref(p, city), c],
                score=1.0,
            )
        )
    return out


def coverage_findings(p: Projections, cities: list[str]) -> list[Finding]:
    """Every coverage gap of the given cities."""
    out: list[Finding] = []
    for city in cities:
        if p.has_no_ecology(city):
            out.append(no_ecology_finding(p, city))
            continue
        if not p.activities_by_city.get(city):
            out.append(no_activity_finding(p, city))
        else:
            out += age_group_findings(p, city)
            out += building_block_findings(p, city)
            out += theme_findings(p, city)
        out += sector_findings(p, city)
    return out
