"""Where the analyst looks: the nation, a region, a province or one city.

For the gaps view and ``/analysis/...``. The structure of the network is
always measured on the whole of it (a province can only be cut off from
something); a scope keeps the findings, suggestions, scorecards and pictures
that concern its cities. A city's province is its ``lc:province``; a
province's region is the ``lcv:region`` concept it maps to
(``ontology/vocab/region.ttl``, the six regions of the National Geographical
Committee).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypedDict

from lcgraph.analysis.networks import AnalysisInputError, Projections, resolve_city, short_name
from lcgraph.namespaces import LCV

KINDS = ("nation", "region", "province", "city")
_PROVINCES = f"{LCV}province/"
_REGIONS = f"{LCV}region/"


class UnknownPlace(AnalysisInputError):
    """The region or province asked for is not in the vocabularies."""


@dataclass(frozen=True)
class Scope:
    """The part of the country a report is about, and the learning cities in it."""

    kind: str = "nation"
    iri: str | None = None
    cities: frozenset[str] = field(default_factory=frozenset)

    @property
    def whole(self) -> bool:
        return self.kind == "nation"

    def label(self, p: Projections, lang: str) -> str:
        return "" if self.iri is None else p.label(self.iri, lang)

    def as_dict(self) -> dict[str, object]:
        return {"kind": self.kind, "iri": self.iri, "cities": sorted(self.cities)}


NATION = Scope()


def provinces(p: Projections) -> list[str]:
    return sorted(c for c in p.concepts if c.startswith(_PROVINCES))


def regions(p: Projections) -> list[str]:
    return sorted(c for c in p.concepts if c.startswith(_REGIONS))


def _match(p: Projections, candidates: list[str], text: str, what: str) -> str:
    """The concept among ``candidates`` named by ``text``: IRI, code (``TH-50``, ``north``) or label."""
    wanted = text.strip()
    folded = wanted.casefold()
    for c in candidates:
        concept = p.concepts[c]
        if folded in {c.casefold(), short_name(c).casefold(), concept.label_th.casefold(),
                      concept.label_en.casefold()}:  # fmt: skip
            return c
    known = ", ".join(short_name(c) for c in candidates[:80]) or f"none: the store has no lcv:{what} list"
    raise UnknownPlace(f"no {what} called {text!r}; known {what}s: {known}")


def province_of(p: Projections, city: str) -> str | None:
    """The city's province; a special city inside a province (Pattaya) counts as that province."""
    province = p.province_of.get(city)
    if province is None:
        return None
    broader = p.concepts[province].broader if province in p.concepts else None
    return broader if broader and broader.startswith(_PROVINCES) else province


def region_of(p: Projections, city: str) -> str | None:
    province = p.province_of.get(city)
    return p.region_of.get(province) if province else None


def resolve_scope(
    p: Projections, *, city: str | None = None, province: str | None = None, region: str | None = None
) -> Scope:
    """The scope named by the narrowest of ``city``, ``province`` and ``region``; the nation without any.

    Raises :class:`UnknownPlace` (or ``UnknownCity``) listing the known names when none matches.
    """
    if city:
        iri = resolve_city(p, city)
        return Scope("city", iri, frozenset({iri}))
    if province:
        iri = _match(p, provinces(p), province, "province")
        return Scope("province", iri, frozenset(c for c in p.cities() if province_of(p, c) == iri))
    if region:
        iri = _match(p, regions(p), region, "region")
        return Scope("region", iri, frozenset(c for c in p.cities() if region_of(p, c) == iri))
    return NATION


class CityChoice(TypedDict):
    iri: str
    label: str


class ProvinceChoice(TypedDict):
    iri: str
    code: str
    label: str
    cities: list[CityChoice]


class RegionChoice(TypedDict):
    iri: str
    code: str
    label: str
    provinces: list[ProvinceChoice]


def choices(p: Projections, lang: str) -> list[RegionChoice]:
    """Regions, each with its provinces that hold learning cities and their cities, labels in ``lang``."""
    by_province: dict[str, list[str]] = {}
    for c in p.cities():
        pr = province_of(p, c)
        if pr:
            by_province.setdefault(pr, []).append(c)
    out: list[RegionChoice] = []
    for r in regions(p):
        held = [pr for pr in by_province if p.region_of.get(pr) == r]
        provinces: list[ProvinceChoice] = [
            {
                "iri": pr,
                "code": short_name(pr),
                "label": p.label(pr, lang),
                "cities": sorted(
                    ({"iri": c, "label": p.label(c, lang)} for c in by_province[pr]),
                    key=lambda x: x["label"],
                ),
            }
            for pr in held
        ]
        provinces.sort(key=lambda x: x["label"])
        out.append({"iri": r, "code": short_name(r), "label": p.label(r, lang), "provinces": provinces})
    return out
