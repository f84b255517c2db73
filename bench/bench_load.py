"""`lcgraph load` (validated, and `--force`) vs `oxigraph load` on the same generated file.

The file is `lcgraph generate --cities N` (``BENCH_CITIES``, default 100:
1.17M triples), N-Triples. Each run is a fresh process into a fresh store
made by `lcgraph init` (ontology, vocabularies, seed facts), alternately,
``REPEAT`` times; medians and each one's peak RSS are printed beside
`oxigraph load`'s. Rows:

* validated: `lcgraph load` (a file this big is staged on disk, checked
  whole by the SHACL engine, committed whole);
* refused: the same file with one invalid entity at the end: the load must
  be refused (exit code 1) with nothing written;
* `--force`: the bulk path without shapes (`oxigraph load` checks none either).

``BENCH_NATIONAL=1`` also loads the national file (`--cities 1000 --profile
benchmark`, ~8.7M triples) once, validated, and prints time and peak RSS.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from bench.common import OUT_DIR, VENV_BIN, generated_file, median, report, run_measured

REPEAT = int(os.environ.get("BENCH_REPEAT", "3"))
CITIES = int(os.environ.get("BENCH_CITIES", "100"))
BAD_TAIL = (
    "<https://w3id.org/lcgraph/id/space/bench-last> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> "
    "<https://w3id.org/lcgraph/def#LearningSpace> .\n"
)


def _template(tmp: Path) -> Path:
    template = tmp / "template"
    subprocess.run(
        [VENV_BIN / "lcgraph", "init", "--no-check", "--data", template], check=True, capture_output=True
    )
    return template


def _fresh(template: Path, to: Path) -> Path:
    shutil.copytree(template, to)
    return to


def main() -> None:
    data = generated_file(CITIES, fmt="nt")
    lines = sum(1 for _ in data.open("rb"))
    print(f"input: {data.name}, {lines:,} triples, {data.stat().st_size / 1e6:.0f} MB")
    validated, refused, forced, peer = [], [], [], []
    with tempfile.TemporaryDirectory(dir=OUT_DIR) as tmp_name:
        tmp = Path(tmp_name)
        template = _template(tmp)
        bad = tmp / "last-is-bad.nt"
        with open(bad, "wb") as out, open(data, "rb") as src:
            shutil.copyfileobj(src, out)
            out.write(BAD_TAIL.encode())
        lcgraph = VENV_BIN / "lcgraph"
        for i in range(REPEAT):
            a = _fresh(template, tmp / f"lc{i}")
            validated.append(run_measured([lcgraph, "load", "--data", a, data]))
            shutil.rmtree(a)
            b = tmp / f"ox{i}"
            peer.append(run_measured([VENV_BIN / "oxigraph", "load", "--location", b, "--file", data]))
            shutil.rmtree(b)
            c = _fresh(template, tmp / f"bad{i}")
            refused.append(run_measured([lcgraph, "load", "--data", c, bad], ok_codes=(1,)))
            shutil.rmtree(c)
            d = _fresh(template, tmp / f"force{i}")
            forced.append(run_measured([lcgraph, "load", "--force", "--data", d, data]))
            shutil.rmtree(d)
        if os.environ.get("BENCH_NATIONAL") == "1":
            national = _national()
            n = _fresh(template, tmp / "national")
            sample = run_measured([lcgraph, "load", "--data", n, national])
            print(
                f"national file {national.name}: validated load {sample.seconds:.1f} s, "
                f"peak RSS {sample.peak_rss_mb:.0f} MB"
            )
    report(
        f"load {lines:,} triples (N-Triples) vs `oxigraph load`, median of {REPEAT}",
        [
            (
                "validated load: wall time",
                median([s.seconds for s in validated]),
                median([s.seconds for s in peer]),
                "s",
            ),
            (
                "validated load: peak RSS",
                median([s.peak_rss_mb for s in validated]),
                median([s.peak_rss_mb for s in peer]),
                "MB",
            ),
            (
                "refused (bad last entity): wall time",
                median([s.seconds for s in refused]),
                median([s.seconds for s in peer]),
                "s",
            ),
            (
                "refused (bad last entity): peak RSS",
                median([s.peak_rss_mb for s in refused]),
                median([s.peak_rss_mb for s in peer]),
                "MB",
            ),
            (
                "--force (no shapes): wall time",
                median([s.seconds for s in forced]),
                median([s.seconds for s in peer]),
                "s",
            ),
            (
                "--force (no shapes): peak RSS",
                median([s.peak_rss_mb for s in forced]),
                median([s.peak_rss_mb for s in peer]),
                "MB",
            ),
        ],
    )


def _national() -> Path:
    path = OUT_DIR / "national-c1000-benchmark.nt"
    if not path.exists():
        subprocess.run(
            [
                VENV_BIN / "lcgraph",
                "generate",
                "--cities",
                "1000",
                "--profile",
                "benchmark",
                "--format",
                "nt",
                "--out",
                path.with_suffix(".partial"),
            ],
            check=True,
        )
        path.with_suffix(".partial").rename(path)
    return path


if __name__ == "__main__":
    main()
