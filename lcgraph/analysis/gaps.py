"""The network-gap analysis end to end: store in, ranked findings out.

For the CLI (``lcgraph gaps``), the API (``/analysis/...``) and the
benchmark. :func:`analyse` projects the networks by SPARQL, computes the
measures (each stage timed, with the process's peak memory), turns them into
findings, a scorecard per city and partnership suggestions.

Scale: exact on small networks; on large ones the costly measures are
bounded by :class:`Options` — betweenness from sampled shortest paths (with a
stated error bound, on both cores), communities by label propagation
instead of Louvain above ``louvain_max_nodes`` actors, constraint,
effective size and brokerage roles only for the top brokers and the
cities, link prediction only over distance-2 pairs reached through non-hub
contacts. Nothing holds an n-by-n structure.
"""

from __future__ import annotations

import io
import resource
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import networkx as nx

from lcgraph.analysis import network_findings as nf
from lcgraph.analysis.brokerage import BrokerageRoles, brokerage_roles
from lcgraph.analysis.cohesion import Fragmentation, cut_points, fragmentation, periphery
from lcgraph.analysis.coverage import coverage_findings
from lcgraph.analysis.findings import Finding, rank
from lcgraph.analysis.networks import AnalysisInputError, Projections, project, short_name
from lcgraph.analysis.recommend import CandidateSearch, Recommendation, recommend
from lcgraph.analysis.scope import NATION, Scope, resolve_scope
from lcgraph.analysis.scorecard import Scorecard, scorecard
from lcgraph.analysis.structural_holes import (
    BetweennessEstimate,
    betweenness_started,
    constraint,
    effective_size,
)
from lcgraph.namespaces import GRAPH_EXAMPLES, GRAPH_FINDINGS, GRAPH_HISTORY, GRAPH_PRIVATE
from lcgraph.store import Dataset, Repository


@dataclass(frozen=True)
class Options:
    """Knobs that bound the cost of the analysis on large networks."""

    seed: int = 7
    # Betweenness: exact up to this many actors, above it estimated from sampled
    # shortest paths with every value within betweenness_eps at 95% (the broker
    # finding's threshold is 0.1). About 1.3 ms a sampled path here, split over
    # betweenness_workers processes; the cap bounds the time, the bound follows it.
    betweenness_exact_max_nodes: int = 1_000
    betweenness_eps: float = 0.02
    betweenness_max_samples: int = 20_000
    betweenness_workers: int = 2
    hole_candidates: int = 15  # constraint / effective size / brokerage: top-k by betweenness (+ cities)
    hole_cities_max: int = 100  # ... and every city, up to this many cities
    brokers_reported: int = 5
    recommendations: int = 50
    hub_cap: int = 200
    max_candidate_pairs: int = 500_000
    # Louvain took 6 s on 9k actors / 93k ties here and grows faster than the
    # ties; above this many actors communities come from label propagation.
    louvain_max_nodes: int = 20_000


@dataclass
class Stage:
    """Time and memory of one stage of the analysis."""

    name: str
    seconds: float
    peak_rss_mb: float


@dataclass
class Measures:
    """The measures behind the findings (kept for reports, plots and exports)."""

    fragmentation: Fragmentation
    betweenness: BetweennessEstimate
    constraint: dict
    effective_size: dict
    roles_by_city: dict[str, BrokerageRoles]
    roles_by_sector: dict[str, BrokerageRoles]
    community_method: str
    candidate_search: CandidateSearch | None = None


@dataclass
class GapReport:
    """Everything one run of the analysis produced."""

    projections: Projections
    measures: Measures
    findings: list[Finding]
    recommendations: list[Recommendation]
    scorecards: dict[str, Scorecard]
    city: str | None
    generated_at: datetime
    stages: list[Stage] = field(default_factory=list)
    scope: Scope = NATION

    def summary(self) -> dict[str, Any]:
        g = self.projections.collaboration
        bc = self.measures.betweenness
        return {
            "city": self.city,
            "scope": self.scope.as_dict(),
            "generated_at": self.generated_at.isoformat(),
            "actors": g.number_of_nodes(),
            "ties": g.number_of_edges(),
            "cities": len(self.projections.cities()),
            "components": len(self.measures.fragmentation.components),
            "communities": len(self.measures.fragmentation.communities),
            "community_method": self.measures.community_method,
            "modularity": round(self.measures.fragmentation.modularity, 4),
            "betweenness": {
                "exact": bc.exact,
                "sources": bc.sources,
                "method": bc.method,
                "error_bound": round(bc.error_bound, 4),
                "confidence": 1 - bc.confidence_miss,
            },
            "findings": len(self.findings),
            "findings_by_severity": {
                s: sum(f.severity == s for f in self.findings) for s in ("high", "medium", "low")
            },
            "graphs_analysed": self.projections.graphs_used,
        }


def peak_rss_mb() -> float:
    """The process's peak resident memory so far, in MB (Linux reports kB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class _Stages:
    def __init__(self, on_stage: Callable[[Stage], None] | None) -> None:
        self.done: list[Stage] = []
        self.on_stage = on_stage

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        yield
        stage = Stage(name, time.perf_counter() - start, peak_rss_mb())
        self.done.append(stage)
        if self.on_stage:
            self.on_stage(stage)


def without_examples(ds: Repository) -> Repository:
    """An in-memory copy of the store's public graphs but the illustrative examples (``lcg:examples``).

    For "real data only" views: the analysis then reads exactly what it would
    read from a store loaded without ``--examples``. Personal data, findings
    and the history are not copied (the analysis reads none of them).
    """
    skip = {str(GRAPH_EXAMPLES), str(GRAPH_PRIVATE), str(GRAPH_FINDINGS), str(GRAPH_HISTORY)}
    view = Dataset.memory()
    for g in ds.graphs():
        if g in skip:
            continue
        buffer = io.BytesIO()
        ds.dump(buffer, "ntriples", graph=g)
        if buffer.getvalue().strip():
            view.load_bytes(buffer.getvalue(), "ntriples", graph=g, source=g)
    return view


def _check_input(ds: Repository) -> None:
    if ds.is_empty():
        raise AnalysisInputError("the store is empty: load data first (lcgraph init, then lcgraph load FILE)")


def _communities(g: nx.Graph, opts: Options) -> tuple[Fragmentation, str]:
    if g.number_of_nodes() <= opts.louvain_max_nodes:
        return fragmentation(g, seed=opts.seed), "louvain"
    # Louvain in networkx takes minutes at this size (DOMAIN.md): fall back to
    # semi-synchronous label propagation, linear in the ties, and say so.
    found = nx.community.fast_label_propagation_communities(g, weight="weight", seed=opts.seed)
    return fragmentation(g, communities=list(found)), "fast-label-propagation"


def _candidates(g: nx.Graph, k: int, bc: dict, max_cities: int) -> list[str]:
    """Where structural holes and brokerage matter: the top-k brokers by betweenness, and every city.

    Broker findings report the top brokers; the "partners not working
    together" finding looks at cities. Nothing else reads these measures.
    """
    kinds = ("city", "partner", "administrator")
    tied = [n for n, d in g.nodes(data=True) if d.get("kind") in kinds and g.degree(n) > 0]
    top = sorted(tied, key=lambda n: (-bc.get(n, 0.0), str(n)))[:k]
    cities = [n for n in tied if g.nodes[n].get("kind") == "city" and n not in set(top)]
    if len(cities) > max_cities:
        # Cities' contacts include the national hubs: scoring a thousand cities
        # took 38 s (measured), so past this only the top brokers are scored.
        return top
    return top + sorted(cities)


def _groups(g: nx.Graph) -> tuple[dict, dict]:
    """Group of each node by city and by sector, for brokerage roles."""
    by_city, by_sector = {}, {}
    for n, d in g.nodes(data=True):
        by_city[n] = d.get("city") or "no-city"
        by_sector[n] = short_name(d["sector"]) if d.get("sector") else d.get("kind", "other")
    return by_city, by_sector


def _measure(g: nx.Graph, opts: Options, stage: _Stages) -> Measures:
    # Betweenness is sampled in worker processes while this one finds the
    # communities: the two stages overlap on the two cores, and the
    # "betweenness" stage is only the wait for what is left of the sampling.
    with stage("betweenness setup"):
        pending = betweenness_started(
            g,
            eps=opts.betweenness_eps,
            max_samples=opts.betweenness_max_samples,
            seed=opts.seed,
            exact_max_nodes=opts.betweenness_exact_max_nodes,
            workers=opts.betweenness_workers,
        )
    with stage("communities"):
        frag, method = _communities(g, opts)
    with stage("betweenness"):
        bc = pending()
    candidates = _candidates(g, opts.hole_candidates, bc.values, opts.hole_cities_max)
    with stage("structural holes"):
        con = constraint(g, candidates)
        eff = effective_size(g, candidates)
    with stage("brokerage roles"):
        by_city, by_sector = _groups(g)
        roles_city = brokerage_roles(g, by_city, candidates)
        roles_sector = brokerage_roles(g, by_sector, candidates)
    return Measures(frag, bc, con, eff, roles_city, roles_sector, method)


def _findings(p: Projections, m: Measures, opts: Options, stage: _Stages) -> list[Finding]:
    g = p.collaboration
    out: list[Finding] = []
    if g.number_of_edges() == 0:
        out.append(nf.no_ties_finding(g))
    with stage("periphery and cut points"):
        per = periphery(g)
        out += nf.isolated_findings(p, per)
        out += nf.peripheral_findings(p, per)
        out += nf.cut_findings(p, cut_points(g))
    with stage("cluster and broker findings"):
        out += _cluster_and_broker_findings(p, m, opts)
    with stage("coverage"):
        out += coverage_findings(p, p.cities())
    return rank(out)


def _cluster_and_broker_findings(p: Projections, m: Measures, opts: Options) -> list[Finding]:
    out = nf.fragment_findings(p, m.fragmentation)
    candidates = list(m.constraint)
    out += nf.broker_findings(
        p,
        candidates,
        m.betweenness.values,
        m.constraint,
        m.effective_size,
        m.roles_by_city,
        m.roles_by_sector,
        top=opts.brokers_reported,
    )
    out += nf.open_city_findings(p, m.effective_size, m.constraint)
    return out


def analyse(
    ds: Repository,
    city: str | None = None,
    options: Options | None = None,
    on_stage: Callable[[Stage], None] | None = None,
    *,
    province: str | None = None,
    region: str | None = None,
) -> GapReport:
    """Run the gap analysis on the store, for the whole network, a region, a province or one city.

    Structure is always measured on the whole network (a city can only be
    cut off from something); ``city`` (IRI, slug or label), ``province``
    (IRI, ISO code such as ``TH-50``, or name) or ``region`` (IRI, code such as
    ``north``, or name) keeps the findings, suggestions and scorecards that
    concern the cities of that scope (the narrowest one given wins). Raises
    :class:`AnalysisInputError` for an empty store or an unknown place.
    """
    opts = options or Options()
    stage = _Stages(on_stage)
    _check_input(ds)
    with stage("projection (SPARQL)"):
        p = project(ds)
    if p.collaboration.number_of_nodes() == 0:
        raise AnalysisInputError(
            "the store holds no actors to analyse (no lc:LearningCity, lc:PartnerOrganisation or "
            "lc:CityLearningAdministrator): load the examples or your own data first"
        )
    scope = resolve_scope(p, city=city, province=province, region=region)
    city_iri = scope.iri if scope.kind == "city" else None
    m = _measure(p.collaboration, opts, stage)
    findings = _findings(p, m, opts, stage)
    with stage("recommendations"):
        recs, search = recommend(
            p,
            m.fragmentation.membership,
            top=opts.recommendations * (1 if scope.whole else 4),
            hub_cap=opts.hub_cap,
            max_pairs=opts.max_candidate_pairs,
            seed=opts.seed,
        )
        m.candidate_search = search
    with stage("scorecards"):
        cities = p.cities() if scope.whole else sorted(scope.cities)
        cards = {c: scorecard(p, c) for c in cities}
    if not scope.whole:
        findings = [f for f in findings if scope.cities.intersection(f.cities)]
        recs = [r for r in recs if _concerns(p, r, scope.cities)][: opts.recommendations]
    return GapReport(p, m, findings, recs, cards, city_iri, datetime.now(UTC), stage.done, scope)


def _concerns(p: Projections, r: Recommendation, cities: frozenset[str]) -> bool:
    g = p.collaboration
    return bool(cities.intersection((r.a, r.b, g.nodes[r.a].get("city"), g.nodes[r.b].get("city"))))
