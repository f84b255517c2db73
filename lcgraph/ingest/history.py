"""The history of accepted writes: one PROV activity per change-set.

For data stewards (``lcgraph history``) and anyone who asks the SPARQL
endpoint "who changed what, when". The guarded write path records each
accepted write in ``lcg:history`` as::

    lcid:change/… a prov:Activity, lc:ChangeSet ;
        prov:wasAssociatedWith lcid:agent/… ;
        prov:startedAtTime …, prov:endedAtTime … ;
        lc:triplesAdded n ; lc:triplesRemoved n ;
        dct:source "graph store PUT" ;
        lc:changedGraph <graph> ;            # each named graph written to
        lc:forced true ; lc:violations n ;   # only for forced writes
        prov:wasInformedBy lcid:import/… .   # for imports

This module reads it back with one engine query.
"""

from __future__ import annotations

from dataclasses import dataclass

from lcgraph.namespaces import GRAPH_HISTORY, sparql_prefixes
from lcgraph.store import Repository

HISTORY_QUERY = (
    sparql_prefixes("prov", "lc", "dct", "rdfs", "xsd")
    + """
SELECT ?change ?time ?agent ?agentLabel ?added ?removed ?source ?forced
       (GROUP_CONCAT(DISTINCT STR(?graph); SEPARATOR=" ") AS ?graphs)
WHERE { GRAPH <%s> {
    ?change a lc:ChangeSet ; prov:endedAtTime ?time ; prov:wasAssociatedWith ?agent ;
            lc:triplesAdded ?added ; lc:triplesRemoved ?removed ; dct:source ?source .
    OPTIONAL { ?agent rdfs:label ?agentLabel }
    OPTIONAL { ?change lc:forced ?forced }
    OPTIONAL { ?change lc:changedGraph ?graph }
  }
  %s
}
GROUP BY ?change ?time ?agent ?agentLabel ?added ?removed ?source ?forced
ORDER BY DESC(?time) ?change
LIMIT %d
"""
)


@dataclass(frozen=True)
class ChangeSet:
    """One accepted write."""

    iri: str
    time: str
    agent: str
    added: int
    removed: int
    source: str
    forced: bool
    graphs: tuple[str, ...]

    def to_json(self) -> dict[str, object]:
        return {
            "change": self.iri,
            "time": self.time,
            "agent": self.agent,
            "added": self.added,
            "removed": self.removed,
            "source": self.source,
            "forced": self.forced,
            "graphs": list(self.graphs),
        }


def list_changes(
    ds: Repository, *, limit: int = 50, agent: str | None = None, since: str | None = None
) -> list[ChangeSet]:
    """The latest change-sets, newest first (optionally by one agent, or since an ISO time)."""
    filters = []
    if agent:
        filters.append(f"FILTER(CONTAINS(LCASE(STR(?agentLabel)), LCASE({_string(agent)})))")
    if since:
        filters.append(f"FILTER(?time >= {_string(since)}^^xsd:dateTime)")
    query = HISTORY_QUERY % (GRAPH_HISTORY, "\n  ".join(filters), max(1, limit))
    rows = ds.select(query)
    return [
        ChangeSet(
            iri=r["change"].value,
            time=r["time"].value,
            agent=r["agentLabel"].value if "agentLabel" in r else r["agent"].value,
            added=int(r["added"].value),
            removed=int(r["removed"].value),
            source=r["source"].value,
            forced="forced" in r and r["forced"].value == "true",
            graphs=tuple(g for g in r["graphs"].value.split(" ") if g) if "graphs" in r else (),
        )
        for r in rows
    ]


def _string(text: str) -> str:
    """A SPARQL string literal (quotes and backslashes escaped)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
