"""The `lcgraph` command line, run as a real process on a temp data directory."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

HISTORY = "https://w3id.org/lcgraph/graph/history"
LCGRAPH = str(Path(sys.executable).parent / "lcgraph")

TTL = """@prefix ex: <http://example.org/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
ex:library a ex:Space ; rdfs:label "ห้องสมุด"@th, "Library"@en .
ex:museum a ex:Space ; rdfs:label "Museum"@en .
"""


def lcgraph(*args: str | Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([LCGRAPH, *map(str, args)], capture_output=True, text=True, timeout=120)
    if check and proc.returncode != 0:
        raise AssertionError(f"lcgraph {args} failed ({proc.returncode}): {proc.stderr}")
    return proc


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "store"


@pytest.fixture
def loaded(tmp_path: Path, data_dir: Path) -> Path:
    f = tmp_path / "spaces.ttl"
    f.write_text(TTL, encoding="utf-8")
    lcgraph("load", "--data", data_dir, "--graph", "http://example.org/g", f)
    return data_dir


def test_help_lists_the_commands() -> None:
    out = lcgraph("--help").stdout
    for command in ("init", "load", "query", "export", "stats", "validate", "generate"):
        assert command in out, command


def test_load_then_query_as_csv_and_json(loaded: Path) -> None:
    q = "SELECT ?s WHERE { ?s a <http://example.org/Space> } ORDER BY ?s"
    csv = lcgraph("query", "--data", loaded, "--format", "csv", q).stdout
    assert csv.splitlines()[:3] == ["s", "http://example.org/library", "http://example.org/museum"]
    rows = json.loads(lcgraph("query", "--data", loaded, "--format", "json", q).stdout)
    assert [b["s"]["value"] for b in rows["results"]["bindings"]] == [
        "http://example.org/library",
        "http://example.org/museum",
    ]


def test_construct_prints_turtle(loaded: Path) -> None:
    out = lcgraph("query", "--data", loaded, "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }").stdout
    assert "ห้องสมุด" in out and "@th" in out


def test_export_one_graph_and_the_dataset(loaded: Path, tmp_path: Path) -> None:
    nt = lcgraph("export", "--data", loaded, "--graph", "http://example.org/g", "--format", "nt").stdout
    assert len(nt.strip().splitlines()) == 5
    out = tmp_path / "all.nq"
    lcgraph("export", "--data", loaded, "--format", "nquads", "--out", out)
    lines = out.read_text().splitlines()
    assert sum(line.endswith("<http://example.org/g> .") for line in lines) == 5
    # The rest is the load's change-set in the history graph.
    assert all(line.endswith(("<http://example.org/g> .", f"<{HISTORY}> .")) for line in lines)


def test_stats_json(loaded: Path) -> None:
    info = json.loads(lcgraph("stats", "--data", loaded, "--json").stdout)
    assert info["graphs"]["http://example.org/g"] == 5
    assert set(info["graphs"]) == {"http://example.org/g", HISTORY}
    assert info["classes"]["http://example.org/Space"] == 2


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("bad.ttl", "@prefix ex: <http://example.org/> .\nex:a ex:b .\n", "bad.ttl:2:"),
        ("empty.ttl", "", "empty"),
        ("data.csv", "a,b\n", "extension"),
    ],
)
def test_bad_input_is_one_line_exit_2_store_untouched(
    loaded: Path, tmp_path: Path, name: str, content: str, message: str
) -> None:
    before = lcgraph("export", "--data", loaded, "--format", "nquads").stdout
    f = tmp_path / name
    f.write_text(content, encoding="utf-8")
    proc = lcgraph("load", "--data", loaded, f, check=False)
    assert proc.returncode == 2
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert lcgraph("export", "--data", loaded, "--format", "nquads").stdout == before


def test_missing_file_and_unknown_format(loaded: Path, tmp_path: Path) -> None:
    proc = lcgraph("load", "--data", loaded, tmp_path / "nope.ttl", check=False)
    assert proc.returncode == 2 and "no such file" in proc.stderr
    f = tmp_path / "x.ttl"
    f.write_text(TTL)
    proc = lcgraph("load", "--data", loaded, "--format", "yaml", f, check=False)
    assert proc.returncode == 2 and "unknown format 'yaml'" in proc.stderr


def test_query_syntax_error_and_missing_store(loaded: Path, tmp_path: Path) -> None:
    proc = lcgraph("query", "--data", loaded, "SELEC ?s WHERE { ?s ?p ?o }", check=False)
    assert proc.returncode == 2 and "syntax" in proc.stderr.lower()
    proc = lcgraph("stats", "--data", tmp_path / "nowhere", check=False)
    assert proc.returncode == 2 and "lcgraph init" in proc.stderr


BAD_CITY = """@prefix lc: <https://w3id.org/lcgraph/def#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
<https://w3id.org/lcgraph/id/city/nowhere> a lc:LearningCity ; rdfs:label "Nowhere"@en .
"""


def test_load_checks_the_shapes_and_force_is_recorded(tmp_path: Path, data_dir: Path) -> None:
    lcgraph("init", "--data", data_dir)
    before = lcgraph("export", "--data", data_dir, "--format", "nquads").stdout
    f = tmp_path / "city.ttl"
    f.write_text(BAD_CITY, encoding="utf-8")
    refused = lcgraph("load", "--data", data_dir, f, check=False)
    assert refused.returncode == 1
    assert "province" in refused.stderr and "nothing was written" in refused.stderr
    assert lcgraph("export", "--data", data_dir, "--format", "nquads").stdout == before
    forced = lcgraph("load", "--data", data_dir, "--force", "--agent", "test-admin", f)
    assert "quads added" in forced.stderr
    q = (
        "PREFIX lc: <https://w3id.org/lcgraph/def#> SELECT ?added WHERE { "
        "?c a lc:ChangeSet ; lc:forced true ; lc:triplesAdded ?added }"
    )
    assert lcgraph("query", "--data", data_dir, "--format", "csv", q).stdout.split() == ["added", "2"]


def test_export_keeps_personal_data_private_unless_asked(data_dir: Path) -> None:
    lcgraph("init", "--data", data_dir, "--examples")
    public = lcgraph("export", "--data", data_dir, "--format", "nquads").stdout
    assert "example-north-1@example.org" not in public and "graph/private>" not in public
    assert "https://w3id.org/lcgraph/graph/examples" in public
    everything = lcgraph("export", "--data", data_dir, "--format", "nquads", "--include-private").stdout
    assert "example-north-1@example.org" in everything
    north = lcgraph("export", "--data", data_dir, "--format", "nt", "--city", "example-north").stdout
    assert "example-north" in north and 0 < len(north.splitlines()) < len(public.splitlines())
    unknown = lcgraph("export", "--data", data_dir, "--city", "atlantis", check=False)
    assert unknown.returncode == 2 and "example-north" in unknown.stderr
