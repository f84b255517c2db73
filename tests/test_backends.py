"""The services give the same answers on every backend: embedded, ``oxigraph serve`` and Virtuoso.

Each backend is loaded with the same dataset (``lcgraph init --examples``'s
content, dumped from an embedded store and loaded through the repository),
then the store statistics, guarded writes (valid and refused, and the
hypothesis test that incremental validation equals full validation),
spreadsheet imports, the gap analysis, exports and the privacy rules are run
on it and compared with the embedded store's answers. Real stores, started
by the test setup (tests/stores.py); a missing backend fails.
"""

from __future__ import annotations

import io
from collections.abc import Iterator

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from stores import BACKENDS, empty_remote
from test_import_sheets import sheet_csv

from lcgraph.analysis.gaps import analyse
from lcgraph.bootstrap import initialise
from lcgraph.ingest.importer import IMPORT_GRAPHS, import_bytes
from lcgraph.namespaces import GRAPH_PRIVATE
from lcgraph.personal import PersonalFilter
from lcgraph.publish.exports import write_export
from lcgraph.publish.privacy import misplaced_personal
from lcgraph.store import Dataset, Repository
from lcgraph.store.open import open_repository
from lcgraph.validation.guarded import ValidationFailed, apply_change, default_shapes
from lcgraph.validation.incremental import validate_change, validate_full

pytestmark = pytest.mark.slow

ID = "https://w3id.org/lcgraph/id/"
LC = "https://w3id.org/lcgraph/def#"
RDFS_LABEL = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
NOTES = "https://w3id.org/lcgraph/graph/backend-notes"
ROWS = [
    {
        "name_th": "ห้องสมุดทดสอบ",
        "name_en": "Backend Test Library",
        "city": "phayao",
        "province": "พะเยา",
        "space_type": "ห้องสมุด",
    },
    {"id": "backend-market", "name_th": "ตลาดทดสอบ", "city": "hat-yai", "space_type": "market"},
]


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> tuple[Dataset, bytes]:
    """The embedded store after ``init --examples``, and its named graphs as N-Quads."""
    ds = Dataset.open(tmp_path_factory.mktemp("reference") / "store")
    initialise(ds, examples=True)
    out = io.BytesIO()
    ds.dump(out, "nquads")
    return ds, out.getvalue()


@pytest.fixture(scope="module", params=BACKENDS)
def backend(
    request: pytest.FixtureRequest, reference: tuple[Dataset, bytes], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Repository]:
    """Each backend holding the reference dataset (loaded through the repository)."""
    if request.param == "embedded":
        repo = open_repository(f"oxigraph:{tmp_path_factory.mktemp('embedded') / 'store'}")
    else:
        server = request.getfixturevalue(
            "oxigraph_server" if request.param == "oxigraph-serve" else "virtuoso_server"
        )
        empty_remote(server)
        repo = open_repository(server.spec + "&timeout=300")
    # Graph by graph, as `lcgraph init` loads (one huge update request is slow on Virtuoso 7).
    by_graph: dict[str, list[str]] = {}
    for line in reference[1].decode().splitlines():
        if line.strip():
            by_graph.setdefault(line.rsplit(" ", 2)[-2], []).append(line)
    for graph, lines in sorted(by_graph.items()):
        repo.load_bytes("\n".join(lines) + "\n", "nquads", source=f"reference {graph}")
    try:
        yield repo
    finally:
        repo.close()


def test_the_reference_conforms(reference: tuple[Dataset, bytes]) -> None:
    assert validate_full(default_shapes(), reference[0]).conforms


def test_statistics_agree(backend: Repository, reference: tuple[Dataset, bytes]) -> None:
    expected = reference[0].stats()
    got = backend.stats()
    assert got["graphs"] == expected["graphs"]
    assert got["classes"] == expected["classes"]
    assert got["public_triples"] == expected["public_triples"]
    assert backend.graphs() == reference[0].graphs()


def test_exports_agree(backend: Repository, reference: tuple[Dataset, bytes]) -> None:
    def public(repo: Repository) -> set[str]:
        out = io.BytesIO()
        write_export(repo, out, "nquads")  # type: ignore[arg-type]
        return {line for line in out.getvalue().decode().splitlines() if line and "_:" not in line}

    expected = public(reference[0])
    assert len(expected) > 1000
    assert public(backend) == expected


def test_privacy_rules_agree(backend: Repository, reference: tuple[Dataset, bytes]) -> None:
    assert PersonalFilter(backend).properties == PersonalFilter(reference[0]).properties  # type: ignore[arg-type]
    assert misplaced_personal(backend) == misplaced_personal(reference[0]) == []  # type: ignore[arg-type]
    anonymous = backend.select("SELECT (COUNT(*) AS ?n) { ?s <https://schema.org/email> ?e }")
    private = backend.select(
        "SELECT (COUNT(*) AS ?n) { ?s <https://schema.org/email> ?e }", include_private=True
    )
    expected = reference[0].count(str(GRAPH_PRIVATE))
    assert int(anonymous[0]["n"].value) == 0
    assert int(private[0]["n"].value) > 0
    assert backend.count(str(GRAPH_PRIVATE)) == expected


def test_gap_analysis_agrees(backend: Repository, reference: tuple[Dataset, bytes]) -> None:
    def kinds(repo: Repository) -> list[tuple[str, str, tuple[str, ...]]]:
        report = analyse(repo)  # type: ignore[arg-type]
        return sorted((f.kind, f.severity, tuple(sorted(f.subjects))) for f in report.findings)

    expected = kinds(reference[0])
    assert expected
    assert kinds(backend) == expected


def test_guarded_writes_commit_valid_and_refuse_invalid(backend: Repository) -> None:
    city = ox.NamedNode(f"{ID}city/phayao")
    note = ox.Quad(
        city,
        ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#comment"),
        ox.Literal("note", language="en"),
        ox.NamedNode(NOTES),
    )
    result = apply_change(backend, add_quads=[note], source="test", agent="tester")  # type: ignore[arg-type]
    assert result.change is not None
    assert backend.contains(note)
    before = backend.count()
    # A learning space with no city breaks the shapes: refused, nothing written (no change-set either).
    space = ox.NamedNode(f"{ID}space/backend-test-orphan")
    bad = [
        ox.Quad(space, RDF_TYPE, ox.NamedNode(f"{LC}LearningSpace"), ox.NamedNode(NOTES)),
        ox.Quad(space, RDFS_LABEL, ox.Literal("orphan", language="en"), ox.NamedNode(NOTES)),
    ]
    with pytest.raises(ValidationFailed):
        apply_change(backend, add_quads=bad, source="test", agent="tester")  # type: ignore[arg-type]
    assert backend.count() == before
    assert not backend.contains(bad[0])


def test_imports_agree(backend: Repository, reference: tuple[Dataset, bytes]) -> None:
    data = sheet_csv("spaces", ROWS)
    mirror = reference[0].scratch_copy()
    try:
        expected = import_bytes(mirror, "spaces", data, "spaces.csv", agent="officer")
        assert expected.graph is not None
        mirror_count = mirror.count(expected.graph)
    finally:
        mirror.close()
    got = import_bytes(backend, "spaces", data, "spaces.csv", agent="officer")
    assert expected.written and got.written
    assert (got.rows, sorted(got.entities)) == (expected.rows, sorted(expected.entities))
    assert (got.added, got.removed) == (expected.added, expected.removed)
    assert got.graph and expected.graph and got.graph.startswith(IMPORT_GRAPHS)
    assert backend.count(got.graph) == mirror_count
    # A second import of the same sheet replaces what the first wrote about its entities.
    about = " ".join(f"<{e}>" for e in got.entities)
    statements = f"SELECT (COUNT(*) AS ?n) {{ VALUES ?s {{ {about} }} ?s ?p ?o }}"
    once = int(backend.select(statements)[0]["n"].value)
    again = import_bytes(backend, "spaces", data, "spaces.csv", agent="officer")
    assert again.written and again.removed > 0
    assert int(backend.select(statements)[0]["n"].value) == once


# -- incremental validation equals full validation, on every backend -------------------------------

_SUBJECTS = [f"{ID}city/phayao", f"{ID}space/backend-a", f"{ID}activity/backend-b"]
_PREDICATES = [str(RDF_TYPE.value), f"{LC}city", "http://www.w3.org/2000/01/rdf-schema#label"]
_OBJECTS = [
    ox.NamedNode(f"{LC}LearningSpace"),
    ox.NamedNode(f"{ID}city/phayao"),
    ox.Literal("x", language="en"),
    ox.NamedNode(f"{LC}LearningActivity"),
]
changes = st.lists(
    st.tuples(st.sampled_from(_SUBJECTS), st.sampled_from(_PREDICATES), st.sampled_from(_OBJECTS)),
    min_size=1,
    max_size=4,
)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(triples=changes, remove_count=st.integers(0, 3))
def test_incremental_validation_equals_full(
    backend: Repository, triples: list[tuple], remove_count: int
) -> None:
    shapes = default_shapes()
    add = {ox.Quad(ox.NamedNode(s), ox.NamedNode(p), o, ox.NamedNode(NOTES)) for s, p, o in triples}
    city = ox.NamedNode(f"{ID}city/phayao")
    remove = set(list(backend.quads(city))[:remove_count])
    add = {q for q in add if not backend.contains(q)}
    incremental = validate_change(shapes, backend, add, remove - add)
    after = backend.scratch_copy()
    try:
        after.apply(add, remove - add)
        full = validate_full(shapes, after)
    finally:
        after.close()

    def violations(report: object) -> set[tuple[str | None, str | None]]:
        return {
            (f.focus_node, f.path)
            for f in report.findings  # type: ignore[attr-defined]
            if f.severity == "Violation" and not (f.focus_node or "").startswith("_:")
        }

    # The store holds no violation before the change, so every violation full validation finds
    # after it is the change's doing, and incremental validation must find it too.
    assert violations(incremental) == violations(full)
    assert incremental.conforms == full.conforms
