"""Cohesion of the collaboration network: who is on the edge, what holds it together.

For analysts asking "who is left out, which single actor or tie holds a part
of the network on, and how split is the network into clusters?". Every
function takes an undirected networkx graph and returns plain records; the
wording of findings lives in :mod:`lcgraph.analysis.findings`.

References
----------
Seidman, S. B. (1983). Network structure and minimum degree. *Social
Networks* 5(3):269–287 (k-cores).
Hopcroft, J., & Tarjan, R. (1973). Efficient algorithms for graph
manipulation. *CACM* 16(6):372–378 (biconnected components).
Blondel, V. D., et al. (2008). Fast unfolding of communities in large
networks. *J. Stat. Mech.* P10008 (Louvain).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

import networkx as nx

# Node kinds whose separation from the network is worth a finding.
KEY_KINDS = ("city", "partner")

N = TypeVar("N", bound=Hashable)


@dataclass(frozen=True)
class Periphery(Generic[N]):
    """Actors at the edge: no ties, one tie, or only in the outer 1-core.

    ``core_number`` holds the core number (0 or 1) of every actor outside the
    2-core; actors not in it have core number 2 or more.
    """

    isolated: list[N]
    pendant: list[N]
    low_core: list[N]
    core_number: dict[N, int]


def outside_two_core(g: nx.Graph) -> set:
    """The nodes of core number 0 or 1: peel off nodes with at most one tie until none is left.

    Linear in the ties. (``nx.core_number`` computes every core but removes
    from neighbour lists one by one, which is quadratic around hubs: 27 s on
    the national synthetic network, measured.)
    """
    degree = {n: sum(1 for m in g[n] if m != n) for n in g}
    stack = [n for n, d in degree.items() if d <= 1]
    peeled: set = set()
    while stack:
        n = stack.pop()
        if n in peeled:
            continue
        peeled.add(n)
        for m in g[n]:
            if m != n and m not in peeled:
                degree[m] -= 1
                if degree[m] == 1:
                    stack.append(m)
    return peeled


def periphery(g: nx.Graph[N]) -> Periphery[N]:
    """Isolated (degree 0), pendant (degree 1) and low-core actors.

    Low-core actors have two or more ties but core number 1: they hang on
    the network through a chain or tree of single ties (Seidman 1983).
    """
    outer = outside_two_core(g)
    degree = {n: sum(1 for m in g[n] if m != n) for n in g}
    isolated = [n for n in g if degree[n] == 0]
    pendant = [n for n in g if degree[n] == 1]
    low_core = [n for n in g if degree[n] >= 2 and n in outer]
    core = {n: 0 if degree[n] == 0 else 1 for n in outer}
    return Periphery(isolated, pendant, low_core, core)


@dataclass
class Piece:
    """A part of the network that falls off when a cut vertex or bridge goes."""

    nodes: int = 0
    kinds: Counter = field(default_factory=Counter)
    sample: list[Hashable] = field(default_factory=list)
    via_bridge: bool = False  # hangs on a single tie (reported as a bridge too)

    def add(self, other: Piece, sample_size: int = 5) -> None:
        self.nodes += other.nodes
        self.kinds.update(other.kinds)
        room = sample_size - len(self.sample)
        if room > 0:
            self.sample.extend(other.sample[:room])


@dataclass(frozen=True)
class CutPoint:
    """A cut vertex (``kind='articulation'``) or a bridge (``kind='bridge'``).

    ``pieces`` are what it cuts off from the larger rest of its component.
    """

    kind: str
    where: tuple[Hashable, ...]
    pieces: list[Piece]
    component_size: int

    @property
    def cut_off(self) -> Piece:
        total = Piece()
        for p in self.pieces:
            total.add(p)
        return total


def _own_piece(members: list[Hashable], kind_of: dict[Hashable, str]) -> Piece:
    kinds = Counter(kind_of.get(n, "actor") for n in members)
    return Piece(len(members), kinds, sorted(members, key=str)[:5])


def _block_cut_forest(g: nx.Graph) -> tuple[nx.Graph, list[set], set]:
    """The block-cut forest: a node per block ``("block", i)`` and per cut vertex ``("cut", v)``.

    Cut vertices are the nodes in two or more blocks (Hopcroft–Tarjan).
    """
    blocks = [set(b) for b in nx.biconnected_components(g)]
    seen: Counter = Counter(v for block in blocks for v in block)
    cuts = {v for v, n in seen.items() if n > 1}
    tree: nx.Graph = nx.Graph()
    for i, block in enumerate(blocks):
        tree.add_node(("block", i))
        for v in block & cuts:
            tree.add_edge(("block", i), ("cut", v))
    return tree, blocks, cuts


def _subtree_pieces(
    tree: nx.Graph, blocks: list[set], cuts: set, root: tuple, parent: dict, kind_of: dict[Hashable, str]
) -> dict[tuple, Piece]:
    """For each tree node, the graph nodes in its subtree (rooted at ``root``)."""
    pieces: dict[tuple, Piece] = {}
    for t in nx.dfs_postorder_nodes(tree, root):
        if t[0] == "block":
            piece = _own_piece([v for v in blocks[t[1]] if v not in cuts], kind_of)
        else:
            piece = _own_piece([t[1]], kind_of)
        for child in tree[t]:
            if parent.get(child) == t:
                piece.add(pieces[child])
        pieces[t] = piece
    return pieces


def cut_points(g: nx.Graph, kind_attr: str = "kind") -> list[CutPoint]:
    """Articulation points and bridges, with what each one cuts off.

    In each connected component the block-cut tree is rooted at the largest
    block; a cut vertex cuts off the subtrees below it, a bridge (a block of
    exactly two nodes) cuts off the side further from the root. Linear time,
    on the whole graph at once (no per-component subgraph views).
    """
    kind_of = {n: d.get(kind_attr, "actor") for n, d in g.nodes(data=True)}
    if nx.number_of_selfloops(g):
        g = nx.Graph(g)
        g.remove_edges_from(nx.selfloop_edges(g))
    tree, blocks, cuts = _block_cut_forest(g)
    result: list[CutPoint] = []
    for part in nx.connected_components(tree):
        root = max((t for t in part if t[0] == "block"), key=lambda t: (len(blocks[t[1]]), -t[1]))
        parent = {child: par for par, child in nx.bfs_edges(tree, root)}
        pieces = _subtree_pieces(tree, blocks, cuts, root, parent, kind_of)
        size = pieces[root].nodes
        if size < 3:
            continue
        children: dict[tuple, list] = defaultdict(list)
        for child, par in parent.items():
            children[par].append(child)
        for t in part:
            if t[0] == "cut":
                cut_off = [_marked(pieces[c], len(blocks[c[1]]) == 2) for c in children[t]]
                result.append(CutPoint("articulation", (t[1],), cut_off, size))
            elif len(blocks[t[1]]) == 2 and t != root:
                u = parent[t][1]  # the bridge joins this block's far end to its parent cut vertex
                (v,) = blocks[t[1]] - {u}
                result.append(CutPoint("bridge", (u, v), [pieces[t]], size))
            elif len(blocks[t[1]]) == 2:
                result.append(_root_bridge(blocks[t[1]], tree, pieces, kind_of, size))
    return result


def _marked(piece: Piece, via_bridge: bool) -> Piece:
    return Piece(piece.nodes, piece.kinds, piece.sample, via_bridge)


def _root_bridge(block: set, tree: nx.Graph, pieces: dict, kind_of: dict, size: int) -> CutPoint:
    """A bridge that is itself the root block: it cuts off the smaller side."""
    sides = []
    for v in sorted(block, key=str):
        side = pieces[("cut", v)] if ("cut", v) in tree else _own_piece([v], kind_of)
        sides.append((side.nodes, str(v), v, side))
    sides.sort(key=lambda s: (s[0], s[1]))
    small, large = sides[0], sides[1]
    return CutPoint("bridge", (large[2], small[2]), [small[3]], size)


@dataclass(frozen=True)
class Fragmentation:
    """Communities and how thinly they are tied to each other."""

    communities: list[set]
    membership: dict[Hashable, int]
    modularity: float
    quotient: nx.Graph  # community id -> community id, weight = tie weight between them
    brokers_between: dict[tuple[int, int], set]  # actors that carry the ties between two communities
    components: list[set]


def fragmentation(
    g: nx.Graph,
    seed: int = 7,
    weight: str = "weight",
    resolution: float = 1.0,
    communities: list[set] | None = None,
) -> Fragmentation:
    """Louvain communities (seeded, so repeatable) and their quotient graph.

    Communities are numbered by decreasing size. The quotient graph has a
    node per community (attribute ``size``) and an edge where ties cross
    between two communities, with the summed tie weight and the number of
    ties (``ties``). ``brokers_between`` names the actors on either end of
    those crossing ties. Pass ``communities`` to use a partition found
    another way.
    """
    components = sorted(nx.connected_components(g), key=len, reverse=True)
    if communities is not None:
        found = communities
    elif g.number_of_edges() == 0:
        found = [{n} for n in g]
    else:
        found = nx.community.louvain_communities(g, weight=weight, seed=seed, resolution=resolution)
    communities = sorted(found, key=lambda c: (-len(c), min(map(str, c))))
    membership = {n: i for i, c in enumerate(communities) for n in c}
    modularity = nx.community.modularity(g, communities, weight=weight) if g.number_of_edges() else 0.0
    quotient: nx.Graph = nx.Graph()
    for i, c in enumerate(communities):
        quotient.add_node(i, size=len(c))
    brokers: dict[tuple[int, int], set] = defaultdict(set)
    for u, v, d in g.edges(data=True):
        a, b = membership[u], membership[v]
        if a == b:
            continue
        key = (min(a, b), max(a, b))
        if quotient.has_edge(*key):
            quotient[a][b]["weight"] += d.get(weight, 1)
            quotient[a][b]["ties"] += 1
        else:
            quotient.add_edge(*key, weight=d.get(weight, 1), ties=1)
        brokers[key].update((u, v))
    return Fragmentation(communities, membership, modularity, quotient, dict(brokers), components)
