"""Findings about the shape of the collaboration network, worded for policy analysts.

Turns the measures of :mod:`cohesion`, :mod:`structural_holes` and
:mod:`brokerage` into :class:`~lcgraph.analysis.findings.Finding` records:
isolated and peripheral actors, single points of failure, fragments and
thinly tied communities, brokers the network depends on, and cities whose
partners do not work with each other.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Mapping

import networkx as nx

from lcgraph.analysis.brokerage import BrokerageRoles
from lcgraph.analysis.cohesion import CutPoint, Fragmentation, Periphery, Piece
from lcgraph.analysis.findings import Finding, NodeRef, listing
from lcgraph.analysis.networks import Projections

KIND_TH = {"city": "เมือง", "partner": "ภาคี", "administrator": "นักจัดการการเรียนรู้", "network": "เครือข่าย"}


def ref(p: Projections, iri: str) -> NodeRef:
    """A node with its labels, for a finding's evidence."""
    kind = p.collaboration.nodes[iri].get("kind", "") if iri in p.collaboration else ""
    return NodeRef(iri, p.label(iri, "th"), p.label(iri, "en"), kind)


def _cities_of(p: Projections, nodes: list[str]) -> list[str]:
    g = p.collaboration
    return sorted({city for n in nodes if n in g and (city := g.nodes[n].get("city"))})


def _named(p: Projections, nodes: list[str], lang: str) -> str:
    return listing((p.label(n, lang) for n in nodes), lang=lang)


def isolated_findings(p: Projections, per: Periphery[str]) -> list[Finding]:
    """One finding per city, partner or administrator without any tie."""
    out = []
    for n in per.isolated:
        kind = p.collaboration.nodes[n].get("kind")
        if kind not in ("city", "partner", "administrator"):
            continue
        if kind == "city" and p.has_no_ecology(n):
            continue  # reported once, as a city without ecology data
        th, en = p.label(n, "th"), p.label(n, "en")
        out.append(
            Finding(
                kind="isolated-actor",
                severity="high" if kind in ("city", "partner") else "medium",
                subjects=[n],
                cities=_cities_of(p, [n]),
                message_th=f"{KIND_TH[kind]} {th} ไม่มีความร่วมมือกับผู้ใดในเครือข่ายเลย "
                "(ไม่มีกิจกรรม พื้นที่ ตัวความรู้ หรือข้อตกลงความร่วมมือร่วมกับใคร)",
                message_en=f"The {kind} {en} has no tie to anyone in the network "
                "(no shared activity, space, knowledge asset or partnership).",
                recommendation_th=f"ชวน {th} ร่วมจัดกิจกรรมกับภาคีในเมือง หรือบันทึกความร่วมมือที่มีอยู่แล้วลงในกราฟ",
                recommendation_en=f"Bring {en} into a joint activity with partners in the city, "
                "or record the collaborations it already has.",
                evidence={"degree": 0},
                nodes=[ref(p, n)],
                score=2.0 if kind == "city" else 1.0,
            )
        )
    return out


def peripheral_findings(p: Projections, per: Periphery[str]) -> list[Finding]:
    """Cities hanging on one tie (one finding each); partners on one tie, grouped by city."""
    g = p.collaboration
    out: list[Finding] = []
    by_city: dict[str, list[str]] = defaultdict(list)
    for n in per.pendant + per.low_core:
        kind = g.nodes[n].get("kind")
        if kind == "city":
            out.append(_pendant_city(p, n))
        elif kind == "partner":
            by_city[g.nodes[n].get("city") or ""].append(n)
    for city, partners in sorted(by_city.items()):
        out.append(_peripheral_partners(p, city, sorted(partners), per))
    return out


def _pendant_city(p: Projections, n: str) -> Finding:
    g = p.collaboration
    th, en = p.label(n, "th"), p.label(n, "en")
    nbrs = sorted(g[n])
    return Finding(
        kind="peripheral-city",
        severity="high" if g.degree(n) == 1 else "medium",
        subjects=[n],
        cities=[n],
        message_th=f"เมือง {th} เชื่อมกับเครือข่ายผ่าน {_named(p, nbrs, 'th')} เท่านั้น",
        message_en=f"The city {en} is tied to the network only through {_named(p, nbrs, 'en')}.",
        recommendation_th=f"หาภาคีเพิ่มให้ {th} โดยเฉพาะภาคีที่ทำงานกับเมืองอื่นด้วย",
        recommendation_en=f"Find more partners for {en}, especially ones that also work with other cities.",
        evidence={"degree": g.degree(n), "core_number": 1, "neighbours": nbrs},
        nodes=[ref(p, n)] + [ref(p, m) for m in nbrs],
        score=3.0,
    )


def _peripheral_partners(p: Projections, city: str, partners: list[str], per: Periphery[str]) -> Finding:
    g = p.collaboration
    where_th = p.label(city, "th") if city else "ระดับประเทศ"
    where_en = p.label(city, "en") if city else "no single city"
    degrees = {n: g.degree(n) for n in partners}
    return Finding(
        kind="peripheral-partners",
        severity="low" if len(partners) < 3 else "medium",
        subjects=partners,
        cities=[city] if city else [],
        message_th=f"ภาคี {len(partners)} รายใน {where_th} อยู่ชายขอบเครือข่าย (มีความร่วมมือเพียงทางเดียว "
        f"หรืออยู่ในแกน k-core ชั้นนอกสุด): {_named(p, partners, 'th')}",
        message_en=f"{len(partners)} partner(s) in {where_en} sit at the edge of the network "
        f"(one tie only, or only in the outer 1-core): {_named(p, partners, 'en')}.",
        recommendation_th="จับคู่ภาคีเหล่านี้กับภาคีอื่นในกิจกรรมหรือพื้นที่เดียวกัน (ดูข้อเสนอการจับคู่)",
        recommendation_en="Pair these partners with others in a shared activity or space "
        "(see the partnership suggestions).",
        evidence={"degrees": degrees, "core_numbers": {n: per.core_number[n] for n in partners}},
        nodes=[ref(p, n) for n in partners[:20]],
        score=float(len(partners)),
    )


def _piece_text(piece: Piece, p: Projections, lang: str) -> str:
    names = _named(p, [str(s) for s in piece.sample], lang)
    if lang == "th":
        cities, partners = piece.kinds.get("city", 0), piece.kinds.get("partner", 0)
        return f"{piece.nodes} ราย (เมือง {cities}, ภาคี {partners}: {names})"
    return (
        f"{piece.nodes} actor(s) ({piece.kinds.get('city', 0)} cities, "
        f"{piece.kinds.get('partner', 0)} partners: {names})"
    )


def _matters(piece: Piece) -> bool:
    """A piece worth a finding: two or more actors, with a city or a partner among them.

    A single actor hanging on one tie is already reported as peripheral.
    """
    return piece.nodes >= 2 and (piece.kinds.get("city", 0) > 0 or piece.kinds.get("partner", 0) > 0)


def cut_findings(p: Projections, cuts: list[CutPoint]) -> list[Finding]:
    """Single points of failure whose loss cuts a city or a group of partners off."""
    out = []
    for cut in cuts:
        # A piece hanging on one tie is reported once, as that bridge.
        pieces = [x for x in cut.pieces if _matters(x) and not (cut.kind == "articulation" and x.via_bridge)]
        if not pieces:
            continue
        lost = Piece()
        for x in pieces:
            lost.add(x)
        out.append(_cut_finding(p, cut, pieces, lost))
    return out


def _cut_finding(p: Projections, cut: CutPoint, pieces: list[Piece], lost: Piece) -> Finding:
    where = [str(w) for w in cut.where]
    cut_th = " – ".join(p.label(w, "th") for w in where)
    cut_en = " – ".join(p.label(w, "en") for w in where)
    lost_th = "; ".join(_piece_text(x, p, "th") for x in pieces)
    lost_en = "; ".join(_piece_text(x, p, "en") for x in pieces)
    if cut.kind == "bridge":
        msg_th = f"ความร่วมมือระหว่าง {cut_th} เป็นสายเดียวที่เชื่อม {lost_th} กับเครือข่าย"
        msg_en = f"The tie {cut_en} is the only link between the network and {lost_en}."
        kind = "bridge"
    else:
        msg_th = f"{cut_th} เป็นจุดเดียวที่เชื่อม {lost_th} กับเครือข่าย ถ้าขาดไปส่วนนี้จะหลุดออก"
        msg_en = (
            f"{cut_en} is the single point holding {lost_en} on the network; without it they are cut off."
        )
        kind = "cut-vertex"
    sample = [str(s) for x in pieces for s in x.sample]
    return Finding(
        kind=kind,
        severity="high" if lost.kinds.get("city", 0) else "medium",
        subjects=where,
        cities=sorted(set(_cities_of(p, where + sample))),
        message_th=msg_th,
        message_en=msg_en,
        recommendation_th="สร้างความร่วมมือสายที่สองให้ส่วนที่หลุดได้ เช่น กิจกรรมร่วมกับเมืองหรือภาคีอื่น",
        recommendation_en="Build a second, independent tie for the part that would be cut off, "
        "e.g. a joint activity with another city or partner.",
        evidence={
            "cut_off_actors": lost.nodes,
            "cut_off_cities": lost.kinds.get("city", 0),
            "cut_off_partners": lost.kinds.get("partner", 0),
            "component_size": cut.component_size,
            "cut_off_sample": sample,
        },
        nodes=[ref(p, w) for w in where] + [ref(p, s) for s in sample[:10]],
        score=float(lost.kinds.get("city", 0) * 10 + lost.nodes),
    )


def fragment_findings(p: Projections, frag: Fragmentation) -> list[Finding]:
    """Disconnected fragments (beyond the main one) and thinly tied communities."""
    out = []
    g = p.collaboration
    for comp in frag.components[1:]:
        if len(comp) < 2:
            continue  # single actors are reported as isolated
        members = sorted(comp)
        cities = [n for n in members if g.nodes[n].get("kind") == "city"]
        out.append(
            Finding(
                kind="disconnected-fragment",
                severity="high" if cities else "medium",
                subjects=members[:50],
                cities=_cities_of(p, members),
                message_th=f"กลุ่ม {len(comp)} รายแยกขาดจากเครือข่ายหลัก: {_named(p, members, 'th')}",
                message_en=f"A group of {len(comp)} actors has no path to the main network: "
                f"{_named(p, members, 'en')}.",
                recommendation_th="เชื่อมกลุ่มนี้กับเครือข่ายหลักด้วยกิจกรรมหรือข้อตกลงความร่วมมือร่วมกับเมือง/ภาคีหลัก",
                recommendation_en="Connect this group to the main network through a joint activity or a "
                "partnership with a well-connected city or partner.",
                evidence={
                    "size": len(comp),
                    "cities": len(cities),
                    "main_component_size": len(frag.components[0]),
                },
                nodes=[ref(p, n) for n in members[:10]],
                score=float(len(cities) * 10 + len(comp)),
            )
        )
    out.extend(_thin_communities(p, frag))
    return out


def _thin_communities(p: Projections, frag: Fragmentation) -> list[Finding]:
    out = []
    q = frag.quotient
    component_of = {n: i for i, c in enumerate(frag.components) for n in c}
    for cid, members in enumerate(frag.communities):
        if len(members) < 3 or q.degree(cid) == 0:
            continue  # tiny groups and whole fragments are covered elsewhere
        ties = sum(d["ties"] for _, _, d in q.edges(cid, data=True))
        carriers = set()
        for other in q[cid]:
            carriers |= frag.brokers_between[(min(cid, other), max(cid, other))] & members
        comp_size = len(frag.components[component_of[next(iter(members))]])
        if ties > 1 and len(carriers) > 1:
            continue
        if comp_size == len(members):
            continue
        out.append(_thin_community(p, cid, sorted(members), ties, sorted(carriers)))
    return out


def _thin_community(p: Projections, cid: int, members: list[str], ties: int, carriers: list[str]) -> Finding:
    return Finding(
        kind="thin-community",
        severity="medium",
        subjects=carriers,
        cities=_cities_of(p, members),
        message_th=f"กลุ่มความร่วมมือที่ {cid + 1} ({len(members)} ราย: {_named(p, members, 'th')}) "
        f"เชื่อมกับกลุ่มอื่นด้วยความร่วมมือ {ties} สาย ผ่าน {_named(p, carriers, 'th')} เท่านั้น",
        message_en=f"Cluster {cid + 1} ({len(members)} actors: {_named(p, members, 'en')}) is tied to the "
        f"other clusters by {ties} tie(s), all through {_named(p, carriers, 'en')}.",
        recommendation_th="ส่งเสริมให้สมาชิกคนอื่นของกลุ่มทำงานร่วมกับกลุ่มอื่นโดยตรง",
        recommendation_en="Help other members of the cluster work directly with other clusters.",
        evidence={"community": cid, "size": len(members), "crossing_ties": ties, "carriers": carriers},
        nodes=[ref(p, n) for n in carriers] + [ref(p, n) for n in members[:10]],
        score=float(len(members)),
    )


def broker_findings(
    p: Projections,
    candidates: list[str],
    betweenness: Mapping[Hashable, float],  # structural_holes measures any graph
    constraint: Mapping[str, float],
    eff_size: Mapping[str, float],
    roles_city: Mapping[str, BrokerageRoles],
    roles_sector: Mapping[str, BrokerageRoles],
    top: int = 5,
    min_betweenness: float = 0.1,
) -> list[Finding]:
    """Brokers the network depends on: the top cities/partners by betweenness.

    A broker is a strength and a risk: if it stops, the groups it links lose
    their path. Only actors on at least ``min_betweenness`` of the shortest
    paths between others, that broker between groups (some liaison,
    gatekeeper, representative or itinerant paths), are reported.
    """
    g = p.collaboration
    ranked = sorted(candidates, key=lambda n: (-betweenness.get(n, 0.0), str(n)))
    out: list[Finding] = []
    for n in ranked:
        if len(out) >= top or betweenness.get(n, 0.0) < min_betweenness:
            break
        rc, rs = roles_city.get(n), roles_sector.get(n)
        if rc is None or rc.total - rc.coordinator <= 0:  # brokers nothing between cities
            continue
        # The candidates are the actors the constraint was measured for, effective size with it.
        out.append(_broker(p, n, betweenness[n], constraint[n], eff_size[n], rc, rs, g.degree(n)))
    return out


def _broker(
    p: Projections,
    n: str,
    bc: float,
    con: float,
    eff: float,
    rc: BrokerageRoles,
    rs: BrokerageRoles | None,
    degree: int,
) -> Finding:
    th, en = p.label(n, "th"), p.label(n, "en")
    return Finding(
        kind="broker-dependence",
        severity="medium",
        subjects=[n],
        cities=_cities_of(p, [n]),
        message_th=f"{th} เป็นตัวกลางหลักของเครือข่าย (betweenness {bc:.3f}, constraint {con:.2f}, "
        f"ขนาดเครือข่ายที่ไม่ซ้ำซ้อน {eff:.1f} จาก {degree}) เชื่อมระหว่างเมือง {rc.liaison:.0f} เส้นทางแบบ liaison "
        f"และ {rc.gatekeeper + rc.representative:.0f} แบบ gatekeeper/representative",
        message_en=f"{en} is a key broker (betweenness {bc:.3f}, constraint {con:.2f}, effective size "
        f"{eff:.1f} of {degree} contacts): it sits on {rc.liaison:.0f} liaison and "
        f"{rc.gatekeeper + rc.representative:.0f} gatekeeper/representative paths between cities.",
        recommendation_th=f"ลดการพึ่งพา {th} โดยสร้างความร่วมมือตรงระหว่างคู่ที่ {th} เป็นตัวกลาง และสนับสนุนบทบาทนี้ให้ยั่งยืน",
        recommendation_en=f"Reduce the dependence on {en}: create direct ties between the actors it links, "
        "and fund its brokering role so it lasts.",
        evidence={
            "betweenness": bc,
            "constraint": con,
            "effective_size": eff,
            "degree": degree,
            "brokerage_by_city": rc.as_dict(),
            "brokerage_by_sector": rs.as_dict() if rs else {},
        },
        nodes=[ref(p, n)],
        score=bc,
    )


def open_city_findings(p: Projections, eff_size: dict, constraint: dict) -> list[Finding]:
    """Cities whose partners rarely work with each other (many structural holes)."""
    g = p.collaboration
    out = []
    for city in p.cities():
        partners = [m for m in g[city] if g.nodes[m].get("kind") == "partner"]
        if len(partners) < 4 or city not in eff_size:
            continue
        sub = g.subgraph(partners)
        pairs = len(partners) * (len(partners) - 1) / 2
        density = sub.number_of_edges() / pairs
        if density > 0.1:
            continue
        out.append(
            _open_city(p, city, partners, density, eff_size[city], constraint.get(city), g.degree(city))
        )
    return out


def _open_city(
    p: Projections, city: str, partners: list[str], density: float, eff: float, con: float | None, degree: int
) -> Finding:
    th, en = p.label(city, "th"), p.label(city, "en")
    return Finding(
        kind="partners-not-working-together",
        severity="medium",
        subjects=[city],
        cities=[city],
        message_th=f"ภาคี {len(partners)} รายของ {th} แทบไม่ได้ทำงานร่วมกันเอง (ความหนาแน่น {density:.0%}); "
        f"ทุกอย่างผ่านเมือง (ขนาดเครือข่ายที่ไม่ซ้ำซ้อน {eff:.1f} จาก {degree})",
        message_en=f"The {len(partners)} partners of {en} hardly work with each other "
        f"(density {density:.0%}); "
        f"everything goes through the city (effective size {eff:.1f} of {degree} contacts).",
        recommendation_th="จัดกิจกรรมหรือพื้นที่ที่ภาคีหลายรายดูแลร่วมกัน เพื่อให้ภาคีรู้จักและทำงานกันเอง",
        recommendation_en="Set up co-organised activities or co-managed spaces "
        "so partners work together directly.",
        evidence={
            "partners": len(partners),
            "partner_density": density,
            "effective_size": eff,
            "constraint": con,
            "degree": degree,
        },
        nodes=[ref(p, city)] + [ref(p, m) for m in sorted(partners)[:10]],
        score=float(len(partners)),
    )


def no_ties_finding(g: nx.Graph) -> Finding:
    """The whole network has no ties: every structural measure is empty."""
    return Finding(
        kind="no-ties",
        severity="high",
        subjects=[],
        cities=sorted(n for n, d in g.nodes(data=True) if d.get("kind") == "city"),
        message_th=f"เครือข่ายมีผู้เกี่ยวข้อง {g.number_of_nodes()} ราย แต่ไม่มีความร่วมมือระหว่างกันเลย "
        "จึงวิเคราะห์โครงสร้างเครือข่ายไม่ได้",
        message_en=f"The network has {g.number_of_nodes()} actors but no ties between them, "
        "so there is no network structure to analyse.",
        recommendation_th="บันทึกกิจกรรม พื้นที่ ตัวความรู้ และข้อตกลงความร่วมมือ พร้อมผู้จัด/ผู้ดูแล ลงในกราฟ",
        recommendation_en="Record activities, spaces, knowledge assets and partnerships with their "
        "organisers, managers and providers.",
        evidence={"actors": g.number_of_nodes(), "ties": 0},
        score=100.0,
    )
