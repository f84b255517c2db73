"""Canned queries: named, parameterised SPARQL queries kept as ``.rq`` files.

For researchers and analysts who want an answer without writing SPARQL, and
for programs that want a stable REST endpoint (``/queries/{name}``). A canned
query is a SPARQL file whose leading comment lines form a small header::

    # title@en: Activities of a city by age group
    # title@th: กิจกรรมการเรียนรู้ของเมือง แยกตามช่วงวัย
    # description@en: …
    # description@th: …
    # param: city iri "The learning city's IRI"
    # param: from date "First day" default=2023-01-01
    # param: area iri optional "Only this area"

Parameter types: ``iri``, ``string``, ``date`` (Common or Buddhist Era),
``integer``, ``decimal``. A parameter is bound by the engine as an RDF term
(SPARQL substitution, SEP-0007), never spliced into the query text, so an
injection attempt stays a literal. The engine requires a substituted variable
to be in the SELECT projection; loading checks that when it loads a file.

The package's own queries live next to this module; users add theirs by
dropping ``.rq`` files into ``LCGRAPH_QUERIES_DIR`` (a file there with the
same name replaces the packaged one).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pyoxigraph as ox
from rdflib.plugins.sparql.parser import parseQuery

from lcgraph.dates import DateError, parse_date
from lcgraph.store.syntax import check_query

PACKAGED_DIR = Path(__file__).resolve().parent
XSD = "http://www.w3.org/2001/XMLSchema#"
PARAM_TYPES = ("iri", "string", "date", "integer", "decimal")
_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_HEADER = re.compile(r"^#\s*(?P<key>[a-z]+)(?:@(?P<lang>[a-z]{2}))?\s*:\s*(?P<value>.*)$")


class CannedQueryError(ValueError):
    """A canned query file is malformed (raised when it is loaded)."""


class ParameterError(ValueError):
    """A request gave a parameter the query cannot take; lists what it can."""

    def __init__(self, message: str, query: CannedQuery) -> None:
        super().__init__(message)
        self.query = query


@dataclass(frozen=True)
class Parameter:
    """One typed parameter of a canned query."""

    name: str
    type: str
    description: str = ""
    default: str | None = None
    required: bool = True

    def to_term(self, raw: str) -> ox.NamedNode | ox.Literal:
        """Turn a request value into an RDF term, or raise ValueError naming the problem."""
        value = raw.strip()
        if self.type == "iri":
            try:
                return ox.NamedNode(value)
            except ValueError:
                raise ValueError(f"{self.name}: {raw!r} is not an absolute IRI") from None
        if self.type == "string":
            return ox.Literal(raw)
        if self.type == "date":
            try:
                day = parse_date(value)
            except DateError as exc:
                raise ValueError(f"{self.name}: {exc}") from None
            return ox.Literal(day.isoformat(), datatype=ox.NamedNode(XSD + "date"))
        if self.type == "integer":
            if not re.fullmatch(r"[+-]?\d+", value):
                raise ValueError(f"{self.name}: {raw!r} is not a whole number")
            return ox.Literal(str(int(value)), datatype=ox.NamedNode(XSD + "integer"))
        try:
            number = Decimal(value)
        except InvalidOperation:
            raise ValueError(f"{self.name}: {raw!r} is not a number") from None
        if not number.is_finite():
            raise ValueError(f"{self.name}: {raw!r} is not a finite number")
        return ox.Literal(str(number), datatype=ox.NamedNode(XSD + "decimal"))

    def describe(self) -> dict[str, object]:
        return {
            "name": self.name,
            "type": self.type,
            "description": self.description,
            "default": self.default,
            "required": self.required and self.default is None,
        }


@dataclass(frozen=True)
class CannedQuery:
    """A named SPARQL query with a bilingual title and typed parameters."""

    name: str
    sparql: str
    title: dict[str, str]
    description: dict[str, str]
    parameters: tuple[Parameter, ...] = ()
    path: Path | None = None
    form: str = "SELECT"

    def bind(self, given: dict[str, str]) -> dict[str, ox.NamedNode | ox.Literal]:
        """Check request parameters against the declared ones and make RDF terms.

        Unknown names, missing required values and values of the wrong type
        raise :class:`ParameterError` with a message that lists the valid ones.
        """
        known = {p.name: p for p in self.parameters}
        unknown = sorted(set(given) - set(known))
        if unknown:
            raise ParameterError(
                f"unknown parameter(s) {', '.join(unknown)}; this query takes: {self._signature()}", self
            )
        bound: dict[str, ox.NamedNode | ox.Literal] = {}
        for p in self.parameters:
            raw = given.get(p.name)
            if raw is None or raw.strip() == "":
                raw = p.default
            if raw is None:
                if p.required:
                    raise ParameterError(
                        f"missing parameter {p.name} ({p.type}); this query takes: {self._signature()}", self
                    )
                continue
            try:
                bound[p.name] = p.to_term(raw)
            except ValueError as exc:
                raise ParameterError(f"{exc}; this query takes: {self._signature()}", self) from None
        return bound

    def _signature(self) -> str:
        if not self.parameters:
            return "no parameters"
        return ", ".join(
            f"{p.name} ({p.type}{'' if p.required and p.default is None else ', optional'})"
            for p in self.parameters
        )

    def describe(self) -> dict[str, object]:
        return {
            "name": self.name,
            "title": self.title,
            "description": self.description,
            "form": self.form,
            "parameters": [p.describe() for p in self.parameters],
            "sparql": self.sparql,
        }


def _parse_param(text: str, path: Path) -> Parameter:
    try:
        parts = shlex.split(text)
    except ValueError as exc:
        raise CannedQueryError(f"{path}: bad param line {text!r}: {exc}") from None
    if len(parts) < 2 or parts[1] not in PARAM_TYPES:
        raise CannedQueryError(
            f'{path}: a param line is \'NAME TYPE [optional] ["description"] '
            f"[default=VALUE]' with TYPE one of {', '.join(PARAM_TYPES)}; got {text!r}"
        )
    name, type_ = parts[0], parts[1]
    required, description, default = True, "", None
    for extra in parts[2:]:
        if extra == "optional":
            required = False
        elif extra.startswith("default="):
            default = extra[len("default=") :]
        else:
            description = extra
    return Parameter(name, type_, description, default, required)


def parse_file(path: Path) -> CannedQuery:
    """Read one ``.rq`` file and its header; check it is a well-formed canned query."""
    name = path.stem
    if not _NAME.match(name):
        raise CannedQueryError(f"{path}: query names are lower-case letters, digits and '-'")
    text = path.read_text(encoding="utf-8")
    title: dict[str, str] = {}
    description: dict[str, str] = {}
    params: list[Parameter] = []
    for line in text.splitlines():
        if not line.startswith("#"):
            if line.strip():
                break
            continue
        m = _HEADER.match(line)
        if not m:
            continue
        key, lang, value = m["key"], m["lang"] or "en", m["value"].strip()
        if key == "title":
            title[lang] = value
        elif key == "description":
            description[lang] = value
        elif key == "param":
            params.append(_parse_param(value, path))
    if "en" not in title:
        raise CannedQueryError(f"{path}: the header needs a '# title@en:' line")
    query = CannedQuery(name, text, title, description, tuple(params), path)
    return replace(query, form=_form(query))


def _form(query: CannedQuery) -> str:
    """The query's form, read by the parsers; a syntax error or an unprojected parameter is refused.

    The engine parses the query (on an empty store, where it reads nothing)
    and its answer tells SELECT, ASK and the graph forms apart; the engine
    substitutes only projected variables, which is checked here at load time
    rather than at request time. Only a graph query is read by rdflib's parser
    as well, to tell CONSTRUCT from DESCRIBE (rdflib takes a fraction of a
    second per query; the engine a fraction of a millisecond).
    """
    dummy = {p.name: ox.Literal("x") for p in query.parameters}
    try:
        form = check_query(query.sparql, substitutions=dummy)
    except SyntaxError as exc:
        raise CannedQueryError(f"{query.path}: SPARQL syntax error: {exc}") from None
    except (RuntimeError, ValueError) as exc:
        raise CannedQueryError(f"{query.path}: {exc} (parameters must be SELECT variables)") from None
    if form != "GRAPH":
        return form
    try:
        parsed = parseQuery(query.sparql)
    except Exception as exc:  # pyparsing raises several types
        raise CannedQueryError(f"{query.path}: rdflib cannot read this graph query: {exc}") from None
    return "DESCRIBE" if parsed[1].name == "DescribeQuery" else "CONSTRUCT"


@dataclass
class CannedQueries:
    """The canned queries available to this service, by name."""

    queries: dict[str, CannedQuery] = field(default_factory=dict)

    @classmethod
    def load(cls, extra_dirs: Iterable[Path] = ()) -> CannedQueries:
        """The packaged queries, then each extra folder's (later ones win)."""
        canned = cls()
        for folder in (PACKAGED_DIR, *extra_dirs):
            if not folder.is_dir():
                raise CannedQueryError(f"queries folder {folder} does not exist")
            for path in sorted(folder.glob("*.rq")):
                q = parse_file(path)
                canned.queries[q.name] = q
        return canned

    def get(self, name: str) -> CannedQuery:
        try:
            return self.queries[name]
        except KeyError:
            raise KeyError(f"no canned query {name!r}; available: {', '.join(self.names())}") from None

    def names(self) -> list[str]:
        return sorted(self.queries)
