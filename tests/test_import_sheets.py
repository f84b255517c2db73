"""Partner imports end to end: CSV and XLSX in, RDF with provenance out, or nothing and a report.

Real on-disk stores, a real server for the HTTP routes and the real
``lcgraph`` executable for the commands. For every bad input the store is
dumped before and after and must be byte-for-byte the same.
"""

from __future__ import annotations

import csv
import datetime as dt
import gc
import io
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
from conftest import DEFAULT_TOKENS
from openpyxl import Workbook
from test_validation_data import ID, LC, V, base_dataset

from lcgraph.ingest.history import list_changes
from lcgraph.ingest.importer import IMPORT_GRAPHS, import_bytes, import_file
from lcgraph.ingest.sheets import MAX_BYTES
from lcgraph.ingest.templates import TEMPLATES
from lcgraph.namespaces import GRAPH_ONTOLOGY, GRAPH_PRIVATE, GRAPH_VOCAB
from lcgraph.store import Dataset

PROV = "http://www.w3.org/ns/prov#"
LCGRAPH = str(Path(sys.executable).parent / "lcgraph")


def sheet_csv(template: str, rows: list[dict[str, str]], headers: list[str] | None = None) -> bytes:
    t = TEMPLATES[template]
    keys = headers or [c.key for c in t.columns]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([t.column(k).header if t.column(k) else k for k in keys])  # type: ignore[union-attr]
    for row in rows:
        writer.writerow([row.get(k, "") for k in keys])
    return out.getvalue().encode("utf-8-sig")


def sheet_xlsx(template: str, rows: list[dict[str, object]]) -> bytes:
    t = TEMPLATES[template]
    wb = Workbook()
    ws = wb.active
    ws.append([c.header for c in t.columns])
    for row in rows:
        ws.append([row.get(c.key) for c in t.columns])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def dump(ds: Dataset) -> bytes:
    return b"\n".join(sorted(ox.serialize(ds._store, format=ox.RdfFormat.N_QUADS).splitlines()))


@pytest.fixture
def ds(tmp_path: Path) -> Dataset:
    return base_dataset(str(tmp_path / "store"))


SPACES = [
    {
        "name_th": "ห้องสมุดตัวอย่าง",
        "name_en": "Example Library",
        "city": "Test City A",
        "province": "พะเยา",
        "space_type": "ห้องสมุด",
        "managed_by": "Partner P1",
        "latitude": "19.17",
        "longitude": "99.90",
    },
    {
        "id": "riverside-market",
        "name_th": "ตลาดริมน้ำตัวอย่าง",
        "name_en": "Example Riverside Market",
        "city": "test-b",
        "province": "TH-57",
        "space_type": "market; community-space",
    },
]


def test_import_csv_lands_in_its_own_graph_with_provenance(ds: Dataset) -> None:
    result = import_bytes(ds, "spaces", sheet_csv("spaces", SPACES), "spaces.csv", agent="officer")
    assert result.written and result.ok, result.report.text()
    assert result.entities == [ID + "space/riverside-market", ID + "space/test-a-example-library"]
    assert result.graph and result.graph.startswith(IMPORT_GRAPHS + "spaces/")
    g = f"<{result.graph}>"
    assert ds.ask(f"""PREFIX prov: <{PROV}> PREFIX dct: <http://purl.org/dc/terms/>
        ASK {{ GRAPH {g} {{ {g} prov:wasGeneratedBy ?act ; prov:wasAttributedTo <{ID}agent/officer> ;
                            prov:generatedAtTime ?t ; prov:wasDerivedFrom ?file .
            ?act prov:used ?file, <{ID}template/spaces> ; prov:startedAtTime ?s .
            ?file dct:title "spaces.csv" ; dct:identifier ?sha .
            FILTER(STRSTARTS(?sha, "sha256:")) }} }}""")
    assert ds.ask(
        f"ASK {{ GRAPH {g} {{ <{ID}space/riverside-market> <{LC}spaceType> "
        f"<{V}space-type/community-space> }} }}"
    )
    change = list_changes(ds)[0]
    assert (change.agent, change.added) == ("officer", result.added)
    assert result.graph in change.graphs


def test_reimport_updates_and_never_duplicates(ds: Dataset) -> None:
    first = import_bytes(ds, "spaces", sheet_csv("spaces", SPACES), "spaces.csv", agent="officer")
    # The first row is keyed by its English name, the second by its id (which survives a rename).
    edited = [dict(SPACES[0], latitude="19.25"), dict(SPACES[1], name_en="Riverside Market (renamed)")]
    second = import_bytes(ds, "spaces", sheet_csv("spaces", edited), "spaces-v2.csv", agent="officer")
    assert second.written and second.entities == first.entities
    rows = ds.select(
        f"SELECT ?s (COUNT(?l) AS ?n) WHERE {{ ?s a <{LC}LearningSpace> ; "
        f"<http://www.w3.org/2000/01/rdf-schema#label> ?l }} GROUP BY ?s"
    )
    counts = {r["s"].value: int(r["n"].value) for r in rows}
    assert counts[ID + "space/test-a-example-library"] == counts[ID + "space/riverside-market"] == 2
    english = ds.select(
        f"SELECT ?l WHERE {{ <{ID}space/riverside-market> "
        f"<http://www.w3.org/2000/01/rdf-schema#label> ?l FILTER(lang(?l) = 'en') }}"
    )
    assert [r["l"].value for r in english] == ["Riverside Market (renamed)"]
    lat = ds.select(
        f"SELECT ?v WHERE {{ <{ID}space/test-a-example-library> "
        f"<http://www.w3.org/2003/01/geo/wgs84_pos#lat> ?v }}"
    )
    assert [r["v"].value for r in lat] == ["19.25"]
    # The first import's graph now holds only its own provenance.
    assert not ds.ask(f"ASK {{ GRAPH <{first.graph}> {{ ?s a <{LC}LearningSpace> }} }}")
    assert ds.ask(f"ASK {{ GRAPH <{first.graph}> {{ <{first.graph}> ?p ?o }} }}")


def test_xlsx_activities_with_be_dates_and_age_ranges(ds: Dataset) -> None:
    rows = [
        {
            "name_th": "เวิร์กชอปตัวอย่าง",
            "name_en": "Example workshop",
            "city": "Test City A",
            "location": "Space S1",
            "organizer": "Partner P1; Test City A",
            "age_range": "60+",
            "theme": "ภูมิปัญญาท้องถิ่น; history",
            "building_block": "learning-families-communities",
            "uses_asset": "Asset A1",
            "start_date": "22 สิงหาคม 2566",
            "end_date": dt.datetime(2566, 8, 23),
        },
        {
            "name_th": "ค่ายเยาวชนตัวอย่าง",
            "city": "เมืองทดสอบ ข",
            "organizer": "Partner P2",
            "age_range": "15-24",
            "theme": "environment",
            "start_date": "2023-12-01",
        },
    ]
    result = import_bytes(
        ds, "activities", sheet_xlsx("activities", rows), "activities.xlsx", agent="officer"
    )
    assert result.written, result.report.text()
    first = ID + "activity/test-a-example-workshop-2023-08-22"
    assert first in result.entities
    values = {(r["p"].value, r["o"].value) for r in ds.select(f"SELECT ?p ?o WHERE {{ <{first}> ?p ?o }}")}
    assert ("https://schema.org/startDate", "2023-08-22") in values
    assert ("https://schema.org/endDate", "2023-08-23") in values
    assert (LC + "ageGroup", V + "age-group/older-people") in values
    assert (LC + "minAge", "60") in values and (LC + "maxAge", "120") in values
    assert ("https://schema.org/organizer", ID + "city/test-a") in values
    # No English name: usable, with a warning that points at the row.
    warning = next(f for f in result.report.findings if f.severity == "Warning")
    assert warning.row == 3 and warning.source == "activities.xlsx"


def test_administrators_keep_personal_data_private(ds: Dataset) -> None:
    rows = [
        {
            "name_th": "ผู้ดูแลตัวอย่าง",
            "name_en": "Example Administrator",
            "city": "test-a; test-b",
            "member_of": "Partner P1",
            "email": "admin@example.org",
        }
    ]
    result = import_bytes(
        ds, "administrators", sheet_csv("administrators", rows), "people.csv", agent="officer"
    )
    assert result.written, result.report.text()
    person = result.entities[0]
    assert "example" not in person.lower()  # no names in IRIs of people
    graphs = {
        r["g"].value
        for r in ds.select(
            f"SELECT ?g WHERE {{ GRAPH ?g {{ <{person}> <https://schema.org/email> ?e }} }}",
            include_private=True,
        )
    }
    assert graphs == {str(GRAPH_PRIVATE)}


def _bad_cases() -> dict[str, tuple[str, bytes, str, dict[str, object]]]:
    good = SPACES[0]
    activity = {
        "name_th": "กิจกรรม",
        "city": "test-a",
        "organizer": "Partner P1",
        "age_range": "60+",
        "theme": "history",
    }
    too_big = sheet_csv("spaces", [good]) + (b"x" * 1000 + b"\n") * (50 * 1024)
    return {
        "wrong template": (
            "spaces",
            sheet_csv("activities", [activity]),
            "looks like the 'activities' template",
            {"row": 1},
        ),
        "missing required column": (
            "spaces",
            sheet_csv("spaces", [good], ["name_th", "city", "latitude"]),
            "required column",
            {"row": 1},
        ),
        "date that does not exist": (
            "activities",
            sheet_csv("activities", [dict(activity, start_date="31/02/2566")]),
            "does not exist",
            {"row": 2, "column_name": "วันเริ่ม / start_date"},
        ),
        "unknown province": (
            "spaces",
            sheet_csv("spaces", [dict(good, province="Atlantis")]),
            "unknown province",
            {"row": 2, "column_name": "จังหวัด / province"},
        ),
        "province of another city": (
            "spaces",
            sheet_csv("spaces", [dict(good, province="เชียงราย")]),
            "is in TH-56",
            {"row": 2},
        ),
        "text in a number column": (
            "spaces",
            sheet_csv("spaces", [dict(good, latitude="north")]),
            "not a number",
            {"row": 2, "column": "H"},
        ),
        "duplicate row": (
            "spaces",
            sheet_csv("spaces", [good, SPACES[1], good]),
            "repeats row 2",
            {"row": 4},
        ),
        "unknown city": (
            "spaces",
            sheet_csv("spaces", [dict(good, city="Atlantis", province="")]),
            "no learning city 'Atlantis'",
            {"row": 2},
        ),
        "outside Thailand (a shape)": (
            "spaces",
            sheet_csv("spaces", [dict(good, latitude="50.0")]),
            "inside Thailand",
            {"row": 2, "column_name": "ละติจูด / latitude"},
        ),
        "50 MB sheet": ("spaces", too_big, "too large", {}),
        "not a spreadsheet": ("spaces", b"PK\x03\x04 this is not a workbook", "not a readable Excel", {}),
        "unknown template": ("buildings", sheet_csv("spaces", [good]), "unknown template", {}),
        "only a header": ("spaces", sheet_csv("spaces", []), "no data rows", {}),
    }


BAD = _bad_cases()


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_gets_a_bilingual_report_and_changes_nothing(ds: Dataset, case: str) -> None:
    template, data, expected, where = BAD[case]
    before = dump(ds)
    result = import_bytes(ds, template, data, "bad.xlsx" if data.startswith(b"PK") else "bad.csv", agent="x")
    assert not result.ok and not result.written
    assert dump(ds) == before
    hits = [f for f in result.report.findings if f.severity == "Violation" and expected in f.message_en]
    assert hits, result.report.text()
    finding = hits[0]
    assert any("\u0e00" <= ch <= "\u0e7f" for ch in finding.message_th)
    for key, value in where.items():
        assert getattr(finding, key) == value, (key, finding)


def test_dry_run_writes_nothing(ds: Dataset) -> None:
    before = dump(ds)
    result = import_bytes(ds, "spaces", sheet_csv("spaces", SPACES), "spaces.csv", agent="x", dry_run=True)
    assert result.ok and not result.written and len(result.entities) == 2
    assert dump(ds) == before


def test_large_file_on_disk_is_refused_before_reading(ds: Dataset, tmp_path: Path) -> None:
    big = tmp_path / "big.csv"
    with open(big, "wb") as fh:
        fh.truncate(MAX_BYTES + 1)
    result = import_file(ds, "spaces", big, agent="x")
    assert not result.ok and "too large" in result.report.findings[0].message_en


# -- HTTP ----------------------------------------------------------------------------

ADMIN_TOKEN = "test-admin-token-0003"


def _prepare(server: object) -> None:
    ds = server.dataset  # type: ignore[attr-defined]
    from test_validation_data import ECOLOGY, vocab_ntriples

    from lcgraph import resources

    ds.load_path(resources.ONTOLOGY_FILE, graph=str(GRAPH_ONTOLOGY))
    ds.load_bytes(vocab_ntriples(), "ntriples", graph=str(GRAPH_VOCAB))
    ds.update(ECOLOGY)
    server.app.state.runtime.mark_written()  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def server(module_server_factory: Callable[..., object]) -> object:
    s = module_server_factory(tokens=DEFAULT_TOKENS + ",chief:test-admin-token-0003:write+admin")
    _prepare(s)
    return s


def test_http_import_ok_then_refused_with_report(server: object) -> None:
    url, headers = server.url, server.write_headers  # type: ignore[attr-defined]
    files = {"file": ("spaces.csv", sheet_csv("spaces", SPACES), "text/csv")}
    r = httpx.post(url + "/import/spaces", files=files, headers=headers, timeout=60)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["written"] is True and body["entities"] == 2 and body["report"]["conforms"] is True
    ds = server.dataset  # type: ignore[attr-defined]
    before = dump(ds)
    bad = {"file": ("bad.csv", sheet_csv("spaces", [dict(SPACES[0], latitude="50.0")]), "text/csv")}
    r = httpx.post(url + "/import/spaces", files=bad, headers=headers, timeout=60)
    assert r.status_code == 422
    result = r.json()["report"]["results"][0]
    assert result["row"] == 2 and result["columnName"] == "ละติจูด / latitude"
    assert set(result["message"]) == {"th", "en"}
    r = httpx.post(
        url + "/import/spaces", files=bad, headers={**headers, "Accept": "text/turtle"}, timeout=60
    )
    assert r.status_code == 422 and "sh:ValidationReport" in r.text
    assert dump(ds) == before


def test_http_import_refusals(server: object) -> None:
    url, headers = server.url, server.write_headers  # type: ignore[attr-defined]
    files = {"file": ("spaces.csv", sheet_csv("spaces", SPACES), "text/csv")}
    assert httpx.post(url + "/import/spaces", files=files, timeout=60).status_code == 401
    assert (
        httpx.post(url + "/import/spaces?force=true", files=files, headers=headers, timeout=60).status_code
        == 403
    )
    assert httpx.post(url + "/import/buildings", files=files, headers=headers, timeout=60).status_code == 404
    big = {"file": ("big.csv", b"a,b\n" + b"x" * (MAX_BYTES + 10), "text/csv")}
    r = httpx.post(url + "/import/spaces", files=big, headers=headers, timeout=60)
    assert r.status_code == 413 and "too large" in r.text


def test_http_validate_dry_run(server: object) -> None:
    url = server.url  # type: ignore[attr-defined]
    ds = server.dataset  # type: ignore[attr-defined]
    before = dump(ds)
    turtle = (
        f'<{ID}space/probe> a <{LC}LearningSpace> ; <http://www.w3.org/2000/01/rdf-schema#label> "ทดลอง"@th .'
    ).encode()
    r = httpx.post(url + "/validate", content=turtle, headers={"Content-Type": "text/turtle"}, timeout=60)
    assert r.status_code == 200 and r.json()["conforms"] is False
    paths = {x["path"] for x in r.json()["report"]["results"] if x["severity"] == "Violation"}
    assert f"<{LC}city>" in paths
    r = httpx.post(
        url + "/validate", content=b"<a> <b> .", headers={"Content-Type": "text/turtle"}, timeout=60
    )
    assert r.status_code == 400 and r.json()["report"]["results"][0]["line"] == 1
    # The whole store (personal data included, minutes at national scale): administrators only.
    r = httpx.post(url + "/validate?all=true", headers={"Accept": "application/ld+json"}, timeout=120)
    assert r.status_code == 401
    admin = {"Authorization": "Bearer test-admin-token-0003", "Accept": "application/ld+json"}
    r = httpx.post(url + "/validate?all=true", headers=admin, timeout=120)
    assert r.status_code == 200 and "ValidationReport" in r.text
    assert dump(ds) == before


# -- command line ----------------------------------------------------------------------


def test_cli_import_history_and_validate(tmp_path: Path) -> None:
    store = tmp_path / "store"
    ds = base_dataset(str(store))
    del ds
    gc.collect()  # release the store for the child processes
    good, bad = tmp_path / "spaces.csv", tmp_path / "bad.csv"
    good.write_bytes(sheet_csv("spaces", SPACES))
    bad.write_bytes(sheet_csv("spaces", [dict(SPACES[0], start_date="x", province="Atlantis")]))

    def run(*args: object) -> subprocess.CompletedProcess[str]:
        return subprocess.run([LCGRAPH, *map(str, args)], capture_output=True, text=True, timeout=120)

    ok = run("import", "spaces", good, "--data", store, "--agent", "officer")
    assert ok.returncode == 0, ok.stderr + ok.stdout
    assert "imported 2 spaces" in ok.stdout
    refused = run("import", "spaces", bad, "--data", store, "--json")
    assert refused.returncode == 1
    report = json.loads(refused.stdout)["report"]
    assert report["results"][0]["row"] == 2 and "Atlantis" in report["results"][0]["message"]["en"]
    history = run("history", "--data", store, "--json")
    assert [c["agent"] for c in json.loads(history.stdout)] == ["officer"]
    ttl = tmp_path / "probe.ttl"
    ttl.write_text(f"<{ID}space/probe> a <{LC}LearningSpace> .")
    checked = run("validate", ttl, "--data", store, "--output", "json")
    assert checked.returncode == 1 and json.loads(checked.stdout)["violations"] >= 3
