"""What the ``/sparql`` router reads in SPARQL request text before the engine does.

The protocol's ``using-graph-uri``/``using-named-graph-uri`` applied to an
update (:func:`apply_using`); what a query's own ``FROM``/``SERVICE`` clauses
mean for privacy is read by :mod:`lcgraph.publish.privacy`. pyoxigraph's ``Store.update`` takes no dataset,
so the protocol's graphs are written into the request text as ``USING`` /
``USING NAMED`` clauses of every ``DELETE``/``INSERT … WHERE`` operation,
which is exactly what the Protocol says they mean. A ``DELETE WHERE { P }``
shorthand becomes ``DELETE { P } USING … WHERE { P }`` (the same operation:
the shorthand allows no blank nodes). An operation that already has ``WITH``
or ``USING`` conflicts with the protocol's graphs: the W3C Recommendation
requires a 400 for that.

A small tokenizer finds the operations and their ``WHERE`` keywords; it only
needs to know strings, IRIs, comments and braces, so that a ``;`` or a
keyword inside a literal is never mistaken for syntax. The engine still
parses the result, so a malformed update gets the engine's own message.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from lcgraph.api.errors import BadRequest

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<comment>\#[^\n]*)
  | (?P<string>'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
               |'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<var>[?$][\w\u00b7\u00c0-\uffff]+)
  | (?P<word>[\w:\u00c0-\uffff][\w\-.:%\\\u00b7\u00c0-\uffff]*)
  | (?P<punct>.)
    """,
    re.VERBOSE | re.DOTALL,
)


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str
    start: int
    end: int
    depth: int  # brace depth before the token

    def keyword(self) -> str | None:
        if self.kind == "word" and ":" not in self.text:
            return self.text.upper()
        return None


def tokenize(text: str) -> list[_Token]:
    """Significant tokens of a SPARQL request (no whitespace or comments), with brace depth."""
    tokens: list[_Token] = []
    depth = 0
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup or "punct"
        if kind in ("ws", "comment"):
            continue
        value = match.group()
        tokens.append(_Token(kind, value, match.start(), match.end(), depth))
        if value == "{":
            depth += 1
        elif value == "}":
            depth = max(depth - 1, 0)
    return tokens


def _operations(tokens: Sequence[_Token]) -> list[list[_Token]]:
    ops: list[list[_Token]] = [[]]
    for token in tokens:
        if token.depth == 0 and token.text == ";":
            ops.append([])
        else:
            ops[-1].append(token)
    return [op for op in ops if op]


def _skip_prologue(op: list[_Token]) -> list[_Token]:
    i = 0
    while i < len(op):
        kw = op[i].keyword()
        if kw == "PREFIX":
            i += 3
        elif kw == "BASE":
            i += 2
        else:
            break
    return op[i:]


def _using_clause(using: Sequence[str], using_named: Sequence[str]) -> str:
    parts = [f"USING <{g}>" for g in using] + [f"USING NAMED <{g}>" for g in using_named]
    return " " + " ".join(parts) + " "


def apply_using(update: str, using: Sequence[str], using_named: Sequence[str]) -> str:
    """Return ``update`` with the protocol's graphs as ``USING`` clauses.

    Raises :class:`BadRequest` when an operation names its own dataset
    (``WITH``/``USING``), which the Protocol forbids alongside these parameters.
    """
    if not using and not using_named:
        return update
    clause = _using_clause(using, using_named)
    edits: list[tuple[int, int, str]] = []  # (start, end, replacement)
    for number, op in enumerate(_operations(tokenize(update)), start=1):
        body = _skip_prologue(op)
        if not body:
            continue
        first = body[0].keyword()
        top = [t for t in body if t.depth == 0]
        top_keywords = [t.keyword() for t in top]
        if first == "WITH" or "USING" in top_keywords:
            raise BadRequest(
                f"operation {number} of the update names its own dataset (WITH/USING) and the request "
                "also has using-graph-uri/using-named-graph-uri; the SPARQL Protocol forbids both at once"
            )
        if first not in ("DELETE", "INSERT") or len(top) < 2:
            continue
        second = top[1].keyword()
        if second == "DATA":
            continue
        if first == "DELETE" and second == "WHERE":
            edits.append(_rewrite_delete_where(update, body, top[1], clause))
            continue
        where = next((t for t in top[1:] if t.keyword() == "WHERE"), None)
        if where is not None:
            edits.append((where.start, where.start, clause))
    for start, end, replacement in sorted(edits, reverse=True):
        update = update[:start] + replacement + update[end:]
    return update


def _rewrite_delete_where(text: str, body: list[_Token], where: _Token, clause: str) -> tuple[int, int, str]:
    """``DELETE WHERE { P }`` → ``DELETE { P } USING … WHERE { P }``."""
    after = [t for t in body if t.start > where.start]
    if not after or after[0].text != "{":
        raise BadRequest("DELETE WHERE must be followed by { … }")
    close = next((t for t in after[1:] if t.text == "}" and t.depth == 1), None)
    if close is None:
        raise BadRequest("DELETE WHERE { … } is not closed")
    pattern = text[after[0].start : close.end]
    return where.start, close.end, f"{pattern}{clause}WHERE {pattern}"
