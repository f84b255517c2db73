"""Guarded writes on a ~1M-triple store: incremental validation + commit vs full validation.

Measured in one run on one on-disk store (ontology + vocabularies + the
synthetic network from ``lcgraph generate``):

* a 100-entity valid write (100 new learning activities linked to existing
  cities, spaces and partners) through ``apply_change``, end to end
  (incremental validation + one-transaction commit + history record),
  median of ``BENCH_REPEAT`` writes;
* full validation of the same store with the same shapes by the engine in
  use (pyshacl-turbo; ``BENCH_FULL_ENGINE=pyshacl`` for the reference, which
  takes minutes), which is what validating every write naively would cost;
  median of ``BENCH_FULL_REPEAT`` runs (default 1);
* a 10,000-row CSV import of learning spaces (first import, then the same
  sheet again, which replaces what the first said), beside the engine's own
  transactional load of the same triples without any checking.

``BENCH_WRITES_CITIES`` (default 100, about 1.1M triples) scales the store.
"""

from __future__ import annotations

import csv
import io
import os
import random
import tempfile
import time
from pathlib import Path

import pyoxigraph as ox

from bench.common import generated_file, median, report
from lcgraph import resources
from lcgraph.ingest.importer import import_bytes
from lcgraph.ingest.templates import TEMPLATES
from lcgraph.namespaces import GRAPH_ONTOLOGY, GRAPH_VOCAB, LC, LCID, LCV, RDF, RDFS, SCHEMA, XSD
from lcgraph.store import Dataset
from lcgraph.validation.engine import engine_name
from lcgraph.validation.guarded import apply_change, default_shapes
from lcgraph.validation.incremental import validate_full

CITIES = int(os.environ.get("BENCH_WRITES_CITIES", "100"))
REPEAT = int(os.environ.get("BENCH_REPEAT", "5"))
FULL_REPEAT = int(os.environ.get("BENCH_FULL_REPEAT", "1"))
ROWS = int(os.environ.get("BENCH_IMPORT_ROWS", "10000"))
GRAPH = "https://w3id.org/lcgraph/graph/bench-writes"


def _store(tmp: Path) -> Dataset:
    data = generated_file(CITIES, fmt="nq")
    ds = Dataset.open(tmp / "store")
    started = time.perf_counter()
    ds.load_path(data)  # first, into the empty store: the engine's bulk loader
    print(f"store: {data.name} loaded in {time.perf_counter() - started:.1f} s")
    ds.load_path(resources.ONTOLOGY_FILE, graph=str(GRAPH_ONTOLOGY))
    for f in resources.vocab_files():
        ds.load_path(f, graph=str(GRAPH_VOCAB))
    print(f"store: {ds.count():,} quads with the ontology and vocabularies")
    return ds


def _anchors(ds: Dataset) -> list[tuple[str, str, str]]:
    """(city, space of that city, partner) triples to link new activities to."""
    rows = ds.select(f"""SELECT ?city (SAMPLE(?space) AS ?s) (SAMPLE(?partner) AS ?p) WHERE {{
        ?city a <{LC}LearningCity> . ?space a <{LC}LearningSpace> ; <{LC}city> ?city .
        ?partner a <{LC}PartnerOrganisation> }} GROUP BY ?city LIMIT 200""")
    return [(r["city"].value, r["s"].value, r["p"].value) for r in rows]


def _activities(anchors: list[tuple[str, str, str]], batch: int, n: int = 100) -> list[ox.Quad]:
    g = ox.NamedNode(GRAPH)
    rng = random.Random(batch)
    date = ox.NamedNode(str(XSD.date))
    quads = []
    for i in range(n):
        city, space, partner = rng.choice(anchors)
        s = ox.NamedNode(f"{LCID}activity/bench-{batch}-{i}")

        def add(p: object, o: ox.NamedNode | ox.Literal, s: ox.NamedNode = s) -> None:
            quads.append(ox.Quad(s, ox.NamedNode(str(p)), o, g))

        add(RDF.type, ox.NamedNode(str(LC.LearningActivity)))
        add(RDFS.label, ox.Literal(f"กิจกรรมทดสอบ {batch}-{i}", language="th"))
        add(RDFS.label, ox.Literal(f"Benchmark activity {batch}-{i}", language="en"))
        add(LC.city, ox.NamedNode(city))
        add(SCHEMA.location, ox.NamedNode(space))
        add(SCHEMA.organizer, ox.NamedNode(partner))
        add(LC.ageGroup, ox.NamedNode(f"{LCV}age-group/youth"))
        add(LC.theme, ox.NamedNode(f"{LCV}theme/history"))
        add(LC.buildingBlock, ox.NamedNode(f"{LCV}gnlc/culture-of-learning"))
        add(SCHEMA.startDate, ox.Literal("2023-08-22", datatype=date))
        add(SCHEMA.endDate, ox.Literal("2023-08-23", datatype=date))
    return quads


def _bench_write(ds: Dataset) -> tuple[float, float]:
    anchors = _anchors(ds)
    times, validation, cpu = [], [], []
    for batch in range(REPEAT + 1):
        quads = _activities(anchors, batch)
        started, cpu_started = time.perf_counter(), time.process_time()
        result = apply_change(ds, add_quads=quads, source="bench", agent="bench")
        elapsed = time.perf_counter() - started
        if batch:  # the first write also reads the shapes: a warm-up
            times.append(elapsed)
            cpu.append(time.process_time() - cpu_started)
            validation.append(result.report.seconds)
        assert result.added == len(quads) and result.report.conforms, result.report.text()
    print(
        f"100-entity write: {len(quads)} triples, {result.report.focus_nodes} focus nodes checked; "
        f"validation median {median(validation):.3f} s of {median(times):.3f} s "
        f"(CPU median {median(cpu):.3f} s; load average {os.getloadavg()[0]:.1f})"
    )
    return median(times), median(validation)


def _bench_full(ds: Dataset) -> tuple[float, float]:
    """Full validation of the store by the engine in use (``BENCH_FULL_ENGINE=pyshacl`` for the reference)."""
    shapes = default_shapes()
    engine = os.environ.get("BENCH_FULL_ENGINE")
    runs = []
    for _ in range(FULL_REPEAT):
        started = time.perf_counter()
        report = validate_full(shapes, ds, engine=engine)
        runs.append(time.perf_counter() - started)
        print(f"full validation ({engine or engine_name()}): {len(ds._store):,} quads in {runs[-1]:.1f} s")
        assert report.mode == "full"
    return 0.0, median(runs)


def _sheet(ds: Dataset, rows: int) -> bytes:
    cities = [r["c"].value for r in ds.select(f"SELECT ?c WHERE {{ ?c a <{LC}LearningCity> }}")]
    template = TEMPLATES["spaces"]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([c.header for c in template.columns])
    rng = random.Random(7)
    for i in range(rows):
        city = rng.choice(cities)
        writer.writerow(
            [
                f"bench-space-{i}",
                f"พื้นที่ทดสอบ {i}",
                f"Benchmark space {i}",
                city,
                "",
                rng.choice(["library", "museum", "temple", "market"]),
                "",
                f"{rng.uniform(6, 20):.4f}",
                f"{rng.uniform(98, 105):.4f}",
                "",
                "",
            ]
        )
    return out.getvalue().encode("utf-8")


def _bench_import(ds: Dataset, tmp: Path) -> None:
    sheet = _sheet(ds, ROWS)
    started, cpu_started = time.perf_counter(), time.process_time()
    first = import_bytes(ds, "spaces", sheet, "bench-spaces.csv", agent="bench")
    t_first, cpu_first = time.perf_counter() - started, time.process_time() - cpu_started
    assert first.written, first.report.text(limit=5)
    started, cpu_started = time.perf_counter(), time.process_time()
    again = import_bytes(ds, "spaces", sheet, "bench-spaces.csv", agent="bench")
    t_again, cpu_again = time.perf_counter() - started, time.process_time() - cpu_started
    assert again.written and again.entities == first.entities
    assert again.graph is not None  # set when written
    # The unchecked floor: the engine loading the same entity triples in one transaction.
    triples = [q for q in ds.quads(None, None, None, ox.NamedNode(again.graph))]
    nq = ox.serialize(triples, format=ox.RdfFormat.N_QUADS)
    peer_store = ox.Store(str(tmp / "peer"))
    started, cpu_started = time.perf_counter(), time.process_time()
    peer_store.load(nq, format=ox.RdfFormat.N_QUADS)
    t_peer, cpu_peer = time.perf_counter() - started, time.process_time() - cpu_started
    print(f"import: {ROWS:,} rows -> {first.added:,} triples; re-import replaced {again.removed:,}")
    print(
        f"import CPU: first {cpu_first:.2f} s, again {cpu_again:.2f} s, peer {cpu_peer:.2f} s "
        f"(load average {os.getloadavg()[0]:.1f})"
    )
    report(
        f"{ROWS:,}-row CSV import (lcgraph: read + resolve + validate + commit; peer: engine load, "
        "no checks)",
        [
            ("first import", t_first, t_peer, "s"),
            ("same sheet again (update)", t_again, t_peer, "s"),
        ],
    )


def main() -> None:
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_TMP")) as tmp:
        ds = _store(Path(tmp))
        write, validation = _bench_write(ds)
        load, full = _bench_full(ds)
        report(
            f"validate + commit a 100-entity write (median of {REPEAT}) vs full validation "
            f"(median of {FULL_REPEAT})",
            [
                ("guarded write, end to end", write, load + full, "s"),
                ("incremental validation only", validation, full, "s"),
            ],
        )
        print(
            f"speed-up: full validation / guarded write = {(load + full) / write:,.0f}x; "
            f"full / incremental validation = {full / validation:,.0f}x"
        )
        _bench_import(ds, Path(tmp))


if __name__ == "__main__":
    main()
