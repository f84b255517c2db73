"""Validated loads of big files (staged on disk): whole or nothing, reports capped, lines named.

Real on-disk stores in temp directories, real synthetic data from the
generator; "unchanged" is checked by comparing sorted N-Quads dumps.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest
from test_validation_data import ID, LC, base_dataset

from lcgraph.bootstrap import initialise
from lcgraph.ingest.history import list_changes
from lcgraph.store import Dataset, LoadError
from lcgraph.synthetic import generate
from lcgraph.validation import bulk_load
from lcgraph.validation.bulk_load import load_validated, validate_side_copy, validate_staged
from lcgraph.validation.files import parse_file
from lcgraph.validation.guarded import ValidationFailed, check_change, default_shapes

DATA = Path(__file__).parent / "data" / "shapes"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
LABEL = "http://www.w3.org/2000/01/rdf-schema#label"


def dump(ds: Dataset) -> bytes:
    return b"\n".join(sorted(ox.serialize(ds._store, format=ox.RdfFormat.N_QUADS).splitlines()))


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("synthetic") / "one-city.nt"
    with open(path, "wb") as out:
        generate(1, 5, out, "nt")
    return path


@pytest.fixture(params=["side-copy", "side-copy-whole", "side-copy-batches-of-7", "staging"])
def route(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """The routes of a staged load: a side copy swapped in (validated in batches of the default size,
    whole, or in batches of 7 focus nodes), or a staging store and a second load."""
    monkeypatch.setenv("LCGRAPH_STAGED_SIDE_COPY", "0" if request.param == "staging" else "1")
    if request.param == "side-copy-whole":
        monkeypatch.setenv("LCGRAPH_STAGED_BATCH_NODES", "0")
    elif request.param == "side-copy-batches-of-7":
        monkeypatch.setenv("LCGRAPH_STAGED_BATCH_NODES", "7")
    return str(request.param)


def no_side_copies(ds: Dataset) -> bool:
    return not any(ds.scratch_dir().iterdir())


@pytest.fixture
def ds(tmp_path: Path) -> Dataset:
    ds = Dataset.open(tmp_path / "store")
    initialise(ds)
    return ds


def _space_lines(name: str, *, city: bool) -> bytes:
    s = f"<{ID}space/{name}>"
    lines = [
        f"{s} <{RDF_TYPE}> <{LC}LearningSpace> .",
        f'{s} <{LABEL}> "พื้นที่ {name}"@th .',
        f'{s} <{LABEL}> "Space {name}"@en .',
    ]
    if city:
        lines.append(f"{s} <{LC}city> <{ID}city/nowhere> .")
    return ("\n".join(lines) + "\n").encode("utf-8")


def test_valid_file_lands_whole_with_history(ds: Dataset, synthetic: Path, route: str) -> None:
    triples = len(list(ox.parse(path=str(synthetic), format=ox.RdfFormat.N_TRIPLES)))
    before = len(ds._store)
    phases: list[str] = []
    result = load_validated(ds, synthetic, agent="steward", phase=lambda name, _size: phases.append(name))
    assert phases == ["reading", "normalising", "handing over", "validating", "reporting", "writing"]
    assert result.report.conforms
    assert result.added == triples
    history = [c for c in list_changes(ds) if c.iri == result.change]
    assert [(c.agent, c.added, c.source) for c in history] == [("steward", triples, f"file {synthetic.name}")]
    history_quads = len(list(ds.quads(ox.NamedNode(result.change), None, None, None)))
    assert len(ds._store) >= before + triples + history_quads
    first = next(ox.parse(path=str(synthetic), format=ox.RdfFormat.N_TRIPLES))
    assert ox.Quad(first.subject, first.predicate, first.object) in ds._store


def test_violation_in_the_last_entity_leaves_the_store_as_it_was(
    ds: Dataset, synthetic: Path, tmp_path: Path, route: str
) -> None:
    bad = tmp_path / "last-is-bad.nt"
    body = synthetic.read_bytes()
    bad.write_bytes(body + _space_lines("last", city=False))
    last_line = body.count(b"\n") + 1
    before = dump(ds)
    with pytest.raises(ValidationFailed) as info:
        load_validated(ds, bad, agent="steward")
    report = info.value.report
    assert dump(ds) == before
    violations = [f for f in report.findings if f.severity == "Violation"]
    assert {f.focus_node for f in violations} == {ID + "space/last"}
    assert f"<{LC}city>" in {f.path for f in violations}
    assert {f.line for f in violations} == {last_line}
    assert all(f.source == str(bad) and f.message_th and f.message_en for f in violations)
    assert no_side_copies(ds)
    ds.apply([ox.Quad(ox.NamedNode(f"{ID}space/after"), ox.NamedNode(LABEL), ox.Literal("x"))])
    assert dump(ds) != before  # the store is still open and writable


def test_a_file_breaking_many_rules_gets_a_capped_summarised_report(
    ds: Dataset, tmp_path: Path, route: str
) -> None:
    bad = tmp_path / "many.nt"
    bad.write_bytes(b"".join(_space_lines(f"s{i}", city=False) for i in range(300)))
    with pytest.raises(ValidationFailed) as info:
        load_validated(ds, bad, cap=50)
    report = info.value.report
    assert len(report.findings) == 50 and report.truncated
    assert report.count("Violation") == 600  # no city, no space type: two per space
    total = sum(report.count(s) for s in ("Violation", "Warning", "Info"))
    assert sum(g["count"] for g in report.summary) == total
    by_path = {g["path"]: g["count"] for g in report.summary if g["severity"] == "Violation"}
    assert by_path == {f"<{LC}city>": 300, f"<{LC}spaceType>": 300}
    body = report.to_json()
    assert body["truncated"] is True and body["violations"] == 600 and len(body["results"]) == 50
    assert "summary" in report.text(limit=10)


def test_a_syntax_error_names_its_line_and_writes_nothing(ds: Dataset, tmp_path: Path, route: str) -> None:
    bad = tmp_path / "broken.nt"
    bad.write_bytes(_space_lines("ok", city=True) + b"<http://x/a> <http://x/b> .\n")
    before = dump(ds)
    with pytest.raises(LoadError) as info:
        load_validated(ds, bad)
    assert info.value.line == 5
    assert dump(ds) == before
    assert no_side_copies(ds)


@pytest.mark.parametrize("how", ["side-copy", "side-copy-file", "side-copy-batches", "staging"])
@pytest.mark.parametrize("name", ["bad-ecology.ttl", "bad-agents.ttl", "bad-collaboration.ttl", "valid.ttl"])
def test_staged_validation_equals_incremental(tmp_path: Path, name: str, how: str) -> None:
    ds = base_dataset(str(tmp_path / "store"))
    ds.load_path(DATA / "concepts.ttl", graph=f"{ID}graph/concepts")
    quads = parse_file(DATA / name)
    incremental = check_change(ds, add_quads=quads)
    if how.startswith("side-copy"):
        copy = ds.side_copy()
        file = None
        if how != "side-copy":  # the engine reads the N-Triples file beside the store, or batches
            file = tmp_path / "change.nt"
            triples = [ox.Triple(q.subject, q.predicate, q.object) for q in quads]
            file.write_bytes(ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b"")
            copy.load_path(file, bulk=True)
        else:
            copy.apply(quads)
        if how == "side-copy-batches" and file is not None:
            nodes = bulk_load.FileNodes.read(file)
            staged = bulk_load.validate_side_copy_batches(default_shapes(), ds, copy, nodes, batch=2)
        else:
            staged = validate_side_copy(default_shapes(), ds, copy, file=file)
        copy.close()
        assert no_side_copies(ds)
    else:
        staging = Dataset.memory()
        staging.apply(quads)
        staged = validate_staged(default_shapes(), ds, staging)

    def key(r: object) -> list[tuple[object, ...]]:
        return sorted(
            tuple(str(x) for x in (f.focus_node, f.path, f.severity, f.constraint, f.shape, f.message_en))
            for f in r.findings  # type: ignore[attr-defined]
            if not (f.focus_node or "").startswith("_:")
        )

    assert key(staged) == key(incremental)
    assert staged.count("Violation") == incremental.count("Violation")
    assert (name == "valid.ttl") == staged.conforms


def _result_keys(report: object) -> list[tuple[str, ...]]:
    return sorted(
        tuple(
            str(x) for x in (f.focus_node, f.path, f.severity, f.constraint, f.shape, f.message_en, f.value)
        )
        for f in report.findings  # type: ignore[attr-defined]
    )


@pytest.mark.parametrize("engine", ["turbo", "pyshacl"])
def test_batches_equal_whole_validation_of_a_broken_file(
    ds: Dataset, synthetic: Path, tmp_path: Path, engine: str
) -> None:
    # Every 23rd statement of a generated city dropped (names, types of linked nodes, cities,
    # coordinates...) and a few broken entities added: results of many shapes, some about nodes
    # whose neighbours (their city, space, organiser) fall in other batches of 5.
    lines = synthetic.read_bytes().splitlines(keepends=True)
    kept = [line for i, line in enumerate(lines) if i % 23 != 11]
    bad = tmp_path / "broken.nt"
    bad.write_bytes(b"".join(kept) + _space_lines("orphan", city=False) + _space_lines("far", city=True))
    copy = ds.side_copy()
    copy.load_path(bad, bulk=True)
    shapes = default_shapes()
    # The whole copy by the fast engine (the engine tests tie it to pyshacl); batches by both.
    whole = validate_side_copy(shapes, ds, copy, cap=100_000)
    nodes = bulk_load.FileNodes.read(bad)
    batched = bulk_load.validate_side_copy_batches(
        shapes, ds, copy, nodes, batch=5, cap=100_000, engine=engine
    )
    copy.close()
    assert whole.count("Violation") > 20
    assert len({f.shape for f in whole.findings}) >= 4
    assert _result_keys(batched) == _result_keys(whole)
    assert [batched.count(s) for s in ("Violation", "Warning", "Info")] == [
        whole.count(s) for s in ("Violation", "Warning", "Info")
    ]
    assert no_side_copies(ds)


def test_batched_reports_are_capped_and_summarised_like_whole_ones(ds: Dataset, tmp_path: Path) -> None:
    bad = tmp_path / "many.nt"
    bad.write_bytes(b"".join(_space_lines(f"s{i}", city=i % 3 == 0) for i in range(120)))
    copy = ds.side_copy()
    copy.load_path(bad, bulk=True)
    shapes = default_shapes()
    whole = validate_side_copy(shapes, ds, copy, cap=30)
    batched = bulk_load.validate_side_copy_batches(
        shapes, ds, copy, bulk_load.FileNodes.read(bad), batch=11, cap=30
    )
    copy.close()
    assert batched.truncated and len(batched.findings) == 30
    assert [f.to_json() for f in batched.findings] == [f.to_json() for f in whole.findings]
    assert batched.to_json()["violations"] == whole.to_json()["violations"]

    def groups(r: object) -> set[tuple[object, ...]]:
        return {(g["count"], g["severity"], g["shape"], g["path"]) for g in r.summary}  # type: ignore[attr-defined]

    assert groups(batched) == groups(whole)


def test_a_bulk_load_in_chunks_writes_what_one_piece_writes(tmp_path: Path, synthetic: Path) -> None:
    whole, chunked = Dataset.open(tmp_path / "whole"), Dataset.open(tmp_path / "chunked")
    whole.load_path(synthetic, graph=f"{ID}graph/g", bulk=True)
    chunked.load_path(synthetic, graph=f"{ID}graph/g", bulk=True, chunk=101)

    def named(ds: Dataset) -> list[bytes]:  # blank nodes get fresh labels at each load
        return [line for line in dump(ds).splitlines() if b"_:" not in line]

    assert named(chunked) == named(whole) and len(chunked._store) == len(whole._store)
    broken = tmp_path / "broken.nt"
    broken.write_bytes(b"".join(_space_lines(f"s{i}", city=True) for i in range(10)) + b"<http://x/a> .\n")
    with pytest.raises(LoadError) as info:
        Dataset.open(tmp_path / "scratch").load_path(broken, bulk=True, chunk=7)
    assert info.value.line == 41  # past several chunks


def test_file_nodes_are_the_iris_a_file_names_in_order(tmp_path: Path) -> None:
    path = tmp_path / "f.nt"
    path.write_bytes(
        b'<http://x/b> <http://x/p> <http://x/a> .\n<http://x/a> <http://x/p> "lit" .\n'
        b"_:n <http://x/p> <http://schema.org/Thing> .\n"
    )
    nodes = bulk_load.FileNodes.read(path)
    assert list(nodes.order) == ["http://x/b", "http://x/a", "http://schema.org/Thing"]
    fixed = bulk_load.FileNodes.read(path, fixed=True)
    assert "https://schema.org/Thing" in fixed.order
    assert nodes.position(ox.NamedNode("http://x/a")) == 1
    assert nodes.position(ox.BlankNode("n")) == len(nodes.order)


def test_blank_labels_shared_with_the_store_are_found(tmp_path: Path) -> None:
    # The engine reads the store and the file side by side only when no blank node label is in
    # both (it would take them for one node); look-alikes inside literals only make it careful.
    path = tmp_path / "f.nt"
    path.write_bytes(b'_:a1 <http://x/p> _:b.2 .\n<http://x/s> <http://x/p> "say _:c3" .\n' * 3)
    assert bulk_load._file_blank_labels(path) == {b"a1", b"b.2", b"c3"}
    assert bulk_load._blank_labels(b"_:zz <http://x/p> _:a1 .\n") & bulk_load._file_blank_labels(path)


def test_lcgraph_load_stages_big_files(tmp_path: Path, synthetic: Path) -> None:
    data = tmp_path / "store"
    env = {**os.environ, "LCGRAPH_STAGED_LOAD_MIN_BYTES": "0"}
    run = [sys.executable, "-m", "lcgraph.cli"]
    subprocess.run(
        [*run, "init", "--data", str(data), "--no-check"], check=True, env=env, capture_output=True
    )
    bad = tmp_path / "bad.nt"
    bad.write_bytes(_space_lines("one", city=True) + _space_lines("two", city=False))
    out = subprocess.run(
        [*run, "load", "--data", str(data), str(bad)], env=env, capture_output=True, text=True
    )
    assert out.returncode == 1, out.stderr
    assert f"{ID}space/two" in out.stderr and "line 5" in out.stderr
    assert "staged" in out.stderr
    out = subprocess.run(
        [*run, "load", "--data", str(data), str(synthetic)], env=env, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert "triples added" in " ".join(out.stderr.split())
    ds = Dataset.open_read_only(data)
    assert not any(ds.quads(ox.NamedNode(f"{ID}space/one"), None, None, None))


def test_staged_loads_route_personal_data_and_fix_schema_org(
    ds: Dataset, synthetic: Path, tmp_path: Path, route: str
) -> None:
    person = f"<{ID}person/staged-admin>"
    space = next(
        q.subject
        for q in ox.parse(path=str(synthetic), format=ox.RdfFormat.N_TRIPLES)
        if q.predicate.value == RDF_TYPE and q.object.value == LC + "LearningSpace"
    )
    extra = (
        f'{person} <http://schema.org/email> "admin@example.org" .\n'
        f'{space} <http://schema.org/description> "a staged description"@en .\n'
    ).encode()
    path = tmp_path / "with-personal.nt"
    path.write_bytes(synthetic.read_bytes() + extra)
    load_validated(ds, path, agent="steward")
    email = list(ds.quads(ox.NamedNode(f"{ID}person/staged-admin"), None, None, None))
    assert [(q.predicate.value, q.graph_name) for q in email] == [
        ("https://schema.org/email", ox.NamedNode("https://w3id.org/lcgraph/graph/private"))
    ]
    described = [
        q
        for q in ds.quads(space, None, ox.Literal("a staged description", language="en"), None)
        if isinstance(q.graph_name, ox.NamedNode)  # not its copy in the merged default graph
    ]
    assert [q.predicate.value for q in described] == ["https://schema.org/description"]


def test_a_side_copy_taken_over_is_the_store_on_disk(tmp_path: Path) -> None:
    ds = Dataset.open(tmp_path / "store")
    kept = ox.Quad(ox.NamedNode(f"{ID}space/kept"), ox.NamedNode(LABEL), ox.Literal("kept"))
    ds.apply([kept])
    copy = ds.side_copy()
    added = ox.Quad(ox.NamedNode(f"{ID}space/added"), ox.NamedNode(LABEL), ox.Literal("added"))
    copy.apply([added])
    assert not any(ds.quads(added.subject))  # the store does not see the copy's writes
    ds.take_over(copy)
    assert any(ds.quads(added.subject)) and any(ds.quads(kept.subject))
    assert no_side_copies(ds)
    ds.close()
    again = Dataset.open(tmp_path / "store")
    assert any(again.quads(added.subject)) and any(again.quads(kept.subject))
    assert (tmp_path / "store" / "UNION-DEFAULT-GRAPH").exists()  # not rebuilt: the merge came along
