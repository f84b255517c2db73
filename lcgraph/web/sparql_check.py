"""Checks SPARQL text as the user types, and says what is wrong in their language.

For the query page's editor: the engine's own parser (pyoxigraph) reads the
text; its messages ("error at 3:14: expected one of Prefix not found, ['%'],
…") become one sentence in Thai or English with the line and column, the
token found there, and a handful of the tokens that could have come instead.
An undeclared prefix that the ontology knows gets the ``PREFIX`` line to add.

A query is only parsed and planned, never evaluated: pyoxigraph evaluates
SELECT and CONSTRUCT lazily, and the store is an empty in-memory one. An
update is tried on a fresh empty in-memory store, unless it could reach the
network (``LOAD``, ``SERVICE``), which is left to the service to judge.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from lcgraph.namespaces import PREFIXES
from lcgraph.store.syntax import check_query, check_update
from lcgraph.web.i18n import word

_POSITION = re.compile(r"error at (\d+):(\d+):\s*(.*)", re.DOTALL)
_QUOTED = re.compile(r'"((?:[^"\\]|\\.)+)"')
_KEYWORD = re.compile(r"(?<![\w'\"])([A-Z][A-Z_]+)(?![\w'\"])")
_UPDATE = re.compile(
    r"^(?:\s|#[^\n]*\n|(?:PREFIX|BASE)\s[^\n]*)*\b(INSERT|DELETE|LOAD|CLEAR|DROP|CREATE|ADD|MOVE|COPY|WITH)\b",
    re.IGNORECASE,
)
_NETWORK = re.compile(r"\b(LOAD|SERVICE)\b", re.IGNORECASE)
_PNAME_BEFORE = re.compile(r"([A-Za-z][\w.-]*)?:[\w.-]*$")


def _say(key: str, lang: str, **values: object) -> str:
    return word("check_" + key, lang, **values)


@dataclass(frozen=True)
class Problem:
    """What is wrong, where (1-based line and column), in the user's language."""

    message: str
    line: int | None
    column: int | None
    detail: str
    fix: str | None = None

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def check(text: str, lang: str = "en") -> Problem | None:
    """``None`` when the engine can read ``text``; else the first problem, explained."""
    try:
        check_query(text)
        return None
    except SyntaxError as exc:
        query_error = str(exc)
    except (OSError, RuntimeError, ValueError):
        return None  # readable, but not evaluable without data: the service will say
    if _UPDATE.match(text):
        if _NETWORK.search(text):
            return None
        try:
            check_update(text)
            return None
        except SyntaxError as exc:
            return explain(str(exc), text, lang)
        except (OSError, RuntimeError, ValueError):
            return None
    return explain(query_error, text, lang)


def explain(error: str, text: str, lang: str) -> Problem:
    """Turn one of the engine's parser messages into a :class:`Problem`."""
    m = _POSITION.match(error)
    if m is None:
        return Problem(_say("other", lang, detail=error), None, None, error)
    line, column, expected = int(m[1]), int(m[2]), m[3]
    lines = text.split("\n")
    here = lines[line - 1] if 0 < line <= len(lines) else ""
    before, after = here[: column - 1], here[column - 1 :]
    if "Prefix not found" in expected:
        pname = _PNAME_BEFORE.search(before + re.match(r"[\w.:-]*", after)[0])
        prefix = pname[1] or "" if pname else ""
        message = _say("prefix", lang, prefix=prefix)
        fix = None
        if prefix in PREFIXES:
            fix = f"PREFIX {prefix}: <{PREFIXES[prefix]}>"
            message += "; " + _say("add_prefix", lang, line=fix)
        start = column - len(pname[0]) if pname else column
        return Problem(message, line, max(1, start), error, fix)
    head = _say("syntax", lang, line=line, column=column)
    if "variable that is unbound" in expected:
        return Problem(f"{head}: {_say('unbound', lang)}", line, column, error)
    token = re.match(r"\S{1,20}", after.lstrip())
    parts = [_say("found", lang, token=f"“{token[0]}”") if token else _say("end", lang)]
    wanted = _expected_tokens(expected)
    if wanted:
        parts.append(_say("expected", lang, tokens=", ".join(wanted)))
    return Problem(f"{head}: " + "; ".join(parts), line, column, error)


def _expected_tokens(expected: str, limit: int = 8) -> list[str]:
    """The readable alternatives in the parser's list: quoted tokens and keywords, not character classes."""
    classes_removed = re.sub(r"\[[^\]]*\]", " ", expected)
    tokens = _KEYWORD.findall(_QUOTED.sub(" ", classes_removed))
    tokens += [f"“{t}”" for t in _QUOTED.findall(classes_removed)]
    seen: list[str] = []
    for t in tokens:
        if t not in seen:
            seen.append(t)
    return seen[:limit]
