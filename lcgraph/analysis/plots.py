"""Pictures for the report: the network coloured by community, and the coverage heatmap.

For analysts who put them in a slide deck. matplotlib with the Agg backend
(no display needed). Thai labels need a font with Thai glyphs: we look for
one of the TLWG or Noto Thai fonts (Debian packages ``fonts-thai-tlwg`` /
``fonts-tlwg-loma-ttf``, ``fonts-noto-core``) and fall back to English-only
labels when none is installed.
"""

from __future__ import annotations

import io
from collections import Counter
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


def bilingual(th: str, en: str, lang: str | None = None) -> str:
    """The label in ``lang`` (both, on two lines, by default); English alone without a Thai font."""
    if lang == "en" or not (thai_font() and th):
        return en
    return th if lang == "th" else f"{th}\n{en}"


KIND_NAMES = {
    "city": ("เมือง", "city"),
    "partner": ("ภาคี", "partner"),
    "administrator": ("นักจัดการการเรียนรู้", "administrator"),
    "network": ("เครือข่าย", "network"),
}


def _drawn_subgraph(report: GapReport) -> tuple[nx.Graph, str]:
    g = report.projections.collaboration
    if report.city is not None and report.city in g:
        # The chosen city's neighbourhood: its actors and theirs, not the whole country.
        g = nx.ego_graph(g, report.city, radius=2)
    elif not report.scope.whole:
        # A region or province: its cities, the actors based there, and whom they work with.
        home = {n for n, c in g.nodes(data="city") if n in report.scope.cities or c in report.scope.cities}
        g = g.subgraph(home.union(*(g[n] for n in home)) if home else set())
    if g.number_of_nodes() <= MAX_DRAWN_NODES:
        return g, ""
    top = sorted(g, key=lambda n: (-g.degree(n), str(n)))[:MAX_DRAWN_NODES]
    note = f"the {MAX_DRAWN_NODES} best-connected of {g.number_of_nodes()} actors"
    return g.subgraph(top), note


def network_figure(report: GapReport, lang: str | None = None) -> plt.Figure:
    """The collaboration network: colour = community, shape = kind, red ring = broker.

    ``lang``: labels in that language only (``th``/``en``); by default both.
    With ``report.city`` set, only that city's neighbourhood is drawn.
    """
    g, note = _drawn_subgraph(report)
    lonely = [n for n in g if g.degree(n) == 0]
    if len(lonely) > 6:
        # A row of unlabelled dots tells nothing: say how many there are instead.
        g = g.subgraph([n for n in g if g.degree(n) > 0])
        extra = bilingual(
            f"ไม่แสดงผู้เกี่ยวข้อง {len(lonely)} รายที่ยังไม่มีความร่วมมือบันทึกไว้",
            f"{len(lonely)} actors with no recorded tie are not drawn",
            lang,
        )
        note = f"{note}; {extra}" if note else extra
    membership = report.measures.fragmentation.membership
    brokers = {s for f in report.findings if f.kind == "broker-dependence" for s in f.subjects}
    with plt.rc_context(_style()):
        fig, ax = plt.subplots(figsize=(10, 7.5), dpi=110)
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
            ax.scatter([], [], marker=marker, color="#9e9e9e", label=bilingual(*KIND_NAMES[kind], lang))
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
            n: _short_label(report, n, lang)
            for n in g
            if g.nodes[n].get("kind") == "city" or n in brokers or g.degree(n) == 0
        }
        # Labels sit just above their node on a light box, so marker and text stay readable.
        above = {n: (pos[n][0], pos[n][1] + 0.045) for n in labels}
        nx.draw_networkx_labels(
            g,
            above,
            labels=labels,
            font_size=10,
            ax=ax,
            font_family=_style()["font.family"][0],
            bbox={"facecolor": "white", "alpha": 0.75, "edgecolor": "none", "pad": 0.8},
        )
        title = bilingual(
            "เครือข่ายความร่วมมือ (สี = กลุ่ม, วงแดง = ตัวกลางสำคัญ)",
            "Collaboration network (colour = cluster, red ring = key broker)",
            lang,
        )
        ax.set_title(title + (f"\n({note})" if note else ""))
        # Beside the drawing, not on it: isolated actors sit along the bottom edge.
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=9, markerscale=0.6,
                  title=bilingual("ชนิด", "kind", lang))  # fmt: skip
        ax.margins(x=0.12)  # room for the labels of nodes at the edges
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
    # Each connected part laid out on its own, side by side and sized by its
    # actors: one spring layout of them all flings small parts to the corners.
    pos: dict = {}
    left = 0.0
    for part in sorted(nx.connected_components(tied), key=lambda c: (-len(c), min(map(str, c)))):
        sub = tied.subgraph(part)
        width = max(0.3, (len(part) ** 0.5) / 3)
        if len(part) == 1:
            laid = {next(iter(part)): np.array([0.0, 0.0])}
        else:
            laid = nx.spring_layout(sub, seed=7, weight=None, iterations=rounds, scale=width / 2)
        for n, xy in laid.items():
            pos[n] = np.array([xy[0] + left + width / 2, xy[1]])
        left += width + 0.25
    bottom = min((xy[1] for xy in pos.values()), default=0.0) - 0.35
    for i, n in enumerate(lonely):
        x = max(left, 2.0) * (i + 0.5) / max(len(lonely), 1)
        pos[n] = np.array([x, bottom])
    return pos


def _short_label(report: GapReport, n: str, lang: str | None = None) -> str:
    p = report.projections
    return p.label(n, "th") if thai_font() and lang != "en" else p.label(n, "en")


def _coverage_matrix(report: GapReport, cities: list[str], scheme: str, codes: tuple[str, ...]) -> np.ndarray:
    p = report.projections
    source = p.age_by_city if scheme == "age-group" else p.block_by_city
    empty: Counter[str] = Counter()
    return np.array(
        [[source.get(c, empty).get(concept_iri(scheme, code), 0) for code in codes] for c in cities]
    )


def unrecorded_cities(report: GapReport) -> set[str]:
    """Cities of which nothing of the learning ecology is recorded: unknown, not empty."""
    return {c for f in report.findings if f.kind == "no-ecology-data" for c in f.cities}


def coverage_figure(report: GapReport, lang: str | None = None) -> plt.Figure:
    """Activities per city by age group and by GNLC building block.

    A number is the activities recorded; a red × is a gap in a city whose
    ecology is recorded; a city of which nothing is recorded gets a grey
    "not recorded" row instead, because no record is not no activity.
    """
    p = report.projections
    unknown = unrecorded_cities(report)
    cities = sorted(report.scorecards) or (p.cities() if report.scope.whole else [])
    # Recorded cities first, fewest activities first; the unrecorded ones after them.
    cities = sorted(
        cities, key=lambda c: (c in unknown, p.activities_by_city.get(c, 0), _short_label(report, c))
    )
    cities = cities[:MAX_HEATMAP_CITIES]
    not_recorded = bilingual("ไม่มีข้อมูลบันทึก", "not recorded", lang)
    panels = (("age-group", AGE_GROUPS + ("all-ages",)), ("gnlc", BUILDING_BLOCKS))
    with plt.rc_context(_style()):
        fig, axes = plt.subplots(1, 2, figsize=(14, 3.2 + 0.38 * max(len(cities), 3)), dpi=110)
        for ax, (scheme, codes) in zip(axes, panels, strict=True):
            data = _coverage_matrix(report, cities, scheme, codes)
            shown = np.ma.masked_equal(data, 0)
            ax.imshow(shown, cmap="YlGn", aspect="auto", vmin=0)
            ax.set_facecolor("#ffffff")
            top = max(int(data.max()), 1)
            for i, c in enumerate(cities):
                if c in unknown:
                    ax.axhspan(i - 0.5, i + 0.5, color="#eceff1", zorder=0)
                    ax.text((len(codes) - 1) / 2, i, not_recorded, ha="center", va="center", fontsize=9,
                            color="#546e7a", style="italic")  # fmt: skip
            for (i, j), v in np.ndenumerate(data):
                if cities[i] in unknown:
                    continue
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
                [_concept_label(report, scheme, c, lang) for c in codes], rotation=35, ha="right", fontsize=8
            )
            ax.set_yticks(range(len(cities)))
            ax.set_yticklabels([_short_label(report, c, lang) for c in cities], fontsize=9)
        axes[0].set_title(bilingual("กิจกรรมตามช่วงวัย", "Activities by age group", lang))
        axes[1].set_title(bilingual("กิจกรรมตามองค์ประกอบหลัก GNLC", "Activities by GNLC building block", lang))
        fig.tight_layout()
    return fig


def _concept_label(report: GapReport, scheme: str, code: str, lang: str | None = None) -> str:
    iri = concept_iri(scheme, code)
    p = report.projections
    en = _clip(p.label(iri, "en") if iri in p.concepts else code, 30)
    return bilingual(_clip(p.label(iri, "th"), 30) if iri in p.concepts else "", en, lang)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def figure_bytes(fig: plt.Figure, fmt: str) -> bytes:
    """The figure as ``svg`` or ``png`` bytes (and the figure is closed)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format=fmt, bbox_inches="tight")
    plt.close(fig)
    return buffer.getvalue()
