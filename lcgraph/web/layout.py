"""The one Jinja environment and the one page layout of every HTML page lcgraph serves.

The web UI (home, query, explore, gaps, canned-query forms), the linked-data
pages (``/id/…``, ``/search``, ``/catalog``, the ontology) and the
self-contained gap report all extend ``layout.html``: one navigation, one
language switch, one stylesheet. A page is rendered for a :class:`Page`: the
language it is in and the query string it was asked with (so the language
links keep everything else the user chose).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request

from lcgraph.web.i18n import format_when, pick_language, translator

PACKAGE = Path(__file__).resolve().parent.parent
STYLESHEET = Path(__file__).resolve().parent / "static" / "app.css"

ENV = Environment(
    loader=ChoiceLoader(
        [
            FileSystemLoader(PACKAGE / "web" / "templates"),
            FileSystemLoader(PACKAGE / "publish" / "templates"),
            FileSystemLoader(PACKAGE / "analysis" / "templates"),
        ]
    ),
    autoescape=select_autoescape(["html", "j2"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


@dataclass(frozen=True)
class Page:
    """What every page needs to know about the request it answers."""

    lang: str = "th"
    params: Mapping[str, str] = field(default_factory=dict)
    active: str = ""
    #: A page read away from the server (the mailed gap report): styles inline, links absolute-free.
    standalone: bool = False

    def switch_query(self, to: str) -> str:
        """The query string of this page in the language ``to``."""
        params = dict(self.params)
        params["lang"] = to
        return urlencode(params)


def page_for(request: Request, active: str = "") -> Page:
    """The :class:`Page` of an HTTP request: its language and query string."""
    return Page(pick_language(request), dict(request.query_params), active)


def render(template: str, page: Page, **context: Any) -> str:
    """Render ``template`` (which extends ``layout.html``) for ``page``."""
    t = translator(page.lang)
    return ENV.get_template(template).render(
        lang=page.lang,
        t=t,
        active=page.active,
        switch_query=page.switch_query,
        standalone=page.standalone,
        inline_css=STYLESHEET.read_text(encoding="utf-8") if page.standalone else "",
        static_url=lambda f: f"/static/{f}",
        when=lambda value: format_when(value, page.lang),
        pick=lambda values, fallback="": pick(values, page.lang, fallback),
        **context,
    )


def pick(values: Mapping[str, str | None] | None, lang: str, fallback: str = "") -> str:
    """The value in ``lang``, else English, else any; for bilingual labels held as dicts."""
    if not values:
        return fallback
    return values.get(lang) or values.get("en") or values.get("") or next(iter(values.values())) or fallback
