"""HTTP routes of the network-gap analysis (``/analysis/...``), for analysts' tools and dashboards.

* ``GET /analysis/gaps?city=&format=json|csv|html`` — ranked findings (JSON by
  default; CSV; or the self-contained HTML report);
* ``GET /analysis/recommendations?city=&top=`` — partnership suggestions;
* ``GET /analysis/scorecard/{city}`` — a city's GNLC-readiness scorecard;
* ``GET /analysis/network.gexf`` / ``/analysis/network.graphml`` — the
  collaboration network with the measures, for Gephi.

These routes only read the store (GET is safe); ``lcgraph gaps`` writes the
findings graph. Bad input (empty store, unknown city) is a 4xx with a
sentence that says what to do, through the API's one error type.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from types import ModuleType
from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from lcgraph.analysis.gaps import GapReport, analyse, without_examples
from lcgraph.analysis.network_files import FORMATS, network_bytes
from lcgraph.analysis.networks import AnalysisInputError, UnknownCity
from lcgraph.analysis.scope import UnknownPlace
from lcgraph.api.errors import BadRequest, NotFound, Unprocessable
from lcgraph.api.runtime import runtime
from lcgraph.store import Repository

router = APIRouter(prefix="/analysis", tags=["analysis"])

CityParam = Annotated[str | None, Query(description="A city: slug (phayao), IRI or label.")]
ProvinceParam = Annotated[
    str | None, Query(description="A province: ISO 3166-2 code (TH-56), IRI or name; ignored with city.")
]
RegionParam = Annotated[
    str | None,
    Query(description="A region: north, northeast, central, east, west or south (or IRI or name)."),
]


# Recent reports by (store generation, city): the analysis is costly and the
# store changes only through writes, which bump the runtime's generation.
_CACHE: OrderedDict[tuple[object, ...], GapReport] = OrderedDict()
_CACHE_SIZE = 8
_CACHE_LOCK = threading.Lock()
_REAL_DATA: dict[str, tuple[tuple[int, int], Repository]] = {}


def _generation(request: Request) -> int:
    rt = getattr(request.app.state, "runtime", None)
    return rt.generation if rt is not None else 0


def cached_report(
    request: Request,
    city: str | None,
    *,
    province: str | None = None,
    region: str | None = None,
    examples: bool = True,
) -> GapReport:
    """The gap analysis of the store as it is now, computed once per store state, scope and data choice.

    ``examples=False`` analyses the real data only (the store without the illustrative examples).
    """
    key = (id(request.app), _generation(request), city, province, region, examples)
    with _CACHE_LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
    ds = runtime(request).dataset if examples else _real_data(request)
    report = _report(ds, city, province, region)
    with _CACHE_LOCK:
        _CACHE[key] = report
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return report


def _real_data(request: Request) -> Repository:
    """The store without the illustrative examples, copied once per store state."""
    key = (id(request.app), _generation(request))
    with _CACHE_LOCK:
        cached = _REAL_DATA.get("view")
        if cached is not None and cached[0] == key:
            return cached[1]
    view = without_examples(runtime(request).dataset)
    with _CACHE_LOCK:
        _REAL_DATA["view"] = (key, view)
    return view


def _report(ds: Repository, city: str | None, province: str | None, region: str | None) -> GapReport:
    try:
        return analyse(ds, city=city, province=province, region=region)
    except (UnknownCity, UnknownPlace) as exc:
        raise NotFound(str(exc)) from None
    except AnalysisInputError as exc:
        raise Unprocessable(str(exc)) from None


def _report_module() -> ModuleType:
    # Imported on first use: it loads matplotlib, about 1 s of a query process's 3 s start
    # (python -X importtime; 2.6 s on the shared CI machine, 2026-12), and query processes are
    # started when one has to be replaced.
    from lcgraph.analysis import report_files

    return report_files


def _json(data: object) -> JSONResponse:
    return JSONResponse(data, media_type="application/json; charset=utf-8")


@router.get("/gaps", summary="Ranked findings of the gap analysis")
def gaps(
    request: Request,
    city: CityParam = None,
    province: ProvinceParam = None,
    region: RegionParam = None,
    format: str = "json",
) -> Response:
    """The findings of the scope, most severe first, with evidence and what to do (Thai and English)."""
    if format not in ("json", "csv", "html"):
        raise BadRequest(f"format must be json, csv or html, not {format!r}")
    report = cached_report(request, city, province=province, region=region)
    if format == "csv":
        return Response(
            _report_module().findings_csv(report.findings),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="findings.csv"'},
        )
    if format == "html":
        return HTMLResponse(_report_module().render_html(report))
    data = _report_module().as_json(report)
    return _json({"summary": data["summary"], "findings": data["findings"], "stages": data["stages"]})


@router.get("/recommendations", summary="Suggested partnerships with their reasons")
def recommendations(
    request: Request,
    city: CityParam = None,
    province: ProvinceParam = None,
    region: RegionParam = None,
    top: Annotated[int, Query(ge=1, le=500)] = 20,
) -> Response:
    """Who should work with whom, ranked, each with reasons in words."""
    report = cached_report(request, city, province=province, region=region)
    search = report.measures.candidate_search
    return _json(
        {
            "city": report.city,
            "recommendations": [r.as_dict() for r in report.recommendations[:top]],
            "candidate_search": search.__dict__ if search else None,
        }
    )


@router.get("/scorecard/{city}", summary="A city's GNLC-readiness scorecard")
def scorecard(request: Request, city: str) -> Response:
    """The UNESCO GNLC Key Features areas and sub-areas: what the graph shows, what is missing."""
    report = cached_report(request, city)
    assert report.city is not None
    return _json(report.scorecards[report.city].as_dict())


@router.get("/network.{fmt}", summary="The collaboration network for Gephi (GEXF or GraphML)")
def network(request: Request, fmt: str) -> Response:
    """The collaboration network with each node's community, betweenness and broker flag."""
    if fmt not in FORMATS:
        raise NotFound(f"no network format {fmt!r}: use /analysis/network.gexf or /analysis/network.graphml")
    report = cached_report(request, None)
    return Response(
        network_bytes(report, fmt),
        media_type=FORMATS[fmt],
        headers={"Content-Disposition": f'attachment; filename="lcgraph-network.{fmt}"'},
    )
