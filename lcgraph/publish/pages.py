"""Bilingual HTML pages for IRIs, the ontology, search results and "not found".

For people who follow an lcgraph IRI in a browser: Thai and English labels
side by side, every statement with a link to the related resource and the
source of the fact (its named graph and that graph's primary source), links
to the same description in RDF formats, and a schema.org JSON-LD block for
search engines. Server-rendered with Jinja2 (templates in ``templates/``),
no scripts, no CDN; the web-UI work may restyle them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox
from jinja2 import Environment, PackageLoader, select_autoescape

from lcgraph.namespaces import LC, LCG, LCV, PREFIXES, RDF
from lcgraph.publish.catalog import DatasetSummary
from lcgraph.publish.describe import Description, OntologyTerm, Source
from lcgraph.publish.search import Hit

_env = Environment(
    loader=PackageLoader("lcgraph.publish", "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


@dataclass(frozen=True)
class Linker:
    """Maps IRIs to the pages of this server that describe them (or leaves them as they are)."""

    base_iri: str
    server_url: str = ""

    def routes(self) -> list[tuple[str, str]]:
        """(namespace, local path) pairs: an IRI in the namespace is served at path + rest.

        The web UI's JavaScript applies the same table to result IRIs.
        """
        return [(self.base_iri, "/id/"), (str(LC), "/def#"), (str(LCV), "/vocab/"), (str(LCG), "/graph/")]

    def local_path(self, iri: str) -> str | None:
        """The path on this server that dereferences ``iri``, if it is one of ours."""
        for namespace, path in self.routes():
            if iri.startswith(namespace):
                return path + iri[len(namespace) :]
        return None

    def href(self, iri: str) -> str:
        path = self.local_path(iri)
        return self.server_url + path if path is not None else iri


def short_name(iri: str) -> str:
    """``lcid:city/phayao`` style for display."""
    for prefix, ns in PREFIXES.items():
        if iri.startswith(ns) and len(iri) > len(ns):
            return f"{prefix}:{iri[len(ns) :]}"
    return iri


@dataclass
class Value:
    """One object of a statement, ready for the template."""

    text: str
    href: str | None = None
    lang: str | None = None
    datatype: str | None = None
    graphs: list[str] = field(default_factory=list)
    nested: list[Row] = field(default_factory=list)


@dataclass
class Row:
    """One property and its values."""

    property: str
    href: str
    label_th: str | None
    label_en: str | None
    values: list[Value] = field(default_factory=list)


def _value(
    term: object, desc: Description, linker: Linker, by_subject: dict[object, list[ox.Quad]], depth: int
) -> Value:
    if isinstance(term, ox.Literal):
        dt = term.datatype.value if term.datatype and not term.language else None
        shown_dt = None if dt in (None, "http://www.w3.org/2001/XMLSchema#string") else short_name(dt)
        return Value(term.value, lang=term.language, datatype=shown_dt)
    if isinstance(term, ox.NamedNode):
        label = desc.label(term.value, "th")
        other = desc.label(term.value, "en")
        text = label if label == other or not other else f"{label} · {other}"
        return Value(text or short_name(term.value), href=linker.href(term.value))
    nested = _rows(by_subject.get(term, []), desc, linker, by_subject, depth + 1) if depth < 4 else []
    return Value("(blank node)", nested=nested)


def _statement_order(q: ox.Quad) -> tuple[bool, str, str]:
    return q.predicate.value != str(RDF.type), q.predicate.value, str(q.object)


def _rows(
    quads: list[ox.Quad],
    desc: Description,
    linker: Linker,
    by_subject: dict[object, list[ox.Quad]],
    depth: int = 0,
) -> list[Row]:
    rows: dict[str, Row] = {}
    values: dict[tuple[str, object], Value] = {}
    # rdf:type first, then properties in IRI order, so pages are stable.
    for q in sorted(quads, key=_statement_order):
        p = q.predicate.value
        row = rows.get(p)
        if row is None:
            row = rows[p] = Row(
                short_name(p),
                linker.href(p),
                desc.labels.get(p, {}).get("th"),
                desc.labels.get(p, {}).get("en"),
            )
        # The same fact stated by several sources is one value with several sources.
        value = values.get((p, q.object))
        if value is None:
            value = values[(p, q.object)] = _value(q.object, desc, linker, by_subject, depth)
            row.values.append(value)
        if isinstance(q.graph_name, ox.NamedNode):
            value.graphs.append(q.graph_name.value)
    return list(rows.values())


def _sources(desc: Description, linker: Linker) -> list[dict[str, Any]]:
    out = []
    for g, src in sorted(desc.sources.items()):
        out.append(_source_view(g, src, linker))
    return out


def _source_view(g: str, src: Source, linker: Linker) -> dict[str, Any]:
    return {
        "graph": g,
        "short": short_name(g),
        "href": linker.href(g),
        "title_th": src.title.get("th"),
        "title_en": src.title.get("en") or src.title.get(""),
        "source": src.source,
        "source_href": linker.href(src.source) if src.source else None,
        "source_title": src.source_title.get("en") or src.source_title.get("th"),
        "url": src.url,
    }


def render_resource(
    desc: Description, linker: Linker, alternates: list[tuple[str, str, str]], schema_view: dict[str, Any]
) -> str:
    """The HTML page of one resource. ``alternates``: (name, media type, URL) of each RDF form."""
    subject = ox.NamedNode(desc.iri)
    by_subject: dict[object, list[ox.Quad]] = {}
    for q in desc.quads:
        by_subject.setdefault(q.subject, []).append(q)
    inbound = [
        {
            "subject": short_name(q.subject.value),
            "href": linker.href(q.subject.value),
            "label": desc.label(q.subject.value, "th"),
            "label_en": desc.label(q.subject.value, "en"),
            "property": short_name(q.predicate.value),
        }
        for q in desc.inbound
    ]
    return _env.get_template("resource.html").render(
        iri=desc.iri,
        short=short_name(desc.iri),
        label_th=desc.labels.get(desc.iri, {}).get("th"),
        label_en=desc.labels.get(desc.iri, {}).get("en") or desc.labels.get(desc.iri, {}).get(""),
        types=[
            {
                "short": short_name(t),
                "href": linker.href(t),
                "label_th": desc.label(t, "th"),
                "label_en": desc.label(t, "en"),
            }
            for t in desc.types
        ],
        rows=_rows(by_subject.get(subject, []), desc, linker, by_subject),
        sources=_sources(desc, linker),
        graph_titles={
            g: (s.title.get("en") or s.title.get("th") or short_name(g)) for g, s in desc.sources.items()
        },
        inbound=inbound,
        inbound_truncated=desc.inbound_truncated,
        alternates=alternates,
        schema_json=json.dumps(schema_view, ensure_ascii=False, indent=1).replace("</", "<\\/"),
    )


def render_not_found(iri: str, suggestions: list[Hit], linker: Linker) -> str:
    """The 404 page: what was asked for, similar names, and where to go instead."""
    return _env.get_template("not_found.html").render(iri=iri, hits=_hit_views(suggestions, linker))


def _hit_views(hits: list[Hit], linker: Linker) -> list[dict[str, Any]]:
    return [
        {
            "iri": h.iri,
            "href": linker.href(h.iri),
            "short": short_name(h.iri),
            "label_th": h.labels.get("th"),
            "label_en": h.labels.get("en") or h.labels.get(""),
            "classes": [short_name(c) for c in h.classes],
            "score": h.score,
        }
        for h in hits
    ]


def render_search(query: str, hits: list[Hit], linker: Linker) -> str:
    """The search page with its results."""
    return _env.get_template("search.html").render(query=query, hits=_hit_views(hits, linker))


def render_ontology(terms: list[OntologyTerm], linker: Linker, alternates: list[tuple[str, str, str]]) -> str:
    """The ontology document: one section per term, anchored by its local name (``/def#city``)."""
    views = [
        {
            "iri": t.iri,
            "anchor": t.iri[len(str(LC)) :] if t.iri.startswith(str(LC)) else short_name(t.iri),
            "short": short_name(t.iri),
            "label_th": t.labels.get("th"),
            "label_en": t.labels.get("en") or t.labels.get(""),
            "comment_th": t.comments.get("th"),
            "comment_en": t.comments.get("en") or t.comments.get(""),
            "kinds": [short_name(k) for k in t.kinds],
            "links": [(name, linker.href(o), short_name(o)) for name, o in t.links],
        }
        for t in terms
    ]
    return _env.get_template("ontology.html").render(terms=views, alternates=alternates)


def render_catalog(
    datasets: list[DatasetSummary], linker: Linker, alternates: list[tuple[str, str, str]]
) -> str:
    """The catalog for people: each dataset with its size and download links."""
    views = [dict(d.__dict__, href=linker.href(d.iri)) for d in datasets]
    return _env.get_template("catalog.html").render(datasets=views, alternates=alternates)
