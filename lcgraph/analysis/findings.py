"""The finding record: what is weak, the evidence, and what to do, in Thai and English.

For everything downstream of the measures: the CLI table, the JSON/CSV/HTML
outputs, the API and the RDF written back to the store all read
:class:`Finding`. Builders of findings live next to their measures
(:mod:`network_findings`, :mod:`coverage`); this module holds the record,
the severity scale and how findings are ranked.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

SEVERITIES = ("high", "medium", "low")
_SEVERITY_RANK = {s: i for i, s in enumerate(SEVERITIES)}


def lower(severity: str) -> str:
    """One step less severe (``low`` stays ``low``)."""
    return SEVERITIES[min(_SEVERITY_RANK[severity] + 1, len(SEVERITIES) - 1)]


@dataclass
class NodeRef:
    """An actor or concept named in a finding, with its labels."""

    iri: str
    label_th: str
    label_en: str
    kind: str = ""


@dataclass
class Finding:
    """One weakness in the network, with its evidence and a recommended action.

    ``kind`` is a stable code (``isolated-actor``, ``cut-vertex``,
    ``coverage-age-group`` …); ``subjects`` are the IRIs the finding is about;
    ``cities`` the cities it concerns (used to filter by city); ``score``
    orders findings of the same severity (bigger first).
    """

    kind: str
    severity: str
    subjects: list[str]
    cities: list[str]
    message_th: str
    message_en: str
    recommendation_th: str
    recommendation_en: str
    evidence: dict[str, Any] = field(default_factory=dict)
    nodes: list[NodeRef] = field(default_factory=list)
    score: float = 0.0

    def __post_init__(self) -> None:
        if self.severity not in _SEVERITY_RANK:
            raise ValueError(f"severity must be one of {SEVERITIES}, not {self.severity!r}")

    @property
    def id(self) -> str:
        """A stable identifier: the same gap gets the same id in every run."""
        key = self.kind + "|" + "|".join(sorted(self.subjects))
        return hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]

    def sort_key(self) -> tuple:
        return (_SEVERITY_RANK[self.severity], -self.score, self.kind, sorted(self.subjects))

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["id"] = self.id
        return data


def rank(findings: Iterable[Finding]) -> list[Finding]:
    """Findings most severe first, then by score, then stably by kind and subject."""
    return sorted(findings, key=Finding.sort_key)


def for_city(findings: Iterable[Finding], city: str) -> list[Finding]:
    """The findings that concern one city."""
    return [f for f in findings if city in f.cities]


def listing(names: Iterable[str], limit: int = 6, lang: str = "en") -> str:
    """A short human list: 'a, b, c and 3 more' / 'a, b, c และอีก 3 รายการ'."""
    items = list(names)
    shown = ", ".join(items[:limit])
    extra = len(items) - limit
    if extra <= 0:
        return shown
    return f"{shown} และอีก {extra} รายการ" if lang == "th" else f"{shown} and {extra} more"
