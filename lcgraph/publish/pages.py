"""Bilingual HTML pages for IRIs, the ontology, search results and "not found".

For people who follow an lcgraph IRI in a browser: Thai and English labels
side by side, every statement with a link to the related resource and the
source of the fact (its named graph and that graph's primary source), links
to the same description in RDF formats, and a schema.org JSON-LD block for
search engines. Server-rendered with the site's one Jinja environment and
layout (:mod:`lcgraph.web.layout`), in the reader's language, no scripts, no CDN.
"""

from __future__ import annotations

import builtins
import json
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox

from lcgraph.namespaces import LC, LCG, LCV, PREFIXES, RDF, SCHEMA, XSD
from lcgraph.publish.catalog import DatasetSummary
from lcgraph.publish.describe import Description, OntologyTerm, Source
from lcgraph.publish.search import Hit
from lcgraph.store import typed
from lcgraph.web.i18n import format_when
from lcgraph.web.layout import Page, render

DATES = {str(XSD.date), str(XSD.dateTime)}
# Properties read in a fixed order rather than by IRI: a start before its end.
_READ_AFTER = {str(SCHEMA.endDate): str(SCHEMA.startDate) + "\uffff"}


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
    #: For dates: the ISO value, shown on request beside the reader's calendar.
    iso: str | None = None
    short: str | None = None


@dataclass
class Row:
    """One property and its values."""

    property: str
    href: str
    label_th: str | None
    label_en: str | None
    values: list[Value] = field(default_factory=list)

    @builtins.property  # the field ``property`` above hides the builtin in this class body
    def graphs(self) -> list[str]:
        """The sources of this row's values, once each, in the order met."""
        seen: dict[str, None] = {}
        for v in self.values:
            seen.update(dict.fromkeys(v.graphs))
        return list(seen)


def _value(
    term: object,
    desc: Description,
    linker: Linker,
    by_subject: dict[object, list[ox.Quad]],
    depth: int,
    lang: str,
) -> Value:
    if isinstance(term, ox.Literal):
        dt = term.datatype.value if term.datatype and not term.language else None
        if dt in DATES:
            return Value(format_when(term.value, lang), iso=term.value)
        shown_dt = None if dt in (None, str(XSD.string)) else short_name(dt)
        return Value(term.value, lang=term.language, datatype=shown_dt)
    if isinstance(term, ox.NamedNode):
        label = desc.label(term.value, lang) or desc.label(term.value, "en" if lang == "th" else "th")
        return Value(
            label or short_name(term.value), href=linker.href(term.value), short=short_name(term.value)
        )
    nested = _rows(by_subject.get(term, []), desc, linker, by_subject, depth + 1, lang) if depth < 4 else []
    return Value("", nested=nested)


def _statement_order(q: ox.Quad) -> tuple[bool, str, str]:
    p = q.predicate.value
    return p != str(RDF.type), _READ_AFTER.get(p, p), str(q.object)


def _rows(
    quads: list[ox.Quad],
    desc: Description,
    linker: Linker,
    by_subject: dict[object, list[ox.Quad]],
    depth: int = 0,
    lang: str = "th",
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
            value = values[(p, q.object)] = _value(q.object, desc, linker, by_subject, depth, lang)
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
    desc: Description,
    linker: Linker,
    alternates: list[tuple[str, str, str]],
    schema_view: dict[str, Any],
    page: Page | None = None,
) -> str:
    """The HTML page of one resource. ``alternates``: (name, media type, URL) of each RDF form."""
    page = page or Page()
    lang = page.lang
    other = "en" if lang == "th" else "th"
    subject = ox.NamedNode(desc.iri)
    by_subject: dict[object, list[ox.Quad]] = {}
    for q in desc.quads:
        by_subject.setdefault(q.subject, []).append(q)
    inbound = [
        {
            "short": short_name(typed.text(q.subject)),
            "href": linker.href(typed.text(q.subject)),
            "label": desc.label(typed.text(q.subject), lang) or desc.label(typed.text(q.subject), other),
            "property": short_name(q.predicate.value),
        }
        for q in desc.inbound
    ]
    labels = desc.labels.get(desc.iri, {})
    title = labels.get(lang) or labels.get(other) or labels.get("") or short_name(desc.iri)
    return render(
        "resource.html",
        page,
        iri=desc.iri,
        short=short_name(desc.iri),
        title=title,
        subtitle=labels.get(other) if labels.get(other) not in (None, title) else None,
        other_lang=other,
        types=[
            {
                "short": short_name(t),
                "href": linker.href(t),
                "label": desc.label(t, lang) or desc.label(t, other) or short_name(t),
            }
            for t in desc.types
        ],
        rows=_rows(by_subject.get(subject, []), desc, linker, by_subject, lang=lang),
        sources=_sources(desc, linker),
        graph_titles={g: _source_title(s, lang) or short_name(g) for g, s in desc.sources.items()},
        inbound=inbound,
        inbound_truncated=desc.inbound_truncated,
        alternates=alternates,
        schema_json=json.dumps(schema_view, ensure_ascii=False, indent=1).replace("</", "<\\/"),
    )


def _source_title(src: Source, lang: str) -> str | None:
    return src.title.get(lang) or src.title.get("en") or src.title.get("th") or src.title.get("")


def render_not_found(iri: str, suggestions: list[Hit], linker: Linker, page: Page | None = None) -> str:
    """The 404 page: what was asked for, similar names, and where to go instead."""
    page = page or Page()
    return render("not_found.html", page, iri=iri, hits=_hit_views(suggestions, linker, page.lang))


def _hit_views(hits: list[Hit], linker: Linker, lang: str) -> list[dict[str, Any]]:
    other = "en" if lang == "th" else "th"
    return [
        {
            "iri": h.iri,
            "href": linker.href(h.iri),
            "short": short_name(h.iri),
            "label": h.labels.get(lang) or h.labels.get(other) or h.labels.get("") or short_name(h.iri),
            "classes": [short_name(c) for c in h.classes],
            "score": h.score,
        }
        for h in hits
    ]


def render_search(query: str, hits: list[Hit], linker: Linker, page: Page | None = None) -> str:
    """The search page with its results."""
    page = page or Page(active="search")
    return render("search.html", page, query=query, hits=_hit_views(hits, linker, page.lang))


def render_ontology(
    terms: list[OntologyTerm],
    linker: Linker,
    alternates: list[tuple[str, str, str]],
    page: Page | None = None,
) -> str:
    """The ontology document: one section per term, anchored by its local name (``/def#city``)."""
    page = page or Page()
    lang = page.lang
    other = "en" if lang == "th" else "th"
    views = [
        {
            "iri": t.iri,
            "anchor": t.iri[len(str(LC)) :] if t.iri.startswith(str(LC)) else short_name(t.iri),
            "short": short_name(t.iri),
            "label": t.labels.get(lang) or t.labels.get(other) or t.labels.get("") or short_name(t.iri),
            "comment": t.comments.get(lang) or t.comments.get(other) or t.comments.get(""),
            "kinds": [short_name(k) for k in t.kinds],
            "links": [(name, linker.href(o), short_name(o)) for name, o in t.links],
        }
        for t in terms
    ]
    return render("ontology.html", page, terms=views, alternates=alternates)


def render_catalog(
    datasets: list[DatasetSummary],
    linker: Linker,
    alternates: list[tuple[str, str, str]],
    page: Page | None = None,
) -> str:
    """The catalog for people: each dataset with its size and download links."""
    page = page or Page(active="catalog")
    views = [dict(d.__dict__, href=linker.href(d.iri)) for d in datasets]
    return render("catalog.html", page, datasets=views, alternates=alternates)
