"""Reading what partners write in cells: BE/CE dates, provinces, age ranges, code lists, templates."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from openpyxl import load_workbook
from test_validation_data import V

from lcgraph import resources
from lcgraph.dates import DateError, parse_date, to_buddhist_era
from lcgraph.ingest.lookups import LookupError_, Lookups
from lcgraph.ingest.templates import TEMPLATES, get_template, write_blank_templates
from lcgraph.namespaces import GRAPH_VOCAB
from lcgraph.store import Dataset

AUG_22 = dt.date(2023, 8, 22)


@pytest.mark.parametrize(
    "text",
    [
        "2566-08-22",
        "22/08/2566",
        "22 สิงหาคม 2566",
        "2023-08-22",
        "22/8/2566",
        "22-08-2566",
        "22.08.2566",
        "22 ส.ค. 2566",
        "22 สค 2566",
        "๒๒ สิงหาคม ๒๕๖๖",
        "22 สิงหาคม พ.ศ. 2566",
        "22 August 2023",
        "Aug 22, 2023",
        "22/08/2023",
        "22 Aug 2023 CE",
        "พ.ศ. 2566-08-22",
        dt.date(2566, 8, 22),
        dt.datetime(2023, 8, 22, 0, 0),
    ],
)
def test_dates_in_either_era(text: object) -> None:
    assert parse_date(text) == AUG_22


@pytest.mark.parametrize(
    "text,why",
    [
        ("31/02/2566", "does not exist"),
        ("29/02/2566", "does not exist"),
        ("32/01/2023", "does not exist"),
        ("22/13/2566", "no month 13"),
        ("22 Foo 2566", "unknown month"),
        ("22/08/66", "cannot read"),
        ("2350-01-01", "neither"),
        ("", "empty"),
        ("yesterday", "cannot read"),
    ],
)
def test_impossible_dates_are_refused_in_both_languages(text: str, why: str) -> None:
    with pytest.raises(DateError) as info:
        parse_date(text)
    assert why in info.value.message_en
    assert any("\u0e00" <= ch <= "\u0e7f" for ch in info.value.message_th)


def test_leap_day_in_a_be_leap_year() -> None:
    assert parse_date("29/02/2567") == dt.date(2024, 2, 29)
    assert to_buddhist_era(AUG_22) == "22 สิงหาคม 2566"


@pytest.fixture(scope="module")
def lookups() -> Lookups:
    ds = Dataset.memory()
    for f in resources.vocab_files():
        ds.load_path(f, graph=str(GRAPH_VOCAB))
    return Lookups(ds)


@pytest.mark.parametrize("text", ["พะเยา", "จังหวัดพะเยา", "Phayao", "phayao province", "TH-56", "th-56", "56"])
def test_province_by_thai_english_or_code(lookups: Lookups, text: str) -> None:
    assert lookups.province(text) == V + "province/TH-56"


def test_bangkok_and_unknown_province(lookups: Lookups) -> None:
    assert lookups.province("กรุงเทพมหานคร") == V + "province/TH-10"
    assert lookups.province("Bangkok") == V + "province/TH-10"
    with pytest.raises(LookupError_) as info:
        lookups.province("Atlantis")
    assert "unknown province 'Atlantis'" in info.value.message_en and "จังหวัด" in info.value.message_th


@pytest.mark.parametrize(
    "text,groups,low,high",
    [
        ("60+", ["older-people"], 60, 120),
        ("60 ปีขึ้นไป", ["older-people"], 60, 120),
        ("15-24", ["youth"], 15, 24),
        ("15 – 24 ปี", ["youth"], 15, 24),
        ("10-30", ["school-age", "youth", "working-age"], 10, 30),
        ("ทุกช่วงวัย", ["all-ages"], 0, 120),
        ("all ages", ["all-ages"], 0, 120),
        ("0-120", ["all-ages"], 0, 120),
        ("เยาวชน", ["youth"], None, None),
        ("older-people", ["older-people"], None, None),
    ],
)
def test_age_ranges(
    lookups: Lookups, text: str, groups: list[str], low: int | None, high: int | None
) -> None:
    found, lo, hi = lookups.age_range(text)
    assert [g.rsplit("/", 1)[-1] for g in found] == groups
    assert (lo, hi) == (low, high)


@pytest.mark.parametrize("text", ["30-10", "50-130", "teenagers"])
def test_bad_age_ranges(lookups: Lookups, text: str) -> None:
    with pytest.raises(LookupError_):
        lookups.age_range(text)


def test_concepts_by_code_thai_or_english(lookups: Lookups) -> None:
    library = V + "space-type/library"
    assert lookups.concept("space-type", "library") == library
    assert lookups.concept("space-type", "ห้องสมุด") == library
    assert lookups.concept("space-type", "Library") == library
    with pytest.raises(LookupError_) as info:
        lookups.concept("space-type", "spaceship")
    assert "lcv:space-type" in info.value.message_en


def test_templates_by_name_or_kind() -> None:
    assert get_template("space") is get_template("spaces") is TEMPLATES["spaces"]
    assert set(TEMPLATES) == {"spaces", "activities", "assets", "partners", "administrators"}
    for t in TEMPLATES.values():
        assert [c.key for c in t.columns if c.key in ("name_th",)] == ["name_th"]
        assert all(" / " in c.header for c in t.columns)


def test_blank_templates_shipped_match_the_code(tmp_path: Path) -> None:
    written = write_blank_templates(tmp_path)
    assert len(written) == 10
    for t in TEMPLATES.values():
        shipped_csv = resources.TEMPLATES_DIR / f"{t.name}.csv"
        assert shipped_csv.read_bytes() == (tmp_path / f"{t.name}.csv").read_bytes()
        sheet = load_workbook(resources.TEMPLATES_DIR / f"{t.name}.xlsx").worksheets[0]
        assert [c.value for c in sheet[1]] == [c.header for c in t.columns]
