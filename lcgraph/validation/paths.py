"""SHACL property paths as small Python objects, for incremental validation.

For the validation layer only. A path can be evaluated forward over a
:class:`~lcgraph.validation.view.ChangeView` (collecting the triples it
walks, which become the data graph pyshacl sees), written as a SPARQL 1.1
property path (so the engine can walk it backwards to find the focus nodes a
change touches), and split into *positions*: each single step together with
the path that leads to it from the focus node.

``AnyStep`` stands for "any predicate" (closed shapes, SPARQL patterns whose
predicate is a variable).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property

import pyoxigraph as ox

from lcgraph.validation.view import ChangeView, Term, Triple

# A predicate that never occurs: "!<never>" is SPARQL for "any predicate".
_NEVER = "<urn:lcgraph:no-such-predicate>"


class Path:
    """A SHACL path; subclasses below."""

    def to_sparql(self) -> str:
        raise NotImplementedError

    def walk(self, view: ChangeView, nodes: set[Term], out: set[Triple]) -> set[Term]:
        """Value nodes reached from ``nodes``; walked triples are added to ``out``."""
        raise NotImplementedError

    def positions(self) -> list[tuple[Path | None, Step]]:
        """Each step in this path with the path leading to it (``None``: none)."""
        raise NotImplementedError

    def inverted(self) -> Path:
        raise NotImplementedError


class Step(Path):
    """A single predicate step (:class:`Pred`) or any predicate (:class:`AnyStep`), forward or inverse."""

    inverse: bool


@dataclass(frozen=True)
class Pred(Step):
    iri: str
    inverse: bool = False

    def to_sparql(self) -> str:
        return ("^" if self.inverse else "") + f"<{self.iri}>"

    def walk(self, view: ChangeView, nodes: set[Term], out: set[Triple]) -> set[Term]:
        p = self.node
        if self.inverse:
            walked: list[Triple] = []
            into = view.into
            for n in nodes:
                walked += into(n, p)
            out.update(walked)
            return {t[0] for t in walked}
        walked, stored = view.out_of(nodes, p)
        out.update(stored)  # the added triples go to the engine whole (see collect_reach)
        return {t[2] for t in walked}

    @cached_property
    def node(self) -> ox.NamedNode:
        return ox.NamedNode(self.iri)

    def positions(self) -> list[tuple[Path | None, Step]]:
        return [(None, self)]

    def inverted(self) -> Path:
        return Pred(self.iri, not self.inverse)

    def matches(self, predicate: str) -> bool:
        return predicate == self.iri


@dataclass(frozen=True)
class AnyStep(Step):
    inverse: bool = False

    def to_sparql(self) -> str:
        return f"!(^{_NEVER})" if self.inverse else f"!{_NEVER}"

    def walk(self, view: ChangeView, nodes: set[Term], out: set[Triple]) -> set[Term]:
        values: set[Term] = set()
        for n in nodes:
            if self.inverse:
                for t in view.triples(None, None, n):
                    out.add(t)
                    values.add(t[0])
            elif not isinstance(n, ox.Literal):
                for t in view.triples(n, None, None):
                    out.add(t)
                    values.add(t[2])
        return values

    def positions(self) -> list[tuple[Path | None, Step]]:
        return [(None, self)]

    def inverted(self) -> Path:
        return AnyStep(not self.inverse)

    def matches(self, predicate: str) -> bool:
        return True


@dataclass(frozen=True)
class Seq(Path):
    parts: tuple[Path, ...]

    def to_sparql(self) -> str:
        return "(" + "/".join(p.to_sparql() for p in self.parts) + ")"

    def walk(self, view: ChangeView, nodes: set[Term], out: set[Triple]) -> set[Term]:
        for part in self.parts:
            nodes = part.walk(view, nodes, out)
        return nodes

    def positions(self) -> list[tuple[Path | None, Step]]:
        found: list[tuple[Path | None, Step]] = []
        for i, part in enumerate(self.parts):
            before = self.parts[:i]
            for pre, step in part.positions():
                found.append((concat(*before, pre), step))
        return found

    def inverted(self) -> Path:
        return Seq(tuple(p.inverted() for p in reversed(self.parts)))


@dataclass(frozen=True)
class Alt(Path):
    parts: tuple[Path, ...]

    def to_sparql(self) -> str:
        return "(" + "|".join(p.to_sparql() for p in self.parts) + ")"

    def walk(self, view: ChangeView, nodes: set[Term], out: set[Triple]) -> set[Term]:
        values: set[Term] = set()
        for part in self.parts:
            values |= part.walk(view, nodes, out)
        return values

    def positions(self) -> list[tuple[Path | None, Step]]:
        return [pos for part in self.parts for pos in part.positions()]

    def inverted(self) -> Path:
        return Alt(tuple(p.inverted() for p in self.parts))


@dataclass(frozen=True)
class Repeat(Path):
    """``zeroOrMore`` (min_one False), ``oneOrMore`` (True) or ``zeroOrOne`` (once True)."""

    part: Path
    min_one: bool = False
    once: bool = False

    def to_sparql(self) -> str:
        mark = "?" if self.once else ("+" if self.min_one else "*")
        return f"({self.part.to_sparql()}){mark}"

    def walk(self, view: ChangeView, nodes: set[Term], out: set[Triple]) -> set[Term]:
        values: set[Term] = set() if self.min_one else set(nodes)
        frontier = set(nodes)
        seen: set[Term] = set()
        while frontier:
            reached = self.part.walk(view, frontier, out)
            values |= reached
            if self.once:
                break
            seen |= frontier
            frontier = reached - seen
        return values

    def positions(self) -> list[tuple[Path | None, Step]]:
        loop = None if self.once else Repeat(self.part)
        return [(concat(loop, pre), step) for pre, step in self.part.positions()]

    def inverted(self) -> Path:
        return Repeat(self.part.inverted(), self.min_one, self.once)


def concat(*parts: Path | None) -> Path | None:
    """The sequence of the given paths, skipping ``None``; ``None`` if all are."""
    flat: list[Path] = []
    for p in parts:
        if p is None:
            continue
        flat.extend(p.parts if isinstance(p, Seq) else (p,))
    if not flat:
        return None
    return flat[0] if len(flat) == 1 else Seq(tuple(flat))


def predicates(paths: Iterable[Path]) -> Iterator[str]:
    """Every predicate IRI the given paths step over."""
    for path in paths:
        for _, step in path.positions():
            if isinstance(step, Pred):
                yield step.iri
