"""The dataset over pyoxigraph: loading, all-or-nothing failures, round trips, stats."""

from __future__ import annotations

import io
import threading
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.compare import isomorphic

import lcgraph.store.dataset as dataset_module
from lcgraph.store import FORMATS, Dataset, LoadError, by_name

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"

SAMPLE_TRIG = """
@prefix ex: <http://example.org/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .

ex:a rdfs:label "ห้องสมุดเมือง"@th, "City library"@en ;
     ex:opened "2023-08-22"^^xsd:date ;
     ex:seats 120 ;
     ex:note "plain text with \\"quotes\\" and a\\nnewline" ;
     ex:near ex:b .

ex:g1 {
    ex:b rdfs:label "พิพิธภัณฑ์"@th ; ex:score 4.5 ; ex:partOf [ ex:name "anonymous node" ] .
}
ex:g2 {
    ex:c ex:knows ex:a , ex:b .
}
"""


@pytest.fixture
def ds(tmp_path: Path) -> Dataset:
    return Dataset.open(tmp_path / "store")


@pytest.fixture
def sample(ds: Dataset) -> Dataset:
    ds.load_bytes(SAMPLE_TRIG, "trig")
    return ds


def snapshot(ds: Dataset) -> bytes:
    """Every quad in a canonical order: compares stores byte for byte."""
    out = io.BytesIO()
    ds.dump(out, "nquads")
    return b"\n".join(sorted(out.getvalue().splitlines()))


def test_on_disk_store_persists(tmp_path: Path) -> None:
    first = Dataset.open(tmp_path / "s")
    first.load_bytes("<http://ex/a> <http://ex/p> <http://ex/b> .", "ntriples", graph="http://ex/g")
    first.flush()
    del first
    again = Dataset.open(tmp_path / "s")
    assert again.count("http://ex/g") == 1
    assert again.graphs() == ["http://ex/g"]


def test_default_graph_is_union_of_graphs(sample: Dataset) -> None:
    rows = sample.select("SELECT ?s { ?s <http://example.org/knows> ?o }")
    assert len(rows) == 2
    only_one = sample.select(
        "SELECT ?s { ?s <http://example.org/knows> ?o }", default_graph=["http://example.org/none"]
    )
    assert only_one == []


def test_stats_counts_graphs_and_classes(ds: Dataset) -> None:
    ds.load_bytes(
        "".join(
            f"<http://ex/{s}> <{RDF_TYPE}> <http://ex/{c}> .\n"
            for s, c in [("a", "C"), ("b", "C"), ("c", "D")]
        ),
        "ntriples",
        graph="http://ex/g",
    )
    info = ds.stats()
    assert info["graphs"] == {"http://ex/g": 3}
    assert info["classes"] == {"http://ex/C": 2, "http://ex/D": 1}
    assert info["quads"] == 3


@pytest.mark.parametrize("fmt", [f.name for f in FORMATS if f.name != "n3"])
def test_round_trip_every_format_is_isomorphic(sample: Dataset, tmp_path: Path, fmt: str) -> None:
    """Export then re-import gives the same graph (blank nodes up to renaming)."""
    format_ = by_name(fmt)
    graph = None if format_.is_dataset else "http://example.org/g1"
    out = tmp_path / f"out{format_.extensions[0]}"
    sample.dump(out, format_, graph=graph)
    again = Dataset.open(tmp_path / "again")
    again.load_path(out, graph=graph)
    if format_.is_dataset:
        original = rdflib.Dataset()
        original.parse(data=SAMPLE_TRIG, format="trig")
        reloaded = rdflib.Dataset()
        reloaded.parse(data=snapshot(again).decode(), format="nquads")
        for g in ("http://example.org/g1", "http://example.org/g2"):
            assert isomorphic(original.graph(rdflib.URIRef(g)), reloaded.graph(rdflib.URIRef(g)))
        # The file's default-graph triples are kept in the unnamed graph (the store's own
        # default graph is the union of the graphs), and come back from it.
        unnamed = reloaded.graph(rdflib.URIRef("https://w3id.org/lcgraph/graph/default"))
        assert isomorphic(original.default_graph, unnamed)
    else:
        expected = rdflib.Graph()
        buf = io.BytesIO()
        sample.dump(buf, "ntriples", graph=graph)
        expected.parse(data=buf.getvalue().decode(), format="nt")
        buf2 = io.BytesIO()
        again.dump(buf2, "ntriples", graph=graph)
        got = rdflib.Graph().parse(data=buf2.getvalue().decode(), format="nt")
        assert len(got) == 4
        assert isomorphic(expected, got)


def test_parse_error_names_file_line_and_column(ds: Dataset, tmp_path: Path) -> None:
    bad = tmp_path / "bad.ttl"
    bad.write_text("@prefix ex: <http://ex/> .\nex:a ex:b ex:c .\nex:a ex:b ex:c ex:d .\n")
    with pytest.raises(LoadError) as info:
        ds.load_path(bad)
    err = info.value
    assert err.source == str(bad) and err.line == 3 and err.column is not None
    assert str(err).startswith(f"{bad}:3:")
    assert ds.is_empty()


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("empty.ttl", b"", "empty"),
        ("blank.nt", b"   \n\n", "empty"),
        ("latin1.nt", '<http://a> <http://b> "caf\xe9" .\n'.encode("latin-1"), "UTF-8"),
        ("data.xyz", b"<http://a> <http://b> <http://c> .", "extension"),
    ],
)
def test_bad_files_are_refused_with_a_reason(
    ds: Dataset, tmp_path: Path, name: str, content: bytes, expected: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(LoadError, match=expected):
        ds.load_path(path)
    assert ds.is_empty()


def test_missing_file(ds: Dataset, tmp_path: Path) -> None:
    with pytest.raises(LoadError, match="no such file"):
        ds.load_path(tmp_path / "nope.ttl")


def _big_nquads(path: Path, n: int, *, error_at: int | None = None, graphs: int = 3) -> None:
    with path.open("w") as fh:
        for i in range(n):
            if i == error_at:
                fh.write('<http://ex/broken> <http://ex/p> "unterminated .\n')
            fh.write(f'<http://ex/s{i}> <http://ex/p> "{i}" <http://ex/g{i % graphs}> .\n')


@pytest.mark.parametrize("prefilled", [False, True], ids=["fresh-store", "store-with-data"])
def test_failing_bulk_load_leaves_store_unchanged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, prefilled: bool
) -> None:
    """A syntax error deep in a big file writes nothing, whether or not the store had data."""
    monkeypatch.setattr(dataset_module, "TRANSACTIONAL_LIMIT", 1024)  # force the bulk path
    ds = Dataset.open(tmp_path / "s")
    if prefilled:
        ds.load_bytes(SAMPLE_TRIG, "trig")
    before = snapshot(ds)
    bad = tmp_path / "bad.nq"
    _big_nquads(bad, 40_000, error_at=39_000)
    with pytest.raises(LoadError) as info:
        ds.load_path(bad)
    assert info.value.line == 39_001
    assert snapshot(ds) == before


@pytest.mark.parametrize("prefilled", [False, True], ids=["fresh-graph", "graph-with-data"])
def test_interrupted_bulk_load_leaves_store_unchanged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, prefilled: bool
) -> None:
    """Ctrl-C in the middle of a big load (raised from the progress callback) writes nothing."""
    monkeypatch.setattr(dataset_module, "TRANSACTIONAL_LIMIT", 1024)
    ds = Dataset.open(tmp_path / "s")
    if prefilled:
        ds.load_bytes("<http://ex/old> <http://ex/p> <http://ex/o> .", "ntriples", graph="http://ex/g")
    before = snapshot(ds)
    big = tmp_path / "big.nt"
    with big.open("w") as fh:
        for i in range(50_000):
            fh.write(f'<http://ex/s{i}> <http://ex/p> "{i}" .\n')

    def interrupt(done: int) -> None:
        if done > 1_000_000:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        ds.load_path(big, graph="http://ex/g", progress=interrupt)
    assert snapshot(ds) == before


def test_bulk_load_adds_to_existing_graphs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dataset_module, "TRANSACTIONAL_LIMIT", 1024)
    ds = Dataset.open(tmp_path / "s")
    ds.load_bytes("<http://ex/old> <http://ex/p> <http://ex/o> .", "ntriples", graph="http://ex/g0")
    data = tmp_path / "more.nq"
    _big_nquads(data, 3_000)
    result = ds.load_path(data)
    assert result.quads_added == 3_000
    assert ds.count("http://ex/g0") == 1_001
    assert sorted(ds.graphs()) == ["http://ex/g0", "http://ex/g1", "http://ex/g2"]


@pytest.mark.parametrize("fmt", ["ntriples", "turtle"])
def test_bulk_load_of_triples_keeps_the_merge_in_step(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str
) -> None:
    """A big triple file: its graph and the merged default graph hold the same triples, blank nodes
    included, each once however many graphs hold it; the afterword's quads land with it."""
    monkeypatch.setattr(dataset_module, "TRANSACTIONAL_LIMIT", 1024)
    ds = Dataset.open(tmp_path / "s")
    ds.load_bytes('<http://ex/s0> <http://ex/p> "0" .', "ntriples", graph="http://ex/other")
    data = tmp_path / ("big.nt" if fmt == "ntriples" else "big.ttl")
    with data.open("w") as fh:
        for i in range(3_000):
            fh.write(f'<http://ex/s{i}> <http://ex/p> "{i}" .\n')
        fh.write('_:b1 <http://ex/q> "blank" .\n<http://ex/s1> <http://ex/r> _:b1 .\n')
    seen: list[tuple[int, list[str]]] = []
    note = ox.Quad(
        ox.NamedNode("http://ex/load"),
        ox.NamedNode("http://ex/n"),
        ox.Literal("x"),
        ox.NamedNode("http://ex/h"),
    )

    def afterword(count: int, graphs: list[str]) -> list[ox.Quad]:
        seen.append((count, graphs))
        return [note]

    ds.load_path(data, graph="http://ex/g", format=fmt, afterword=afterword)
    assert seen == [(3_002, ["http://ex/g"])]
    assert ds.count("http://ex/g") == 3_002
    merged = {
        ox.Triple(q.subject, q.predicate, q.object)
        for q in ds._store.quads_for_pattern(None, None, None, ox.DefaultGraph())
    }
    named = {
        ox.Triple(q.subject, q.predicate, q.object) for q in ds.quads() if q.graph_name.value != "http://ex/h"
    }
    assert merged == named | {note.triple}
    # The blank node is one node in the graph and in the merge: the path through it is found in both.
    path = "SELECT ?l WHERE { <http://ex/s1> <http://ex/r>/<http://ex/q> ?l }"
    assert [r["l"].value for r in ds.select(path)] == ["blank"]
    in_graph = "SELECT ?l WHERE { GRAPH <http://ex/g> { <http://ex/s1> <http://ex/r>/<http://ex/q> ?l } }"
    assert [r["l"].value for r in ds.select(in_graph)] == ["blank"]
    # <s0> p "0" is in two graphs and counts once over the default graph.
    assert ds.select('SELECT (COUNT(*) AS ?n) { ?s <http://ex/p> "0" }')[0]["n"].value == "1"


def test_bulk_load_into_the_private_graph_stays_out_of_the_merge(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dataset_module, "TRANSACTIONAL_LIMIT", 1024)
    ds = Dataset.open(tmp_path / "s")
    data = tmp_path / "private.nt"
    with data.open("w") as fh:
        for i in range(2_000):
            fh.write(f'<http://ex/p{i}> <https://schema.org/email> "p{i}@example.org" .\n')
    ds.load_path(data, graph=dataset_module.PRIVATE.value)
    assert ds.count(dataset_module.PRIVATE.value) == 2_000
    assert not any(True for _ in ds._store.quads_for_pattern(None, None, None, ox.DefaultGraph()))


def test_progress_reports_bytes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dataset_module, "TRANSACTIONAL_LIMIT", 1024)
    ds = Dataset.open(tmp_path / "s")
    data = tmp_path / "d.nq"
    _big_nquads(data, 5_000)
    seen: list[int] = []
    ds.load_path(data, progress=seen.append)
    assert seen and seen[-1] == data.stat().st_size


def test_queries_see_a_consistent_state_during_writes(sample: Dataset) -> None:
    """Repeatable read: each write adds two triples in one transaction; no reader ever sees one of them."""
    errors: list[BaseException] = []
    g = ox.NamedNode("http://ex/w")

    def writer() -> None:
        try:
            for i in range(50):
                s = ox.NamedNode(f"http://ex/x{i}")
                sample.apply(
                    [
                        ox.Quad(s, ox.NamedNode("http://ex/p"), ox.Literal(str(i)), g),
                        ox.Quad(s, ox.NamedNode("http://ex/q"), ox.Literal(f"q{i}"), g),
                    ]
                )
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    t = threading.Thread(target=writer)
    t.start()
    while t.is_alive():
        in_graph = sample.count("http://ex/w")
        in_union = int(
            sample.select("SELECT (COUNT(*) AS ?n) { ?s <http://ex/p>|<http://ex/q> ?o }")[0]["n"].value
        )
        assert in_graph % 2 == 0 and in_union % 2 == 0, (in_graph, in_union)
    t.join()
    assert not errors
    assert sample.count("http://ex/w") == 100


def test_commits_are_versioned_and_a_stale_commit_writes_nothing(tmp_path: Path) -> None:
    from lcgraph.store import ConcurrentChange

    ds = Dataset.open(tmp_path / "store")
    g = ox.NamedNode("http://example.org/g")
    first = ox.Quad(
        ox.NamedNode("http://example.org/a"), ox.NamedNode("http://example.org/p"), ox.Literal("1"), g
    )
    second = ox.Quad(first.subject, first.predicate, ox.Literal("2"), g)
    seen = ds.version()
    after_first = ds.apply([first], expect_version=seen)
    assert after_first != seen
    assert ds.apply([]) == after_first  # an empty change makes no new version
    with pytest.raises(ConcurrentChange):
        ds.apply([second], expect_version=seen)  # checked against a store that has moved on
    assert not ds.contains(second)
    assert ds.count("http://example.org/g") == 1
