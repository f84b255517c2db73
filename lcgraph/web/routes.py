"""Pages of the web UI: home, query editor, explore, gaps dashboard.

For researchers and analysts in a browser. Pages are rendered on the server
(Jinja2) from SPARQL the engine evaluates; the query page's JavaScript talks
to the standard ``/sparql`` endpoint like any other client would.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, select_autoescape

from lcgraph.namespaces import GRAPH_HISTORY, GRAPH_PRIVATE, LC, sparql_prefixes
from lcgraph.publish.pages import Linker
from lcgraph.store import Dataset
from lcgraph.web.i18n import pick_language, translator

HERE = Path(__file__).resolve().parent
STATIC_DIR = HERE / "static"

router = APIRouter(include_in_schema=False)
templates = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape())


def static_files() -> StaticFiles:
    """The UI's CSS and JavaScript, mounted at ``/static``."""
    return StaticFiles(directory=STATIC_DIR)


def linker(request: Request) -> Linker:
    """Maps IRIs to this server's linked-data pages (the publishing layer's rule)."""
    return Linker(request.app.state.settings.base_iri)


def render(request: Request, name: str, active: str, **context: Any) -> HTMLResponse:
    lang = pick_language(request)

    def switch_query(to: str) -> str:
        params = dict(request.query_params)
        params["lang"] = to
        return urlencode(params)

    html = templates.get_template(name).render(
        lang=lang,
        t=translator(lang),
        active=active,
        switch_query=switch_query,
        static_url=lambda f: f"/static/{f}",
        resource_link=linker(request).href,
        **context,
    )
    response = HTMLResponse(html)
    if request.query_params.get("lang") in ("th", "en"):
        response.set_cookie("lcgraph_lang", lang, max_age=365 * 24 * 3600, samesite="lax")
    return response


def dataset(request: Request) -> Dataset:
    return request.app.state.dataset


# -- home ------------------------------------------------------------------

COUNTS = (
    sparql_prefixes("lc")
    + """
SELECT
  (COUNT(DISTINCT ?city) AS ?cities) (COUNT(DISTINCT ?space) AS ?spaces)
  (COUNT(DISTINCT ?activity) AS ?activities) (COUNT(DISTINCT ?asset) AS ?assets)
  (COUNT(DISTINCT ?partner) AS ?partners) (COUNT(DISTINCT ?admin) AS ?administrators)
WHERE {
  { ?city a lc:LearningCity } UNION { ?space a lc:LearningSpace } UNION
  { ?activity a lc:LearningActivity } UNION { ?asset a lc:KnowledgeAsset } UNION
  { ?partner a lc:PartnerOrganisation } UNION { ?admin a lc:CityLearningAdministrator }
}
"""
)

LAST_CHANGE = (
    sparql_prefixes("prov")
    + f"""
SELECT (MAX(?t) AS ?last) WHERE {{ GRAPH <{GRAPH_HISTORY}> {{ ?change prov:endedAtTime ?t }} }}
"""
)


def home_counts(ds: Dataset) -> list[tuple[str, int]]:
    row = ds.select(COUNTS)[0]
    keys = ("cities", "spaces", "activities", "assets", "partners", "administrators")
    return [(k, int(row[k].value) if k in row else 0) for k in keys]


def last_update(ds: Dataset) -> dt.datetime | None:
    rows = ds.select(LAST_CHANGE)
    if rows and "last" in rows[0]:
        try:
            return dt.datetime.fromisoformat(rows[0]["last"].value)
        except ValueError:
            pass
    if ds.path is not None and ds.path.exists():
        return dt.datetime.fromtimestamp(ds.path.stat().st_mtime, dt.UTC)
    return None


def format_when(when: dt.datetime | None, lang: str) -> str:
    """A timestamp as Thai readers expect it (Buddhist Era) or in English."""
    if when is None:
        return "—"
    if lang == "th":
        from lcgraph.ingest.dates import to_buddhist_era

        return f"{to_buddhist_era(when.date())} {when:%H:%M} น."
    return when.strftime("%d %B %Y %H:%M")


def _home_figures(request: Request) -> tuple[list[tuple[str, int]], dt.datetime | None]:
    """The home page's counts and last change, computed once per store state.

    Counting a store of a million triples takes a good part of a second;
    the figures change only through writes, which bump the runtime's
    generation.
    """
    rt = getattr(request.app.state, "runtime", None)
    generation = rt.generation if rt is not None else None
    cached = getattr(request.app.state, "home_figures", None)
    if cached is not None and generation is not None and cached[0] == generation:
        return cached[1], cached[2]
    ds = dataset(request)
    counts = home_counts(ds)
    # Personal data is not counted on a public page either.
    private = ds.count(str(GRAPH_PRIVATE)) if ds.has_graph(str(GRAPH_PRIVATE)) else 0
    counts.append(("triples", ds.count() - private))
    when = last_update(ds)
    request.app.state.home_figures = (generation, counts, when)
    return counts, when


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> HTMLResponse:
    lang = pick_language(request)
    counts, when = _home_figures(request)
    return render(
        request,
        "home.html",
        "home",
        counts=counts,
        last_update_iso=when.isoformat() if when else "",
        last_update_text=format_when(when, lang),
    )


# -- query -----------------------------------------------------------------

DEFAULT_QUERY = (
    sparql_prefixes("lc", "rdfs")
    + """
SELECT ?city ?label (COUNT(?activity) AS ?activities)
WHERE {
  ?city a lc:LearningCity ; rdfs:label ?label .
  FILTER(LANG(?label) = "th")
  OPTIONAL { ?activity a lc:LearningActivity ; lc:city ?city }
}
GROUP BY ?city ?label
ORDER BY DESC(?activities)
"""
)

EXAMPLES = [
    {
        "title": {"th": "ภาคีเครือข่ายแยกตามภาคส่วน", "en": "Partners by sector"},
        "sparql": sparql_prefixes("lc", "skos")
        + """
SELECT ?sector (COUNT(?partner) AS ?partners) WHERE {
  ?partner a lc:PartnerOrganisation ; lc:sector/skos:prefLabel ?sector .
  FILTER(LANG(?sector) = "en")
} GROUP BY ?sector ORDER BY DESC(?partners)
""",
    },
    {
        "title": {"th": "สมาชิก GNLC ของไทยและปีที่เข้าร่วม", "en": "Thai GNLC members and joining year"},
        "sparql": sparql_prefixes("org", "time", "rdfs")
        + """
SELECT ?member ?label ?year WHERE {
  ?m org:organization <https://w3id.org/lcgraph/id/network/gnlc> ; org:member ?member .
  OPTIONAL { ?m org:memberDuring/time:hasBeginning/time:inXSDgYear ?year }
  OPTIONAL { ?member rdfs:label ?label FILTER(LANG(?label) = "en") }
} ORDER BY ?year ?label
""",
    },
    {
        "title": {"th": "กิจกรรมตามช่วงวัย (ทุกเมือง)", "en": "Activities per age group (all cities)"},
        "sparql": sparql_prefixes("lc", "skos")
        + """
SELECT ?ageGroup (COUNT(?activity) AS ?activities) WHERE {
  ?activity a lc:LearningActivity ; lc:ageGroup/skos:prefLabel ?ageGroup .
  FILTER(LANG(?ageGroup) = "en")
} GROUP BY ?ageGroup ORDER BY DESC(?activities)
""",
    },
]


@router.get("/query", response_class=HTMLResponse)
def query_page(request: Request) -> HTMLResponse:
    lang = pick_language(request)
    registry = request.app.state.queries
    canned = [registry.get(n) for n in registry.names()]
    initial = request.query_params.get("query") or DEFAULT_QUERY.strip()
    page_data = {
        "lang": lang,
        "links": linker(request).routes(),
        "autorun": "query" in request.query_params,
        "text": {"rows": translator(lang)("rows")},
        "canned": {q.name: {"sparql": q.sparql} for q in canned},
        "examples": EXAMPLES,
    }
    return render(
        request,
        "query.html",
        "query",
        canned=canned,
        examples=EXAMPLES,
        initial_query=initial,
        page_data=page_data,
    )


# -- explore ---------------------------------------------------------------

CLASSES = (
    sparql_prefixes("rdfs", "owl")
    + """
SELECT ?class (SAMPLE(?l) AS ?label) (COUNT(DISTINCT ?s) AS ?n) WHERE {
  GRAPH <https://w3id.org/lcgraph/graph/ontology> { ?class a owl:Class }
  ?s a ?class .
  OPTIONAL { ?class rdfs:label ?l FILTER(LANG(?l) = $lang) }
} GROUP BY ?class ORDER BY DESC(?n)
"""
)

CITIES = (
    sparql_prefixes("lc", "rdfs")
    + """
SELECT ?city (SAMPLE(?l) AS ?label) (COUNT(DISTINCT ?thing) AS ?n) WHERE {
  ?city a lc:LearningCity .
  OPTIONAL { ?city rdfs:label ?l FILTER(LANG(?l) = $lang) }
  OPTIONAL { ?thing lc:city ?city }
} GROUP BY ?city ORDER BY DESC(?n) ?label
"""
)

INSTANCES = (
    sparql_prefixes("rdfs", "skos")
    + """
SELECT ?s (SAMPLE(?l) AS ?label) WHERE {
  ?s a $class .
  OPTIONAL { ?s rdfs:label|skos:prefLabel ?l FILTER(LANG(?l) = $lang) }
} GROUP BY ?s ORDER BY ?label ?s LIMIT 1000
"""
)

IN_CITY = (
    sparql_prefixes("lc", "rdfs")
    + """
SELECT ?s ?type (SAMPLE(?l) AS ?label) (SAMPLE(?tl) AS ?typeLabel) WHERE {
  ?s lc:city $city ; a ?type .
  FILTER(STRSTARTS(STR(?type), STR(lc:)))
  OPTIONAL { ?s rdfs:label ?l FILTER(LANG(?l) = $lang) }
  OPTIONAL { ?type rdfs:label ?tl FILTER(LANG(?tl) = $lang) }
} GROUP BY ?s ?type ORDER BY ?typeLabel ?label
"""
)


def _bind(query: str, **terms: Any) -> str:
    """Put RDF terms into a query written with ``$name`` placeholders.

    Only engine-made terms go in (``NamedNode``/``Literal``, whose ``str`` is
    their escaped N-Triples form), so request text never becomes SPARQL.
    """
    for name, term in terms.items():
        query = query.replace(f"${name}", str(term))
    return query


def _label(row: dict[str, Any], key: str, fallback: str) -> str:
    return row[key].value if key in row else fallback


@router.get("/explore", response_class=HTMLResponse)
def explore(request: Request) -> HTMLResponse:
    import pyoxigraph as ox

    ds = dataset(request)
    lang = ox.Literal(pick_language(request))
    class_iri = request.query_params.get("class")
    city_iri = request.query_params.get("city")
    if class_iri or city_iri:
        try:
            node = ox.NamedNode(class_iri or city_iri or "")
        except ValueError:
            return render(request, "explore.html", "explore", items=[], heading="?")
        if class_iri:
            rows = ds.select(_bind(INSTANCES, **{"class": node, "lang": lang}))
            items = [
                (class_iri, [{"iri": r["s"].value, "label": _label(r, "label", r["s"].value)} for r in rows])
            ]
            return render(
                request, "explore.html", "explore", items=items, heading=class_iri.rsplit("#", 1)[-1]
            )
        rows = ds.select(_bind(IN_CITY, city=node, lang=lang))
        groups: dict[str, list[dict[str, str]]] = {}
        for r in rows:
            group = _label(r, "typeLabel", r["type"].value)
            groups.setdefault(group, []).append(
                {"iri": r["s"].value, "label": _label(r, "label", r["s"].value)}
            )
        return render(
            request,
            "explore.html",
            "explore",
            items=list(groups.items()),
            heading=_city_label(ds, node, lang),
        )
    classes = [
        {"iri": r["class"].value, "label": _label(r, "label", r["class"].value), "count": int(r["n"].value)}
        for r in ds.select(_bind(CLASSES, lang=lang))
        if r["class"].value.startswith(str(LC))
    ]
    cities = [
        {"iri": r["city"].value, "label": _label(r, "label", r["city"].value), "count": int(r["n"].value)}
        for r in ds.select(_bind(CITIES, lang=lang))
    ]
    return render(request, "explore.html", "explore", classes=classes, cities=cities, items=None, heading="")


def _city_label(ds: Dataset, node: Any, lang: Any) -> str:
    query = (
        sparql_prefixes("rdfs") + "SELECT ?l WHERE { $city rdfs:label ?l FILTER(LANG(?l) = $lang) } LIMIT 1"
    )
    rows = ds.select(_bind(query, city=node, lang=lang))
    return rows[0]["l"].value if rows else node.value


# -- gaps ------------------------------------------------------------------

SEVERITIES = ("high", "medium", "low")


def _figures(report: Any) -> tuple[str, str]:
    """The network and coverage pictures as inline SVG, drawn once per report."""
    cached = getattr(report, "_ui_svgs", None)
    if cached is None:
        from lcgraph.analysis import plots
        from lcgraph.analysis.report import inline_svg

        cached = (
            inline_svg(plots.figure_bytes(plots.network_figure(report), "svg")),
            inline_svg(plots.figure_bytes(plots.coverage_figure(report), "svg")),
        )
        report._ui_svgs = cached
    return cached


@router.get("/gaps", response_class=HTMLResponse)
def gaps_page(request: Request) -> HTMLResponse:
    from lcgraph.api.analysis import cached_report
    from lcgraph.api.errors import ApiError

    lang = pick_language(request)
    city = request.query_params.get("city") or None
    severity = request.query_params.get("severity") or None
    try:
        everything = cached_report(request, None)
        report = cached_report(request, city) if city else everything
    except ApiError as exc:
        return render(request, "gaps.html", "gaps", error=exc.message)
    p = everything.projections
    cities = sorted(({"iri": c, "label": p.label(c, lang)} for c in p.cities()), key=lambda c: c["label"])
    findings = [f for f in report.findings if severity is None or f.severity == severity]
    network_svg, coverage_svg = _figures(report)
    return render(
        request,
        "gaps.html",
        "gaps",
        error=None,
        cities=cities,
        city=city,
        city_label=p.label(city, lang) if city else "",
        severity=severity,
        severities=SEVERITIES,
        summary=report.summary(),
        findings=findings[:200],
        recommendations=report.recommendations[:15],
        scorecard=report.scorecards.get(city) if city else None,
        network_svg=network_svg,
        coverage_svg=coverage_svg,
    )
