"""Importing a partner's filled-in template, whole and valid or not at all.

For ``lcgraph import`` and ``POST /import/{template}``. A sheet becomes RDF
row by row (cells read by :mod:`lcgraph.ingest.lookups` and
:mod:`lcgraph.dates`); problems found while reading name their row
and column. The rows then go through the guarded write path, whose SHACL
findings are mapped back to the row and column that produced the triple.

Each import lands in its own named graph ``lcg:import/{template}/{time}-{id}``
described with PROV-O in that graph: who imported it, when, from which file
(its SHA-256) and with which template. Entity IRIs come from the data
(``id`` column, else the English name, else a hash of the Thai name, under
the city for spaces, assets and activities), so importing the same sheet
again replaces what the earlier import said about those entities instead of
adding a second copy. People's e-mail and telephone go to ``lcg:private``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import re
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from lcgraph.access import SYSTEM, Access
from lcgraph.budget import checkpoint
from lcgraph.dates import DateError, parse_date
from lcgraph.ingest.lookups import LookupError_, Lookups, normalise
from lcgraph.ingest.sheets import SheetError, Table, check_size, letter, read_table
from lcgraph.ingest.templates import TEMPLATES, Column, Template, UnknownTemplate, get_template
from lcgraph.namespaces import DCT, GRAPH_PRIVATE, LC, LCG, LCID, PROV, RDF, RDFS, SCHEMA, XSD
from lcgraph.store.repository import Repository
from lcgraph.validation.guarded import ValidationFailed, agent_iri, apply_change, check_change
from lcgraph.validation.report import ValidationReport, ValidationResult, input_error
from lcgraph.validation.view import StoreProbe

IMPORT_GRAPHS = f"{LCG}import/"
_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")
_SLUG = re.compile(r"[^a-z0-9]+")
_MEDIA = {".csv": "text/csv", ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


@dataclass
class ImportResult:
    """What an import did (or, when refused or a dry run, would have done)."""

    template: str
    source: str
    report: ValidationReport
    rows: int = 0
    entities: list[str] = field(default_factory=list)
    graph: str | None = None
    written: bool = False
    change: str | None = None
    added: int = 0
    removed: int = 0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.report.conforms

    def to_json(self) -> dict[str, object]:
        return {
            "template": self.template,
            "source": self.source,
            "rows": self.rows,
            "entities": len(self.entities),
            "graph": self.graph,
            "written": self.written,
            "change": self.change,
            "added": self.added,
            "removed": self.removed,
            "seconds": round(self.seconds, 3),
            "report": self.report.to_json(),
        }


def slugify(text: str) -> str:
    return _SLUG.sub("-", text.strip().lower()).strip("-")


def _digest(text: str, n: int = 10) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:n]


# -- header ------------------------------------------------------------------------


def _header_key(header: str, template: Template) -> str | None:
    wanted = {normalise(header)} | {normalise(part) for part in header.split("/") if part.strip()}
    for c in template.columns:
        if wanted & {normalise(c.header), normalise(c.th), normalise(c.key)}:
            return c.key
    return None


def map_header(
    table: Table, template: Template, source: str
) -> tuple[dict[str, int], list[ValidationResult]]:
    """Column key -> index; findings for unknown and missing columns (and a likelier template)."""
    positions: dict[str, int] = {}
    findings: list[ValidationResult] = []
    for i, header in enumerate(table.headers):
        if not header:
            continue
        key = _header_key(header, template)
        if key is None:
            findings.append(
                ValidationResult(
                    "Warning",
                    f"ไม่รู้จักคอลัมน์ '{header}': จะไม่นำเข้าคอลัมน์นี้",
                    f"unknown column '{header}': it is ignored",
                    source=source,
                    row=1,
                    column=letter(i),
                    column_name=header,
                )
            )
        elif key in positions:
            findings.append(
                input_error(
                    f"คอลัมน์ '{header}' ซ้ำกับคอลัมน์ {letter(positions[key])}",
                    f"column '{header}' repeats column {letter(positions[key])}",
                    source=source,
                    row=1,
                    column=letter(i),
                    column_name=header,
                )
            )
        else:
            positions[key] = i
    missing = [c for c in template.required if c.key not in positions]
    for c in missing:
        findings.append(
            input_error(
                f"ไม่มีคอลัมน์ที่จำเป็น '{c.header}' ในแม่แบบ{template.label_th}",
                f"the required column '{c.header}' is missing ({template.label_en} template)",
                source=source,
                row=1,
                column_name=c.header,
            )
        )
    if missing:
        better = _likelier_template(table, template)
        if better is not None:
            findings.append(
                input_error(
                    f"ไฟล์นี้ดูเหมือนแม่แบบ '{better.name}' ({better.label_th}) ไม่ใช่ '{template.name}'",
                    f"this file looks like the '{better.name}' template ({better.label_en}), "
                    f"not '{template.name}'",
                    source=source,
                    row=1,
                )
            )
    return positions, findings


def _likelier_template(table: Table, template: Template) -> Template | None:
    def score(t: Template) -> int:
        keys = {_header_key(h, t) for h in table.headers if h}
        return sum(1 for c in t.required if c.key in keys) * 10 + len(keys - {None})

    best = max(TEMPLATES.values(), key=score)
    return best if best is not template and score(best) > score(template) else None


# -- rows ---------------------------------------------------------------------------


class _RowError(Exception):
    def __init__(self, th: str, en: str) -> None:
        self.th, self.en = th, en


_LIST_SEPARATORS = re.compile(r"[;,|\n]")


def _split(value: object) -> list[str]:
    return [p.strip() for p in _LIST_SEPARATORS.split(str(value)) if p.strip()]


def _text(value: object) -> str:
    return (
        ""
        if value is None
        else (value.strftime("%Y-%m-%d") if isinstance(value, dt.datetime) else str(value)).strip()
    )


class _Builder:
    """Turns rows into quads, remembering which row and column made each triple."""

    def __init__(
        self,
        template: Template,
        lookups: Lookups,
        positions: dict[str, int],
        table: Table,
        graph: ox.NamedNode,
    ) -> None:
        self.t = template
        self.lookups = lookups
        self.positions = positions
        self.table = table
        self.graph = graph
        self.private = ox.NamedNode(str(GRAPH_PRIVATE))
        self.quads: list[ox.Quad] = []
        self.origin: dict[tuple[str, str | None], tuple[int, str | None, str | None]] = {}
        self.findings: list[ValidationResult] = []
        self.subjects: dict[str, int] = {}
        # Per column key: its letter and header (for the origin of each triple); predicates made once.
        self._where: dict[str | None, tuple[str | None, str | None]] = {}
        self._predicates: dict[str, ox.NamedNode] = {}
        self._row: list[object] | None = None
        self._values: dict[str, object] = {}

    def cell(self, cells: list[object], key: str) -> object:
        """The row's value in the column ``key`` (``None`` if empty); a row's cells are read once."""
        if cells is not self._row:
            self._row = cells
            self._values = {
                k: v
                for k, i in self.positions.items()
                if i < len(cells)
                and (v := cells[i]) is not None
                and not (isinstance(v, str) and not v.strip())
            }
        return self._values.get(key)

    def error(self, row: int, key: str | None, th: str, en: str, value: object = None) -> None:
        i = self.positions.get(key) if key else None
        column = self.t.column(key) if key else None
        self.findings.append(
            input_error(
                th,
                en,
                source=self.table.source,
                row=row,
                column=letter(i) if i is not None else None,
                column_name=column.header if column else None,
                value=None if value is None else _text(value),
            )
        )

    def add(
        self,
        row: int,
        key: str | None,
        s: ox.NamedNode,
        p: str,
        o: ox.NamedNode | ox.Literal,
        private: bool = False,
    ) -> None:
        predicate = self._predicates.get(p)
        if predicate is None:
            predicate = self._predicates[p] = ox.NamedNode(p)
        self.quads.append(ox.Quad(s, predicate, o, self.private if private else self.graph))
        where = self._where.get(key)
        if where is None:
            i = self.positions.get(key) if key else None
            column = self.t.column(key) if key else None
            where = self._where[key] = (
                letter(i) if i is not None else None,
                column.header if column else None,
            )
        subject = s.value
        self.origin.setdefault((subject, p), (row, *where))
        self.origin.setdefault((subject, None), (row, None, None))

    def row(self, number: int, cells: list[object]) -> None:
        missing = [
            c
            for c in self.t.required
            if self.cell(cells, c.key) is None
            and not (c.key == "city" and self.cell(cells, "province") is not None and c.kind == "entity")
        ]
        for c in missing:
            self.error(number, c.key, f"ต้องกรอก '{c.header}'", f"'{c.header}' is required")
        if missing:
            if not any(c.key in ("city", "province") for c in missing):
                self._city(number, cells)
            self._check_values(number, cells)
            return
        try:
            city = self._city(number, cells)
            subject = self._subject(number, cells, city)
        except _RowError as exc:
            self.error(number, "id", exc.th, exc.en)
            self._check_values(number, cells)
            return
        if subject is None:
            self._check_values(number, cells)
            return
        if subject.value in self.subjects:
            self.error(
                number,
                "id",
                f"แถวนี้ซ้ำกับแถว {self.subjects[subject.value]} ({subject.value})",
                f"this row repeats row {self.subjects[subject.value]} (same entity {subject.value})",
            )
            return
        self.subjects[subject.value] = number
        self.add(number, None, subject, str(RDF.type), ox.NamedNode(self.t.rdf_class))
        for column in self.t.columns:
            value = self.cell(cells, column.key)
            if value is None or column.kind in ("id", "province") and column.predicate is None:
                continue
            if column.key == "city" and city is not None and column.kind == "entity":
                self.add(number, "city", subject, column.predicate or "", ox.NamedNode(city))
                continue
            self._read(number, column, subject, value)
        labels = [_text(self.cell(cells, k)) for k in ("name_th", "name_en") if self.cell(cells, k)]
        self.lookups.remember(self.t.kind, subject.value, labels)

    def _read(self, number: int, column: Column, subject: ox.NamedNode, value: object) -> None:
        """Read one cell onto ``subject``; a bad value becomes a finding at its row and column."""
        try:
            self._column(number, column, subject, value)
        except (LookupError_, DateError) as exc:
            self.error(number, column.key, exc.message_th, exc.message_en, value)
        except _RowError as exc:
            self.error(number, column.key, exc.th, exc.en, value)

    def _check_values(self, number: int, cells: list[object]) -> None:
        """Report every other bad value of a row that makes no entity, so one pass shows them all.

        The values are read as usual onto a scratch subject whose triples are dropped.
        """
        scratch = ox.NamedNode("urn:lcgraph:import:row-check")
        mark = len(self.quads)
        for column in self.t.columns:
            value = self.cell(cells, column.key)
            # The row's city and id are read (and reported) by _city and _subject.
            if value is None or column.key in ("city", "province", "id"):
                continue
            self._read(number, column, scratch, value)
        del self.quads[mark:]
        for key in [k for k in self.origin if k[0] == scratch.value]:
            del self.origin[key]

    def _city(self, number: int, cells: list[object]) -> str | None:
        """The row's city (for templates with one city), checked against the province column."""
        column = self.t.column("city")
        if column is None or column.kind != "entity":
            return None
        city_text, province_text = self.cell(cells, "city"), self.cell(cells, "province")
        province = None
        province_column = self.t.column("province")
        if province_text is not None and province_column is not None and province_column.predicate is None:
            try:
                province = self.lookups.province(_text(province_text))
            except LookupError_ as exc:
                self.error(number, "province", exc.message_th, exc.message_en, province_text)
                return None
        try:
            city = (
                self.lookups.entity(("city",), _text(city_text))
                if city_text is not None
                else self.lookups.city_in_province(province or "")
            )
        except LookupError_ as exc:
            self.error(number, "city", exc.message_th, exc.message_en, city_text)
            return None
        actual = self.lookups.city_province(city)
        if province and actual and actual != province:
            self.error(
                number,
                "province",
                f"เมือง {city_text} อยู่ในจังหวัด {actual.rsplit('/', 1)[-1]} ไม่ใช่ {province_text}",
                f"the city {city_text} is in {actual.rsplit('/', 1)[-1]}, not {province_text}",
                province_text,
            )
            return None
        return city

    def _subject(self, number: int, cells: list[object], city: str | None) -> ox.NamedNode | None:
        city_column = self.t.column("city")
        if city_column is not None and city_column.kind == "entity" and city is None:
            return None  # the city problem is already reported
        given = self.cell(cells, "id")
        if given is not None:
            slug = slugify(_text(given))
            if not slug or slug != _text(given).lower().replace(" ", "-").replace("_", "-").strip("-"):
                raise _RowError(
                    "รหัสใช้ได้เฉพาะอักษรอังกฤษตัวเล็ก ตัวเลข และขีด (-)",
                    "the id may hold only lower-case letters, digits and dashes",
                )
            return ox.NamedNode(f"{LCID}{self.t.kind}/{slug}")
        name_th = _text(self.cell(cells, "name_th"))
        name_en = _text(self.cell(cells, "name_en"))
        if self.t.kind == "administrator":
            # No personal names in IRIs (PDPA): a hash of name and cities.
            base = _digest(name_th + "|" + _text(self.cell(cells, "city")), 12)
        else:
            base = slugify(name_en) or _digest(name_th)
        if city is not None:
            base = f"{city.rsplit('/', 1)[-1]}-{base}"
        start = self.cell(cells, "start_date")
        if start is not None and self.t.kind == "activity":
            with contextlib.suppress(DateError):  # a bad date is reported with its column
                base += "-" + parse_date(start).isoformat()
        return ox.NamedNode(f"{LCID}{self.t.kind}/{base}")

    def _column(self, number: int, c: Column, s: ox.NamedNode, value: object) -> None:
        text = _text(value)
        _check_characters(text)
        p = c.predicate or ""
        if c.kind == "text_th":
            self.add(number, c.key, s, p, ox.Literal(text, language="th"))
        elif c.kind == "text_en":
            self.add(number, c.key, s, p, ox.Literal(text, language="en"))
        elif c.kind == "private":
            self.add(number, c.key, s, p, ox.Literal(text), private=True)
        elif c.kind in ("entity", "entities"):
            parts = _split(text) if c.many else [text]
            for part in parts:
                self.add(number, c.key, s, p, ox.NamedNode(self.lookups.entity(c.targets, part)))
        elif c.kind in ("concept", "concepts"):
            parts = _split(text)
            if c.kind == "concept" and len(parts) > 1:
                raise _RowError("ใส่ได้เพียงค่าเดียว", "only one value is allowed here")
            for part in parts:
                self.add(number, c.key, s, p, ox.NamedNode(self.lookups.concept(c.scheme or "", part)))
        elif c.kind == "province":
            self.add(number, c.key, s, p, ox.NamedNode(self.lookups.province(text)))
        elif c.kind == "date":
            date = parse_date(value)
            self.add(number, c.key, s, p, ox.Literal(date.isoformat(), datatype=ox.NamedNode(str(XSD.date))))
        elif c.kind == "decimal":
            number_text = text.translate(str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")).replace(" ", "")
            if not _NUMBER.match(number_text):
                raise _RowError(
                    f"'{text}' ไม่ใช่ตัวเลข: ใช้จุดทศนิยม เช่น 19.17",
                    f"'{text}' is not a number: write digits with a decimal point, e.g. 19.17",
                )
            self.add(number, c.key, s, p, ox.Literal(number_text, datatype=ox.NamedNode(str(XSD.decimal))))
        elif c.kind == "url":
            if not re.match(r"^https?://\S+$", text):
                raise _RowError(
                    f"'{text}' ไม่ใช่ที่อยู่เว็บ: ต้องขึ้นต้นด้วย http:// หรือ https://",
                    f"'{text}' is not a web address: it must start with http:// or https://",
                )
            try:
                url = ox.NamedNode(text)
            except ValueError:
                raise _RowError(
                    f"'{text}' ไม่ใช่ที่อยู่เว็บที่ถูกต้อง: มีอักขระที่ใช้ในที่อยู่เว็บไม่ได้ (เช่น {{ }} | ^ ช่องว่าง)",
                    f"'{text}' is not a valid web address: it holds characters a URL cannot "
                    "(such as { } | ^ or a space)",
                ) from None
            self.add(number, c.key, s, p, url)
        elif c.kind == "age_range":
            groups, low, high = self.lookups.age_range(text)
            for g in groups:
                self.add(number, c.key, s, p, ox.NamedNode(g))
            integer = ox.NamedNode(str(XSD.integer))
            if low is not None and high is not None:
                self.add(number, c.key, s, str(LC.minAge), ox.Literal(str(low), datatype=integer))
                self.add(number, c.key, s, str(LC.maxAge), ox.Literal(str(high), datatype=integer))


# -- provenance ------------------------------------------------------------------------


def _provenance(
    graph: ox.NamedNode,
    activity: ox.NamedNode,
    template: Template,
    filename: str,
    digest: str,
    agent: str | None,
    started: dt.datetime,
) -> list[ox.Quad]:
    who = ox.NamedNode(agent_iri(agent))
    source = ox.NamedNode(f"{LCID}source/upload-{digest[:16]}")
    plan = ox.NamedNode(f"{LCID}template/{template.name}")
    stamp = ox.NamedNode(str(XSD.dateTime))
    now = dt.datetime.now(dt.UTC)

    def lit(d: dt.datetime) -> ox.Literal:
        return ox.Literal(d.isoformat(timespec="seconds").replace("+00:00", "Z"), datatype=stamp)

    def q(s: ox.NamedNode, p: object, o: object) -> ox.Quad:
        return ox.Quad(s, ox.NamedNode(str(p)), o, graph)  # type: ignore[arg-type]

    name = Path(filename).name
    return [
        q(graph, RDF.type, ox.NamedNode(str(PROV.Entity))),
        q(graph, DCT.title, ox.Literal(f"นำเข้า{template.label_th}จาก {name}", language="th")),
        q(graph, DCT.title, ox.Literal(f"Import of {template.label_en.lower()} from {name}", language="en")),
        q(graph, PROV.wasGeneratedBy, activity),
        q(graph, PROV.wasAttributedTo, who),
        q(graph, PROV.generatedAtTime, lit(now)),
        q(graph, PROV.wasDerivedFrom, source),
        q(activity, RDF.type, ox.NamedNode(str(PROV.Activity))),
        q(activity, PROV.used, source),
        q(activity, PROV.used, plan),
        q(activity, PROV.wasAssociatedWith, who),
        q(activity, PROV.startedAtTime, lit(started)),
        q(activity, PROV.endedAtTime, lit(now)),
        q(source, RDF.type, ox.NamedNode(str(PROV.Entity))),
        q(source, DCT.title, ox.Literal(name)),
        q(source, DCT.identifier, ox.Literal(f"sha256:{digest}")),
        q(
            source,
            SCHEMA.encodingFormat,
            ox.Literal(_MEDIA.get(Path(name).suffix.lower(), "application/octet-stream")),
        ),
        q(plan, RDF.type, ox.NamedNode(str(PROV.Plan))),
        q(plan, RDFS.label, ox.Literal(f"แม่แบบ{template.label_th}", language="th")),
        q(plan, RDFS.label, ox.Literal(f"{template.label_en} template", language="en")),
        q(who, RDF.type, ox.NamedNode(str(PROV.Agent))),
        q(who, RDFS.label, ox.Literal((agent or "anonymous").strip() or "anonymous")),
    ]


def _previous(
    ds: Repository, subjects: list[str], private_predicates: set[str], probe: StoreProbe
) -> list[ox.Quad]:
    """What earlier imports said about these entities (replaced, never duplicated)."""
    found: list[ox.Quad] = []
    private = str(GRAPH_PRIVATE)
    for s in subjects:
        node = ox.NamedNode(s)
        if not probe.has_subject(node):  # a new entity (asked once; the write path asks no more)
            continue
        for q in ds.quads(node):
            g = q.graph_name
            if isinstance(g, ox.NamedNode) and (
                g.value.startswith(IMPORT_GRAPHS)
                or g.value == private
                and q.predicate.value in private_predicates
            ):
                found.append(q)
    return found


# -- entry points ---------------------------------------------------------------------


def _locate(
    findings: list[ValidationResult],
    origin: dict[tuple[str, str | None], tuple[int, str | None, str | None]],
    source: str,
) -> None:
    for f in findings:
        f.source = f.source or source
        if f.focus_node is None or f.row is not None:
            continue
        path = f.path[1:-1] if f.path and f.path.startswith("<") else None
        where = origin.get((f.focus_node, path)) or origin.get((f.focus_node, None))
        if where:
            f.row, f.column, f.column_name = where


# Control characters (NUL …) and the bidirectional overrides that disguise text (U+202E …).
_HIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]")


# OWASP's CSV-injection prefixes: = and @ always; + and - when a call, pipe or sheet reference
# follows (not "+66 81 …" or "-5").
_FORMULA = re.compile(r"^\s*(?:[=@]|[+\-](?=.*[(|!]))")


def _check_characters(text: str) -> None:
    """Refuse cells that would hide or run something where the data is shown again."""
    if _HIDDEN.search(text):
        raise _RowError(
            "มีอักขระควบคุมหรืออักขระกลับทิศทางข้อความที่มองไม่เห็น: ลบออกแล้วลองใหม่",
            "the cell holds invisible control or text-direction characters: remove them and try again",
        )
    if _FORMULA.match(text):
        raise _RowError(
            "ค่านี้ขึ้นต้นแบบสูตรของโปรแกรมตารางคำนวณ (= @ หรือ + - ตามด้วยสูตร): แก้ให้เป็นข้อความธรรมดา",
            "the value starts like a spreadsheet formula (= or @, or + or - followed by a formula), "
            "which spreadsheet programs run when the data is opened again: write it as plain text",
        )


def import_bytes(
    ds: Repository,
    template_name: str,
    data: bytes,
    filename: str,
    *,
    agent: str | None = None,
    force: bool = False,
    dry_run: bool = False,
    access: Access = SYSTEM,
    max_rows: int | None = None,
) -> ImportResult:
    """Import a filled-in template (CSV or XLSX bytes). Nothing is written unless all is valid.

    ``access``: what the caller may read and write (a dry run is checked against
    their view only); ``max_rows`` bounds the work of a request (anonymous dry runs).
    """
    started_at = dt.datetime.now(dt.UTC)
    started = time.perf_counter()
    name = Path(filename).name or "upload"
    try:
        template = get_template(template_name)
    except UnknownTemplate as exc:
        report = ValidationReport(
            [input_error(str(exc).split(" / ")[1], str(exc).split(" / ")[0], source=name)], mode="import"
        )
        return ImportResult(template_name, name, report)
    result = ImportResult(template.name, name, ValidationReport(mode="import"))
    try:
        table = read_table(data, name)
    except SheetError as exc:
        result.report.findings.append(input_error(exc.message_th, exc.message_en, source=name))
        return result
    positions, findings = map_header(table, template, name)
    result.report.findings.extend(findings)
    result.rows = len(table.rows)
    if max_rows is not None and len(table.rows) > max_rows:
        result.report.findings.append(
            input_error(
                f"ตรวจได้ไม่เกิน {max_rows:,} แถวต่อครั้งโดยไม่ใช้โทเค็น: แบ่งไฟล์ หรือใช้โทเค็นที่เขียนข้อมูลได้",
                f"at most {max_rows:,} rows can be checked per request without a token: "
                "split the file, or use a token with the write scope",
                source=name,
            )
        )
        return result
    if not result.report.conforms:
        return result
    digest = hashlib.sha256(data).hexdigest()
    token = f"{started_at.strftime('%Y%m%dT%H%M%SZ')}-{uuid.uuid4().hex[:8]}"
    graph = ox.NamedNode(f"{IMPORT_GRAPHS}{template.name}/{token}")
    activity = ox.NamedNode(f"{LCID}import/{template.name}-{token}")
    builder = _Builder(template, Lookups(ds), positions, table, graph)
    for number, cells in table.rows:
        checkpoint()
        builder.row(number, cells)
    result.report.findings.extend(builder.findings)
    result.entities = sorted(builder.subjects)
    if not table.rows:
        result.report.findings.append(
            input_error(
                "ไม่มีข้อมูลในไฟล์ (มีแต่หัวตาราง)", "the file has no data rows (only the header)", source=name
            )
        )
    if not result.report.conforms:
        return result
    private = {c.predicate for c in template.columns if c.kind == "private" and c.predicate}
    probe = StoreProbe(ds, ds.version())
    remove = _previous(ds, result.entities, private, probe)
    add = builder.quads + _provenance(graph, activity, template, name, digest, agent, started_at)
    if dry_run:
        check = check_change(ds, add_quads=add, remove_quads=remove, access=access, probe=probe)
        _locate(check.findings, builder.origin, name)
        result.report.extend(check)
        result.graph = graph.value
    else:
        try:
            write = apply_change(
                ds,
                add_quads=add,
                remove_quads=remove,
                source=f"import {template.name} {name}",
                agent=agent,
                force=force,
                informed_by=activity.value,
                access=access,
                private_ok=True,  # the template's own personal columns of the rows' entities
                probe=probe,
            )
        except ValidationFailed as exc:
            _locate(exc.report.findings, builder.origin, name)
            result.report.extend(exc.report)
            result.seconds = time.perf_counter() - started
            return result
        _locate(write.report.findings, builder.origin, name)
        result.report.extend(write.report)
        result.written, result.change, result.graph = True, write.change, graph.value
        result.added, result.removed = write.added, write.removed
    result.report.mode = "import"
    result.seconds = time.perf_counter() - started
    return result


def import_file(ds: Repository, template_name: str, path: str | Path, **kwargs: object) -> ImportResult:
    """Import a template file from disk (see :func:`import_bytes`)."""
    p = Path(path)
    try:
        check_size(p.stat().st_size)
        data = p.read_bytes()
    except SheetError as exc:
        report = ValidationReport([input_error(exc.message_th, exc.message_en, source=p.name)], mode="import")
        return ImportResult(template_name, p.name, report)
    except OSError as exc:
        report = ValidationReport(
            [input_error(f"อ่านไฟล์ไม่ได้: {exc}", f"cannot read the file: {exc}", source=str(p))], mode="import"
        )
        return ImportResult(template_name, str(p), report)
    return import_bytes(ds, template_name, data, p.name, **kwargs)  # type: ignore[arg-type]
