"""The collaboration network as GEXF or GraphML, for researchers who open it in Gephi.

Nodes carry their labels, kind, sector, home city, community and the
measures of the run (degree, betweenness, broker flag); edges their weight
and a count per kind of tie. Both formats only take plain values, so every
attribute is a string or a number.
"""

from __future__ import annotations

import io

import networkx as nx

from lcgraph.analysis.gaps import GapReport

FORMATS = {"gexf": "application/gexf+xml", "graphml": "application/graphml+xml"}


def annotated_network(report: GapReport) -> nx.Graph:
    """A copy of the collaboration network with the run's measures on each node."""
    g = report.projections.collaboration
    m = report.measures
    brokers = {s for f in report.findings if f.kind == "broker-dependence" for s in f.subjects}
    out = nx.Graph()
    for n, d in g.nodes(data=True):
        out.add_node(
            n,
            label=d.get("label_en") or d.get("label_th") or n,
            label_th=d.get("label_th", ""),
            label_en=d.get("label_en", ""),
            kind=d.get("kind", ""),
            sector=d.get("sector", ""),
            city=d.get("city", ""),
            community=int(m.fragmentation.membership.get(n, -1)),
            degree=int(g.degree(n)),
            betweenness=float(m.betweenness.values.get(n, 0.0)),
            broker=n in brokers,
        )
    for u, v, d in g.edges(data=True):
        out.add_edge(u, v, **{k: (v_ if isinstance(v_, int | float) else str(v_)) for k, v_ in d.items()})
    return out


def network_bytes(report: GapReport, fmt: str) -> bytes:
    """The annotated network serialised as ``gexf`` or ``graphml``."""
    g = annotated_network(report)
    buffer = io.BytesIO()
    if fmt == "gexf":
        nx.write_gexf(g, buffer)
    elif fmt == "graphml":
        nx.write_graphml(g, buffer)
    else:
        raise ValueError(f"unknown network format {fmt!r}: use one of {', '.join(FORMATS)}")
    return buffer.getvalue()
