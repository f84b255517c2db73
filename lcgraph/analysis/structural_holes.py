"""Structural holes and betweenness, computed where they matter and at scale.

For analysts looking for brokers: actors whose contacts are not tied to each
other (Burt's structural holes) and actors on many shortest paths
(betweenness).

networkx's ``constraint`` and ``effective_size`` recompute each neighbour's
tie totals for every pair they look at, so a hub with thousands of ties
costs millions of steps, and ``effective_size`` over a whole graph builds a
dense n-by-n array. The two functions below give the *same numbers* as
networkx for undirected graphs (the tests compare them) but precompute each
node's tie strength and strongest tie once, so scoring one node costs the sum
of its neighbours' degrees. They take the nodes to score, so callers score
only the candidates that matter (e.g. the top-k by degree).

References
----------
Burt, R. S. (1992). *Structural Holes: The Social Structure of Competition*.
Harvard University Press.
Borgatti, S. P. (1997). Structural holes: Unpacking Burt's redundancy
measures. *Connections* 20(1):35–38.
Riondato, M., & Kornaropoulos, E. M. (2016). Fast approximation of
betweenness centrality through sampling. *Data Mining and Knowledge
Discovery* 30(2):438–475.
"""

from __future__ import annotations

import math
import multiprocessing as mp
import random
from collections import Counter
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass

import networkx as nx


def _strengths(g: nx.Graph, weight: str | None) -> tuple[dict, dict]:
    """Each node's total tie weight and strongest tie (self-loops ignored)."""
    total: dict[Hashable, float] = {}
    strongest: dict[Hashable, float] = {}
    for n, nbrs in g.adjacency():
        ws = [(d.get(weight, 1) if weight else 1) for m, d in nbrs.items() if m != n]
        total[n] = float(sum(ws))
        strongest[n] = float(max(ws)) if ws else 0.0
    return total, strongest


def _w(g: nx.Graph, u: Hashable, v: Hashable, weight: str | None) -> float:
    return float(g[u][v].get(weight, 1)) if weight else 1.0


def _require_undirected(g: nx.Graph) -> None:
    if g.is_directed() or g.is_multigraph():
        raise TypeError("structural-hole measures here take a simple undirected nx.Graph")


def constraint(
    g: nx.Graph, nodes: Iterable[Hashable] | None = None, weight: str | None = "weight"
) -> dict[Hashable, float]:
    """Burt's constraint for the given nodes of an undirected graph.

    ``c(i) = sum_j (p_ij + sum_q p_iq p_qj)^2`` over i's contacts ``j`` and
    third parties ``q`` tied to both, with ``p_ij = w_ij / sum_k w_ik``.
    Isolated nodes get ``nan`` (as in networkx). Low constraint means the
    actor's contacts are not tied to each other: it spans structural holes.

    Example
    -------
    >>> round(constraint(nx.star_graph(3), [0])[0], 3)  # a hub of 3 leaves
    0.333

    References: Burt (1992), ch. 2.
    """
    _require_undirected(g)
    total, _ = _strengths(g, weight)
    chosen = list(g) if nodes is None else list(nodes)
    result: dict[Hashable, float] = {}
    for i in chosen:
        contacts = [j for j in g[i] if j != i]
        if not contacts:
            result[i] = math.nan
            continue
        p_i = {j: _w(g, i, j, weight) / total[i] for j in contacts}
        score = 0.0
        for j in contacts:
            indirect = 0.0
            for q in g[j]:
                if q != i and q != j and q in p_i:
                    indirect += p_i[q] * _w(g, q, j, weight) / total[q]
            score += (p_i[j] + indirect) ** 2
        result[i] = score
    return result


def effective_size(
    g: nx.Graph, nodes: Iterable[Hashable] | None = None, weight: str | None = "weight"
) -> dict[Hashable, float]:
    """Burt's effective size (non-redundant contacts) for the given nodes.

    ``e(i) = sum_j (1 - sum_q p_iq m_jq)`` with ``m_jq = w_jq / max_k w_jk``.
    Without weights this equals Borgatti's ``n - 2t/n`` (``t`` ties among the
    ``n`` contacts). Isolated nodes get ``nan`` (as in networkx).

    Example
    -------
    >>> effective_size(nx.complete_graph(4), [0])[0]  # every contact redundant
    1.0

    References: Burt (1992); Borgatti (1997).
    """
    _require_undirected(g)
    total, strongest = _strengths(g, weight)
    chosen = list(g) if nodes is None else list(nodes)
    result: dict[Hashable, float] = {}
    for i in chosen:
        contacts = [j for j in g[i] if j != i]
        if not contacts:
            result[i] = math.nan
            continue
        p_i = {j: _w(g, i, j, weight) / total[i] for j in contacts}
        size = 0.0
        for j in contacts:
            redundancy = 0.0
            for q in g[j]:
                if q != i and q != j and q in p_i:
                    redundancy += p_i[q] * _w(g, j, q, weight) / strongest[j]
            size += 1.0 - redundancy
        result[i] = size
    return result


@dataclass(frozen=True)
class BetweennessEstimate:
    """Normalised betweenness per node, with how it was computed.

    ``error_bound`` is ``eps`` such that every node's estimate is within
    ``eps`` of its exact normalised value with probability at least
    ``1 - confidence_miss`` (0 when computed exactly). ``sources`` is the
    number of sampled shortest paths (or of nodes, when exact).
    """

    values: dict[Hashable, float]
    sources: int
    exact: bool
    error_bound: float
    confidence_miss: float
    method: str = "exact"
    vertex_diameter: int = 0


# Riondato & Kornaropoulos's sample size constant (they use c = 0.5, after
# Löffler & Phillips's estimate of the universal constant).
_RK_C = 0.5


def _vertex_diameter_bound(g: nx.Graph) -> int:
    """An upper bound on the number of nodes on any shortest path (2-approximation).

    For each component, one BFS from any node gives its eccentricity ``e``;
    no shortest path in that component has more than ``2e + 1`` nodes. The
    BFS starts at the best-connected node (a small ``e``, and the same bound
    on every run).
    """
    bound = 1
    for comp in nx.connected_components(g):
        if len(comp) <= bound:
            continue
        start = max(comp, key=lambda v: (g.degree(v), str(v)))
        ecc = max(nx.single_source_shortest_path_length(g, start).values())
        bound = max(bound, min(len(comp), 2 * ecc + 1))
    return bound


def sample_size(eps: float, delta: float, vertex_diameter: int) -> int:
    """Shortest paths to sample so that every estimate is within ``eps`` with probability ``1 - delta``.

    ``r = (c / eps^2) (floor(log2(VD - 2)) + 1 + ln(1 / delta))`` with the
    vertex diameter ``VD`` (Riondato & Kornaropoulos 2016, Theorem 1).
    """
    return math.ceil(_RK_C / eps**2 * (_vc_term(vertex_diameter) + math.log(1 / delta)))


def _vc_term(vertex_diameter: int) -> int:
    return int(math.floor(math.log2(vertex_diameter - 2))) + 1 if vertex_diameter > 3 else 1


def bound_for(samples: int, delta: float, vertex_diameter: int) -> float:
    """The ``eps`` that ``samples`` sampled paths guarantee (the inverse of :func:`sample_size`)."""
    return math.sqrt(_RK_C / samples * (_vc_term(vertex_diameter) + math.log(1 / delta)))


def _expand(adj: list[list[int]], front: list[int], dist: dict, sigma: dict) -> list[int]:
    """One BFS level: the next frontier, with shortest-path counts."""
    nxt: list[int] = []
    level = dist[front[0]] + 1
    for u in front:
        su = sigma[u]
        for w in adj[u]:
            dw = dist.get(w)
            if dw is None:
                dist[w] = level
                sigma[w] = su
                nxt.append(w)
            elif dw == level:
                sigma[w] += su
    return nxt


def _walk_back(adj: list[list[int]], node: int, dist: dict, sigma: dict, rng: random.Random) -> list[int]:
    """A uniformly random shortest path from ``node`` back to the BFS root (root excluded)."""
    path = []
    while dist[node] > 0:
        path.append(node)
        preds = [p for p in adj[node] if dist.get(p) == dist[node] - 1]
        node = rng.choices(preds, weights=[sigma[p] for p in preds])[0]
    return path


def _random_shortest_path(adj: list[list[int]], s: int, t: int, rng: random.Random) -> list[int]:
    """The inner nodes, in order, of a shortest s-t path drawn uniformly among all of them ([] if none).

    A balanced bidirectional BFS (the side whose frontier has fewer ties
    grows) counts shortest paths from both ends until the frontiers meet;
    the meeting node is drawn in proportion to the paths through it, then
    each half is walked back in proportion to path counts.
    """
    dist_s, sig_s, front_s = {s: 0}, {s: 1}, [s]
    dist_t, sig_t, front_t = {t: 0}, {t: 1}, [t]
    while front_s and front_t:
        grow_s = sum(len(adj[u]) for u in front_s) <= sum(len(adj[u]) for u in front_t)
        if grow_s:
            front_s = _expand(adj, front_s, dist_s, sig_s)
            meet = [w for w in front_s if w in dist_t]
        else:
            front_t = _expand(adj, front_t, dist_t, sig_t)
            meet = [w for w in front_t if w in dist_s]
        if meet:
            mid = rng.choices(meet, weights=[sig_s[w] * sig_t[w] for w in meet])[0]
            to_s = _walk_back(adj, mid, dist_s, sig_s, rng)[::-1]  # next to s .. mid
            to_t = _walk_back(adj, mid, dist_t, sig_t, rng)  # mid .. next to t
            if mid == t:  # s and t are neighbours, or t was reached from the s side
                return to_s[:-1]
            if mid == s:
                return to_t[1:]
            return to_s + to_t[1:]
    return []


_SHARED: list[list[int]] = []  # the adjacency the worker processes inherit (fork)


def _count_inner(task: tuple[int, int]) -> Counter[int]:
    """Sample ``samples`` random pairs and count the inner nodes of a random shortest path of each."""
    samples, seed = task
    adj, rng = _SHARED, random.Random(seed)
    hits: Counter[int] = Counter()
    n = len(adj)
    for _ in range(samples):
        s, t = rng.sample(range(n), 2)
        hits.update(_random_shortest_path(adj, s, t, rng))
    return hits


def _index(g: nx.Graph) -> tuple[list, list[list[int]]]:
    nodes = list(g)
    pos = {v: i for i, v in enumerate(nodes)}
    return nodes, [[pos[w] for w in g.adj[v] if w != v] for v in nodes]


def _start_sampling(adj: list[list[int]], samples: int, seed: int, workers: int) -> Callable[[], Counter]:
    """Start sampling on ``workers`` forked processes; the returned call waits for the counts.

    The caller may compute something else meanwhile (the analysis finds
    communities): the workers run on the other cores. Forked workers share the
    adjacency lists copy-on-write; nothing is pickled but the counts.
    """
    global _SHARED
    chunks = [(samples // workers + (i < samples % workers), seed * 1000 + i) for i in range(workers)]
    if workers <= 1 or "fork" not in mp.get_all_start_methods():
        _SHARED = adj
        try:
            hits = sum((_count_inner(c) for c in chunks), Counter())
        finally:
            _SHARED = []
        return lambda: hits
    _SHARED = adj
    try:
        pool = mp.get_context("fork").Pool(workers)
    finally:
        _SHARED = []  # the children have their copy
    pending = pool.map_async(_count_inner, chunks)
    pool.close()

    def wait() -> Counter:
        try:
            return sum(pending.get(), Counter())
        finally:
            pool.join()

    return wait


def betweenness_started(
    g: nx.Graph,
    eps: float = 0.02,
    max_samples: int = 40_000,
    seed: int = 7,
    delta: float = 0.05,
    exact_max_nodes: int = 1_000,
    workers: int = 2,
) -> Callable[[], BetweennessEstimate]:
    """Start :func:`betweenness` in the background (sampling in worker processes); call the result to get it.

    Small graphs are computed exactly before returning.
    """
    n = g.number_of_nodes()
    if n <= 2:
        done = BetweennessEstimate({v: 0.0 for v in g}, n, True, 0.0, 0.0)
        return lambda: done
    if n <= exact_max_nodes:
        exact = BetweennessEstimate(nx.betweenness_centrality(g, normalized=True), n, True, 0.0, 0.0)
        return lambda: exact
    vd = _vertex_diameter_bound(g)
    samples = min(max_samples, sample_size(eps, delta, vd))
    nodes, adj = _index(g)
    wait = _start_sampling(adj, samples, seed, workers)

    def result() -> BetweennessEstimate:
        hits = wait()
        scale = n / (n - 2)  # RK's normalisation (ordered pairs over n(n-1)) to networkx's ((n-1)(n-2))
        values = {v: 0.0 for v in nodes}
        for i, c in hits.items():
            values[nodes[i]] = c / samples * scale
        bound = bound_for(samples, delta, vd) * scale
        return BetweennessEstimate(values, samples, False, bound, delta, "path-sampling", vd)

    return result


def betweenness(
    g: nx.Graph,
    eps: float = 0.02,
    max_samples: int = 40_000,
    seed: int = 7,
    delta: float = 0.05,
    exact_max_nodes: int = 1_000,
    workers: int = 2,
) -> BetweennessEstimate:
    """Normalised betweenness: exact on small graphs, by shortest-path sampling on large ones.

    Used to rank the brokers: the broker finding reports actors on at least
    10% of the shortest paths, so an additive bound of a few hundredths
    decides it for nearly every actor.

    Large graphs: Riondato & Kornaropoulos (2016) draw ``r`` node pairs
    uniformly and one shortest path uniformly among each pair's; a node's
    estimate is the share of those paths it lies inside. With ``r`` from
    :func:`sample_size` every node's estimate is within ``eps`` of its exact
    value at once with probability ``1 - delta``. ``r`` is capped at
    ``max_samples``; the bound is then recomputed for the ``r`` used, so it
    is always the one that holds. The samples are split over ``workers``
    forked processes. networkx's normalisation for undirected graphs differs
    by ``n/(n-2)``, applied to values and bound alike.
    """
    return betweenness_started(g, eps, max_samples, seed, delta, exact_max_nodes, workers)()
