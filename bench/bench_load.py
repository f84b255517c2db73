"""`lcgraph load` vs `oxigraph load` on the same generated ~1M-triple file.

`lcgraph load --force` is the bulk path (atomic, recorded in the history,
no shapes: `oxigraph load` checks none either). Both are run as fresh
processes into a fresh on-disk store, alternately, ``REPEAT`` times; we print
the medians, the ratio and each one's peak RSS.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from bench.common import VENV_BIN, generated_file, median, report, run_measured

REPEAT = int(os.environ.get("BENCH_REPEAT", "3"))
CITIES = int(os.environ.get("BENCH_CITIES", "100"))


def main() -> None:
    data = generated_file(CITIES, fmt="nt")
    lines = sum(1 for _ in data.open("rb"))
    print(f"input: {data.name}, {lines:,} triples, {data.stat().st_size / 1e6:.0f} MB")
    ours, peer = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(REPEAT):
            a, b = Path(tmp) / f"lc{i}", Path(tmp) / f"ox{i}"
            ours.append(run_measured([VENV_BIN / "lcgraph", "load", "--force", "--data", a, data]))
            peer.append(run_measured([VENV_BIN / "oxigraph", "load", "--location", b, "--file", data]))
            shutil.rmtree(a)
            shutil.rmtree(b)
    report(
        f"load {lines:,} triples (N-Triples), median of {REPEAT}",
        [
            ("wall time", median([s.seconds for s in ours]), median([s.seconds for s in peer]), "s"),
            ("peak RSS", median([s.peak_rss_mb for s in ours]), median([s.peak_rss_mb for s in peer]), "MB"),
        ],
    )


if __name__ == "__main__":
    main()
