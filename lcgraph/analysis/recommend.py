"""Partnership suggestions: who should work with whom, and why, in words.

For analysts deciding what to fund next. Candidates are pairs of cities or
partners that are not tied yet but are two steps apart (they share a
partner, a city or an administrator). Scoring every non-edge is quadratic,
so candidates are enumerated through their shared contacts only, and a hub
with more than ``hub_cap`` ties is not used to *enumerate* pairs (it would
pair everyone with everyone; its resource-allocation share per pair is at
most ``1/hub_cap``). The best candidates are then scored exactly with
networkx's predictors, hubs included.

The ranking score is the resource-allocation index, raised by half when the
pair would join two different communities (a tie between clusters does more
against fragmentation). Adamic–Adar, the community-aware
Soundarajan–Hopcroft index and the within/inter-cluster ratio are reported
alongside.

References
----------
Adamic, L. A., & Adar, E. (2003). Friends and neighbors on the Web.
*Social Networks* 25(3):211–230.
Zhou, T., Lü, L., & Zhang, Y.-C. (2009). Predicting missing links via local
information. *Eur. Phys. J. B* 71:623–630 (resource allocation).
Soundarajan, S., & Hopcroft, J. (2012). Using community information to
improve the precision of link prediction methods. *WWW '12 Companion*.
Valverde-Rebaza, J., & Lopes, A. (2012). Link prediction in complex networks
based on cluster information. *SBIA 2012* (within/inter-cluster).
"""

from __future__ import annotations

import heapq
import random
from collections import defaultdict
from dataclasses import asdict, dataclass

import networkx as nx

from lcgraph.analysis.networks import Projections

ACTOR_KINDS = ("city", "partner")
CROSS_COMMUNITY_BONUS = 0.5


@dataclass
class Recommendation:
    """A suggested partnership with its scores and its reasons in Thai and English."""

    a: str
    b: str
    label_a_th: str
    label_a_en: str
    label_b_th: str
    label_b_en: str
    score: float
    resource_allocation: float
    adamic_adar: float
    ra_soundarajan_hopcroft: float
    within_inter_cluster: float
    shared_themes: list[str]
    shared_partners: list[str]
    shared_cities: list[str]
    communities: tuple[int, int]
    reason_th: str
    reason_en: str

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class CandidateSearch:
    """How candidates were found (for the report: what was and was not enumerated)."""

    pairs_seen: int
    intermediaries_used: int
    intermediaries_skipped_hubs: int
    intermediaries_not_reached: int
    hub_cap: int


def candidate_pairs(
    g: nx.Graph, focus: set, hub_cap: int = 200, max_pairs: int = 2_000_000, keep: int = 5000, seed: int = 7
) -> tuple[list[tuple[str, str]], CandidateSearch]:
    """The ``keep`` most promising untied distance-2 pairs among ``focus`` nodes.

    Pairs are enumerated through intermediaries of degree at most
    ``hub_cap`` (in a seeded random order) until ``max_pairs`` pair visits;
    a partial resource-allocation score picks the ones kept.
    """
    partial: dict[tuple[str, str], float] = defaultdict(float)
    order = [z for z in g if g.degree(z) >= 2]
    random.Random(seed).shuffle(order)
    seen = used = hubs = 0
    for i, z in enumerate(order):
        deg = g.degree(z)
        if deg > hub_cap:
            hubs += 1
            continue
        if seen >= max_pairs:
            return _top(partial, keep), CandidateSearch(seen, used, hubs, len(order) - i, hub_cap)
        used += 1
        nbrs = sorted((n for n in g[z] if n in focus and n != z), key=str)
        for x in range(len(nbrs)):
            for y in range(x + 1, len(nbrs)):
                u, v = nbrs[x], nbrs[y]
                seen += 1
                if not g.has_edge(u, v):
                    partial[(u, v)] += 1.0 / deg
    return _top(partial, keep), CandidateSearch(seen, used, hubs, 0, hub_cap)


def _top(partial: dict, keep: int) -> list[tuple[str, str]]:
    best = heapq.nlargest(keep, partial.items(), key=lambda kv: (kv[1], kv[0]))
    return [pair for pair, _ in best]


def _scores(g: nx.Graph, pairs: list[tuple[str, str]]) -> dict[str, dict]:
    return {
        "ra": {(u, v): s for u, v, s in nx.resource_allocation_index(g, pairs)},
        "aa": {(u, v): s for u, v, s in nx.adamic_adar_index(g, pairs)},
        "rash": {(u, v): s for u, v, s in nx.ra_index_soundarajan_hopcroft(g, pairs, community="community")},
        "wic": {(u, v): s for u, v, s in nx.within_inter_cluster(g, pairs, community="community")},
    }


def recommend(
    p: Projections,
    membership: dict,
    top: int = 50,
    hub_cap: int = 200,
    max_pairs: int = 2_000_000,
    seed: int = 7,
) -> tuple[list[Recommendation], CandidateSearch]:
    """Ranked partnership suggestions among cities and partners, with reasons."""
    # The community-aware predictors read a node attribute; set it in place
    # (copying a national network of 1M ties would take seconds).
    g = p.collaboration
    nx.set_node_attributes(g, membership, "community")
    kinds = nx.get_node_attributes(g, "kind")
    focus = {n for n in g if kinds.get(n) in ACTOR_KINDS}
    pairs, search = candidate_pairs(g, focus, hub_cap, max_pairs, seed=seed)
    if not pairs:
        return [], search
    scores = _scores(g, pairs)
    ranked: list[tuple[float, tuple[str, str]]] = []
    for pair in pairs:
        cross = membership.get(pair[0]) != membership.get(pair[1])
        ranked.append((scores["ra"][pair] * (1 + CROSS_COMMUNITY_BONUS * cross), pair))
    ranked.sort(key=lambda t: (-t[0], t[1]))
    ranked = ranked[:top]
    themes = p.themes_of(sorted({n for _, pair in ranked for n in pair}))
    return [_explain(p, g, pair, score, scores, membership, themes, kinds) for score, pair in ranked], search


def _explain(
    p: Projections,
    g: nx.Graph,
    pair: tuple,
    score: float,
    scores: dict,
    membership: dict,
    themes_of: dict,
    kinds: dict,
) -> Recommendation:
    u, v = pair
    common = sorted(nx.common_neighbors(g, u, v))
    partners = [n for n in common if kinds.get(n) == "partner"]
    cities = [n for n in common if kinds.get(n) == "city"]
    themes = sorted(themes_of.get(u, set()) & themes_of.get(v, set()))
    cu, cv = membership.get(u, -1), membership.get(v, -1)
    reason_en, reason_th = _reasons(p, themes, partners, cities, common, cu, cv)
    return Recommendation(
        u,
        v,
        p.label(u, "th"),
        p.label(u, "en"),
        p.label(v, "th"),
        p.label(v, "en"),
        round(score, 6),
        scores["ra"][pair],
        scores["aa"][pair],
        scores["rash"][pair],
        scores["wic"][pair],
        themes,
        partners,
        cities,
        (cu, cv),
        reason_th,
        reason_en,
    )


def _reasons(
    p: Projections,
    themes: list[str],
    partners: list[str],
    cities: list[str],
    common: list[str],
    cu: int,
    cv: int,
) -> tuple[str, str]:
    en, th = [], []
    if themes:
        en.append(f"share {len(themes)} theme(s) ({', '.join(p.label(t, 'en') for t in themes[:3])})")
        th.append(f"มีประเด็นร่วมกัน {len(themes)} ประเด็น ({', '.join(p.label(t, 'th') for t in themes[:3])})")
    if partners:
        en.append(
            f"{len(partners)} partner(s) in common ({', '.join(p.label(n, 'en') for n in partners[:3])})"
        )
        th.append(f"มีภาคีร่วมกัน {len(partners)} ราย ({', '.join(p.label(n, 'th') for n in partners[:3])})")
    if cities:
        en.append(f"both work with {', '.join(p.label(n, 'en') for n in cities[:3])}")
        th.append(f"ทำงานกับ {', '.join(p.label(n, 'th') for n in cities[:3])} เหมือนกัน")
    others = len(common) - len(partners) - len(cities)
    if others:
        en.append(f"{others} other shared contact(s)")
        th.append(f"มีผู้ติดต่อร่วมอื่นอีก {others} ราย")
    if cu != cv:
        en.append(f"would connect cluster {cu + 1} to cluster {cv + 1}")
        th.append(f"จะเชื่อมกลุ่มความร่วมมือที่ {cu + 1} กับกลุ่มที่ {cv + 1}")
    return "; ".join(en), " ; ".join(th)


# -- ranked actions ---------------------------------------------------------------

#: How actions are ranked, as the gaps page states it.
ACTION_RULE = {
    "en": "One action answers every finding of one kind. Actions are ranked by their most severe finding "
    "(high, then medium, then low), then by how many cities they reach, then by the findings' total score.",
    "th": "ข้อเสนอหนึ่งข้อตอบข้อค้นพบชนิดเดียวกันทั้งหมด เรียงตามข้อค้นพบที่รุนแรงที่สุด (สูง กลาง ต่ำ) "
    "แล้วตามจำนวนเมืองที่ได้ประโยชน์ แล้วตามคะแนนรวมของข้อค้นพบ",
}
_SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2}


@dataclass
class Action:
    """What to do about every finding of one kind in the chosen scope, best example first."""

    kind: str
    severity: str
    findings: list
    cities: list[str]

    @property
    def lead(self):  # noqa: ANN201 - a Finding (imported lazily to keep this module light)
        return self.findings[0]

    def sort_key(self) -> tuple:
        return (
            _SEVERITY_ORDER[self.severity],
            -len(self.cities),
            -sum(f.score for f in self.findings),
            self.kind,
        )

    def sentence(self, lang: str) -> str:
        """One sentence: the leading finding, and how many more of its kind there are."""
        lead = self.lead.message_th if lang == "th" else self.lead.message_en
        more = len(self.findings) - 1
        if not more:
            return lead
        if lang == "th":
            return f"{lead} (และอีก {more} รายการแบบเดียวกันใน {len(self.cities)} เมือง)"
        return f"{lead} (and {more} more like it in {len(self.cities)} cities)"

    def todo(self, lang: str) -> str:
        return self.lead.recommendation_th if lang == "th" else self.lead.recommendation_en


def ranked_actions(findings: list, limit: int = 5) -> list[Action]:
    """The few actions that matter most for these findings, by :data:`ACTION_RULE`."""
    groups: dict[str, list] = defaultdict(list)
    for f in findings:
        groups[f.kind].append(f)
    actions = []
    for kind, group in groups.items():
        group = sorted(group, key=lambda f: f.sort_key())
        cities = sorted({c for f in group for c in f.cities})
        actions.append(Action(kind, group[0].severity, group, cities))
    return sorted(actions, key=Action.sort_key)[:limit]
