"""Reading SPARQL updates on the guarded path: what ``update_change`` costs beside the engine.

``update_change`` works out what an update would add and remove (it parses the
request, evaluates each WHERE on the caller's view, fills the templates); the
peer is the engine running the same text itself on an empty in-memory store
(``Store.update``), which parses it and inserts the data. Measured in one run:

* ``INSERT DATA`` of ``BENCH_UPDATE_TRIPLES`` triples (default 20,000, about
  1.6 MB of text) into a named graph;
* a small ``DELETE/INSERT … WHERE`` on a store holding those triples
  (median of ``BENCH_REPEAT`` runs).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

import pyoxigraph as ox

from bench.common import median, report
from lcgraph.store import Dataset
from lcgraph.validation.updates import update_change

TRIPLES = int(os.environ.get("BENCH_UPDATE_TRIPLES", "20000"))
REPEAT = int(os.environ.get("BENCH_REPEAT", "5"))
GRAPH = "https://w3id.org/lcgraph/graph/bench-updates"


def _insert_data(n: int) -> str:
    lines = (
        f'ex:s{i} ex:label "label {i}, with {{braces}} and a ; semicolon"@en ; ex:n {i} ; ex:to ex:s{i + 1} .'
        for i in range(n)
    )
    return (
        f"PREFIX ex: <http://example.org/>\nINSERT DATA {{ GRAPH <{GRAPH}> {{\n" + "\n".join(lines) + "\n} }"
    )


MODIFY = f"""PREFIX ex: <http://example.org/>
DELETE {{ GRAPH <{GRAPH}> {{ ?s ex:n ?n }} }} INSERT {{ GRAPH <{GRAPH}> {{ ?s ex:n 0 }} }}
USING <{GRAPH}> WHERE {{ ?s ex:n ?n FILTER(?n < 100) }}"""


def _timed(fn: Callable[..., object]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def main() -> None:
    text = _insert_data(TRIPLES)
    ds = Dataset.memory()
    ours = _timed(lambda: update_change(ds, text))
    peer = _timed(lambda: ox.Store().update(text))
    effect = update_change(ds, text)
    assert len(effect.add) == 3 * TRIPLES, len(effect.add)
    print(f"INSERT DATA: {len(text) / 1e6:.2f} MB, {len(effect.add):,} quads")
    loaded = ox.Store()
    loaded.update(text)
    nquads = ox.serialize(loaded, format=ox.RdfFormat.N_QUADS)
    assert nquads is not None  # no output given: the bytes are returned
    ds.load_bytes(nquads, "nquads")
    modify_ours = median([_timed(lambda: update_change(ds, MODIFY)) for _ in range(REPEAT)])
    copies = [_copy(loaded) for _ in range(REPEAT)]  # each run of the peer changes its store
    modify_peer = median([_timed(lambda c=c: c.update(MODIFY)) for c in copies])
    report(
        "update_change (parse + evaluate, no commit) vs the engine running the update",
        [
            (f"INSERT DATA, {TRIPLES:,} triples", ours, peer, "s"),
            ("DELETE/INSERT WHERE, 100 rows", modify_ours, modify_peer, "s"),
        ],
    )


def _copy(store: ox.Store) -> ox.Store:
    copy = ox.Store()
    copy.extend(store)
    return copy


if __name__ == "__main__":
    main()
