"""Pictures for the report: the network coloured by community, and the coverage heatmap.

For analysts who put them in a slide deck. matplotlib with the Agg backend
(no display needed). Thai labels need a font with Thai glyphs: we look for
one of the TLWG or Noto Thai fonts (Debian packages ``fonts-thai-tlwg`` /
``fonts-tlwg-loma-ttf``, ``fonts-noto-core``) and fall back to English-only
labels when none is installed.
"""

from __future__ import annotations

import io
from functools import lru_cache

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402 - the backend must be chosen first
import networkx as nx  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib import font_manager  # noqa: E402

from lcgraph.analysis.coverage import AGE_GROUPS, BUILDING_BLOCKS  # noqa: E402
from lcgraph.analysis.gaps import GapReport  # noqa: E402
from lcgraph.analysis.networks import concept_iri  # noqa: E402

THAI_FONTS = (
    "Loma",
    "Garuda",
    "Noto Sans Thai",
    "Noto Sans Thai UI",
    "Norasi",
    "Kinnari",
    "Sarabun",
    "TH Sarabun New",
    "Waree",
    "Umpush",
)
MAX_DRAWN_NODES = 400
MAX_HEATMAP_CITIES = 40
KIND_MARKERS = {"city": "s", "partner": "o", "administrator": "^", "network": "D"}


@lru_cache(maxsize=1)
def thai_font() -> str | None:
    """The family name of an installed font with Thai glyphs, or ``None``."""
    installed = {f.name for f in font_manager.fontManager.ttflist}
    for name in THAI_FONTS:
        if name in installed:
            return name
    return None


def _style() -> dict:
    font = thai_font()
    family = [font, "DejaVu Sans"] if font else ["DejaVu Sans"]
    return {"font.family": family, "svg.fonttype": "path", "axes.titlesize": 11}


def bilingual(th: str, en: str) -> str:
    """A two-line label when Thai can be drawn, English alone otherwise."""
    return f"{th}\n{en}" if thai_font() and th else en


def _drawn_subgraph(report: GapReport) -> tuple[nx.Graph, str]:
    g = report.projections.collaboration
    if g.number_of_nodes() <= MAX_DRAWN_NODES:
        return g, ""
    top = sorted(g, key=lambda n: (-g.degree(n), str(n)))[:MAX_DRAWN_NODES]
    note = f"the {MAX_DRAWN_NODES} best-connected of {g.number_of_nodes()} actors"
    return g.subgraph(top), note


def network_figure(report: GapReport) -> plt.Figure:
    """The collaboration network: colour = community, shape = kind, red ring = broker."""
    g, note = _drawn_subgraph(report)
    membership = report.measures.fragmentation.membership
    brokers = {s for f in report.findings if f.kind == "broker-dependence" for s in f.subjects}
    with plt.rc_context(_style()):
        fig, ax = plt.subplots(figsize=(11, 8), dpi=110)
        pos = _layout(g)
        cmap = plt.get_cmap("tab20")
        nx.draw_networkx_edges(g, pos, ax=ax, alpha=0.25, width=0.6, edge_color="#777777")
        for kind, marker in KIND_MARKERS.items():
            nodes = [n for n in g if g.nodes[n].get("kind") == kind]
            if not nodes:
                continue
            colours = [cmap(membership.get(n, 0) % 20) for n in nodes]
            sizes = [60 + 25 * min(g.degree(n), 20) for n in nodes]
            nx.draw_networkx_nodes(
                g,
                pos,
                nodelist=nodes,
                node_color=colours,
                node_shape=marker,
                node_size=sizes,
                ax=ax,
                edgecolors="white",
                linewidths=0.5,
            )
            ax.scatter([], [], marker=marker, color="#9e9e9e", label=kind)
        ring = [n for n in g if n in brokers]
        if ring:
            nx.draw_networkx_nodes(
                g,
                pos,
                nodelist=ring,
                node_color="none",
                node_size=700,
                ax=ax,
                edgecolors="#d62728",
                linewidths=2.5,
            )
        labels = {
            n: _short_label(report, n)
            for n in g
            if g.nodes[n].get("kind") == "city" or n in brokers or g.degree(n) == 0
        }
        # Labels sit just above their node on a light box, so marker and text stay readable.
        above = {n: (pos[n][0], pos[n][1] + 0.045) for n in labels}
        nx.draw_networkx_labels(
            g,
            above,
            labels=labels,
            font_size=8,
            ax=ax,
            font_family=_style()["font.family"][0],
            bbox={"facecolor": "white", "alpha": 0.75, "edgecolor": "none", "pad": 0.8},
        )
        title = bilingual(
            "เครือข่ายความร่วมมือ (สี = กลุ่ม, วงแดง = ตัวกลางสำคัญ)",
            "Collaboration network (colour = cluster, red ring = key broker)",
        )
        ax.set_title(title + (f"\n({note})" if note else ""))
        ax.legend(loc="lower left", fontsize=8, markerscale=0.6, title="kind")
        ax.set_axis_off()
        fig.tight_layout()
    return fig


def _layout(g: nx.Graph) -> dict:
    """Connected actors laid out by force; isolated ones in a row underneath, so none is lost."""
    tied = g.subgraph([n for n in g if g.degree(n) > 0])
    lonely = sorted((n for n in g if g.degree(n) == 0), key=str)
    # Unweighted: heavy ties would pull clusters into a single dot. Below 500
    # nodes spring_layout needs only numpy (MAX_DRAWN_NODES keeps us there).
    rounds = 200 if tied.number_of_nodes() <= 100 else 60  # a few seconds at MAX_DRAWN_NODES
    pos = nx.spring_layout(tied, seed=7, weight=None, iterations=rounds) if tied.number_of_nodes() else {}
    bottom = min((xy[1] for xy in pos.values()), default=0.0) - 0.35
    for i, n in enumerate(lonely):
        x = -1.0 + 2.0 * (i + 0.5) / max(len(lonely), 1)
        pos[n] = np.array([x, bottom])
    return pos


def _short_label(report: GapReport, n: str) -> str:
    p = report.projections
    return p.label(n, "th") if thai_font() else p.label(n, "en")


def _coverage_matrix(report: GapReport, cities: list[str], scheme: str, codes: tuple[str, ...]) -> np.ndarray:
    p = report.projections
    source = p.age_by_city if scheme == "age-group" else p.block_by_city
    return np.array([[source.get(c, {}).get(concept_iri(scheme, code), 0) for code in codes] for c in cities])


def coverage_figure(report: GapReport) -> plt.Figure:
    """Activities per city by age group and by GNLC building block (white = a gap)."""
    p = report.projections
    cities = sorted(report.scorecards) or p.cities()
    cities = sorted(cities, key=lambda c: p.activities_by_city.get(c, 0))[:MAX_HEATMAP_CITIES]
    panels = (("age-group", AGE_GROUPS + ("all-ages",)), ("gnlc", BUILDING_BLOCKS))
    with plt.rc_context(_style()):
        fig, axes = plt.subplots(1, 2, figsize=(14, 3.2 + 0.38 * max(len(cities), 3)), dpi=110)
        for ax, (scheme, codes) in zip(axes, panels, strict=True):
            data = _coverage_matrix(report, cities, scheme, codes)
            shown = np.ma.masked_equal(data, 0)
            ax.imshow(shown, cmap="YlGn", aspect="auto", vmin=0)
            ax.set_facecolor("#ffffff")
            top = max(int(data.max()), 1)
            for (i, j), v in np.ndenumerate(data):
                gap = not v and codes[j] != "all-ages"  # no all-ages activity is not a gap
                colour = "#c0392b" if gap else "#9e9e9e" if not v else "#ffffff" if v > top / 2 else "#1b1b1b"
                ax.text(
                    j,
                    i,
                    str(v) if v else "×" if gap else "–",
                    ha="center",
                    va="center",
                    fontsize=9,
                    color=colour,
                    fontweight="bold" if gap else "normal",
                )
            ax.set_xticks(range(len(codes)))
            ax.set_xticklabels(
                [_concept_label(report, scheme, c) for c in codes], rotation=40, ha="right", fontsize=7
            )
            ax.set_yticks(range(len(cities)))
            ax.set_yticklabels([_short_label(report, c) for c in cities], fontsize=8)
        axes[0].set_title(bilingual("กิจกรรมตามช่วงวัย", "Activities by age group"))
        axes[1].set_title(bilingual("กิจกรรมตามองค์ประกอบหลัก GNLC", "Activities by GNLC building block"))
        fig.tight_layout()
    return fig


def _concept_label(report: GapReport, scheme: str, code: str) -> str:
    iri = concept_iri(scheme, code)
    p = report.projections
    en = _clip(p.label(iri, "en") if iri in p.concepts else code, 30)
    return bilingual(_clip(p.label(iri, "th"), 30) if iri in p.concepts else "", en)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def figure_bytes(fig: plt.Figure, fmt: str) -> bytes:
    """The figure as ``svg`` or ``png`` bytes (and the figure is closed)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format=fmt, bbox_inches="tight")
    plt.close(fig)
    return buffer.getvalue()
