"""The spreadsheet templates partners fill in, one per kind of thing.

For the importer and for whoever prepares blank templates
(``data/templates/``, written by :func:`write_blank_templates`). Each column
has a Thai and an English name; the header cell holds both
(``ชื่อภาษาไทย / name_th``) and either half alone is accepted too. A column's
``kind`` says how a cell is read (text, a date in BE or CE, a province, a
concept of a code list, a reference to something already in the store…) and
``predicate`` what it becomes.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from lcgraph.namespaces import GEO, LC, ORG, RDFS, SCHEMA

AGENT_KINDS = ("partner", "city", "network", "administrator")


@dataclass(frozen=True)
class Column:
    """One column of a template."""

    key: str
    th: str
    kind: str
    predicate: str | None = None
    required: bool = False
    scheme: str | None = None
    targets: tuple[str, ...] = ()
    help_th: str = ""
    help_en: str = ""

    @property
    def header(self) -> str:
        return f"{self.th} / {self.key}"

    @property
    def many(self) -> bool:
        return self.kind in ("concepts", "entities")


@dataclass(frozen=True)
class Template:
    """A template: which class its rows become and its columns."""

    name: str
    kind: str
    rdf_class: str
    label_th: str
    label_en: str
    columns: tuple[Column, ...]

    def column(self, key: str) -> Column | None:
        return next((c for c in self.columns if c.key == key), None)

    @property
    def required(self) -> list[Column]:
        return [c for c in self.columns if c.required]


def _id() -> Column:
    return Column(
        "id",
        "รหัส",
        "id",
        help_th="ไม่บังคับ: อักษรอังกฤษตัวเล็ก ตัวเลข และขีด เช่น phayao-city-library ใช้ค่าเดิมทุกครั้งเพื่อแก้ไขข้อมูลแถวเดิม",
        help_en="optional: lower-case letters, digits and dashes, e.g. phayao-city-library; keep it the "
        "same to update the same row later",
    )


def _names() -> tuple[Column, Column]:
    return (
        Column(
            "name_th",
            "ชื่อภาษาไทย",
            "text_th",
            str(RDFS.label),
            required=True,
            help_th="ชื่อภาษาไทย (จำเป็น)",
            help_en="the Thai name (required)",
        ),
        Column(
            "name_en",
            "ชื่อภาษาอังกฤษ",
            "text_en",
            str(RDFS.label),
            help_th="ชื่อภาษาอังกฤษ (แนะนำ)",
            help_en="the English name (recommended)",
        ),
    )


def _city(required: bool = True) -> Column:
    return Column(
        "city",
        "เมือง",
        "entity",
        str(LC.city),
        required=required,
        targets=("city",),
        help_th="เมืองแห่งการเรียนรู้: ชื่อไทย ชื่ออังกฤษ หรือรหัส เช่น phayao",
        help_en="the learning city: its Thai or English name, or its id, e.g. phayao",
    )


def _province() -> Column:
    return Column(
        "province",
        "จังหวัด",
        "province",
        help_th="ไม่บังคับ: ชื่อจังหวัดไทยหรืออังกฤษ หรือรหัส ISO เช่น TH-56 ใช้ตรวจว่าเมืองอยู่ในจังหวัดนี้",
        help_en="optional: province in Thai or English, or its ISO code such as TH-56; checks the city",
    )


def _description() -> Column:
    return Column(
        "description",
        "คำอธิบาย",
        "text_th",
        str(SCHEMA.description),
        help_th="คำอธิบายสั้น ๆ ภาษาไทย",
        help_en="a short description in Thai",
    )


def _url() -> Column:
    return Column(
        "url", "เว็บไซต์", "url", str(SCHEMA.url), help_th="ขึ้นต้นด้วย https://", help_en="starting with https://"
    )


def _themes(required: bool = True) -> Column:
    return Column(
        "theme",
        "ประเด็นการเรียนรู้",
        "concepts",
        str(LC.theme),
        required=required,
        scheme="theme",
        help_th="หนึ่งประเด็นขึ้นไป คั่นด้วย ; เช่น ภูมิปัญญาท้องถิ่น; ประวัติศาสตร์",
        help_en="one or more, separated by ; e.g. local-wisdom; history",
    )


def _agents(key: str, th: str, predicate: str, required: bool = False) -> Column:
    return Column(
        key,
        th,
        "entities",
        predicate,
        required=required,
        targets=AGENT_KINDS,
        help_th="ภาคี เมือง เครือข่าย หรือนักจัดการการเรียนรู้ที่มีอยู่ในระบบ คั่นด้วย ;",
        help_en="partners, cities, networks or administrators already in the graph, separated by ;",
    )


SPACES = Template(
    "spaces",
    "space",
    str(LC.LearningSpace),
    "พื้นที่การเรียนรู้",
    "Learning spaces",
    (
        _id(),
        *_names(),
        _city(),
        _province(),
        Column(
            "space_type",
            "ประเภทพื้นที่",
            "concepts",
            str(LC.spaceType),
            required=True,
            scheme="space-type",
            help_th="เช่น ห้องสมุด; พิพิธภัณฑ์; วัด",
            help_en="e.g. library; museum; temple",
        ),
        _agents("managed_by", "ผู้ดูแล", str(LC.managedBy)),
        Column(
            "latitude",
            "ละติจูด",
            "decimal",
            str(GEO.lat),
            help_th="เลขทศนิยม เช่น 19.1667",
            help_en="a decimal number, e.g. 19.1667",
        ),
        Column(
            "longitude",
            "ลองจิจูด",
            "decimal",
            str(GEO.long),
            help_th="เลขทศนิยม เช่น 99.9",
            help_en="a decimal number, e.g. 99.9",
        ),
        _url(),
        _description(),
    ),
)

ACTIVITIES = Template(
    "activities",
    "activity",
    str(LC.LearningActivity),
    "กิจกรรมการเรียนรู้",
    "Learning activities",
    (
        _id(),
        *_names(),
        _city(),
        _province(),
        Column(
            "location",
            "สถานที่",
            "entity",
            str(SCHEMA.location),
            targets=("space",),
            help_th="พื้นที่การเรียนรู้ที่มีอยู่ในระบบ",
            help_en="a learning space already in the graph",
        ),
        _agents("organizer", "ผู้จัด", str(SCHEMA.organizer), required=True),
        Column(
            "age_range",
            "ช่วงวัย",
            "age_range",
            str(LC.ageGroup),
            required=True,
            help_th="เช่น 60+, 15-24, ทุกช่วงวัย หรือชื่อช่วงวัย เช่น เยาวชน",
            help_en="e.g. 60+, 15-24, ทุกช่วงวัย (all ages) or an age group such as youth",
        ),
        _themes(),
        Column(
            "building_block",
            "องค์ประกอบหลัก GNLC",
            "concepts",
            str(LC.buildingBlock),
            scheme="gnlc",
            help_th="องค์ประกอบหลักของเมืองแห่งการเรียนรู้ (UNESCO GNLC) คั่นด้วย ;",
            help_en="GNLC major building blocks, separated by ;",
        ),
        Column(
            "uses_asset",
            "ตัวความรู้ที่ใช้",
            "entities",
            str(LC.usesAsset),
            targets=("asset",),
            help_th="ตัวความรู้ที่มีอยู่ในระบบ คั่นด้วย ;",
            help_en="knowledge assets already in the graph",
        ),
        Column(
            "start_date",
            "วันเริ่ม",
            "date",
            str(SCHEMA.startDate),
            help_th="เช่น 22/08/2566 หรือ 22 สิงหาคม 2566",
            help_en="e.g. 2023-08-22 or 22/08/2566 (BE)",
        ),
        Column(
            "end_date",
            "วันสิ้นสุด",
            "date",
            str(SCHEMA.endDate),
            help_th="เช่น 23/08/2566",
            help_en="e.g. 2023-08-23",
        ),
        _description(),
    ),
)

ASSETS = Template(
    "assets",
    "asset",
    str(LC.KnowledgeAsset),
    "ตัวความรู้",
    "Knowledge assets",
    (
        _id(),
        *_names(),
        _city(),
        _province(),
        Column(
            "asset_type",
            "ประเภทตัวความรู้",
            "concept",
            str(LC.assetType),
            required=True,
            scheme="asset-type",
            help_th="เช่น ภูมิปัญญาท้องถิ่น หลักสูตร สื่อ",
            help_en="e.g. local-wisdom, curriculum, media",
        ),
        _themes(),
        _agents("provider", "ผู้ให้ความรู้", str(SCHEMA.provider)),
        _url(),
        _description(),
    ),
)

PARTNERS = Template(
    "partners",
    "partner",
    str(LC.PartnerOrganisation),
    "ภาคีเครือข่าย",
    "Partner organisations",
    (
        _id(),
        *_names(),
        Column(
            "sector",
            "ภาคส่วน",
            "concept",
            str(LC.sector),
            required=True,
            scheme="sector",
            help_th="เช่น ภาครัฐ วิชาการ เอกชน ชุมชน",
            help_en="e.g. government, academic, private, community",
        ),
        _url(),
        Column(
            "parent",
            "องค์กรแม่",
            "entity",
            str(ORG.subOrganizationOf),
            targets=("partner", "network", "city"),
            help_th="องค์กรที่สังกัด (ถ้ามี)",
            help_en="the parent organisation, if any",
        ),
        Column(
            "province",
            "จังหวัด",
            "province",
            str(SCHEMA.areaServed),
            help_th="จังหวัดที่ดำเนินงาน (ถ้ามี)",
            help_en="the province served, if any",
        ),
    ),
)

ADMINISTRATORS = Template(
    "administrators",
    "administrator",
    str(LC.CityLearningAdministrator),
    "นักจัดการการเรียนรู้ในเมือง",
    "City Learning Administrators",
    (
        _id(),
        *_names(),
        Column(
            "city",
            "เมือง",
            "entities",
            str(LC.city),
            required=True,
            targets=("city",),
            help_th="เมืองที่สังกัด คั่นด้วย ;",
            help_en="the learning cities they work for, separated by ;",
        ),
        Column(
            "member_of",
            "สังกัดองค์กร",
            "entities",
            str(ORG.memberOf),
            targets=("partner", "network", "city"),
            help_th="องค์กรที่สังกัด คั่นด้วย ;",
            help_en="organisations they belong to, separated by ;",
        ),
        Column(
            "email",
            "อีเมล",
            "private",
            str(SCHEMA.email),
            help_th="ข้อมูลส่วนบุคคล (PDPA): เก็บแยกในกราฟส่วนตัว",
            help_en="personal data (PDPA): kept apart",
        ),
        Column(
            "telephone",
            "โทรศัพท์",
            "private",
            str(SCHEMA.telephone),
            help_th="ข้อมูลส่วนบุคคล (PDPA): เก็บแยกในกราฟส่วนตัว",
            help_en="personal data (PDPA): kept apart",
        ),
    ),
)

TEMPLATES: dict[str, Template] = {t.name: t for t in (SPACES, ACTIVITIES, ASSETS, PARTNERS, ADMINISTRATORS)}
_ALIASES = {t.kind: t.name for t in TEMPLATES.values()}


class UnknownTemplate(ValueError):
    """No template has that name."""


def get_template(name: str) -> Template:
    """A template by name (``spaces``) or by kind (``space``)."""
    key = name.strip().lower()
    key = _ALIASES.get(key, key)
    if key not in TEMPLATES:
        raise UnknownTemplate(
            f"unknown template {name!r}; known templates: {', '.join(TEMPLATES)} / "
            f"ไม่รู้จักแม่แบบ {name!r} แม่แบบที่มี: {', '.join(TEMPLATES)}"
        )
    return TEMPLATES[key]


def write_blank_templates(directory: Path) -> list[Path]:
    """Write every template as a blank CSV (header only) and XLSX (with a help sheet)."""
    # openpyxl takes ~0.26 s to import: only when writing the XLSX templates.
    from openpyxl import Workbook
    from openpyxl.styles import Font

    directory.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for t in TEMPLATES.values():
        csv_path = directory / f"{t.name}.csv"
        with open(csv_path, "w", encoding="utf-8-sig", newline="") as fh:
            csv.writer(fh).writerow([c.header for c in t.columns])
        written.append(csv_path)
        wb = Workbook()
        sheet = wb.active
        assert sheet is not None  # a new workbook has one sheet, and it is active
        sheet.title = t.name
        sheet.append([c.header for c in t.columns])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        help_sheet = wb.create_sheet("คำอธิบาย-help")
        help_sheet.append(["คอลัมน์ / column", "จำเป็น / required", "คำอธิบาย", "help"])
        for c in t.columns:
            help_sheet.append([c.header, "✓" if c.required else "", c.help_th, c.help_en])
        xlsx_path = directory / f"{t.name}.xlsx"
        wb.save(xlsx_path)
        written.append(xlsx_path)
    return written
