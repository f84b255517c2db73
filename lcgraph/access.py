"""The access model: what each caller may read and write, per kind of graph.

For every layer that reads or writes on a caller's behalf (the SPARQL and
Graph Store routes, pages, exports, search, validation dry runs, the guarded
write path). It depends on nothing above ``namespaces``; validation and
publishing both depend on it. The README's "Access model" section is this
module in words.

Graph kinds
-----------
* **data** — seed facts, examples, imports, the unnamed graph
  (``lcg:default``, where writes without a graph land) and any graph a
  writer creates.
* **private** — ``lcg:private``: personal data (PDPA).
* **history** — ``lcg:history``: the change-sets. Append-only; only the
  write path appends to it. Nobody edits or drops it through SPARQL or the
  Graph Store, an administrator included; the one edit is the explicit,
  recorded prune of old change-sets by an administrator
  (:func:`lcgraph.validation.guarded.prune_history`).
* **reference** — ontology, vocabularies, shapes: what later writes are
  checked against.
* **findings** — ``lcg:findings``: written by the gap analysis.

Scopes
------
============  ======  ============  =================================  ==========================
kind          anyone  read-private  write                              write+admin
============  ======  ============  =================================  ==========================
data          read    read          read, write                        read, write
private       —       read          only routed personal statements    as write (+read-private to
                                    (needs read-private to name it)    name it)
history       read    read          — (appended by the write path)     —
reference     read    read          read                               read, write
findings      read    read          read                               read, write
============  ======  ============  =================================  ==========================

``DROP ALL``, ``CLEAR ALL`` and a whole-dataset ``PUT`` act only on the
graphs the caller may write. A write is evaluated on the caller's view: the
``WHERE`` of an update, ``USING``/``WITH`` and the source of
``COPY``/``MOVE``/``ADD`` see only what the caller may read.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from lcgraph.namespaces import (
    GRAPH_FINDINGS,
    GRAPH_HISTORY,
    GRAPH_ONTOLOGY,
    GRAPH_PRIVATE,
    GRAPH_SHAPES,
    GRAPH_VOCAB,
)

PRIVATE_GRAPH = str(GRAPH_PRIVATE)
HISTORY_GRAPH = str(GRAPH_HISTORY)
REFERENCE_GRAPHS = frozenset(str(g) for g in (GRAPH_ONTOLOGY, GRAPH_VOCAB, GRAPH_SHAPES))
FINDINGS_GRAPH = str(GRAPH_FINDINGS)


class GraphKind(enum.Enum):
    DATA = "data"
    PRIVATE = "private"
    HISTORY = "history"
    REFERENCE = "reference"
    FINDINGS = "findings"


def graph_kind(graph: str) -> GraphKind:
    """The kind of a named graph (an unknown graph is a data graph)."""
    if graph == PRIVATE_GRAPH:
        return GraphKind.PRIVATE
    if graph == HISTORY_GRAPH:
        return GraphKind.HISTORY
    if graph in REFERENCE_GRAPHS:
        return GraphKind.REFERENCE
    if graph == FINDINGS_GRAPH:
        return GraphKind.FINDINGS
    return GraphKind.DATA


class AccessDenied(Exception):
    """The caller's scopes do not allow this (HTTP 403)."""

    status = 403


@dataclass(frozen=True)
class Access:
    """What one caller may do. Build it from the caller's token scopes."""

    read_private: bool = False
    write: bool = False
    admin: bool = False
    #: Only the write path itself and administrator commands run with this.
    system: bool = False

    # -- reading ---------------------------------------------------------------

    def may_read(self, graph: str) -> bool:
        return self.system or self.read_private or graph != PRIVATE_GRAPH

    def check_read(self, graph: str) -> None:
        if not self.may_read(graph):
            raise AccessDenied(
                f"the graph <{graph}> holds personal data (Thailand PDPA); reading it needs a token "
                "with the read-private scope"
            )

    # -- writing ---------------------------------------------------------------

    def may_write(self, graph: str, *, routed: bool = False) -> bool:
        """May this caller change ``graph``? ``routed``: a personal statement the write path moved there."""
        if self.system:
            return True
        if not self.write:
            return False
        kind = graph_kind(graph)
        if kind is GraphKind.DATA:
            return True
        if kind is GraphKind.PRIVATE:
            return routed or self.read_private
        if kind is GraphKind.HISTORY:
            return False
        return self.admin  # reference graphs and findings

    def check_write(self, graph: str, *, routed: bool = False) -> None:
        if self.may_write(graph, routed=routed):
            return
        kind = graph_kind(graph)
        if not self.write:
            why = "writing needs a token with the write scope"
        elif kind is GraphKind.HISTORY:
            why = (
                "the history graph is append-only: only the write path records change-sets in it, "
                "and nobody edits or drops it through the API"
            )
        elif kind is GraphKind.PRIVATE:
            why = (
                "the private graph holds personal data (PDPA); naming it in a write needs the "
                "read-private scope as well as write"
            )
        else:
            why = f"the {kind.value} graphs may be changed by administrators only (scope admin)"
        raise AccessDenied(f"may not change <{graph}>: {why}")


#: Anyone without a token.
ANONYMOUS = Access()
#: The write path's own work and administrator commands (``lcgraph`` on the server's machine).
SYSTEM = Access(read_private=True, write=True, admin=True, system=True)
