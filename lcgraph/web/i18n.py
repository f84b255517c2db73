"""The UI's words in Thai and English, and how a request picks its language.

The language comes from ``?lang=th|en``, then the ``lcgraph_lang`` cookie, then
the browser's ``Accept-Language``; Thai is the default for everyone else,
because the network's own staff read Thai first.
"""

from __future__ import annotations

from fastapi import Request

LANGS = ("th", "en")

TEXT: dict[str, dict[str, str]] = {
    "site": {"th": "กราฟความรู้เมืองแห่งการเรียนรู้", "en": "Learning City knowledge graph"},
    "tagline": {
        "th": "ข้อมูลเครือข่ายเมืองแห่งการเรียนรู้ของประเทศไทย: พื้นที่ ตัวความรู้ กิจกรรม และภาคีเครือข่าย",
        "en": "Thailand's Learning City network as linked data: spaces, knowledge, activities and partners",
    },
    "home": {"th": "หน้าแรก", "en": "Home"},
    "query": {"th": "สืบค้น", "en": "Query"},
    "explore": {"th": "สำรวจ", "en": "Explore"},
    "gaps": {"th": "ช่องว่าง", "en": "Gaps"},
    "cities": {"th": "เมืองแห่งการเรียนรู้", "en": "Learning cities"},
    "spaces": {"th": "พื้นที่การเรียนรู้", "en": "Learning spaces"},
    "activities": {"th": "กิจกรรมการเรียนรู้", "en": "Learning activities"},
    "assets": {"th": "ตัวความรู้", "en": "Knowledge assets"},
    "partners": {"th": "ภาคีเครือข่าย", "en": "Partner organisations"},
    "administrators": {"th": "นักจัดการการเรียนรู้ในเมือง", "en": "City Learning Administrators"},
    "triples": {"th": "ข้อเท็จจริง (triples)", "en": "Facts (triples)"},
    "last_update": {"th": "ปรับปรุงล่าสุด", "en": "Last update"},
    "ways_in": {"th": "เริ่มต้นใช้งาน", "en": "Three ways in"},
    "query_blurb": {
        "th": "เขียนคำค้น SPARQL หรือเลือกคำค้นสำเร็จรูป ดูผลเป็นตาราง ดาวน์โหลด CSV/JSON",
        "en": "Write SPARQL or pick a canned query; results as a sortable table, CSV/JSON download",
    },
    "explore_blurb": {
        "th": "ไล่ดูข้อมูลตามประเภทและตามเมือง ทุกรายการมีหน้าของตัวเอง",
        "en": "Browse by class and by city; every resource has its own page",
    },
    "gaps_blurb": {
        "th": "ดูว่าเครือข่ายอ่อนตรงไหน ควรสนับสนุนความร่วมมือใดต่อ",
        "en": "Where the network is weak, and which partnerships to fund next",
    },
    "run": {"th": "เรียกใช้ (Ctrl+Enter)", "en": "Run (Ctrl+Enter)"},
    "examples": {"th": "ตัวอย่างคำค้น", "en": "Example queries"},
    "canned": {"th": "คำค้นสำเร็จรูป", "en": "Canned queries"},
    "rows": {"th": "แถว", "en": "rows"},
    "download": {"th": "ดาวน์โหลด", "en": "Download"},
    "by_class": {"th": "ตามประเภท", "en": "By class"},
    "by_city": {"th": "ตามเมือง", "en": "By city"},
    "instances": {"th": "รายการ", "en": "instances"},
    "findings": {"th": "ข้อค้นพบ", "en": "Findings"},
    "severity": {"th": "ระดับ", "en": "Severity"},
    "all": {"th": "ทั้งหมด", "en": "All"},
    "city": {"th": "เมือง", "en": "City"},
    "filter": {"th": "กรอง", "en": "Filter"},
    "network_picture": {"th": "ภาพเครือข่าย", "en": "Network picture"},
    "coverage": {"th": "ความครอบคลุม", "en": "Coverage"},
    "scorecard": {"th": "ความพร้อมสู่เครือข่าย GNLC", "en": "GNLC readiness scorecard"},
    "recommendations": {"th": "ข้อเสนอความร่วมมือ", "en": "Partnership recommendations"},
    "no_data": {"th": "ยังไม่มีข้อมูล", "en": "No data yet"},
    "skip": {"th": "ข้ามไปยังเนื้อหา", "en": "Skip to content"},
    "language": {"th": "ภาษา", "en": "Language"},
    "parameters": {"th": "พารามิเตอร์", "en": "Parameters"},
    "open_in_editor": {"th": "เปิดในตัวแก้ไข", "en": "Open in editor"},
    "api_docs": {"th": "เอกสาร API", "en": "API docs"},
    "label": {"th": "ชื่อ", "en": "Label"},
    "class": {"th": "ประเภท", "en": "Class"},
    "analysis_unavailable": {
        "th": "ยังวิเคราะห์ไม่ได้: ",
        "en": "The analysis could not run: ",
    },
}


def pick_language(request: Request) -> str:
    """The language this request should be answered in."""
    asked = request.query_params.get("lang") or request.cookies.get("lcgraph_lang")
    if asked in LANGS:
        return asked
    accept = request.headers.get("accept-language", "")
    for part in accept.split(","):
        code = part.split(";", 1)[0].strip().lower()[:2]
        if code in LANGS:
            return code
    return "th"


def translator(lang: str):  # noqa: ANN201 - a small closure for templates
    """``t("key")`` for templates: the word in ``lang``, falling back to English."""

    def t(key: str) -> str:
        entry = TEXT.get(key)
        if entry is None:
            return key
        return entry.get(lang) or entry["en"]

    return t
