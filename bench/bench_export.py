"""Public export (PDPA-filtered, streamed) vs `oxigraph dump` on the same ~1M-triple store.

The store holds the generated synthetic network in ``lcg:synthetic`` plus a
small illustrative ``lcg:private`` graph (example.org addresses). lcgraph
exports the public view (every graph but the private one, personal
statements filtered) with :func:`lcgraph.publish.exports.write_export`;
the peer dumps the synthetic graph with ``oxigraph dump --graph``, which is
the same content. Both run as fresh processes, alternately, ``REPEAT`` times
per format; we print the median wall times, the ratio and each one's peak
RSS. With ``BENCH_BASELINE`` naming a checkout of an earlier lcgraph, its
export runs too, in turn with the others. A city slice (SPARQL-selected,
streamed) is timed too, without a peer.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.common import (
    VENV_BIN,
    baseline_checkout,
    baseline_command,
    generated_file,
    median,
    report,
    run_measured,
)

REPEAT = int(os.environ.get("BENCH_REPEAT", "3"))
CITIES = int(os.environ.get("BENCH_CITIES", "95"))
SYNTHETIC = "https://w3id.org/lcgraph/graph/synthetic"
PRIVATE = "https://w3id.org/lcgraph/graph/private"
FORMATS = (("ntriples", "nt"), ("turtle", "ttl"), ("jsonld", "jsonld"))


def _private_file(directory: Path, admins: int = 2000) -> Path:
    """Illustrative personal data: example.org e-mails of made-up administrators."""
    path = directory / "private.nq"
    with path.open("w", encoding="utf-8") as out:
        for i in range(admins):
            out.write(
                f"<https://w3id.org/lcgraph/id/administrator/bench-{i}> <https://schema.org/email> "
                f'"bench-{i}@example.org" <{PRIVATE}> .\n'
            )
    return path


def _build_store(data: Path, work: Path) -> Path:
    store = work / "store"
    oxigraph = str(VENV_BIN / "oxigraph")
    subprocess.run(
        [oxigraph, "load", "--location", str(store), "--file", str(data)], check=True, capture_output=True
    )
    subprocess.run(
        [oxigraph, "load", "--location", str(store), "--file", str(_private_file(work))],
        check=True,
        capture_output=True,
    )
    return store


def _as_lcgraph_store(store: Path, work: Path) -> Path:
    """A copy of ``store`` opened once by lcgraph, which adds its merged default graph.

    ``oxigraph load`` writes only the named graphs; lcgraph's queries (the city
    slice) read the default graph, which lcgraph keeps as the union of the
    public graphs. The peer and the baseline keep the plain store.
    """
    from lcgraph.store import Dataset

    ours = work / "store-lcgraph"
    shutil.copytree(store, ours)
    Dataset.open(ours).close()
    return ours


def _ours(store: Path, fmt: str, out: Path, *slice_args: str) -> list[str]:
    return [sys.executable, "-m", "bench.bench_export", "--export", str(store), fmt, str(out), *slice_args]


def _export(store: str, fmt: str, out: str, city: str | None = None) -> None:
    """Run inside the measured child process."""
    from lcgraph.publish.exports import resolve_slice, write_export
    from lcgraph.store import Dataset

    ds = Dataset.open_read_only(store)
    write_export(ds, out, fmt, resolve_slice(ds, city=city))


def _lines(path: Path) -> int:
    with path.open("rb") as fh:
        return sum(1 for _ in fh)


def main() -> None:
    data = generated_file(CITIES, fmt="nq")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        store = _build_store(data, work)
        ours_store = _as_lcgraph_store(store, work)
        rows = []
        checkout = baseline_checkout()
        base_rows: list[float | None] = []
        for name, ext in FORMATS:
            ours, peer, based = [], [], []
            for _ in range(REPEAT):
                a, b = work / f"ours.{ext}", work / f"peer.{ext}"
                ours.append(run_measured(_ours(ours_store, name, a)))
                if checkout is not None:
                    cmd, env = baseline_command(
                        checkout, "-m", "bench.bench_export", "--export", store, name, work / f"base.{ext}"
                    )
                    based.append(run_measured(cmd, env=env))
                peer.append(
                    run_measured(
                        [
                            VENV_BIN / "oxigraph",
                            "dump",
                            "--location",
                            store,
                            "--graph",
                            SYNTHETIC,
                            "--format",
                            ext,
                            "--file",
                            b,
                        ]
                    )
                )
            if name == "ntriples":
                print(
                    f"N-Triples lines: lcgraph {_lines(a):,}, oxigraph {_lines(b):,}; "
                    f"private addresses in ours: {a.read_bytes().count(b'@example.org')}"
                )
            for label, attr, unit in (
                ("wall time", "seconds", "s"),
                ("CPU time", "cpu_seconds", "s"),
                ("peak RSS", "peak_rss_mb", "MB"),
            ):
                rows.append(
                    (
                        f"{name}: {label}",
                        median([getattr(s, attr) for s in ours]),
                        median([getattr(s, attr) for s in peer]),
                        unit,
                    )
                )
                if based:
                    base_rows.append(median([getattr(s, attr) for s in based]))
            a.unlink()
            b.unlink()
        report(
            f"export of {data.name} (public view) vs oxigraph dump, median of {REPEAT}",
            rows,
            base_rows or None,
        )
        city = run_measured(_ours(ours_store, "ntriples", work / "city.nt", "syn-0001"))
        print(
            f"city slice (first synthetic city, N-Triples): {city.seconds:.2f} s, "
            f"peak RSS {city.peak_rss_mb:.0f} MB, {_lines(work / 'city.nt'):,} lines"
        )
        shutil.rmtree(store)
        shutil.rmtree(ours_store)


if __name__ == "__main__":
    if len(sys.argv) >= 5 and sys.argv[1] == "--export":
        _export(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5] if len(sys.argv) > 5 else None)
    else:
        main()
