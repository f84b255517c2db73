"""Reading a filled-in template (CSV or XLSX) into rows, with limits.

For the importer. Rows keep their spreadsheet numbers (the header is row 1)
and every cell its column letter, so that a report can say "row 7, column D
(เมือง / city)". CSV may be UTF-8 (with or without BOM) or Thai Windows
(cp874); commas, semicolons or tabs separate fields. Files over
``MAX_BYTES`` are refused before they are read.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from dataclasses import dataclass, field

from openpyxl.utils import get_column_letter

from lcgraph.budget import checkpoint

MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 200_000


class SheetError(ValueError):
    """The file cannot be read as a table; messages in Thai and English."""

    def __init__(self, message_th: str, message_en: str) -> None:
        self.message_th = message_th
        self.message_en = message_en
        super().__init__(f"{message_en} / {message_th}")


@dataclass
class Table:
    """Header cells and data rows of the first sheet."""

    headers: list[str]
    rows: list[tuple[int, list[object]]] = field(default_factory=list)
    source: str = "input"


def letter(index: int) -> str:
    """Spreadsheet column letter of a 0-based index (0 -> A)."""
    return get_column_letter(index + 1)


def read_table(data: bytes, filename: str) -> Table:
    """Read CSV or XLSX bytes (told apart by content, then by name)."""
    check_size(len(data))
    if not data.strip():
        raise SheetError("ไฟล์ว่างเปล่า", "the file is empty")
    if data[:2] == b"PK" or filename.lower().endswith((".xlsx", ".xlsm")):
        return _read_xlsx(data, filename)
    return _read_csv(data, filename)


def check_size(size: int) -> None:
    """Refuse a file over ``MAX_BYTES`` before reading it."""
    if size > MAX_BYTES:
        mb = size / 1024 / 1024
        raise SheetError(
            f"ไฟล์ใหญ่เกินไป ({mb:.1f} MB) รับได้ไม่เกิน {MAX_BYTES // 1024 // 1024} MB: แบ่งเป็นหลายไฟล์",
            f"the file is too large ({mb:.1f} MB; the limit is {MAX_BYTES // 1024 // 1024} MB): split it",
        )


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp874"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise SheetError(
        "อ่านตัวอักษรในไฟล์ไม่ได้: บันทึกเป็น CSV UTF-8", "cannot decode the text: save the sheet as CSV UTF-8"
    )


def _read_csv(data: bytes, filename: str) -> Table:
    text = _decode(data)
    first = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        raise SheetError("ไฟล์ไม่มีแถวหัวตาราง", "the file has no header row") from None
    except csv.Error as exc:
        raise SheetError(f"อ่าน CSV ไม่ได้: {exc}", f"cannot read the CSV: {exc}") from None
    table = Table([h.strip() for h in header], source=filename)
    try:
        for number, row in enumerate(reader, start=2):
            _add_row(table, number, list(row))
    except csv.Error as exc:
        raise SheetError(
            f"อ่าน CSV ไม่ได้ที่แถว {reader.line_num}: {exc}",
            f"cannot read the CSV at row {reader.line_num}: {exc}",
        ) from None
    return table


def _add_row(table: Table, number: int, cells: list[object]) -> None:
    checkpoint()  # a dry run stops here when its time is up or its client has gone
    if all(c is None or str(c).strip() == "" for c in cells):
        return
    if len(table.rows) >= MAX_ROWS:
        raise SheetError(
            f"มีข้อมูลเกิน {MAX_ROWS:,} แถว: แบ่งเป็นหลายไฟล์", f"more than {MAX_ROWS:,} rows: split the file"
        )
    table.rows.append((number, cells))


def _read_xlsx(data: bytes, filename: str) -> Table:
    from openpyxl import load_workbook  # ~0.26 s to import: only for XLSX files

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise SheetError(
            f"ไม่ใช่ไฟล์ Excel (.xlsx) ที่อ่านได้: {exc}", f"not a readable Excel (.xlsx) file: {exc}"
        ) from None
    try:
        sheet = wb.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header = next(rows, None)
        if header is None:
            raise SheetError("แผ่นงานแรกว่างเปล่า", "the first sheet is empty")
        table = Table([str(h).strip() if h is not None else "" for h in header], source=filename)
        for number, row in enumerate(rows, start=2):
            _add_row(table, number, [_cell(c) for c in row])
        return table
    finally:
        wb.close()


def _cell(value: object) -> object:
    """Dates stay dates (the importer reads them); numbers keep their text form."""
    if isinstance(value, (dt.datetime, dt.date)) or value is None:
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
