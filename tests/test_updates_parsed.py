"""Updates are read by a parser: each operation's own USING, WITH, templates and WHERE belong to it.

Every case is run twice on the same data: through ``update_change`` (parse,
evaluate on the caller's view, commit the effect) and by the engine running
the text itself on a plain store; the two stores must then hold the same.
The cases are the ones a scanner that pairs the n-th WHERE block with the
n-th operation gets wrong.
"""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from test_validation_guarded import _as_plain_store, _canonical, _commit

from lcgraph.store import Dataset
from lcgraph.store.graph_names import UNNAMED
from lcgraph.validation.updates import UpdateSyntaxError, update_change

PREFIX = "PREFIX ex: <http://ex/>\n"
SEED = (
    PREFIX + "INSERT DATA { ex:a ex:p 1 . ex:b ex:p 2 . "
    "GRAPH ex:g1 { ex:a ex:p 10 . ex:c ex:p 11 } GRAPH ex:g2 { ex:d ex:p 20 } }"
)

CASES = [
    # A prefix named "where:" before a DATA group: the group is data, not a WHERE.
    "PREFIX where: <http://ex/w/> INSERT DATA { where:a where:b where:c } ; "
    "INSERT { GRAPH ex:out { ?s ex:seen ?o } } USING ex:g2 WHERE { ?s ex:p ?o }",
    # Two operations, each with its own USING: the second WHERE sees only its own graph.
    "INSERT { GRAPH ex:out1 { ?s ex:seen ?o } } USING ex:g1 WHERE { ?s ex:p ?o } ; "
    "INSERT { GRAPH ex:out2 { ?s ex:seen ?o } } USING ex:g2 WHERE { ?s ex:p ?o }",
    # DELETE WHERE (no WHERE group of its own) between two operations with one.
    "INSERT { GRAPH ex:out1 { ?s ex:seen ?o } } USING ex:g1 WHERE { ?s ex:p ?o } ; "
    "DELETE WHERE { GRAPH ex:g1 { ?s ex:p 10 } } ; "
    "WITH ex:g2 INSERT { ?s ex:again ?o } WHERE { ?s ex:p ?o }",
    # The word WHERE and braces inside literals and comments, in data and in templates.
    'INSERT DATA { ex:x ex:label "WHERE { ?s ?p ?o } ;" } ; # WHERE { }\n'
    'INSERT { ?s ex:note """a } WHERE {""" } USING ex:g1 WHERE { ?s ex:p ?o FILTER(?o > 10) }',
    # BASE and PREFIX hold for the data and the WHERE of every operation.
    "BASE <http://ex/> PREFIX e: <sub/> INSERT DATA { e:y <p> 5 } ; "
    "INSERT { GRAPH <out> { ?s e:seen ?o } } WHERE { ?s <p> ?o }",
    # Escaped characters in prefixed names (a \\# is not a comment, a \\' not a string).
    "INSERT DATA { ex:a\\#b ex:p ex:c\\'d } ; INSERT { ?s ex:q 1 } WHERE { ?s ex:p ex:c\\'d }",
    # Blank nodes in data are fresh per operation; sub-selects and nested groups in a WHERE.
    "INSERT DATA { _:n ex:p 3 } ; INSERT { ?s ex:max ?m } WHERE { { SELECT ?s (MAX(?o) AS ?m) "
    "WHERE { ?s ex:p ?o } GROUP BY ?s } }",
    "DELETE DATA { ex:a ex:p 1 } ; DELETE { ?s ex:p ?o } INSERT { ?s ex:p 0 } WHERE { ?s ex:p ?o }",
]


@pytest.mark.parametrize("update", CASES)
def test_each_operation_has_its_own_dataset_and_where(update: str) -> None:
    ds = Dataset.memory()
    _commit(ds, update_change(ds, SEED))
    reference = _as_plain_store(ds)
    effect = update_change(ds, PREFIX + update)
    reference.update(PREFIX + update)
    _commit(ds, effect)
    mine = _as_plain_store(ds)
    assert _canonical(mine) == _canonical(reference)
    assert sorted(map(str, mine.named_graphs())) == sorted(map(str, reference.named_graphs()))


def _with_using(update: str, clause: str) -> str:
    return update.replace(" WHERE {", f" {clause} WHERE {{")


def test_protocol_using_graphs_hold_for_every_operation_with_a_where() -> None:
    """using-graph-uri / using-named-graph-uri mean USING / USING NAMED on each operation."""
    update = (
        PREFIX + 'INSERT DATA { ex:x ex:label "WHERE ; {" } ; '
        "INSERT { GRAPH ex:out { ?s ex:seen ?o } } WHERE { ?s ex:p ?o } ; "
        "INSERT { GRAPH ex:out { ?g ex:has ?s } } WHERE { GRAPH ?g { ?s ex:p ?o } }"
    )
    ds = Dataset.memory()
    _commit(ds, update_change(ds, SEED))
    reference = _as_plain_store(ds)
    effect = update_change(ds, update, using=(["http://ex/g1"], ["http://ex/g2"]))
    reference.update(_with_using(update, "USING ex:g1 USING NAMED ex:g2"))
    _commit(ds, effect)
    assert _canonical(_as_plain_store(ds)) == _canonical(reference)
    seen = {q.subject.value for q in effect.add if q.predicate.value == "http://ex/seen"}
    assert seen == {"http://ex/a", "http://ex/c"}  # g1 only


@pytest.mark.parametrize(
    "update",
    [
        "WITH <http://ex/g1> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
        "INSERT DATA { <http://ex/a> <http://ex/p> 1 } ; "
        "DELETE { ?s ?p ?o } USING <http://ex/g1> WHERE { ?s ?p ?o }",
    ],
)
def test_own_with_or_using_conflicts_with_protocol_graphs(update: str) -> None:
    ds = Dataset.memory()
    with pytest.raises(UpdateSyntaxError, match="forbids both"):
        update_change(ds, update, using=(["http://ex/g2"], []))
    update_change(ds, update)  # without the protocol's graphs it is a valid update


def test_data_groups_are_parsed_by_the_engine_with_the_request_base() -> None:
    ds = Dataset.memory()
    effect = update_change(
        ds,
        'BASE <http://base/> INSERT DATA { <a> <b> "}" . GRAPH <g> { <a> <b> """{ WHERE"""@en } }',
        base_iri="http://ignored/",
    )
    assert effect.add == {
        ox.Quad(ox.NamedNode("http://base/a"), ox.NamedNode("http://base/b"), ox.Literal("}"), UNNAMED),
        ox.Quad(
            ox.NamedNode("http://base/a"),
            ox.NamedNode("http://base/b"),
            ox.Literal("{ WHERE", language="en"),
            ox.NamedNode("http://base/g"),
        ),
    }


def test_bad_syntax_is_refused_before_anything_is_read() -> None:
    ds = Dataset.memory()
    for bad in ("INSERT DATA { <http://a> <http://b> }", "INSERT { ?s ?p ?o } WHERE { ?s ?p }", "DELETE"):
        with pytest.raises(UpdateSyntaxError):
            update_change(ds, bad)
