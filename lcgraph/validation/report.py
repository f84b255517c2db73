"""Validation reports that people can act on, in Thai and English.

For everyone who receives a rejected write: the HTTP API (422 bodies), the
CLI (``lcgraph validate``, ``lcgraph import``) and the importer, which adds
the spreadsheet row and column of each problem. A report is a list of
:class:`ValidationResult` objects (focus node, path, value, constraint, severity,
message th/en, and where in the input it came from), serialisable as JSON or
as the standard ``sh:ValidationReport`` graph (Turtle, JSON-LD).

Messages come from the shape's ``sh:message`` when it has one in the
language asked for; otherwise we write one from the constraint and its
parameters, saying what is wrong and what to do.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, SH
from rdflib.term import Node

SEVERITIES = ("Violation", "Warning", "Info")
# At most this many results are listed in a report; the rest are counted and summarised.
REPORT_CAP = 1000

# Constraint components that are not SHACL's: problems found before SHACL runs.
PARSE_ERROR = "https://w3id.org/lcgraph/def#ParseError"
INPUT_ERROR = "https://w3id.org/lcgraph/def#InputError"


@dataclass
class ValidationResult:
    """One problem (or warning, or note) about the data."""

    severity: str
    message_th: str
    message_en: str
    focus_node: str | None = None
    path: str | None = None
    value: str | None = None
    constraint: str | None = None
    shape: str | None = None
    source: str | None = None
    line: int | None = None
    column: int | str | None = None
    row: int | None = None
    column_name: str | None = None

    def to_json(self) -> dict[str, Any]:
        data = {k: v for k, v in asdict(self).items() if v is not None}
        data["message"] = {"th": data.pop("message_th"), "en": data.pop("message_en")}
        for key, name in (("focus_node", "focusNode"), ("column_name", "columnName")):
            if key in data:
                data[name] = data.pop(key)
        return data

    def one_line(self) -> str:
        where = []
        if self.source:
            where.append(self.source)
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column}" + (f" ({self.column_name})" if self.column_name else ""))
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.focus_node:
            where.append(f"<{self.focus_node}>")
        if self.path:
            where.append(self.path)
        prefix = ", ".join(where)
        return f"[{self.severity}] {prefix}: {self.message_en} / {self.message_th}"


@dataclass
class ValidationReport:
    """The outcome of validating a change, a file or the store."""

    findings: list[ValidationResult] = field(default_factory=list)
    focus_nodes: int = 0
    mode: str = "incremental"
    seconds: float = 0.0
    # Set when the findings are capped: every result counted per severity, and
    # a summary per shape, rule and path (see :func:`report_from_results`).
    totals: dict[str, int] | None = None
    summary: list[dict[str, Any]] = field(default_factory=list)

    @property
    def conforms(self) -> bool:
        return self.count("Violation") == 0

    @property
    def truncated(self) -> bool:
        return self.totals is not None and sum(self.totals.values()) > len(self.findings)

    def count(self, severity: str) -> int:
        if self.totals is not None:
            return self.totals.get(severity, 0)
        return sum(1 for f in self.findings if f.severity == severity)

    def extend(self, other: ValidationReport) -> None:
        if self.totals is not None or other.totals is not None:
            totals = {s: self.count(s) + other.count(s) for s in SEVERITIES}
            self.totals = totals
            self.summary.extend(other.summary)
        self.findings.extend(other.findings)
        self.focus_nodes += other.focus_nodes
        self.seconds += other.seconds

    def to_json(self) -> dict[str, Any]:
        return {
            "conforms": self.conforms,
            "violations": self.count("Violation"),
            "warnings": self.count("Warning"),
            "infos": self.count("Info"),
            "focusNodesChecked": self.focus_nodes,
            "mode": self.mode,
            "results": [f.to_json() for f in self.findings],
            **({"truncated": True, "summary": self.summary} if self.truncated else {}),
        }

    def to_graph(self) -> Graph:
        """The report as a standard ``sh:ValidationReport`` graph."""
        g = Graph()
        g.bind("sh", SH)
        report = BNode()
        g.add((report, RDF.type, SH.ValidationReport))
        g.add((report, SH.conforms, Literal(self.conforms)))
        for f in self.findings:
            r = BNode()
            g.add((report, SH.result, r))
            g.add((r, RDF.type, SH.ValidationResult))
            g.add((r, SH.resultSeverity, SH[f.severity]))
            g.add((r, SH.resultMessage, Literal(f.message_th, lang="th")))
            g.add((r, SH.resultMessage, Literal(f.message_en, lang="en")))
            if f.focus_node:
                g.add((r, SH.focusNode, _node(f.focus_node)))
            if f.path and f.path.startswith("<") and f.path.endswith(">") and " " not in f.path:
                g.add((r, SH.resultPath, URIRef(f.path[1:-1])))
            if f.value is not None:
                g.add((r, SH.value, Literal(f.value)))
            if f.constraint:
                g.add((r, SH.sourceConstraintComponent, URIRef(f.constraint)))
            if f.shape and not f.shape.startswith("_:"):
                g.add((r, SH.sourceShape, URIRef(f.shape)))
        return g

    def serialize(self, media_type: str) -> str:
        """JSON (ours), Turtle or JSON-LD (``sh:ValidationReport``)."""
        if "turtle" in media_type:
            return self.to_graph().serialize(format="turtle")
        if "ld+json" in media_type:
            return self.to_graph().serialize(format="json-ld")
        return json.dumps(self.to_json(), ensure_ascii=False, indent=1)

    def text(self, limit: int = 50) -> str:
        head = (
            f"{'OK' if self.conforms else 'REJECTED'}: {self.count('Violation')} violation(s), "
            f"{self.count('Warning')} warning(s), {self.count('Info')} info "
            f"({self.focus_nodes} focus node(s) checked, {self.mode})"
        )
        lines = [head] + [f.one_line() for f in self.findings[:limit]]
        total = sum(self.count(s) for s in SEVERITIES)
        if total > limit:
            lines.append(f"... and {total - min(limit, len(self.findings))} more")
        if self.truncated:
            lines.append("summary (results per shape and rule):")
            lines += [
                f"  {g['count']:>8,} x [{g['severity']}] {g.get('path') or ''} {g['message']['en']} / "
                f"{g['message']['th']} ({g.get('shape') or ''})"
                for g in self.summary
            ]
        return "\n".join(lines)


def _node(text: str) -> URIRef | BNode:
    return BNode(text[2:]) if text.startswith("_:") else URIRef(text)


def input_error(message_th: str, message_en: str, **where: Any) -> ValidationResult:
    """A problem found while reading the input (before SHACL)."""
    return ValidationResult(
        "Violation", message_th, message_en, constraint=where.pop("constraint", INPUT_ERROR), **where
    )


# -- reading pyshacl's results -------------------------------------------------


def findings_from_results(
    results: Graph, shapes: Graph, keep: set[str] | None = None
) -> list[ValidationResult]:
    """Turn pyshacl's results graph into findings (only focus nodes in ``keep``)."""
    found: list[ValidationResult] = []
    # Only the report's own results: nested ones (sh:detail of sh:node) explain those.
    top = [
        r
        for report in results.subjects(RDF.type, SH.ValidationReport)
        for r in results.objects(report, SH.result)
    ]
    for r in top:
        focus = results.value(r, SH.focusNode)
        focus_text = term_text(focus) if focus is not None else None
        if keep is not None and focus_text not in keep:
            continue
        found.append(_finding(results, shapes, r, focus_text))
    found.sort(key=lambda f: (SEVERITIES.index(f.severity), f.focus_node or "", f.path or ""))
    return found


def report_from_results(
    results: Graph, shapes: Graph, *, keep: Callable[[str], bool] | None = None, cap: int = REPORT_CAP
) -> ValidationReport:
    """A report listing at most ``cap`` results; every result is counted and summarised.

    ``keep`` tells which focus nodes (as :func:`term_text` writes them) to
    report on. The summary has one entry per severity, shape, rule and path,
    with the count and the first result's message.
    """
    rows: list[tuple[int, str, Node]] = []
    groups: dict[tuple[Node | str | None, ...], list[Any]] = {}
    totals = dict.fromkeys(SEVERITIES, 0)
    top = [
        r
        for report in results.subjects(RDF.type, SH.ValidationReport)
        for r in results.objects(report, SH.result)
    ]
    for r in top:
        focus = results.value(r, SH.focusNode)
        focus_text = term_text(focus) if focus is not None else ""
        if keep is not None and not keep(focus_text):
            continue
        severity = _severity(results, shapes, r, results.value(r, SH.sourceConstraint))
        totals[severity] += 1
        rows.append((SEVERITIES.index(severity), focus_text, r))
        key = (
            severity,
            results.value(r, SH.sourceShape),
            results.value(r, SH.sourceConstraintComponent),
            results.value(r, SH.resultPath),
        )
        if key in groups:
            groups[key][0] += 1
        else:
            groups[key] = [1, r, focus_text]
    rows.sort(key=lambda row: row[:2])
    report = ValidationReport(mode="full")
    report.findings = [_finding(results, shapes, r, focus or None) for _, focus, r in rows[:cap]]
    report.findings.sort(key=lambda f: (SEVERITIES.index(f.severity), f.focus_node or "", f.path or ""))
    report.focus_nodes = len({focus for _, focus, _ in rows})
    if len(rows) > cap:
        report.totals = totals
        for count, r, focus in sorted(groups.values(), key=lambda g: -g[0]):
            first = _finding(results, shapes, r, focus or None)
            report.summary.append(
                {
                    "count": count,
                    "severity": first.severity,
                    "shape": first.shape,
                    "constraint": first.constraint,
                    "path": first.path,
                    "message": {"th": first.message_th, "en": first.message_en},
                    "example": first.focus_node,
                }
            )
    return report


def term_text(term: object) -> str:
    return f"_:{term}" if isinstance(term, BNode) else str(term)


def _finding(results: Graph, shapes: Graph, r: Node, focus: str | None) -> ValidationResult:
    path_node = results.value(r, SH.resultPath)
    path = _path_text(results, path_node) if path_node is not None else None
    value = results.value(r, SH.value)
    component = results.value(r, SH.sourceConstraintComponent)
    shape = results.value(r, SH.sourceShape)
    constraint = results.value(r, SH.sourceConstraint)
    th, en = default_message(shapes, shape, component, path, value)
    messages = _messages(results, shapes, r, (constraint, shape))
    return ValidationResult(
        severity=_severity(results, shapes, r, constraint),
        message_th=messages.get("th") or th,
        message_en=messages.get("en") or messages.get(None) or en,
        focus_node=focus,
        path=path,
        value=str(value) if value is not None else None,
        constraint=str(component) if component is not None else None,
        shape=term_text(shape) if shape is not None else None,
    )


def _severity(results: Graph, shapes: Graph, r: Node, constraint: Node | None) -> str:
    """The result's severity; a SPARQL constraint's own sh:severity wins.

    Our shapes put sh:severity on sh:SPARQLConstraint nodes (an Info-level
    advice next to Violation-level rules in one node shape); pyshacl reports
    the node shape's severity there, so we apply the constraint's.
    """
    node = shapes.value(constraint, SH.severity) if constraint is not None else None
    if node is None:
        node = results.value(r, SH.resultSeverity)
    name = str(node).rsplit("#", 1)[-1] if node is not None else "Violation"
    return name if name in SEVERITIES else "Violation"


def _messages(
    results: Graph, shapes: Graph, r: Node, holders: tuple[Node | None, ...]
) -> dict[str | None, str]:
    """The result's messages by language.

    pyshacl fills ``{?var}`` placeholders but drops the language tags of
    ``sh:message``; we give each filled message the language of the shapes'
    template it matches (or Thai if it has Thai letters, else English).
    """
    templates: dict[str | None, str] = {}
    for holder in holders:
        if holder is not None and not templates:
            templates = {
                m.language: str(m) for m in shapes.objects(holder, SH.message) if isinstance(m, Literal)
            }
    found: dict[str | None, str] = {}
    for m in results.objects(r, SH.resultMessage):
        text = str(m)
        lang = getattr(m, "language", None) or _template_language(text, templates)
        found.setdefault(lang, text)
    return found


def _template_language(text: str, templates: dict[str | None, str]) -> str:
    for lang, template in templates.items():
        pattern = re.sub(r"\\\{\\?[?$]\w+\\\}", ".*?", re.escape(template))
        if lang and re.fullmatch(pattern, text, re.S):
            return lang
    return "th" if _THAI.search(text) else "en"


_THAI = re.compile("[\u0e00-\u0e7f]")


def _path_text(g: Graph, node: Node) -> str:
    if isinstance(node, URIRef):
        return f"<{node}>"
    inv = g.value(node, SH.inversePath)
    if inv is not None:
        return "^" + _path_text(g, inv)
    if (node, RDF.first, None) in g:
        return "/".join(_path_text(g, n) for n in Collection(g, node))
    alt = g.value(node, SH.alternativePath)
    if alt is not None:
        return "(" + "|".join(_path_text(g, n) for n in Collection(g, alt)) + ")"
    for pred, mark in ((SH.zeroOrMorePath, "*"), (SH.oneOrMorePath, "+"), (SH.zeroOrOnePath, "?")):
        inner = g.value(node, pred)
        if inner is not None:
            return f"({_path_text(g, inner)}){mark}"
    return str(node)


def _short(term: object) -> str:
    text = str(term)
    for sep in ("#", "/"):
        if sep in text:
            text = text.rstrip(sep).rsplit(sep, 1)[-1]
    return text


def _param(shapes: Graph, shape: Node | None, name: str) -> Node | None:
    return shapes.value(shape, SH[name]) if shape is not None else None


def default_message(
    shapes: Graph, shape: Node | None, component: Node | None, path: str | None, value: Node | None
) -> tuple[str, str]:
    """A Thai and an English message for a result whose shape gave none."""
    name = _short(component) if component is not None else "Constraint"
    name = name.removesuffix("ConstraintComponent")
    prop = _short(path.strip("<>^")) if path else "ค่า"
    prop_en = _short(path.strip("<>^")) if path else "the node"
    val = f"'{value}'" if value is not None else ""
    p = lambda n: _param(shapes, shape, n)  # noqa: E731
    table: dict[str, tuple[str, str]] = {
        "MinCount": (
            f"ต้องกรอก {prop} อย่างน้อย {p('minCount')} ค่า",
            f"{prop_en} is required: give at least {p('minCount')} value(s)",
        ),
        "MaxCount": (
            f"{prop} มีได้ไม่เกิน {p('maxCount')} ค่า: ลบค่าที่เกินออก",
            f"{prop_en} may have at most {p('maxCount')} value(s): remove the extra ones",
        ),
        "Class": (
            f"{prop} {val} ต้องเป็น {_short(p('class'))} ที่มีอยู่ในระบบ",
            f"{prop_en} {val} must be a known {_short(p('class'))}: check the identifier",
        ),
        "Datatype": (
            f"{prop} {val} ต้องเป็นชนิดข้อมูล {_short(p('datatype'))}",
            f"{prop_en} {val} must be of type {_short(p('datatype'))}",
        ),
        "NodeKind": (
            f"{prop} {val} เป็นชนิดโหนดที่ไม่ถูกต้อง ({_short(p('nodeKind'))})",
            f"{prop_en} {val} must be a {_short(p('nodeKind'))}",
        ),
        "In": (f"{prop} {val} ไม่อยู่ในรายการค่าที่อนุญาต", f"{prop_en} {val} is not one of the allowed values"),
        "HasValue": (f"{prop} ต้องมีค่า {p('hasValue')}", f"{prop_en} must include {p('hasValue')}"),
        "MinInclusive": (
            f"{prop} {val} ต้องไม่น้อยกว่า {p('minInclusive')}",
            f"{prop_en} {val} must be at least {p('minInclusive')}",
        ),
        "MaxInclusive": (
            f"{prop} {val} ต้องไม่เกิน {p('maxInclusive')}",
            f"{prop_en} {val} must be at most {p('maxInclusive')}",
        ),
        "MinExclusive": (
            f"{prop} {val} ต้องมากกว่า {p('minExclusive')}",
            f"{prop_en} {val} must be greater than {p('minExclusive')}",
        ),
        "MaxExclusive": (
            f"{prop} {val} ต้องน้อยกว่า {p('maxExclusive')}",
            f"{prop_en} {val} must be less than {p('maxExclusive')}",
        ),
        "MinLength": (
            f"{prop} {val} สั้นเกินไป (อย่างน้อย {p('minLength')} ตัวอักษร)",
            f"{prop_en} {val} is too short (at least {p('minLength')} characters)",
        ),
        "MaxLength": (
            f"{prop} {val} ยาวเกินไป (ไม่เกิน {p('maxLength')} ตัวอักษร)",
            f"{prop_en} {val} is too long (at most {p('maxLength')} characters)",
        ),
        "Pattern": (f"{prop} {val} ไม่ตรงรูปแบบที่กำหนด", f"{prop_en} {val} does not match the expected pattern"),
        "LanguageIn": (f"{prop} {val} ใช้ภาษาที่ไม่อนุญาต", f"{prop_en} {val} is in a language not allowed here"),
        "UniqueLang": (
            f"{prop} มีหลายค่าในภาษาเดียวกัน: เหลือไว้ภาษาละหนึ่งค่า",
            f"{prop_en} has several values in one language: keep one per language",
        ),
        "LessThan": (
            f"{prop} {val} ต้องน้อยกว่า {_short(p('lessThan'))}",
            f"{prop_en} {val} must be less than {_short(p('lessThan'))}",
        ),
        "LessThanOrEquals": (
            f"{prop} {val} ต้องไม่มากกว่า {_short(p('lessThanOrEquals'))}",
            f"{prop_en} {val} must not be after/above {_short(p('lessThanOrEquals'))}",
        ),
        "Equals": (f"{prop} ต้องเท่ากับ {_short(p('equals'))}", f"{prop_en} must equal {_short(p('equals'))}"),
        "Disjoint": (
            f"{prop} ต้องไม่ซ้ำกับ {_short(p('disjoint'))}",
            f"{prop_en} must differ from {_short(p('disjoint'))}",
        ),
        "Closed": (f"ไม่อนุญาตให้ใช้คุณสมบัติ {prop} ที่นี่", f"property {prop_en} is not allowed here"),
        "Node": (
            f"{prop} {val} ไม่ผ่านเงื่อนไขของ {_short(p('node'))}",
            f"{prop_en} {val} does not meet {_short(p('node'))}",
        ),
        "SPARQL": ("ข้อมูลไม่ผ่านเงื่อนไขที่กำหนด", "the data breaks a rule of this shape"),
    }
    default = (f"{prop} {val} ไม่ผ่านเงื่อนไข {name}", f"{prop_en} {val} breaks the {name} rule")
    th, en = table.get(name, default)
    return " ".join(th.split()), " ".join(en.split())
