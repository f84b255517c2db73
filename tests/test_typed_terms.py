"""lcgraph.store.typed and graph_iri: pyoxigraph's unions narrowed in one place."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from lcgraph.store import Dataset, LoadError
from lcgraph.store.graph_names import UNNAMED, InvalidGraphName, graph_iri
from lcgraph.store.typed import language, resource, solutions, statement, text

A, B, C = (ox.NamedNode(f"https://example.org/{x}") for x in "abc")
QUOTED = ox.Triple(A, B, C)


def test_text_of_every_kind_of_term() -> None:
    assert text(A) == "https://example.org/a"
    assert text(ox.BlankNode("x1")) == "x1"
    assert text(ox.Literal("ลานวัด", language="th")) == "ลานวัด"
    assert text(QUOTED) == str(QUOTED) and "https://example.org/b" in text(QUOTED)


def test_language_and_resource_narrow_by_kind() -> None:
    assert language(ox.Literal("ลานวัด", language="th")) == "th"
    assert language(ox.Literal("x")) == "" and language(A) == ""
    assert resource(A) is A and resource(ox.Literal("x")) is None and resource(QUOTED) is None


def test_statement_refuses_triple_terms_as_bad_input() -> None:
    assert statement(ox.Quad(A, B, C, UNNAMED)) == (A, B, C)
    with pytest.raises(LoadError, match="triple terms"):
        statement(ox.Quad(A, B, QUOTED))


def test_solutions_says_which_answer_it_got(tmp_path: Path) -> None:
    ds = Dataset.open(tmp_path / "store")
    ds.apply([ox.Quad(A, B, C, UNNAMED)])
    assert [row["s"] for row in solutions(ds.query("SELECT ?s { ?s ?p ?o }"))] == [A]
    with pytest.raises(TypeError, match="QueryBoolean"):
        solutions(ds.query("ASK { ?s ?p ?o }"))


def test_graph_iri_keeps_the_default_graph_in_unnamed() -> None:
    assert graph_iri(ox.DefaultGraph()) == UNNAMED.value
    assert graph_iri(A) == A.value
    with pytest.raises(InvalidGraphName):
        graph_iri(ox.BlankNode())
