"""Each network measure of lcgraph.analysis against small graphs counted by hand.

The expected numbers are worked out in the comments, then cross-checked
against networkx (where networkx has the measure) or a brute-force count.
"""

from __future__ import annotations

import itertools
import math
import random

import networkx as nx
import pytest

from lcgraph.analysis.brokerage import ROLES, _role, brokerage_roles
from lcgraph.analysis.cohesion import cut_points, fragmentation, outside_two_core, periphery
from lcgraph.analysis.recommend import candidate_pairs
from lcgraph.analysis.structural_holes import (
    _index,
    _random_shortest_path,
    betweenness,
    bound_for,
    constraint,
    effective_size,
    sample_size,
)

# --- Gould & Fernandez brokerage -------------------------------------------------------------


def test_undirected_brokerage_counted_by_hand() -> None:
    # Groups: A = {a1, a2, a3, a4}, B = {b, b2}, C = {c1}, M = {m}.
    # Ties: a1-a2, a1-b, a2-b, b-b2, b-c1, m-a1, m-a3, a2-a4.
    g = nx.Graph(
        [
            ("a1", "a2"),
            ("a1", "b"),
            ("a2", "b"),
            ("b", "b2"),
            ("b", "c1"),
            ("m", "a1"),
            ("m", "a3"),
            ("a2", "a4"),
        ]
    )
    group = {"a1": "A", "a2": "A", "a3": "A", "a4": "A", "b": "B", "b2": "B", "c1": "C", "m": "M"}
    roles = brokerage_roles(g, group)
    # Broker b (B), contacts a1 a2 b2 c1. Open pairs (a1-a2 are tied, so not brokered):
    #   {a1,b2}, {a2,b2}, {b2,c1}: b shares a group with exactly one end -> each counts
    #       1/2 gatekeeper (towards its own group) + 1/2 representative (away from it);
    #   {a1,c1}, {a2,c1}: three different groups -> liaison 1 each.
    assert roles["b"].as_dict() == {
        "coordinator": 0,
        "itinerant": 0,
        "representative": 1.5,
        "gatekeeper": 1.5,
        "liaison": 2,
    }
    # Broker m (M) between a1 and a3 (both A, not tied): itinerant 1.
    assert roles["m"].as_dict() == {
        "coordinator": 0,
        "itinerant": 1,
        "representative": 0,
        "gatekeeper": 0,
        "liaison": 0,
    }
    # Broker a2 (A), contacts a1 b a4: {a1,b} tied; {a1,a4} all A -> coordinator 1;
    #   {b,a4}: a2 shares A with a4 -> 1/2 + 1/2.
    assert roles["a2"].as_dict() == {
        "coordinator": 1,
        "itinerant": 0,
        "representative": 0.5,
        "gatekeeper": 0.5,
        "liaison": 0,
    }
    # Broker a1 (A), contacts a2 b m: {a2,b} tied; {a2,m} -> 1/2 + 1/2; {b,m} B/A/M -> liaison 1.
    assert roles["a1"].as_dict() == {
        "coordinator": 0,
        "itinerant": 0,
        "representative": 0.5,
        "gatekeeper": 0.5,
        "liaison": 1,
    }
    # Leaves broker nothing.
    assert roles["c1"].total == 0


def test_directed_brokerage_counted_by_hand() -> None:
    # Arcs: p->q, q->r, r->q, s->q, q->t, p->t. Groups: p q t in 1, r s in 2.
    g = nx.DiGraph([("p", "q"), ("q", "r"), ("r", "q"), ("s", "q"), ("q", "t"), ("p", "t")])
    group = {"p": 1, "q": 1, "t": 1, "r": 2, "s": 2}
    roles = brokerage_roles(g, group, nodes=["q"])["q"]
    # Into q: p r s; out of q: r t. Ordered pairs (a, c), a != c:
    #   (p,r) 1-1-2 representative; (p,t) closed by p->t; (r,t) 2-1-1 gatekeeper;
    #   (s,r) 2-1-2 itinerant; (s,t) 2-1-1 gatekeeper.
    assert roles.as_dict() == {
        "coordinator": 0,
        "itinerant": 1,
        "representative": 1,
        "gatekeeper": 2,
        "liaison": 0,
    }


def _brute_force(g: nx.DiGraph, group: dict, b: str) -> dict[str, int]:
    counts = dict.fromkeys(ROLES, 0)
    for a, c in itertools.permutations(g, 2):
        if b in (a, c) or not g.has_edge(a, b) or not g.has_edge(b, c) or g.has_edge(a, c):
            continue
        counts[_role(group[a], group[b], group[c])] += 1
    return counts


@pytest.mark.parametrize("seed", range(5))
def test_brokerage_matches_brute_force(seed: int) -> None:
    rng = random.Random(seed)
    g = nx.gnp_random_graph(25, 0.2, seed=seed, directed=True)
    group = {n: rng.choice("xyz") for n in g}
    fast = brokerage_roles(g, group)
    for b in g:
        assert fast[b].as_dict() == _brute_force(g, group, b)
    und = g.to_undirected()
    fast_u = brokerage_roles(und, group)
    for b in und:
        halved = {k: v / 2 for k, v in _brute_force(und.to_directed(), group, b).items()}
        assert fast_u[b].as_dict() == halved


def test_brokerage_needs_every_group() -> None:
    with pytest.raises(ValueError, match="group for every node"):
        brokerage_roles(nx.path_graph(3), {0: "a", 1: "b"})


# --- Burt's structural holes -----------------------------------------------------------------


def test_constraint_and_effective_size_by_hand() -> None:
    # Star, hub 0 with 3 leaves: p = 1/3 each, no third parties -> c = 3 * (1/3)^2 = 1/3;
    # no ties among the contacts -> effective size 3.
    star = nx.star_graph(3)
    assert constraint(star, [0])[0] == pytest.approx(1 / 3)
    assert effective_size(star, [0])[0] == pytest.approx(3)
    # A leaf has one contact: c = 1, effective size 1.
    assert constraint(star, [1])[1] == pytest.approx(1)
    # K4: each contact j also reached through 2 others, p = 1/3:
    # (1/3 + 2 * 1/3 * 1/3)^2 = (5/9)^2, times 3 contacts = 75/81; effective size 3 - 2*3/3 = 1.
    k4 = nx.complete_graph(4)
    assert constraint(k4, [0])[0] == pytest.approx(75 / 81)
    assert effective_size(k4, [0])[0] == pytest.approx(1)
    # An isolated node has no contacts: nan, as in networkx.
    g = nx.Graph()
    g.add_node("x")
    assert math.isnan(constraint(g)["x"]) and math.isnan(effective_size(g)["x"])


@pytest.mark.parametrize("weighted", [False, True])
def test_structural_holes_match_networkx(weighted: bool) -> None:
    g = nx.gnp_random_graph(40, 0.15, seed=3)
    rng = random.Random(3)
    if weighted:
        for u, v in g.edges():
            g[u][v]["weight"] = rng.randint(1, 5)
    w = "weight" if weighted else None
    ours_c, ours_e = constraint(g, weight=w), effective_size(g, weight=w)
    theirs_c, theirs_e = nx.constraint(g, weight=w), nx.effective_size(g, weight=w)
    for n in g:
        if g.degree(n) == 0:
            continue
        assert ours_c[n] == pytest.approx(theirs_c[n])
        assert ours_e[n] == pytest.approx(theirs_e[n])


def test_betweenness_exact_and_sampled() -> None:
    # Path 0-1-2-3-4: node 2 lies on the paths of (0,3) (0,4) (1,3) (1,4): 4 of C(4,2) = 6 pairs.
    est = betweenness(nx.path_graph(5))
    assert est.exact and est.values[2] == pytest.approx(4 / 6)
    g = nx.barabasi_albert_graph(1500, 2, seed=1)
    exact = nx.betweenness_centrality(g)
    est = betweenness(g, eps=0.03, seed=1, exact_max_nodes=500, workers=2)
    assert not est.exact and est.method == "path-sampling"
    # The sample size and bound follow Riondato & Kornaropoulos's theorem for the vertex diameter.
    assert est.vertex_diameter >= nx.diameter(g) + 1
    assert est.sources == sample_size(0.03, 0.05, est.vertex_diameter)
    assert est.error_bound <= 0.03 * 1500 / 1498
    assert est.error_bound == pytest.approx(0.03 * 1500 / 1498, rel=1e-3)
    worst = max(abs(est.values[n] - exact[n]) for n in g)
    assert worst <= est.error_bound
    # It is sharp enough to pick the hubs: the top two come out as in the exact ranking.
    top = sorted(exact, key=exact.get, reverse=True)[:2]
    assert sorted(est.values, key=est.values.get, reverse=True)[:2] == top


def test_betweenness_cap_loosens_the_stated_bound() -> None:
    g = nx.barabasi_albert_graph(1200, 2, seed=2)
    est = betweenness(g, eps=0.01, max_samples=500, seed=2, exact_max_nodes=100, workers=1)
    assert est.sources == 500
    assert est.error_bound == pytest.approx(bound_for(500, 0.05, est.vertex_diameter) * 1200 / 1198)
    assert est.error_bound > 0.05
    # Path sampling in one process or two gives the same kind of estimate: values sum to the
    # mean number of inner nodes of a shortest path, scaled.
    assert all(0.0 <= v <= 1.0 for v in est.values.values())


def test_random_shortest_path_is_a_shortest_path() -> None:
    g = nx.grid_2d_graph(6, 6)
    nodes, adj = _index(g)
    rng = random.Random(4)
    for _ in range(50):
        s, t = rng.sample(range(len(nodes)), 2)
        inner = _random_shortest_path(adj, s, t, rng)
        path = [nodes[s], *(nodes[i] for i in inner), nodes[t]]
        assert len(path) - 1 == nx.shortest_path_length(g, nodes[s], nodes[t])
        assert all(g.has_edge(a, b) for a, b in zip(path, path[1:], strict=False))
    # Uniform over paths, not over branches: s-a-{c1,c2}-t and s-b-c3-t put a on 2 of 3 paths.
    fan = nx.Graph([("s", "a"), ("s", "b"), ("a", "c1"), ("a", "c2"), ("b", "c3")])
    fan.add_edges_from([("c1", "t"), ("c2", "t"), ("c3", "t")])
    names, fan_adj = _index(fan)
    s_, t_, a_ = names.index("s"), names.index("t"), names.index("a")
    through_a = sum(a_ in _random_shortest_path(fan_adj, s_, t_, rng) for _ in range(3000))
    assert abs(through_a / 3000 - 2 / 3) < 0.04
    two = nx.Graph([(0, 1), (2, 3)])
    _, adj2 = _index(two)
    assert _random_shortest_path(adj2, 0, 2, rng) == []


# --- cohesion --------------------------------------------------------------------------------


def _kinds(g: nx.Graph, kinds: dict) -> nx.Graph:
    nx.set_node_attributes(g, kinds, "kind")
    return g


def test_periphery_by_hand() -> None:
    # Triangle x-y-z, tail z-t-u, and an isolated node w.
    g = nx.Graph([("x", "y"), ("y", "z"), ("x", "z"), ("z", "t"), ("t", "u")])
    g.add_node("w")
    per = periphery(g)
    assert per.isolated == ["w"]
    assert per.pendant == ["u"]
    assert per.low_core == ["t"]  # two ties, but only in the 1-core
    assert per.core_number == {"w": 0, "u": 1, "t": 1}  # x, y, z are in the 2-core
    # The peeling agrees with networkx's core numbers on a random graph with a tail.
    r = nx.gnp_random_graph(60, 0.05, seed=2)
    core = nx.core_number(r)
    assert outside_two_core(r) == {n for n, k in core.items() if k <= 1}


def test_cut_points_by_hand() -> None:
    # Cluster K4 {k0..k3}; k3 - hub; hub ties to city C and to partner P; C - P2.
    # Cutting hub cuts off {C, P, P2}; the tie k3-hub is a bridge cutting off {hub, C, P, P2};
    # C is a cut vertex for P2 (a single pendant partner: reported, but flagged via_bridge).
    g = nx.complete_graph(["k0", "k1", "k2", "k3"])
    g.add_edges_from([("k3", "hub"), ("hub", "C"), ("hub", "P"), ("C", "P"), ("C", "P2")])
    _kinds(g, {"C": "city", "P": "partner", "P2": "partner", "hub": "partner"})
    cuts = {(c.kind, c.where): c for c in cut_points(g)}
    hub = cuts[("articulation", ("hub",))].cut_off
    assert hub.nodes == 3 and hub.kinds["city"] == 1 and hub.kinds["partner"] == 2
    bridge = cuts[("bridge", ("k3", "hub"))].cut_off
    assert bridge.nodes == 4 and bridge.kinds["city"] == 1
    assert cuts[("articulation", ("k3",))].cut_off.nodes == 4
    c_cut = cuts[("articulation", ("C",))]
    assert c_cut.cut_off.nodes == 1 and c_cut.pieces[0].via_bridge
    assert ("bridge", ("C", "P2")) in cuts
    # No other cut points: the K4 and the triangle hub-C-P are 2-connected.
    assert set(cuts) == {
        ("articulation", ("hub",)),
        ("articulation", ("k3",)),
        ("articulation", ("C",)),
        ("bridge", ("k3", "hub")),
        ("bridge", ("C", "P2")),
    }


def test_cut_points_on_a_path_report_every_bridge() -> None:
    found = {c.where for c in cut_points(nx.path_graph(["a", "b", "c", "d"])) if c.kind == "bridge"}
    assert {frozenset(w) for w in found} == {frozenset("ab"), frozenset("bc"), frozenset("cd")}


def test_fragmentation_of_two_cliques_joined_once() -> None:
    g = nx.barbell_graph(5, 0)  # K5 {0..4} and K5 {5..9}, tied by 4-5
    frag = fragmentation(g, seed=1)
    assert sorted(map(sorted, frag.communities)) == [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]]
    assert frag.quotient.number_of_edges() == 1
    assert frag.quotient[0][1]["ties"] == 1
    assert frag.brokers_between[(0, 1)] == {4, 5}
    assert frag.modularity > 0.4
    assert len(frag.components) == 1


# --- link prediction candidates --------------------------------------------------------------


def test_candidates_are_untied_distance_two_pairs() -> None:
    # u - z - v, u - y - v, v - w; focus nodes u v w. Only z and y pair two focus nodes
    # (u with v, untied); v pairs nothing (z, y are not focus nodes); u and w share no contact.
    g = nx.Graph([("u", "z"), ("z", "v"), ("u", "y"), ("y", "v"), ("v", "w")])
    pairs, search = candidate_pairs(g, focus={"u", "v", "w"})
    assert pairs == [("u", "v")]
    assert search.intermediaries_used == 4 and search.intermediaries_skipped_hubs == 0
    # With a hub cap of 1, no intermediary of degree 2 may enumerate pairs.
    pairs, search = candidate_pairs(g, focus={"u", "v", "w"}, hub_cap=1)
    assert pairs == [] and search.intermediaries_skipped_hubs == 4
