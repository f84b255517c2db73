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

import pyoxigraph as ox
from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles

from lcgraph.analysis.rdf_out import KIND_LABELS
from lcgraph.analysis.recommend import ACTION_RULE, ranked_actions
from lcgraph.analysis.scope import choices
from lcgraph.api.analysis import cached_report
from lcgraph.api.errors import ApiError
from lcgraph.namespaces import (
    GRAPH_EXAMPLES,
    GRAPH_HISTORY,
    GRAPH_ONTOLOGY,
    GRAPH_PRIVATE,
    LC,
    PREFIXES,
    sparql_prefixes,
)
from lcgraph.publish.pages import Linker
from lcgraph.queries import ParameterError
from lcgraph.store import Repository
from lcgraph.web import sparql_check
from lcgraph.web.i18n import pick_language, words
from lcgraph.web.layout import page_for
from lcgraph.web.layout import render as render_template

HERE = Path(__file__).resolve().parent
STATIC_DIR = HERE / "static"
BUILT = STATIC_DIR / "build"

router = APIRouter(include_in_schema=False)


def static_files() -> StaticFiles:
    """The UI's CSS and JavaScript (``build/`` is made by ``make``), mounted at ``/static``."""
    return StaticFiles(directory=STATIC_DIR)


def linker(request: Request) -> Linker:
    """Maps IRIs to this server's linked-data pages (the publishing layer's rule)."""
    return Linker(request.app.state.settings.base_iri)


def render(request: Request, name: str, active: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """A UI page in the request's language; a ``?lang=`` choice is remembered in a cookie."""
    page = page_for(request, active)
    html = render_template(name, page, resource_link=linker(request).href, **context)
    response = HTMLResponse(html, status_code=status_code)
    if request.query_params.get("lang") in ("th", "en"):
        response.set_cookie("lcgraph_lang", page.lang, max_age=365 * 24 * 3600, samesite="lax")
    return response


def wants_page(request: Request) -> bool:
    """A browser asking for a page (HTML first in ``Accept``, no ``format=``), not a program."""
    if request.query_params.get("format"):
        return False
    accept = request.headers.get("accept", "")
    return accept.startswith("text/html") or accept.startswith("application/xhtml+xml")


def dataset(request: Request) -> Repository:
    return request.app.state.dataset


# -- home ------------------------------------------------------------------

COUNTED = (
    ("cities", "lc:LearningCity"),
    ("spaces", "lc:LearningSpace"),
    ("activities", "lc:LearningActivity"),
    ("assets", "lc:KnowledgeAsset"),
    ("partners", "lc:PartnerOrganisation"),
    ("administrators", "lc:CityLearningAdministrator"),
)


def _counts_query(where: str) -> str:
    """Distinct instances of each counted class; ``where`` wraps the type pattern (a GRAPH, or nothing)."""
    heads = " ".join(f"(COUNT(DISTINCT ?{k}) AS ?{k})" for k, _ in COUNTED)
    unions = " UNION ".join("{ " + where.format(f"?{k} a {cls}") + " }" for k, cls in COUNTED)
    return sparql_prefixes("lc") + f"SELECT {heads} WHERE {{ {unions} }}"


COUNTS = _counts_query("{}")
EXAMPLE_COUNTS = _counts_query(f"GRAPH <{GRAPH_EXAMPLES}> {{{{ {{}} }}}}")

LAST_CHANGE = (
    sparql_prefixes("prov")
    + f"""
SELECT (MAX(?t) AS ?last) WHERE {{ GRAPH <{GRAPH_HISTORY}> {{ ?change prov:endedAtTime ?t }} }}
"""
)


def home_counts(ds: Repository) -> list[tuple[str, int, int]]:
    """(what, all, of which illustrative examples) for each counted class."""
    total, examples = ds.select(COUNTS)[0], ds.select(EXAMPLE_COUNTS)[0]

    def n(row: Any, k: str) -> int:
        return int(row[k].value) if k in row else 0

    return [(k, n(total, k), n(examples, k)) for k, _ in COUNTED]


def last_update(ds: Repository) -> dt.datetime | None:
    rows = ds.select(LAST_CHANGE)
    if rows and "last" in rows[0]:
        try:
            return dt.datetime.fromisoformat(rows[0]["last"].value)
        except ValueError:
            pass
    if ds.path is not None and ds.path.exists():
        return dt.datetime.fromtimestamp(ds.path.stat().st_mtime, dt.UTC)
    return None


def _home_figures(request: Request) -> tuple[list[tuple[str, int, int]], dt.datetime | None]:
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
    examples = ds.count(str(GRAPH_EXAMPLES)) if ds.has_graph(str(GRAPH_EXAMPLES)) else 0
    counts.append(("triples", ds.count() - private, examples))
    when = last_update(ds)
    request.app.state.home_figures = (generation, counts, when)
    return counts, when


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> HTMLResponse:
    counts, when = _home_figures(request)
    real_only = request.query_params.get("examples") == "hide"
    shown = [(k, total - ex if real_only else total, ex) for k, total, ex in counts]
    return render(
        request,
        "home.html",
        "home",
        counts=shown,
        real_only=real_only,
        any_examples=any(ex for _, _, ex in counts),
        last_update_iso=when.isoformat() if when else "",
        last_update=when,
    )


# -- query -----------------------------------------------------------------


def default_query(lang: str) -> str:
    """The query the page opens with: learning cities by recorded activities, labels in ``lang``."""
    return (
        sparql_prefixes("lc", "rdfs")
        + f"""
SELECT ?city ?label (COUNT(?activity) AS ?activities)
WHERE {{
  ?city a lc:LearningCity ; rdfs:label ?label .
  FILTER(LANG(?label) = "{lang}")
  OPTIONAL {{ ?activity a lc:LearningActivity ; lc:city ?city }}
}}
GROUP BY ?city ?label
ORDER BY DESC(?activities)
"""
    ).strip()


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


KEYWORDS = [
    "SELECT",
    "CONSTRUCT",
    "ASK",
    "DESCRIBE",
    "WHERE",
    "PREFIX",
    "BASE",
    "DISTINCT",
    "OPTIONAL",
    "FILTER",
    "UNION",
    "MINUS",
    "GRAPH",
    "BIND",
    "VALUES",
    "GROUP",
    "BY",
    "ORDER",
    "ASC",
    "DESC",
    "LIMIT",
    "OFFSET",
    "HAVING",
    "COUNT",
    "SUM",
    "MIN",
    "MAX",
    "AVG",
    "SAMPLE",
    "GROUP_CONCAT",
    "LANG",
    "LANGMATCHES",
    "STR",
    "REGEX",
    "CONTAINS",
    "STRSTARTS",
    "NOT",
    "EXISTS",
    "IN",
    "COALESCE",
    "IF",
    "BOUND",
]

# Words the query page's scripts show.
QUERY_WORDS = (
    "rows", "running", "cancelled", "refused", "engine_said", "no_history", "editor_label", "yes", "no",
    "check_prefix", "check_add_prefix", "add", "adds_prefix", "blank_node", "previous", "next", "showing",
    "pages", "per_page", "page_size",
)  # fmt: skip

ONTOLOGY_TERMS = (
    sparql_prefixes("owl", "rdfs", "rdf")
    + f"""
SELECT ?term ?kind (SAMPLE(?l) AS ?label) WHERE {{
  GRAPH <{GRAPH_ONTOLOGY}> {{
    ?term a ?kind .
    FILTER(?kind IN (owl:Class, owl:ObjectProperty, owl:DatatypeProperty, rdf:Property))
    OPTIONAL {{ ?term rdfs:label ?l FILTER(LANG(?l) = $lang) }}
  }}
}} GROUP BY ?term ?kind
"""
)


def ontology_terms(request: Request, lang: str) -> dict[str, list[dict[str, str]]]:
    """The ontology's classes and properties by prefix, for the editor's completion; once per language."""
    cache = request.app.state.__dict__.setdefault("ontology_terms", {})
    if lang not in cache:
        out: dict[str, list[dict[str, str]]] = {}
        rows = dataset(request).select(_bind(ONTOLOGY_TERMS, lang=ox.Literal(lang)))
        for r in rows:
            iri = r["term"].value
            for prefix, ns in PREFIXES.items():
                if iri.startswith(ns) and len(iri) > len(ns):
                    kind = "class" if r["kind"].value.endswith("Class") else "property"
                    label = r["label"].value if "label" in r else ""
                    out.setdefault(prefix, []).append({"name": iri[len(ns) :], "label": label, "kind": kind})
                    break
        cache[lang] = out
    return cache[lang]


def editor_bundle_missing() -> bool:
    return not (BUILT / "query.js").exists()


@router.get("/query", response_class=HTMLResponse)
def query_page(request: Request) -> HTMLResponse:
    lang = pick_language(request)
    queries = request.app.state.queries
    canned = [queries.get(n) for n in queries.names()]
    initial = request.query_params.get("query") or default_query(lang)
    page_data = {
        "lang": lang,
        "links": linker(request).routes(),
        "autorun": "query" in request.query_params,
        "text": words(lang, *QUERY_WORDS),
        "prefixes": PREFIXES,
        "terms": ontology_terms(request, lang),
        "keywords": KEYWORDS,
        "examples": [{"sparql": e["sparql"]} for e in EXAMPLES],
    }
    return render(
        request,
        "query.html",
        "query",
        canned=canned,
        examples=EXAMPLES,
        initial_query=initial,
        page_data=page_data,
        bundle_missing=editor_bundle_missing(),
    )


@router.post("/query/check")
async def check_query(request: Request) -> JSONResponse:
    """Whether the engine can read a query; if not, where and why, in the asked language.

    Body: ``{"query": "...", "lang": "th"|"en"}``. Answers ``{"ok": true}`` or
    ``{"ok": false, "message", "line", "column", "detail", "fix"}``.
    """
    try:
        body = await request.json()
        text, lang = str(body["query"]), str(body.get("lang") or pick_language(request))
    except (ValueError, KeyError, TypeError):
        return JSONResponse({"message": 'send JSON: {"query": "...", "lang": "th"}'}, status_code=400)
    if len(text) > 200_000:
        return JSONResponse({"message": "the query is longer than 200,000 characters"}, status_code=413)
    problem = sparql_check.check(text, lang if lang in ("th", "en") else "en")
    return JSONResponse({"ok": True} if problem is None else {"ok": False, **problem.as_dict()})


# -- canned queries as pages ------------------------------------------------

CANNED_WORDS = QUERY_WORDS


def queries_page(request: Request) -> HTMLResponse:
    """``/queries`` for a browser: every canned query with its form's link (programs get JSON)."""
    queries = request.app.state.queries
    return render(request, "queries.html", "query", queries=[queries.get(n) for n in queries.names()])


def _input_value(param: Any, raw: str | None, lang: str) -> str:
    """A parameter's value as the form shows it: dates in the reader's era."""
    value = raw if raw is not None else (param.default or "")
    if param.type == "date" and raw is None and value and lang == "th":
        try:
            day = dt.date.fromisoformat(value)
        except ValueError:
            return value
        return f"{day.day:02d}/{day.month:02d}/{day.year + 543}"
    return value


def canned_page(request: Request, name: str) -> HTMLResponse:
    """A canned query as a form (typed inputs with their defaults) above its results."""
    lang = pick_language(request)
    queries = request.app.state.queries
    try:
        query = queries.get(name)
    except KeyError as exc:
        return render(request, "queries.html", "query", status_code=404, queries=[
            queries.get(n) for n in queries.names()], missing=str(exc.args[0]))  # fmt: skip
    given = {k: v for k, v in request.query_params.items() if k not in ("lang", "format")}
    cities = (
        _cities(request, lang) if any(p.type == "iri" and "city" in p.name for p in query.parameters) else []
    )
    inputs = [
        {"param": p, "value": _input_value(p, given.get(p.name), lang), "cities": cities}
        for p in query.parameters
    ]
    error, editor_text = None, query.sparql
    try:
        bound = query.bind(given)
    except ParameterError as exc:
        error, bound = str(exc), {}
    if bound:
        names = " ".join(f"?{k}" for k in bound)
        terms = " ".join(str(v) for v in bound.values())
        editor_text = f"{query.sparql.rstrip()}\nVALUES ({names}) {{ ({terms}) }}\n"
    page_data = {
        "lang": lang,
        "name": name,
        "endpoint": f"/queries/{name}",
        "links": linker(request).routes(),
        "prefixes": PREFIXES,
        "text": words(lang, *CANNED_WORDS),
    }
    return render(
        request,
        "canned.html",
        "query",
        query=query,
        inputs=inputs,
        error=error,
        editor_link="/query?" + urlencode({"lang": lang, "query": editor_text}),
        page_data=page_data,
    )


def _cities(request: Request, lang: str) -> list[dict[str, str]]:
    rows = dataset(request).select(_bind(_real(CITIES, False), lang=ox.Literal(lang)))
    return sorted(
        ({"iri": r["city"].value, "label": _label(r, "label", r["city"].value)} for r in rows),
        key=lambda c: c["label"],
    )


# -- API documentation, served from local copies ----------------------------------

# Everything from this server: ReDoc's sidebar would otherwise fetch its maker's logo from the web.
DOCS_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:; connect-src 'self'"
)


@router.get("/docs", response_class=HTMLResponse)
def swagger_ui(request: Request) -> HTMLResponse:
    """Swagger UI from the copy ``make`` installed (no CDN: works offline)."""
    page = get_swagger_ui_html(
        openapi_url=request.app.openapi_url or "/openapi.json",
        title="lcgraph API",
        swagger_js_url="/static/build/swagger-ui-bundle.js",
        swagger_css_url="/static/build/swagger-ui.css",
        swagger_favicon_url="/static/favicon.svg",
    )
    page.headers["Content-Security-Policy"] = DOCS_POLICY
    return page


@router.get("/redoc", response_class=HTMLResponse)
def redoc(request: Request) -> HTMLResponse:
    """ReDoc from the copy ``make`` installed, without web fonts."""
    page = get_redoc_html(
        openapi_url=request.app.openapi_url or "/openapi.json",
        title="lcgraph API",
        redoc_js_url="/static/build/redoc.standalone.js",
        redoc_favicon_url="/static/favicon.svg",
        with_google_fonts=False,
    )
    page.headers["Content-Security-Policy"] = DOCS_POLICY
    return page


# -- explore ---------------------------------------------------------------

CLASSES = (
    sparql_prefixes("rdfs", "owl")
    + """
SELECT ?class (SAMPLE(?l) AS ?label) (COUNT(DISTINCT ?s) AS ?n) WHERE {
  GRAPH <https://w3id.org/lcgraph/graph/ontology> { ?class a owl:Class }
  ?s a ?class . $real_s
  OPTIONAL { ?class rdfs:label ?l FILTER(LANG(?l) = $lang) }
} GROUP BY ?class ORDER BY DESC(?n)
"""
)

CITIES = (
    sparql_prefixes("lc", "rdfs")
    + """
SELECT ?city (SAMPLE(?l) AS ?label) (COUNT(DISTINCT ?thing) AS ?n) WHERE {
  ?city a lc:LearningCity . $real_city
  OPTIONAL { ?city rdfs:label ?l FILTER(LANG(?l) = $lang) }
  OPTIONAL { ?thing lc:city ?city . $real_thing }
} GROUP BY ?city ORDER BY DESC(?n) ?label
"""
)

INSTANCES = (
    sparql_prefixes("rdfs", "skos")
    + """
SELECT ?s (SAMPLE(?l) AS ?label) WHERE {
  ?s a $class . $real_s
  OPTIONAL { ?s rdfs:label|skos:prefLabel ?l FILTER(LANG(?l) = $lang) }
} GROUP BY ?s ORDER BY ?label ?s LIMIT 1000
"""
)

IN_CITY = (
    sparql_prefixes("lc", "rdfs")
    + """
SELECT ?s ?type (SAMPLE(?l) AS ?label) (SAMPLE(?tl) AS ?typeLabel) WHERE {
  ?s lc:city $city ; a ?type . $real_s
  FILTER(STRSTARTS(STR(?type), STR(lc:)))
  OPTIONAL { ?s rdfs:label ?l FILTER(LANG(?l) = $lang) }
  OPTIONAL { ?type rdfs:label ?tl FILTER(LANG(?tl) = $lang) }
} GROUP BY ?s ?type ORDER BY ?typeLabel ?label
"""
)


def _illustrative(var: str) -> str:
    """A filter that drops ``?var`` when the illustrative examples graph describes it (it is invented)."""
    return f"FILTER NOT EXISTS {{ GRAPH <{GRAPH_EXAMPLES}> {{ ?{var} a ?_illustrative }} }}"


def _real(query: str, real_only: bool) -> str:
    """Fill the query's ``$real_x`` slots: a filter per variable for real data only, else nothing."""
    for var in ("s", "city", "thing"):
        query = query.replace(f"$real_{var}", _illustrative(var) if real_only else "")
    return query


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
    ds = dataset(request)
    lang = ox.Literal(pick_language(request))
    real_only = examples_hidden(request)
    shown = {"real_only": real_only, "any_examples": _has_examples(request),
             "keep": {k: v for k, v in request.query_params.items() if k in ("class", "city")}}  # fmt: skip
    class_iri = request.query_params.get("class")
    city_iri = request.query_params.get("city")
    if class_iri or city_iri:
        try:
            node = ox.NamedNode(class_iri or city_iri or "")
        except ValueError:
            return render(request, "explore.html", "explore", status_code=400, items=[], heading="?", **shown)
        if class_iri:
            rows = ds.select(_bind(_real(INSTANCES, real_only), **{"class": node, "lang": lang}))
            items = [
                (class_iri, [{"iri": r["s"].value, "label": _label(r, "label", r["s"].value)} for r in rows])
            ]
            return render(
                request,
                "explore.html",
                "explore",
                items=items,
                heading=_label_of(ds, node, lang),
                iri=class_iri,
                **shown,
            )
        rows = ds.select(_bind(_real(IN_CITY, real_only), city=node, lang=lang))
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
            heading=_label_of(ds, node, lang),
            iri=city_iri,
            city_page=True,
            **shown,
        )
    classes = [
        {"iri": r["class"].value, "label": _label(r, "label", r["class"].value), "count": int(r["n"].value)}
        for r in ds.select(_bind(_real(CLASSES, real_only), lang=lang))
        if r["class"].value.startswith(str(LC))
    ]
    cities = [
        {"iri": r["city"].value, "label": _label(r, "label", r["city"].value), "count": int(r["n"].value)}
        for r in ds.select(_bind(_real(CITIES, real_only), lang=lang))
    ]
    return render(
        request, "explore.html", "explore", classes=classes, cities=cities, items=None, heading="", **shown
    )


def _label_of(ds: Repository, node: Any, lang: Any) -> str:
    """The label of ``node`` in ``lang`` (else English, else any), else its IRI."""
    query = sparql_prefixes("rdfs", "skos") + (
        "SELECT ?l WHERE { $node rdfs:label|skos:prefLabel ?l } "
        'ORDER BY DESC(LANG(?l) = $lang) DESC(LANG(?l) = "en") LIMIT 1'
    )
    rows = ds.select(_bind(query, node=node, lang=lang))
    return rows[0]["l"].value if rows else node.value


# -- gaps ------------------------------------------------------------------

SEVERITIES = ("high", "medium", "low")
FINDINGS_PER_PAGE = 20
FINDINGS_PER_GROUP = 3

PREVIOUS_FINDINGS = (
    sparql_prefixes("lc", "prov", "rdfs")
    + """
SELECT ?finding ?at (SAMPLE(?l) AS ?label) WHERE {
  GRAPH <https://w3id.org/lcgraph/graph/findings> {
    ?finding a lc:Finding ; prov:generatedAtTime ?at .
    OPTIONAL { ?finding rdfs:label ?l FILTER(LANG(?l) = $lang) }
  }
} GROUP BY ?finding ?at
"""
)


def _figure(report: Any, name: str, lang: str, fmt: str = "svg") -> bytes:
    """The network or coverage picture in ``lang``, drawn once per report, language and format."""
    # Imported on first use: lcgraph.analysis.plots loads matplotlib, 2.6 s of `import` on this
    # machine (python -X importtime, after the modules the app loads anyway), which every query
    # process of `lcgraph serve` would pay at start and most never use.
    from lcgraph.analysis import plots

    cache = report.__dict__.setdefault("_ui_figures", {})
    key = (name, lang, fmt)
    if key not in cache:
        draw = plots.network_figure if name == "network" else plots.coverage_figure
        cache[key] = plots.figure_bytes(draw(report, lang), fmt)
    return cache[key]


def _changes(ds: Repository, report: Any, lang: str) -> dict[str, Any] | None:
    """New, closed and persisting findings since the analysis last written to the store, if any."""
    rows = ds.select(_bind(PREVIOUS_FINDINGS, lang=ox.Literal(lang)))
    if not rows:
        return None
    prefix = "https://w3id.org/lcgraph/id/finding/"
    before = {r["finding"].value.removeprefix(prefix): r for r in rows}
    now = {f.id: f for f in report.findings}
    if not report.scope.whole:  # the stored run covers every city: compare this scope's part only
        inside = _mentioning(ds, report.scope.cities)
        before = {k: r for k, r in before.items() if k in now or r["finding"].value in inside}
    closed = [
        {"id": k, "label": r["label"].value if "label" in r else k} for k, r in before.items() if k not in now
    ]
    return {
        "when": max(r["at"].value for r in rows),
        "new": [now[k] for k in now if k not in before],
        "closed": closed,
        "persisting": sum(1 for k in now if k in before),
    }


def _mentioning(ds: Repository, cities: frozenset[str]) -> set[str]:
    """The stored findings that name one of ``cities`` (``dct:spatial``)."""
    if not cities:
        return set()
    values = " ".join(str(ox.NamedNode(c)) for c in sorted(cities))
    query = sparql_prefixes("dct") + (
        "SELECT DISTINCT ?f WHERE { VALUES ?c { " + values + " }"
        " GRAPH <https://w3id.org/lcgraph/graph/findings> { ?f dct:spatial ?c } }"
    )
    return {r["f"].value for r in ds.select(query)}


def _groups(findings: list[Any]) -> list[tuple[str, list[Any]]]:
    """Findings by kind, the kinds in the order of their most severe finding."""
    groups: dict[str, list[Any]] = {}
    for f in findings:
        groups.setdefault(f.kind, []).append(f)
    return sorted(groups.items(), key=lambda kv: kv[1][0].sort_key())


SCOPE_PARAMS = ("region", "province", "city")


def gaps_scope(request: Request) -> dict[str, str | None]:
    """The scope asked for: ``region=``, ``province=`` or ``city=`` (the narrowest wins), or the
    form's single ``scope=kind:value`` choice; nothing is the whole country."""
    asked = {k: request.query_params.get(k) or None for k in SCOPE_PARAMS}
    kind, _, value = (request.query_params.get("scope") or "").partition(":")
    if kind in SCOPE_PARAMS and value:
        asked = {k: value if k == kind else None for k in SCOPE_PARAMS}
    for narrower in ("city", "province"):  # one scope in the URL: the narrowest given
        if asked[narrower]:
            wider = SCOPE_PARAMS[: SCOPE_PARAMS.index(narrower)]
            asked.update(dict.fromkeys(wider))
    return asked


def examples_hidden(request: Request) -> bool:
    """``?examples=hide``: real data only. The default, as on the home page, shows the examples."""
    return request.query_params.get("examples") == "hide"


@router.get("/gaps", response_class=HTMLResponse)
def gaps_page(request: Request) -> HTMLResponse:
    from lcgraph.analysis.plots import unrecorded_cities  # matplotlib: see _figure

    lang = pick_language(request)
    asked = gaps_scope(request)
    real_only = examples_hidden(request)
    severity = request.query_params.get("severity") or None
    kind = request.query_params.get("kind") or None
    try:
        page_no = max(1, int(request.query_params.get("page", "1")))
    except ValueError:
        page_no = 1
    try:
        everything = cached_report(request, None, examples=not real_only)
        scoped = any(asked.values())
        report = cached_report(request, **asked, examples=not real_only) if scoped else everything
    except ApiError as exc:
        status = exc.status if 400 <= exc.status < 500 else 200
        return render(request, "gaps.html", "gaps", status_code=status, error=exc.message,
                      real_only=real_only, any_examples=_has_examples(request))  # fmt: skip
    p = everything.projections
    scope = report.scope
    city = report.city
    findings = [f for f in report.findings if severity is None or f.severity == severity]
    groups = _groups(findings)
    shown_kind = None
    if kind:
        chosen = [f for f in findings if f.kind == kind]
        pages = max(1, -(-len(chosen) // FINDINGS_PER_PAGE))
        page_no = min(page_no, pages)
        start = (page_no - 1) * FINDINGS_PER_PAGE
        shown_kind = {"kind": kind, "findings": chosen[start : start + FINDINGS_PER_PAGE],
                      "total": len(chosen), "page": page_no, "pages": pages}  # fmt: skip
    unknown = unrecorded_cities(everything)
    summary = report.summary()
    # The scope in the URL by its short code (TH-56, north) or, for a city, its IRI.
    scope_params: dict[str, str | None] = {k: None for k in SCOPE_PARAMS}
    if not scope.whole and scope.iri:
        code = scope.iri if scope.kind == "city" else scope.iri.rstrip("/").rsplit("/", 1)[-1]
        scope_params[scope.kind] = code
    base = {"lang": lang, **scope_params, "examples": "hide" if real_only else None}

    def link(**changes: Any) -> str:
        params = {**base, "severity": severity, "kind": kind, "page": None}
        params.update(changes)
        return "/gaps?" + urlencode({k: v for k, v in params.items() if v})

    drawn = scope.whole or bool(scope.cities)
    figure_query = urlencode({k: v for k, v in base.items() if v})
    return render(
        request,
        "gaps.html",
        "gaps",
        error=None,
        places=choices(p, lang),
        cities=sorted(({"iri": c, "label": p.label(c, lang)} for c in p.cities()), key=lambda c: c["label"]),
        scope=scope,
        scope_value=f"{scope.kind}:{scope_params[scope.kind]}" if not scope.whole else "",
        scope_label=scope.label(p, lang),
        scope_count=len(scope.cities) if not scope.whole else len(p.cities()),
        city=city,
        city_label=p.label(city, lang) if city else "",
        severity=severity,
        severities=SEVERITIES,
        summary=summary,
        actions=ranked_actions(findings),
        action_rule=ACTION_RULE[lang],
        groups=groups,
        per_group=FINDINGS_PER_GROUP,
        shown_kind=shown_kind,
        kind_label=lambda k: KIND_LABELS.get(k, (k, k))[0 if lang == "th" else 1],
        total_findings=len(findings),
        recommendations=report.recommendations[:10],
        scorecard=report.scorecards.get(city) if city else None,
        unrecorded=sorted(p.label(c, lang) for c in unknown if scope.whole or c in scope.cities),
        city_unrecorded=city in unknown,
        changes=_changes(dataset(request), report, lang),
        link=link,
        scope_query=urlencode({k: v for k, v in base.items() if v and k != "lang"}),
        real_only=real_only,
        any_examples=_has_examples(request),
        examples_link=urlencode(
            {k: v for k, v in {**base, "examples": None if real_only else "hide"}.items() if v}
        ),
        figure_query=figure_query,
        network_svg=_inline(_figure(report, "network", lang)) if drawn else "",
        coverage_svg=_inline(_figure(report, "coverage", lang)) if drawn else "",
    )


def _has_examples(request: Request) -> bool:
    return dataset(request).ask(f"ASK {{ GRAPH <{GRAPH_EXAMPLES}> {{ ?s ?p ?o }} }}")


def _inline(svg: bytes) -> str:
    from lcgraph.analysis.report_files import inline_svg  # loads matplotlib: see _figure

    return inline_svg(svg)


@router.get("/gaps/findings.csv")
def gaps_csv(request: Request) -> Response:
    """The findings of the chosen scope as CSV for spreadsheet programs: UTF-8 with a byte-order mark.

    Without the mark Excel reads UTF-8 as the local code page and the Thai columns turn to noise.
    """
    from lcgraph.analysis.report_files import findings_csv  # loads matplotlib: see _figure

    asked = gaps_scope(request)
    report = cached_report(request, **asked, examples=not examples_hidden(request))
    chosen = next((v for v in reversed(asked.values()) if v), None)
    name = "lcgraph-findings" + (f"-{chosen.rstrip('/').rsplit('/', 1)[-1]}" if chosen else "") + ".csv"
    return Response(
        ("\ufeff" + findings_csv(report.findings)).encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/gaps/figure/{name}.{fmt}")
def gaps_figure(request: Request, name: str, fmt: str) -> Response:
    """The gaps page's pictures on their own, full size (``network``/``coverage``, ``svg``/``png``)."""
    if name not in ("network", "coverage") or fmt not in ("svg", "png"):
        return JSONResponse({"message": "pictures: network or coverage, as .svg or .png"}, status_code=404)
    lang = pick_language(request)
    report = cached_report(request, **gaps_scope(request), examples=not examples_hidden(request))
    media = "image/svg+xml" if fmt == "svg" else "image/png"
    return Response(_figure(report, name, lang, fmt), media_type=media)
