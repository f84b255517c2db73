"""An import's report: every bad value of a row at once; likely codes in the cell's language."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from test_import_sheets import LCGRAPH, dump, sheet_csv
from test_validation_data import base_dataset

from lcgraph.ingest.importer import import_bytes
from lcgraph.ingest.lookups import LookupError_, Lookups
from lcgraph.store import Dataset

GOOD = {
    "name_th": "กิจกรรมอ่านหนังสือ",
    "city": "test-a",
    "organizer": "Partner P1",
    "age_range": "60+",
    "theme": "history",
}


@pytest.fixture
def ds(tmp_path: Path) -> Dataset:
    return base_dataset(str(tmp_path / "store"))


def test_every_bad_value_of_a_row_is_reported_at_once(ds: Dataset) -> None:
    row = dict(GOOD, name_th="", theme="การอ่าน", start_date="31/02/2566", age_range="")
    before = dump(ds)
    result = import_bytes(ds, "activities", sheet_csv("activities", [GOOD, row]), "bad.csv", agent="x")
    assert not result.ok and dump(ds) == before
    findings = result.report.findings
    row_three = {f.column_name.split(" / ")[-1] for f in findings if f.row == 3 and f.column_name}
    # The two missing required values, the unknown theme and the impossible date: one pass shows all four.
    assert {"name_th", "age_range", "theme", "start_date"} <= row_three, result.report.text()
    assert not [f for f in result.report.findings if f.row == 2 and f.severity == "Violation"]


def test_a_misspelt_code_gets_the_likeliest_codes_in_the_cells_language(ds: Dataset) -> None:
    lookups = Lookups(ds)
    with pytest.raises(LookupError_) as thai:
        lookups.concept("theme", "การอ่าน")
    assert "“การรู้หนังสือและการอ่าน” (literacy-reading)" in thai.value.message_th
    assert "did you mean “Literacy and reading” (literacy-reading)" in thai.value.message_en
    with pytest.raises(LookupError_) as english:
        lookups.concept("theme", "toursm")
    assert "(tourism)" in english.value.message_en
    with pytest.raises(LookupError_) as nothing_like:
        lookups.concept("theme", "xyzzy")
    assert "did you mean" not in nothing_like.value.message_en and "e.g." in nothing_like.value.message_en


def test_loading_a_spreadsheet_points_at_import(tmp_path: Path) -> None:
    sheet = tmp_path / "spaces.csv"
    sheet.write_bytes(sheet_csv("spaces", []))
    proc = subprocess.run(
        [LCGRAPH, "load", str(sheet), "--data", str(tmp_path / "store")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    message = " ".join(proc.stderr.split())
    assert "lcgraph import TEMPLATE" in message and "spaces" in message
    assert not (tmp_path / "store").exists(), "the store was created for a file that cannot be loaded"
