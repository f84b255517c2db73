"""Counts over the seed are right without DISTINCT, because each fact has one home.

Every seed file is loaded into a real pyoxigraph store, each into its own named
graph. The tests count members, partners, cities and memberships the plain
way, graph by graph (``GRAPH ?g { ... }`` with ``COUNT(*)``): if a resource were
typed in two graphs, or a statement repeated in a second graph, these counts
would come out too high. The expected numbers are the sources' (SOURCES.md).
"""

from __future__ import annotations

from collections import Counter

import pyoxigraph as ox
import pytest

from lcgraph.resources import SEED_DIR

LC = "https://w3id.org/lcgraph/def#"
ORG = "http://www.w3.org/ns/org#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
GNLC = "https://w3id.org/lcgraph/id/network/gnlc"


@pytest.fixture(scope="module")
def store() -> ox.Store:
    s = ox.Store()
    for path in sorted(SEED_DIR.glob("*.trig")):
        s.load(path=str(path), format=ox.RdfFormat.TRIG)
    return s


def count(store: ox.Store, pattern: str) -> int:
    rows = list(store.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ {pattern} }} }}"))
    return int(rows[0]["n"].value)


def test_no_statement_is_in_two_graphs(store: ox.Store) -> None:
    triples = Counter(
        (q.subject, q.predicate, q.object) for q in store.quads_for_pattern(None, None, None, None)
    )
    repeated = [t for t, n in triples.items() if n > 1]
    assert not repeated, repeated[:5]


def test_no_resource_is_typed_in_two_graphs(store: ox.Store) -> None:
    homes: dict[object, set[object]] = {}
    for q in store.quads_for_pattern(None, ox.NamedNode(RDF_TYPE), None, None):
        homes.setdefault(q.subject, set()).add(q.graph_name)
    shared = {s: g for s, g in homes.items() if len(g) > 1}
    assert not shared, shared


def test_gnlc_members_cities_and_memberships_count_without_distinct(store: ox.Store) -> None:
    assert count(store, f"?m a <{ORG}Membership> ; <{ORG}organization> <{GNLC}> .") == 13
    assert count(store, f"?m <{ORG}organization> <{GNLC}> ; <{ORG}member> ?city .") == 13
    assert count(store, f"?city a <{LC}LearningCity> .") == 13
    assert count(store, f"?n a <{LC}Network> .") == 1


def test_partners_count_without_distinct(store: ox.Store) -> None:
    # The seven bodies the release names; the organising division is a unit, not a partner.
    assert count(store, f"?p a <{LC}PartnerOrganisation> .") == 7
    assert count(store, f"?x a <{LC}Partnership> ; <{LC}party> ?p .") == 7


def test_a_duplicated_fact_would_be_counted_twice(store: ox.Store) -> None:
    # The counts above can fail: restating one membership in a second graph raises them.
    copy = ox.Store()
    copy.extend(store.quads_for_pattern(None, None, None, None))
    other = ox.NamedNode("https://w3id.org/lcgraph/graph/seed/learning-city-days-2023")
    member = ox.NamedNode("https://w3id.org/lcgraph/id/membership/gnlc-phayao")
    copy.add(ox.Quad(member, ox.NamedNode(RDF_TYPE), ox.NamedNode(f"{ORG}Membership"), other))
    copy.add(ox.Quad(member, ox.NamedNode(f"{ORG}organization"), ox.NamedNode(GNLC), other))
    assert count(copy, f"?m a <{ORG}Membership> ; <{ORG}organization> <{GNLC}> .") == 14
