"""``Accept`` headers, parsed once: which media types a client takes, and how much.

For :mod:`lcgraph.api.negotiation` (which picks a route's answer format) and
for the error and report answers of :mod:`lcgraph.api.errors` and
:mod:`lcgraph.api.validate`, so that no route reads ``Accept`` by substring.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class MediaRange:
    """One entry of an ``Accept`` header."""

    type: str
    subtype: str
    q: float
    order: int

    def matches(self, media_type: str) -> int:
        """How specifically this range matches ``media_type``: 2 exact, 1 ``type/*``, 0 ``*/*``, -1 no."""
        main, _, sub = media_type.partition("/")
        if self.type == "*" and self.subtype == "*":
            return 0
        if self.type != main:
            return -1
        if self.subtype == "*":
            return 1
        return 2 if self.subtype == sub else -1


def parse_accept(header: str | None) -> list[MediaRange]:
    """Parse an ``Accept`` header; malformed entries are skipped, not fatal."""
    if not header or not header.strip():
        return [MediaRange("*", "*", 1.0, 0)]
    ranges: list[MediaRange] = []
    for order, item in enumerate(header.split(",")):
        parts = [p.strip() for p in item.split(";")]
        media = parts[0].lower()
        if "/" not in media:
            if media == "*":
                media = "*/*"
            else:
                continue
        main, _, sub = media.partition("/")
        if not main or not sub:
            continue
        ranges.append(MediaRange(main, sub, _q_value(parts[1:]), order))
    return ranges


def _q_value(params: list[str]) -> float:
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "q":
            try:
                return min(max(float(value.strip()), 0.0), 1.0)
            except ValueError:
                return 0.0
    return 1.0


def quality(ranges: Sequence[MediaRange], media_type: str, also: Sequence[str] = ()) -> float:
    """The q the client gives to ``media_type``: that of its most specific matching range.

    ``also`` are other media types for the same thing; they only count when named exactly
    (``application/json`` for JSON-LD, not ``application/*``).
    """
    best: tuple[int, float] | None = None
    for candidate in (media_type, *also):
        for r in ranges:
            specificity = r.matches(candidate)
            if specificity < 0 or (candidate != media_type and specificity < 2):
                continue
            if best is None or (specificity, r.q) > best:
                best = (specificity, r.q)
    return best[1] if best else 0.0


def named(accept: str | None, media_types: Sequence[str]) -> float:
    """The highest q the client gives to one of ``media_types`` by naming it exactly (no wildcard)."""
    ranges = parse_accept(accept)
    return max((r.q for r in ranges for m in media_types if r.matches(m) == 2), default=0.0)
