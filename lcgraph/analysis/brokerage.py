"""Gould–Fernandez brokerage roles, which networkx does not provide.

For analysts who ask "who connects whom, and across which boundaries?". A
broker ``b`` sits on a two-step path ``a -> b -> c`` where ``a`` has no
direct tie to ``c``. Given a partition of the actors into groups (cities,
sectors), the path is one of five roles depending on who shares a group:

=============== ===================== =============================================
role            groups                meaning
=============== ===================== =============================================
coordinator     a = b = c             mediates inside its own group
itinerant       a = c != b            an outsider mediating inside another group
                                      (Gould & Fernandez also call it *consultant*)
representative  a = b != c            speaks for its own group to another group
gatekeeper      a != b = c            lets outsiders into its own group
liaison         a, b, c all differ    links two groups it belongs to neither of
=============== ===================== =============================================

Reference: Gould, R. V., & Fernandez, R. M. (1989). Structures of mediation:
A formal approach to brokerage in transaction networks. *Sociological
Methodology*, 19, 89–126.

Undirected ties are read as reciprocated: every tie is an arc each way, so
each open two-path ``a - b - c`` is counted once in each direction. We then
halve every count, so that an undirected open triad counts once. Because the
two directions swap the representative and gatekeeper readings, in an
undirected network those two roles always have equal counts (each mixed triad
where ``b`` shares a group with exactly one end adds one half to each).

The counts are exact. Instead of enumerating every pair of a broker's
neighbours (quadratic in a hub's degree) we count pairs by group from group
sizes and subtract the pairs that are directly tied, found by walking the
neighbours' own ties; the cost is the sum of the neighbours' degrees.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import TypeVar

import networkx as nx

ROLES = ("coordinator", "itinerant", "representative", "gatekeeper", "liaison")


@dataclass
class BrokerageRoles:
    """How many two-paths of each role a broker sits on."""

    coordinator: float = 0.0
    itinerant: float = 0.0
    representative: float = 0.0
    gatekeeper: float = 0.0
    liaison: float = 0.0

    @property
    def total(self) -> float:
        return self.coordinator + self.itinerant + self.representative + self.gatekeeper + self.liaison

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


def _role(ga: Hashable, gb: Hashable, gc: Hashable) -> str:
    """The Gould–Fernandez role of broker ``b`` on the path a -> b -> c."""
    if ga == gc:
        return "coordinator" if gb == ga else "itinerant"
    if gb == ga:
        return "representative"
    if gb == gc:
        return "gatekeeper"
    return "liaison"


def _count_pairs_by_group(
    sources: Counter, targets: Counter, both: Counter
) -> dict[tuple[Hashable, Hashable], int]:
    """Ordered (a, c) pairs with a != c, by (group of a, group of c).

    ``both`` counts, per group, the nodes that are in ``sources`` and in
    ``targets`` (pairs of a node with itself are taken out).
    """
    pairs: dict[tuple[Hashable, Hashable], int] = {}
    for ga, na in sources.items():
        for gc, nc in targets.items():
            n = na * nc - (both.get(ga, 0) if ga == gc else 0)
            if n:
                pairs[(ga, gc)] = n
    return pairs


#: A node of the network: any hashable (our networks use IRIs as strings).
N = TypeVar("N", bound=Hashable)


def _directed_roles(g: nx.DiGraph, b: N, group: Mapping[N, Hashable]) -> BrokerageRoles:
    preds = [a for a in g.predecessors(b) if a != b]
    succs = {c for c in g.successors(b) if c != b}
    sources = Counter(group[a] for a in preds)
    targets = Counter(group[c] for c in succs)
    both = Counter(group[a] for a in preds if a in succs)
    pairs = _count_pairs_by_group(sources, targets, both)
    # Closed paths: a -> c tied directly, so b is not needed as a broker.
    for a in preds:
        for c in g.successors(a):
            if c != a and c != b and c in succs:
                key = (group[a], group[c])
                pairs[key] -= 1
    roles = BrokerageRoles()
    gb = group[b]
    for (ga, gc), n in pairs.items():
        role = _role(ga, gb, gc)
        setattr(roles, role, getattr(roles, role) + n)
    return roles


def brokerage_roles(
    g: nx.Graph | nx.DiGraph,
    group: Mapping[N, Hashable] | str,
    nodes: Iterable[N] | None = None,
) -> dict[N, BrokerageRoles]:
    """Gould–Fernandez brokerage role counts for each broker.

    Parameters
    ----------
    g : a networkx ``Graph`` (ties read as reciprocated) or ``DiGraph``.
    group : a mapping node -> group, or the name of a node attribute holding it.
        Every node must have a group.
    nodes : the brokers to count for (default: every node).

    Returns
    -------
    dict mapping each broker to a :class:`BrokerageRoles`. Counts are whole
    numbers for a ``DiGraph``; for a ``Graph`` each unordered open triad
    counts once (see the module docstring).

    Example
    -------
    >>> g = nx.Graph([("a1", "b"), ("b", "c1")])
    >>> brokerage_roles(g, {"a1": "A", "b": "B", "c1": "C"})["b"].liaison
    1.0

    References
    ----------
    Gould & Fernandez (1989), Sociological Methodology 19:89–126.
    """
    if isinstance(group, str):
        attr = group
        group = {n: d.get(attr) for n, d in g.nodes(data=True)}
    missing = [n for n in g if n not in group]
    if missing:
        raise ValueError(f"brokerage needs a group for every node; none for {missing[:5]}")
    directed = g.is_directed()
    dg = g if isinstance(g, nx.DiGraph) else g.to_directed(as_view=True)
    chosen: list[N] = list(g) if nodes is None else list(nodes)
    result: dict[N, BrokerageRoles] = {}
    for b in chosen:
        roles = _directed_roles(dg, b, group)
        if not directed:
            roles = BrokerageRoles(**{k: v / 2 for k, v in roles.as_dict().items()})
        result[b] = roles
    return result
