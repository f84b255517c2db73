"""The gap report in the forms analysts use: JSON, CSV, and a self-contained bilingual HTML page.

The HTML page inlines its pictures as SVG (text drawn as paths, so Thai
shows without the reader having a Thai font) and can be mailed or dropped
into a slide deck as is; :func:`write_report` also saves the pictures as
PNG files next to it.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from lcgraph.analysis import plots
from lcgraph.analysis.findings import Finding
from lcgraph.analysis.gaps import GapReport
from lcgraph.analysis.rdf_out import evidence_text
from lcgraph.web.layout import Page, render

HTML_FINDINGS = 300  # a slide-deck report: the rest are in the JSON/CSV and the findings graph
SEVERITY_TH = {"high": "สูง", "medium": "กลาง", "low": "ต่ำ"}
STATUS_TH = {"evident": "มีหลักฐาน", "partial": "บางส่วน", "missing": "ยังไม่มี"}
CSV_COLUMNS = (
    "rank",
    "id",
    "severity",
    "kind",
    "subjects",
    "cities",
    "message_en",
    "message_th",
    "recommendation_en",
    "recommendation_th",
    "evidence",
)


def as_json(report: GapReport) -> dict[str, Any]:
    """Everything a client needs, as plain JSON-ready data."""
    return {
        "summary": report.summary(),
        "findings": [f.as_dict() for f in report.findings],
        "recommendations": [r.as_dict() for r in report.recommendations],
        "scorecards": {c: s.as_dict() for c, s in report.scorecards.items()},
        "stages": [
            {"name": s.name, "seconds": round(s.seconds, 4), "peak_rss_mb": round(s.peak_rss_mb, 1)}
            for s in report.stages
        ],
    }


def json_text(report: GapReport) -> str:
    return json.dumps(as_json(report), ensure_ascii=False, indent=2, default=str)


def findings_csv(findings: list[Finding]) -> str:
    """One row per finding, most severe first (UTF-8; Thai columns included)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for i, f in enumerate(findings, start=1):
        writer.writerow(
            [
                i,
                f.id,
                f.severity,
                f.kind,
                " ".join(f.subjects),
                " ".join(f.cities),
                f.message_en,
                f.message_th,
                f.recommendation_en,
                f.recommendation_th,
                evidence_text(f.evidence),
            ]
        )
    return buffer.getvalue()


def inline_svg(data: bytes) -> str:
    """An SVG document without its XML prologue, for putting inside HTML."""
    text = data.decode("utf-8")
    return text[text.index("<svg") :]


def render_html(report: GapReport) -> str:
    """The self-contained bilingual HTML report."""
    p = report.projections
    return render(
        "report.html.j2",
        Page(lang="th", standalone=True),
        city=report.city,
        city_th=p.label(report.city, "th") if report.city else "",
        city_en=p.label(report.city, "en") if report.city else "",
        summary=report.summary(),
        findings=report.findings[:HTML_FINDINGS],
        more_findings=max(0, len(report.findings) - HTML_FINDINGS),
        recommendations=report.recommendations,
        scorecards=list(report.scorecards.values()),
        network_svg=inline_svg(plots.figure_bytes(plots.network_figure(report), "svg")),
        coverage_svg=inline_svg(plots.figure_bytes(plots.coverage_figure(report), "svg")),
        severity_th=SEVERITY_TH,
        status_th=STATUS_TH,
        evidence=lambda f: evidence_text(f.evidence),
    )


def write_report(report: GapReport, directory: Path) -> list[Path]:
    """Write report.html, network.png and coverage.png into ``directory``; returns the paths."""
    directory.mkdir(parents=True, exist_ok=True)
    html = directory / "report.html"
    html.write_text(render_html(report), encoding="utf-8")
    network = directory / "network.png"
    network.write_bytes(plots.figure_bytes(plots.network_figure(report), "png"))
    coverage = directory / "coverage.png"
    coverage.write_bytes(plots.figure_bytes(plots.coverage_figure(report), "png"))
    return [html, network, coverage]
