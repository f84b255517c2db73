"""Read the dates partners write, in the Buddhist or the Common Era.

For the importer, the canned queries' date parameters and the pages that
show dates (below all of them: it depends on nothing in lcgraph). Thai
offices write dates as ``22/08/2566`` or
``22 สิงหาคม 2566`` (Buddhist Era, BE = CE + 543); others write
``2023-08-22``. We store ``xsd:date`` in the Common Era, so every form is
turned into a :class:`datetime.date` here, and a date that does not exist
(``31/02/2566``) is refused with a message in Thai and English.

How the era is decided: an explicit marker wins (``พ.ศ.``/``BE`` or
``ค.ศ.``/``CE``/``AD``); otherwise a year from 2400 on is Buddhist Era and a
year below 2300 is Common Era. Years in between fit neither calendar's
plausible range for this data and are refused rather than guessed.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from pythainlp.util.date import thai_abbr_months, thai_full_months

BE_OFFSET = 543
# Years at or above this are Buddhist Era when no era is written.
BE_THRESHOLD = 2400
# Years below this are Common Era when no era is written.
CE_LIMIT = 2300

_THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")

_ENGLISH_MONTHS = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
]


def _month_names() -> dict[str, int]:
    names: dict[str, int] = {}
    for i, (full, abbr, en) in enumerate(
        zip(thai_full_months, thai_abbr_months, _ENGLISH_MONTHS, strict=True), 1
    ):
        names[full] = i
        names[abbr] = i
        names[abbr.replace(".", "")] = i  # "สค" written without dots
        names[en] = i
        names[en[:3]] = i
    names["sept"] = 9
    return names


_MONTHS = _month_names()

_BE_MARK = r"(?:พ\.?\s?ศ\.?|b\.?\s?e\.?)"
_CE_MARK = r"(?:ค\.?\s?ศ\.?|c\.?\s?e\.?|a\.?\s?d\.?)"
_ERA = rf"(?P<era>{_BE_MARK}|{_CE_MARK})?"

_ISO = re.compile(rf"^{_ERA}\s*(?P<y>\d{{4}})-(?P<m>\d{{1,2}})-(?P<d>\d{{1,2}})$", re.I)
_NUMERIC_DMY = re.compile(rf"^(?P<d>\d{{1,2}})[/.\-](?P<m>\d{{1,2}})[/.\-]\s*{_ERA}\s*(?P<y>\d{{4}})$", re.I)
_WORDS_DMY = re.compile(rf"^(?P<d>\d{{1,2}})\s*(?P<mon>[^\d\s,]+)\s*,?\s*{_ERA}\s*(?P<y>\d{{4}})$", re.I)
_WORDS_MDY = re.compile(rf"^(?P<mon>[a-z]+\.?)\s+(?P<d>\d{{1,2}}),?\s+{_ERA}\s*(?P<y>\d{{4}})$", re.I)
_ERA_AFTER = re.compile(rf"^(?P<body>.*?\d{{4}})\s*(?P<era>{_BE_MARK}|{_CE_MARK})$", re.I)


@dataclass(frozen=True)
class DateError(ValueError):
    """A date could not be read; the messages say why in Thai and English."""

    text: str
    message_th: str
    message_en: str

    def __str__(self) -> str:
        return f"{self.message_en} / {self.message_th}"


def _is_be_mark(era: str | None) -> bool | None:
    if not era:
        return None
    return re.fullmatch(_BE_MARK, era.strip(), re.I) is not None


def _ce_year(year: int, era_is_be: bool | None, text: str) -> int:
    if era_is_be is True:
        return year - BE_OFFSET
    if era_is_be is False:
        return year
    if year >= BE_THRESHOLD:
        return year - BE_OFFSET
    if year < CE_LIMIT:
        return year
    raise DateError(
        text,
        f"ปี {year} ไม่ชัดเจนว่าเป็น พ.ศ. หรือ ค.ศ.: ระบุ 'พ.ศ.' หรือ 'ค.ศ.' หน้าปี",
        f"year {year} is neither a plausible Buddhist Era nor Common Era year: write 'พ.ศ.'/'BE' or 'CE'",
    )


def _build(text: str, day: int, month: int, year: int, era_is_be: bool | None) -> dt.date:
    ce = _ce_year(year, era_is_be, text)
    if not 1 <= month <= 12:
        raise DateError(
            text, f"ไม่มีเดือนที่ {month} (ต้องเป็น 1–12)", f"there is no month {month} (months are 1-12)"
        )
    try:
        return dt.date(ce, month, day)
    except ValueError:
        raise DateError(
            text,
            f"ไม่มีวันที่ {day} ใน{thai_full_months[month - 1]} ปี พ.ศ. {ce + BE_OFFSET}",
            f"the date does not exist: {_ENGLISH_MONTHS[month - 1].title()} {ce} has no day {day}",
        ) from None


def _month_number(name: str, text: str) -> int:
    key = re.sub(r"\s+", "", name.strip().lower())
    month = _MONTHS.get(key) or _MONTHS.get(key.rstrip("."))
    if month is None:
        raise DateError(text, f"ไม่รู้จักชื่อเดือน '{name}'", f"unknown month name '{name}'")
    return month


def parse_date(value: object) -> dt.date:
    """Return the Common Era date written in ``value``.

    Accepts ``date``/``datetime`` objects (spreadsheet cells; a year from
    2400 on is taken as Buddhist Era) and the text forms ``2023-08-22``,
    ``2566-08-22``, ``22/08/2566``, ``22-8-2023``, ``22 สิงหาคม 2566``,
    ``22 ส.ค. 2566``, ``22 August 2023``, ``Aug 22, 2023``, with Thai digits
    and era markers. Two-digit years (``22/08/66``) are refused as ambiguous.
    Raises :class:`DateError` otherwise.
    """
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        if value.year >= BE_THRESHOLD:
            return _build(value.isoformat(), value.day, value.month, value.year, True)
        return value
    text = str(value).translate(_THAI_DIGITS).strip()
    original = str(value)
    if not text:
        raise DateError(original, "ไม่ได้กรอกวันที่", "the date is empty")
    trailing_era: str | None = None
    after = _ERA_AFTER.match(text)
    if after and not _ISO.match(text):
        text, trailing_era = after.group("body").strip(), after.group("era")
    for pattern in (_ISO, _NUMERIC_DMY):
        m = pattern.match(text)
        if m:
            era = _is_be_mark(m.group("era") or trailing_era)
            return _build(original, int(m.group("d")), int(m.group("m")), int(m.group("y")), era)
    for pattern in (_WORDS_DMY, _WORDS_MDY):
        m = pattern.match(text)
        if m:
            era = _is_be_mark(m.group("era") or trailing_era)
            month = _month_number(m.group("mon"), original)
            return _build(original, int(m.group("d")), month, int(m.group("y")), era)
    raise DateError(
        original,
        f"อ่านวันที่ '{original}' ไม่ได้: ใช้รูปแบบ 22/08/2566, 22 สิงหาคม 2566 หรือ 2023-08-22",
        f"cannot read the date '{original}': write it as 22/08/2566, 22 สิงหาคม 2566 or 2023-08-22",
    )


def to_buddhist_era(date: dt.date) -> str:
    """Show a date the way Thai readers expect: ``22 สิงหาคม 2566``."""
    return f"{date.day} {thai_full_months[date.month - 1]} {date.year + BE_OFFSET}"
