"""The UI's words in Thai and English, and how a request picks its language.

The language comes from ``?lang=th|en``, then the ``lcgraph_lang`` cookie, then
the browser's ``Accept-Language``; Thai is the default for everyone else,
because the network's own staff read Thai first.
"""

from __future__ import annotations

import datetime as dt

from fastapi import Request

from lcgraph.dates import to_buddhist_era

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
    "illustrative": {
        "th": "ตัวเลขรวมข้อมูลตัวอย่างสมมติของ “เมืองตัวอย่าง” ({n:,} ข้อเท็จจริง) ซึ่งไม่ใช่ข้อมูลจริง",
        "en": "The figures include the illustrative Example Cities ({n:,} facts), which are not real data",
    },
    "real_only": {"th": "เฉพาะข้อมูลจริง", "en": "Real data only"},
    "with_examples": {"th": "รวมตัวอย่าง", "en": "With examples"},
    "examples_col": {"th": "ตัวอย่างสมมติ", "en": "Illustrative examples"},
    "real_col": {"th": "ข้อมูลจริง", "en": "Real data"},
    "search": {"th": "ค้นหา", "en": "Search"},
    "catalog": {"th": "แคตตาล็อกข้อมูล", "en": "Data catalog"},
    "ontology": {"th": "ออนโทโลยี", "en": "Ontology"},
    "cancel": {"th": "ยกเลิก", "en": "Cancel"},
    "history": {"th": "คำค้นที่เคยใช้", "en": "History"},
    "run_query": {"th": "เรียกใช้", "en": "Run"},
    "open_form": {"th": "เปิดแบบฟอร์ม", "en": "Open the form"},
    "all_canned": {"th": "คำค้นสำเร็จรูปทั้งหมด", "en": "All canned queries"},
    "as_json": {"th": "สำหรับโปรแกรม (JSON)", "en": "For programs (JSON)"},
    "date_hint": {
        "th": "พ.ศ. หรือ ค.ศ. เช่น 22/08/2566 หรือ 2023-08-22",
        "en": "Common or Buddhist Era, e.g. 2023-08-22 or 22/08/2566",
    },
    "default": {"th": "ค่าเริ่มต้น", "en": "default"},
    "optional": {"th": "ไม่บังคับ", "en": "optional"},
    "sparql_text": {"th": "คำค้น SPARQL", "en": "The SPARQL"},
    "results": {"th": "ผลลัพธ์", "en": "Results"},
    "facts": {"th": "ข้อเท็จจริง", "en": "Facts"},
    "type": {"th": "ประเภท", "en": "Type"},
    "other_formats": {"th": "ข้อมูลในรูปแบบอื่น", "en": "Other formats"},
    "referred_by": {"th": "ทรัพยากรที่อ้างถึง", "en": "Referred to by"},
    "only_first": {
        "th": "แสดงเพียง {n} รายการแรก ใช้ SPARQL เพื่อดูทั้งหมด",
        "en": "Only the first {n} are shown; use SPARQL for all.",
    },
    "sources": {"th": "แหล่งที่มา", "en": "Sources"},
    "source": {"th": "แหล่ง", "en": "source"},
    "primary_source": {"th": "แหล่งข้อมูลต้นทาง", "en": "primary source"},
    "blank_node": {"th": "โหนดว่าง", "en": "blank node"},
    "results_count": {"th": "{n} ผลลัพธ์", "en": "{n} result(s)"},
    "not_found": {"th": "ไม่พบทรัพยากรนี้", "en": "Not found"},
    "says_nothing": {
        "th": "ชุดข้อมูลที่เผยแพร่ไม่มีข้อมูลเกี่ยวกับ",
        "en": "The published dataset says nothing about",
    },
    "did_you_mean": {"th": "หรือหมายถึง", "en": "Did you mean"},
    "try": {"th": "ลอง", "en": "Try"},
    "dataset": {"th": "ชุดข้อมูล", "en": "Dataset"},
    "entities": {"th": "ทรัพยากร", "en": "Entities"},
    "not_published": {
        "th": "ไม่เผยแพร่ (ข้อมูลส่วนบุคคล)",
        "en": "Not published (personal data)",
    },
    "catalog_blurb": {"th": "คำอธิบาย DCAT และ VoID", "en": "The DCAT and VoID description"},
    "pdpa": {
        "th": "ข้อมูลส่วนบุคคลไม่เผยแพร่ (PDPA)",
        "en": "Personal data is not published (PDPA)",
    },
    "iso": {"th": "ค.ศ. (ISO)", "en": "ISO"},
    "running": {"th": "กำลังค้น…", "en": "Running…"},
    "cancelled": {"th": "ยกเลิกแล้ว", "en": "Cancelled"},
    "refused": {"th": "บริการไม่รับคำค้นนี้:", "en": "The service refused the query:"},
    "engine_said": {"th": "ข้อความจากตัวประมวลผล", "en": "What the engine said"},
    "no_history": {"th": "ยังไม่มีคำค้นที่เคยใช้", "en": "No queries yet"},
    "editor_label": {"th": "ตัวแก้ไขคำค้น SPARQL", "en": "SPARQL query editor"},
    "yes": {"th": "ใช่ (true)", "en": "Yes (true)"},
    "no": {"th": "ไม่ใช่ (false)", "en": "No (false)"},
    "add": {"th": "เพิ่ม", "en": "Add"},
    "adds_prefix": {"th": "เพิ่มบรรทัด PREFIX ให้", "en": "adds the PREFIX line"},
    "previous": {"th": "ก่อนหน้า", "en": "Previous"},
    "next": {"th": "ถัดไป", "en": "Next"},
    "showing": {"th": "แถว {start}–{end} จาก {total}", "en": "Rows {start}–{end} of {total}"},
    "pages": {"th": "หน้าผลลัพธ์", "en": "Result pages"},
    "per_page": {"th": "แถวต่อหน้า", "en": "Rows per page"},
    "page_size": {"th": "จำนวนแถวต่อหน้า", "en": "Rows per page"},
    "nation": {"th": "ทั้งประเทศ", "en": "Whole country"},
    "scope": {"th": "ขอบเขต", "en": "Scope"},
    "regions": {"th": "ภาค", "en": "Regions"},
    "provinces": {"th": "จังหวัด (ที่มีเมืองแห่งการเรียนรู้)", "en": "Provinces (with learning cities)"},
    "scope_kind_region": {"th": "ภาค", "en": "region"},
    "scope_kind_province": {"th": "จังหวัด", "en": "province"},
    "scope_kind_city": {"th": "เมือง", "en": "city"},
    "scope_cities": {
        "th": "เมืองแห่งการเรียนรู้ในขอบเขตนี้: {n:,} เมือง",
        "en": "Learning cities in this scope: {n:,}",
    },
    "scope_empty": {
        "th": "ยังไม่มีเมืองแห่งการเรียนรู้ที่บันทึกไว้ในขอบเขตนี้ จึงไม่มีข้อค้นพบ ภาพเครือข่าย หรือความครอบคลุมให้แสดง",
        "en": "No learning city is recorded in this scope, "
        "so there are no findings, network or coverage to show.",
    },
    "examples_shown": {
        "th": "รวมข้อมูลตัวอย่างสมมติของ “เมืองตัวอย่าง” ซึ่งไม่ใช่ข้อมูลจริง",
        "en": "Includes the illustrative Example Cities, which are not real data",
    },
    "examples_hidden": {
        "th": "แสดงเฉพาะข้อมูลจริง: ซ่อนข้อมูลตัวอย่างสมมติไว้",
        "en": "Real data only: the illustrative examples are hidden",
    },
    "sev_high": {"th": "สูง", "en": "high"},
    "sev_medium": {"th": "กลาง", "en": "medium"},
    "sev_low": {"th": "ต่ำ", "en": "low"},
    "network_size": {
        "th": "ผู้เกี่ยวข้อง {actors} ราย · ความร่วมมือ {ties} สาย",
        "en": "{actors} actors · {ties} ties",
    },
    "network_size_whole": {
        "th": "ทั้งเครือข่าย: ผู้เกี่ยวข้อง {actors} ราย · ความร่วมมือ {ties} สาย",
        "en": "whole network: {actors} actors · {ties} ties",
    },
    "report": {"th": "รายงาน HTML", "en": "HTML report"},
    "city_not_recorded": {
        "th": "ยังไม่มีการบันทึกข้อมูลนิเวศการเรียนรู้ของเมืองนี้ (กิจกรรม พื้นที่ ตัวความรู้ ภาคี) "
        "ช่องว่างที่แสดงจึงหมายถึง “ยังไม่ได้บันทึก” ไม่ใช่ “ไม่มีกิจกรรม”",
        "en": "Nothing of this city's learning ecology (activities, spaces, knowledge, partners) "
        "is recorded yet: what shows here means “not recorded”, not “no activity”.",
    },
    "actions": {"th": "สิ่งที่ควรทำก่อน", "en": "What to do first"},
    "to_do": {"th": "ควรทำ", "en": "What to do"},
    "evidence": {"th": "หลักฐาน", "en": "Evidence"},
    "n_findings": {"th": "ข้อค้นพบ {n} รายการใน {c} เมือง", "en": "{n} finding(s) in {c} city(ies)"},
    "see_findings": {"th": "ดูข้อค้นพบ", "en": "see the findings"},
    "ranking_rule": {"th": "วิธีจัดลำดับ", "en": "How these are ranked"},
    "since_previous": {"th": "การเปลี่ยนแปลงจากการวิเคราะห์ครั้งก่อน", "en": "Since the previous analysis"},
    "new_gaps": {"th": "ช่องว่างใหม่ {n}", "en": "{n} new gap(s)"},
    "closed_gaps": {"th": "ปิดได้แล้ว {n}", "en": "{n} closed"},
    "persisting_gaps": {"th": "ยังคงอยู่ {n}", "en": "{n} persisting"},
    "closed_list": {"th": "ช่องว่างที่ปิดได้แล้ว", "en": "Gaps closed"},
    "new_list": {"th": "ช่องว่างใหม่", "en": "New gaps"},
    "all_groups": {"th": "ข้อค้นพบทุกกลุ่ม", "en": "All groups of findings"},
    "page_of": {"th": "หน้า {page} จาก {pages}", "en": "Page {page} of {pages}"},
    "all_of_kind": {"th": "ดูทั้งหมด {n} รายการ", "en": "All {n} of this kind"},
    "scorecard_note": {
        "th": "อ่านจากสิ่งที่บันทึกในกราฟ (ตัวชี้วัดแทน) ไม่ใช่การประเมินของ UNESCO",
        "en": "Read from what the graph records (stated proxies), not a UNESCO assessment.",
    },
    "gnlc_feature": {"th": "องค์ประกอบ GNLC", "en": "GNLC key feature"},
    "status": {"th": "สถานะ", "en": "Status"},
    "what_graph_shows": {"th": "สิ่งที่กราฟแสดง", "en": "What the graph shows"},
    "status_evident": {"th": "มีหลักฐาน", "en": "evident"},
    "status_partial": {"th": "บางส่วน", "en": "partial"},
    "status_missing": {"th": "ยังไม่มี", "en": "missing"},
    "larger_view": {"th": "ดูภาพขนาดใหญ่", "en": "Larger view"},
    "network_caption": {
        "th": "ความร่วมมือระหว่างเมือง ภาคี และนักจัดการการเรียนรู้ สี = กลุ่ม วงแดง = ตัวกลางสำคัญ",
        "en": "Ties between cities, partners and administrators; colour = cluster, red ring = key broker.",
    },
    "coverage_caption": {
        "th": "ตัวเลข = จำนวนกิจกรรมที่บันทึก × = ยังไม่มีกิจกรรม (ในเมืองที่มีข้อมูล) "
        "แถบสีเทา = เมืองที่ยังไม่มีข้อมูลบันทึก (ไม่ได้แปลว่าไม่มีกิจกรรม)",
        "en": "Numbers = activities recorded; × = none recorded in a city whose ecology is recorded; "
        "grey band = a city with nothing recorded yet (which is not the same as no activity).",
    },
    "unrecorded_cities": {
        "th": "เมืองที่ยังไม่มีข้อมูลนิเวศการเรียนรู้บันทึกไว้ ({n} เมือง):",
        "en": "Cities whose learning ecology is not recorded yet ({n}):",
    },
    "resource_page": {"th": "หน้าข้อมูลของรายการนี้", "en": "Its resource page"},
    "not_recorded": {"th": "ยังไม่มีข้อมูลบันทึก", "en": "nothing recorded yet"},
    "city_nothing_recorded": {
        "th": "ยังไม่มีการบันทึกพื้นที่ กิจกรรม ตัวความรู้ หรือภาคีของเมืองนี้ในกราฟ หมายถึง “ยังไม่ได้บันทึก” ไม่ใช่ “ไม่มีกิจกรรม”",
        "en": "No learning space, activity, knowledge asset or partner of this city is recorded in the "
        "graph yet: that means “not recorded”, not “no activity”.",
    },
    # The query checker's sentences (lcgraph.web.sparql_check).
    "check_syntax": {
        "en": "Syntax error at line {line}, column {column}",
        "th": "ไวยากรณ์ผิดที่บรรทัด {line} ตำแหน่ง {column}",
    },
    "check_found": {"en": "found {token}", "th": "พบ {token}"},
    "check_end": {"en": "the query ends here", "th": "คำค้นจบตรงนี้"},
    "check_expected": {"en": "expected e.g. {tokens}", "th": "ควรเป็น เช่น {tokens}"},
    "check_prefix": {
        "en": "The prefix {prefix}: is not declared",
        "th": "ยังไม่ได้ประกาศ prefix {prefix}:",
    },
    "check_add_prefix": {"en": "add the line {line}", "th": "เพิ่มบรรทัด {line}"},
    "check_unbound": {
        "en": "a variable in SELECT is not bound in the pattern (with GROUP BY, select only grouped "
        "variables or aggregates)",
        "th": "ตัวแปรใน SELECT ไม่ได้ผูกค่าในรูปแบบ (เมื่อใช้ GROUP BY เลือกได้เฉพาะตัวแปรที่จัดกลุ่มหรือค่ารวม)",
    },
    "check_other": {"en": "The query cannot be read: {detail}", "th": "อ่านคำค้นไม่ได้: {detail}"},
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


def word(key: str, lang: str, **values: object) -> str:
    """The word or sentence ``key`` in ``lang`` (English when missing), with ``{name}`` filled in."""
    entry = TEXT.get(key)
    if entry is None:
        return key
    text = entry.get(lang) or entry["en"]
    return text.format(**values) if values else text


def translator(lang: str):  # noqa: ANN201 - a small closure for templates
    """``t("key", n=3)`` for templates: the word in ``lang``, falling back to English."""

    def t(key: str, **values: object) -> str:
        return word(key, lang, **values)

    return t


def words(lang: str, *keys: str) -> dict[str, str]:
    """Several words at once, for a page's scripts."""
    return {k: word(k, lang) for k in keys}


def format_when(when: dt.datetime | dt.date | str | None, lang: str) -> str:
    """A date or timestamp as readers expect it: Buddhist Era in Thai, day month year in English.

    Strings are read as ISO 8601 (``2023-08-22``, ``2023-08-22T10:00:00+07:00``)
    and shown unchanged when they are not.
    """
    if when is None or when == "":
        return "—"
    if isinstance(when, str):
        raw = when
        try:
            when = dt.datetime.fromisoformat(raw) if "T" in raw else dt.date.fromisoformat(raw)
        except ValueError:
            return raw
    day = when.date() if isinstance(when, dt.datetime) else when
    if lang == "th":
        text = to_buddhist_era(day)
        return f"{text} {when:%H:%M} น." if isinstance(when, dt.datetime) else text
    text = f"{day.day} {day:%B %Y}"
    return f"{text} {when:%H:%M}" if isinstance(when, dt.datetime) else text
