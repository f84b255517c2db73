"""The access model, enforced in the guarded write path: replays of issue 16's attacks at the service
level (tests/test_attacks.py replays them over HTTP against `lcgraph serve`).

Each test names the attack, asserts it is refused (or does nothing), and checks the data itself.
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lcgraph.access import (
    ANONYMOUS,
    HISTORY_GRAPH,
    PRIVATE_GRAPH,
    SYSTEM,
    Access,
    AccessDenied,
    GraphKind,
    graph_kind,
)
from lcgraph.bootstrap import initialise
from lcgraph.namespaces import GRAPH_EXAMPLES, GRAPH_ONTOLOGY, GRAPH_SHAPES, GRAPH_VOCAB
from lcgraph.store import Dataset
from lcgraph.validation.guarded import ValidationFailed, apply_update, check_change, default_shapes
from lcgraph.validation.incremental import validate_full

WRITER = Access(write=True)
READER_WRITER = Access(write=True, read_private=True)
ADMIN = Access(write=True, admin=True)
PREFIXES = """PREFIX schema: <https://schema.org/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX org: <http://www.w3.org/ns/org#>
PREFIX time: <http://www.w3.org/2006/time#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
"""
LEAK = "https://w3id.org/lcgraph/graph/leak"
EMAIL = "example-north-1@example.org"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Dataset:
    path = tmp_path_factory.mktemp("access") / "db"
    ds = Dataset.open(path)
    initialise(ds, examples=True)
    # One accepted write, so the history graph exists.
    apply_update(
        ds,
        'INSERT DATA { GRAPH <http://example.org/g> { <http://example.org/a> <http://www.w3.org/2000/01/rdf-schema#label> "a" } }',
    )
    ds.flush()
    return ds


@pytest.fixture
def ds(template: Dataset, tmp_path: Path) -> Dataset:
    template._store.backup(str(tmp_path / "copy"))
    return Dataset.open(tmp_path / "copy")


def counts(ds: Dataset) -> dict[str, int]:
    return {g: ds.count(g) for g in ds.graphs()}


def emails_in_public(ds: Dataset) -> int:
    rows = ds.select(f'SELECT (COUNT(*) AS ?n) {{ ?s ?p ?o FILTER(CONTAINS(STR(?o), "{EMAIL}")) }}')
    return int(rows[0]["n"].value)


def test_graph_kinds() -> None:
    assert graph_kind(PRIVATE_GRAPH) is GraphKind.PRIVATE
    assert graph_kind(HISTORY_GRAPH) is GraphKind.HISTORY
    assert graph_kind(str(GRAPH_ONTOLOGY)) is GraphKind.REFERENCE
    assert graph_kind(str(GRAPH_EXAMPLES)) is GraphKind.DATA
    assert not ANONYMOUS.may_write(str(GRAPH_EXAMPLES))
    assert WRITER.may_write(str(GRAPH_EXAMPLES)) and not WRITER.may_write(str(GRAPH_SHAPES))
    assert ADMIN.may_write(str(GRAPH_VOCAB)) and not ADMIN.may_write(HISTORY_GRAPH)
    assert SYSTEM.may_write(HISTORY_GRAPH)


@pytest.mark.parametrize(
    "update",
    [
        f"WITH <{PRIVATE_GRAPH}> INSERT {{ GRAPH <{LEAK}> {{ ?p rdfs:comment ?e }} }} WHERE {{ ?p schema:email ?e }}",
        f"INSERT {{ GRAPH <{LEAK}> {{ ?p rdfs:comment ?e }} }} USING <{PRIVATE_GRAPH}> WHERE {{ ?p schema:email ?e }}",
        f"INSERT {{ GRAPH <{LEAK}> {{ ?p rdfs:comment ?e }} }} USING NAMED <{PRIVATE_GRAPH}> "
        f"WHERE {{ GRAPH ?g {{ ?p schema:email ?e }} }}",
        f"COPY <{PRIVATE_GRAPH}> TO <{LEAK}>",
        f"ADD <{PRIVATE_GRAPH}> TO <{LEAK}>",
        f"MOVE <{PRIVATE_GRAPH}> TO <{LEAK}>",
    ],
)
def test_a_write_token_cannot_copy_personal_data_out(ds: Dataset, update: str) -> None:
    before = counts(ds)
    with pytest.raises(AccessDenied):
        apply_update(ds, PREFIXES + update, access=WRITER)
    assert counts(ds) == before
    assert emails_in_public(ds) == 0


@pytest.mark.parametrize(
    "where",
    [
        f"GRAPH <{PRIVATE_GRAPH}> {{ ?p schema:email ?e }}",
        "GRAPH ?g { ?p schema:email ?e }",
        "?p schema:email ?e",
    ],
)
def test_a_write_where_sees_only_the_callers_view(ds: Dataset, where: str) -> None:
    """The WHERE is evaluated on what a write-only token may read: the private graph is not there."""
    before = counts(ds)
    apply_update(
        ds,
        PREFIXES + f"INSERT {{ GRAPH <{LEAK}> {{ ?p rdfs:comment ?e }} }} WHERE {{ {where} }}",
        access=WRITER,
    )
    assert counts(ds) == before
    assert emails_in_public(ds) == 0


def test_graph_variable_sees_only_readable_graphs(ds: Dataset) -> None:
    apply_update(
        ds,
        PREFIXES
        + f"INSERT {{ GRAPH <{LEAK}> {{ ?p rdfs:comment ?e }} }} WHERE {{ GRAPH ?g {{ ?p schema:email ?e }} }}",
        access=WRITER,
    )
    assert emails_in_public(ds) == 0


def test_personal_values_stay_personal_under_another_predicate(ds: Dataset) -> None:
    """Even a caller who may read the private graph cannot publish its values elsewhere."""
    with pytest.raises(AccessDenied):
        apply_update(
            ds,
            PREFIXES + f"INSERT {{ GRAPH <{LEAK}> {{ ?p rdfs:comment ?e }} }} "
            f"WHERE {{ GRAPH <{PRIVATE_GRAPH}> {{ ?p schema:email ?e }} }}",
            access=READER_WRITER,
        )
    assert emails_in_public(ds) == 0


@pytest.mark.parametrize(
    "update",
    [
        f"DROP GRAPH <{HISTORY_GRAPH}>",
        f"CLEAR GRAPH <{HISTORY_GRAPH}>",
        f"DELETE WHERE {{ GRAPH <{HISTORY_GRAPH}> {{ ?s ?p ?o }} }}",
        f"INSERT DATA {{ GRAPH <{HISTORY_GRAPH}> {{ <https://w3id.org/lcgraph/id/change/forged> <https://w3id.org/lcgraph/def#forced> true }} }}",
        f"DROP GRAPH <{PRIVATE_GRAPH}>",
        f'INSERT DATA {{ GRAPH <{PRIVATE_GRAPH}> {{ <http://example.org/x> <http://example.org/p> "x" }} }}',
        f"DROP GRAPH <{GRAPH_ONTOLOGY}>",
        f"CLEAR GRAPH <{GRAPH_SHAPES}>",
        f'INSERT DATA {{ GRAPH <{GRAPH_VOCAB}> {{ <http://example.org/x> <http://example.org/p> "x" }} }}',
    ],
)
def test_a_write_token_cannot_touch_history_private_or_reference_graphs(ds: Dataset, update: str) -> None:
    before = counts(ds)
    with pytest.raises(AccessDenied):
        apply_update(ds, update, access=WRITER)
    assert counts(ds) == before


def test_a_template_naming_the_private_graph_is_refused_before_anything_is_read(ds: Dataset) -> None:
    """The answer (403) is the same whether the private graph holds anything or not."""
    before = counts(ds)
    for update in (
        f"DELETE WHERE {{ GRAPH <{PRIVATE_GRAPH}> {{ ?s ?p ?o }} }}",
        f"DELETE {{ GRAPH <{PRIVATE_GRAPH}> {{ ?s ?p ?o }} }} WHERE {{ ?s ?p ?o }}",
        f"DELETE WHERE {{ GRAPH <{PRIVATE_GRAPH}> {{ <http://example.org/nobody> ?p ?o }} }}",
    ):
        with pytest.raises(AccessDenied):
            apply_update(ds, update, access=WRITER)
    assert counts(ds) == before


def test_admin_may_change_reference_graphs_but_not_the_history(ds: Dataset) -> None:
    apply_update(
        ds,
        f'INSERT DATA {{ GRAPH <{GRAPH_VOCAB}> {{ <http://example.org/x> <http://www.w3.org/2000/01/rdf-schema#comment> "x" }} }}',
        access=ADMIN,
    )
    with pytest.raises(AccessDenied):
        apply_update(ds, f"DROP GRAPH <{HISTORY_GRAPH}>", access=ADMIN)


@pytest.mark.parametrize("update", ["DROP ALL", "CLEAR ALL", "DROP NAMED", "CLEAR NAMED"])
def test_drop_all_acts_only_on_graphs_the_caller_may_write(ds: Dataset, update: str) -> None:
    before = counts(ds)
    kept = [PRIVATE_GRAPH, HISTORY_GRAPH, str(GRAPH_ONTOLOGY), str(GRAPH_VOCAB), str(GRAPH_SHAPES)]
    apply_update(ds, update, access=WRITER)
    after = counts(ds)
    for g in kept:
        assert after[g] >= before[g], g  # the history grew by the write's own record
    assert ds.count(str(GRAPH_EXAMPLES)) == 0


def test_a_dry_run_cannot_tell_what_the_private_graph_holds(ds: Dataset) -> None:
    """`POST /validate` for an anonymous caller is answered from the public view only."""
    person = ox.NamedNode("https://w3id.org/lcgraph/id/administrator/example-north-1")
    probe = [ox.Quad(person, ox.NamedNode("https://schema.org/email"), ox.Literal("second@example.org"))]
    public = check_change(ds, add_quads=probe, access=ANONYMOUS)
    other = ox.NamedNode("https://w3id.org/lcgraph/id/administrator/nobody")
    unknown = check_change(
        ds, add_quads=[ox.Quad(other, probe[0].predicate, probe[0].object)], access=ANONYMOUS
    )
    assert [f.message_en for f in public.findings if "email" in (f.path or "")] == [
        f.message_en for f in unknown.findings if "email" in (f.path or "")
    ]


_BLANK_LINK = (
    PREFIXES
    + """
INSERT {{ GRAPH ?g {{ ?i time:hasEnd _:e . _:e a time:Instant ; time:inXSDgYear "{year}"^^xsd:gYear }} }}
WHERE {{ GRAPH ?g {{ ?m org:memberDuring ?i FILTER(isBlank(?i)) }} }}"""
)

_BLANK_BAD = (
    PREFIXES
    + """
INSERT {{ GRAPH ?g {{ ?i time:hasEnd _:e . _:e a time:Instant ; time:inXSDgYear "{year}" }} }}
WHERE {{ GRAPH ?g {{ ?m org:memberDuring ?i FILTER(isBlank(?i)) }} }}"""
)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(year=st.integers(min_value=1990, max_value=2100), bad=st.booleans())
def test_what_is_validated_is_what_is_committed_with_blank_nodes(ds: Dataset, year: int, bad: bool) -> None:
    """Updates linking existing blank nodes to new ones: accepted ones leave a valid store, refused ones nothing."""
    before = counts(ds)
    update = (_BLANK_BAD if bad else _BLANK_LINK).format(year=year)
    try:
        apply_update(ds, update, access=WRITER)
    except ValidationFailed:
        assert counts(ds) == before
        return
    report = validate_full(default_shapes(), ds)
    assert report.conforms, report.text(limit=5)
    # Every new end instant is linked to its interval (nothing orphaned by re-minted blank nodes).
    rows = ds.select(
        PREFIXES + "SELECT (COUNT(*) AS ?n) { ?e a time:Instant FILTER NOT EXISTS { ?x ?p ?e } }"
    )
    assert int(rows[0]["n"].value) == 0
