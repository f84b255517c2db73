"""What a SPARQL request says about its dataset (``FROM``, ``FROM NAMED``, ``SERVICE``); where its groups are.

For the store (which gives every query set semantics over several default
graphs, so it must see a query's ``FROM`` list) and the privacy rules (which
must see whether a query names the private graph). pyoxigraph lets explicit
dataset arguments override a query's dataset clause but does not tell what
the clause says, and parsing the whole query with rdflib costs milliseconds
per request; this is the one small lexer lcgraph keeps for the hot path. It
skips strings, comments and IRIs, tracks brace depth, and resolves prefixed
names against the query's ``PREFIX``/``BASE``.

The update reader (:mod:`lcgraph.validation.updates`) uses the same lexer for
one thing: :func:`update_groups` finds the ``DATA`` and ``WHERE`` groups of an
update, which go to the engine verbatim (rdflib's parser needs seconds per
thousand triples of ``INSERT DATA``; measured in ``bench/bench_updates.py``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import urljoin

_CACHED_LENGTH = 4096


class DatasetClauseError(ValueError):
    """A ``FROM``/``FROM NAMED`` graph that cannot be resolved to an IRI."""


_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<comment>\#[^\n]*)
  | (?P<string>'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
               |'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<var>[?$][\w\u00b7\u00c0-\uffff]+)
  | (?P<name>[\w\u00c0-\uffff]*:(?:[\w\-.:%\u00b7\u00c0-\uffff]|\\.)*|[A-Za-z_][\w\-]*)
  | (?P<punct>.)
    """,
    re.VERBOSE | re.DOTALL,
)


@dataclass
class DatasetClause:
    """What a query says about its own dataset (``FROM``, ``FROM NAMED``, ``SERVICE``)."""

    default: list[str] = field(default_factory=list)
    named: list[str] = field(default_factory=list)
    uses_service: bool = False

    @property
    def names_dataset(self) -> bool:
        return bool(self.default or self.named)


def _tokens(text: str) -> Iterator[tuple[str, str, int, int]]:
    """(kind, text, brace depth, offset) of each significant token; strings and comments are skipped."""
    depth = 0
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup or "punct"
        if kind in ("ws", "comment", "string"):
            continue
        value = m.group()
        yield kind, value, depth, m.start()
        if value == "{":
            depth += 1
        elif value == "}":
            depth = max(depth - 1, 0)


def _keyword(kind: str, value: str) -> str | None:
    return value.upper() if kind == "name" and ":" not in value else None


def update_groups(update: str) -> list[tuple[int, int]]:
    """(start, end) of the ``{ … }`` of every ``INSERT DATA``, ``DELETE DATA`` and ``… WHERE`` in an update.

    Not the group of ``DELETE WHERE { … }``, which is a template as well as a
    pattern. The groups are where the request text says they are; which
    operation each belongs to is for the parser to say. The text is read once
    (it may be megabytes of data), and :class:`NestingTooDeep` is raised on
    the way for nesting deeper than :data:`MAX_NESTING`.
    """
    groups: list[tuple[int, int]] = []
    previous: str | None = None
    opened: int | None = None  # offset of the "{" of the group being read
    wanted = False
    braces = nesting = 0
    for m in _TOKEN.finditer(update):
        kind = m.lastgroup or "punct"
        if kind in ("ws", "comment", "string"):
            continue
        value = m.group()
        if kind == "punct" and value in "{}()":
            if value in "{(":
                nesting += 1
                if nesting > MAX_NESTING:
                    raise _too_deep()
            else:
                nesting = max(nesting - 1, 0)
            if value == "{":
                if wanted and braces == 0:
                    opened = m.start()
                braces += 1
            elif value == "}":
                braces = max(braces - 1, 0)
                if opened is not None and braces == 0:
                    groups.append((opened, m.end()))
                    opened = None
            previous, wanted = None, False
            continue
        if opened is not None:
            continue
        word = _keyword(kind, value)
        data = word == "DATA" and previous in ("INSERT", "DELETE")
        wanted = braces == 0 and (data or (word == "WHERE" and previous != "DELETE"))
        previous = word
    return groups


def read_dataset_clause(query: str) -> DatasetClause:
    """Read ``FROM``/``FROM NAMED`` IRIs (resolved against ``PREFIX``/``BASE``) and spot ``SERVICE``.

    Raises :class:`DatasetClauseError` for a ``FROM`` whose graph cannot be
    resolved, since we could not then tell whether it names the private graph.
    Clients repeat their queries, so the reading of recent short query texts is
    kept (long texts are read each time: the memory they would hold is not worth it).
    """
    if len(query) > _CACHED_LENGTH:
        default, named, uses_service = _read_dataset_clause.__wrapped__(query)
    else:
        default, named, uses_service = _read_dataset_clause(query)
    return DatasetClause(list(default), list(named), uses_service)


@lru_cache(maxsize=1024)
def _read_dataset_clause(query: str) -> tuple[tuple[str, ...], tuple[str, ...], bool]:
    clause = DatasetClause()
    prefixes: dict[str, str] = {}
    base = ""
    toks = list(_tokens(query))
    i = 0
    while i < len(toks):
        kind, value, depth, _ = toks[i]
        word = _keyword(kind, value)
        if word == "SERVICE":
            clause.uses_service = True
        elif word == "PREFIX" and i + 2 < len(toks):
            prefixes[toks[i + 1][1].rstrip(":")] = _resolve_iri(toks[i + 2][1], base)
            i += 2
        elif word == "BASE" and i + 1 < len(toks):
            base = _resolve_iri(toks[i + 1][1], base)
            i += 1
        elif word == "FROM" and depth == 0:
            named = i + 1 < len(toks) and toks[i + 1][1].upper() == "NAMED"
            j = i + 2 if named else i + 1
            if j >= len(toks):
                break
            iri = _term_iri(toks[j], prefixes, base)
            (clause.named if named else clause.default).append(iri)
            i = j
        i += 1
    return tuple(clause.default), tuple(clause.named), clause.uses_service


def _resolve_iri(token: str, base: str) -> str:
    iri = token[1:-1] if token.startswith("<") else token
    return urljoin(base, iri) if base else iri


def _term_iri(token: tuple[str, str, int, int], prefixes: dict[str, str], base: str) -> str:
    kind, value, _, _ = token
    if kind == "iri":
        return _resolve_iri(value, base)
    if kind == "name" and ":" in value:
        prefix, _, local = value.partition(":")
        if prefix in prefixes:
            # A local name never ends with "." (that dot ends a triple).
            return prefixes[prefix] + local.rstrip(".").replace("\\", "")
    raise DatasetClauseError(f"cannot resolve the graph {value!r} named after FROM; use a full <IRI>")


#: Deeper nesting is refused before the engine sees it: its parser recurses per level, and a
#: hundred thousand nested groups overflow the stack of the process (measured: the process dies).
MAX_NESTING = 256


def nesting_depth(text: str) -> int:
    """The deepest nesting of ``{ }`` and ``( )`` outside strings, IRIs and comments."""
    depth = deepest = 0
    for m in _TOKEN.finditer(text):
        if m.lastgroup != "punct":
            continue
        c = m.group()
        if c in "{(":
            depth += 1
            deepest = max(deepest, depth)
        elif c in "})":
            depth = max(depth - 1, 0)
    return deepest


def check_nesting(text: str) -> None:
    """Raise :class:`NestingTooDeep` for a request nested deeper than :data:`MAX_NESTING`."""
    if text.count("{") + text.count("(") <= MAX_NESTING:
        return
    if nesting_depth(text) > MAX_NESTING:
        raise _too_deep()


def _too_deep() -> NestingTooDeep:
    return NestingTooDeep(
        f"the request nests groups or expressions more than {MAX_NESTING} levels deep; "
        "flatten it (no real query needs that many)"
    )


class NestingTooDeep(ValueError):
    """A query or update nested deeper than :data:`MAX_NESTING` (HTTP 400)."""
