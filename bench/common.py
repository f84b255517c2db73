"""Shared benchmark plumbing: timing medians, peak RSS of child processes, test data.

Every benchmark prints lcgraph's median beside its peer's median, measured in
the same run on the same data, and the ratio. No absolute goal is asserted.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
OUT_DIR = BENCH_DIR / "out"
VENV_BIN = Path(sys.executable).parent

# Runs a command and prints its wall time and the peak RSS of the process tree's
# largest member, as JSON. Used so each measured run is a fresh process.
_MEASURE = r"""
import json, resource, subprocess, sys, time
t = time.perf_counter()
rc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode
dt = time.perf_counter() - t
rss_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"rc": rc, "seconds": dt, "peak_rss_mb": rss_kb / 1024}))
"""


@dataclass(frozen=True)
class Sample:
    seconds: float
    peak_rss_mb: float


def run_measured(
    cmd: Sequence[str | os.PathLike[str]],
    *,
    env: dict[str, str] | None = None,
    ok_codes: tuple[int, ...] = (0,),
) -> Sample:
    """Run ``cmd`` in a fresh process; return wall time and peak RSS (exit codes in ``ok_codes`` are fine)."""
    proc = subprocess.run(
        [sys.executable, "-c", _MEASURE, *map(str, cmd)],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        check=True,
    )
    info = json.loads(proc.stdout.strip().splitlines()[-1])
    if info["rc"] not in ok_codes:
        raise RuntimeError(f"{cmd[0]} failed with exit code {info['rc']}: {proc.stderr[-2000:]}")
    return Sample(info["seconds"], info["peak_rss_mb"])


def time_call(fn: Callable[[], object], repeat: int) -> list[float]:
    """Wall-clock times of ``repeat`` calls of ``fn``."""
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return times


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def report(title: str, rows: list[tuple[str, float, float, str]]) -> None:
    """Print ``(what, lcgraph, peer, unit)`` rows with the ratio lcgraph/peer."""
    print(f"\n== {title}")
    print(f"{'measure':44} {'lcgraph':>12} {'peer':>12} {'ratio':>8}")
    for what, ours, peer, unit in rows:
        ratio = ours / peer if peer else float("nan")
        print(f"{what:44} {ours:>10.3f}{unit:>2} {peer:>10.3f}{unit:>2} {ratio:>7.2f}x")


def generated_file(cities: int, seed: int = 1, fmt: str = "nt") -> Path:
    """A synthetic data file from ``lcgraph generate``, made once and cached in bench/out."""
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    path = OUT_DIR / f"synthetic-c{cities}-s{seed}.{fmt}"
    if not path.exists():
        tmp = path.with_suffix(".partial")
        subprocess.run(
            [
                str(VENV_BIN / "lcgraph"),
                "generate",
                "--cities",
                str(cities),
                "--seed",
                str(seed),
                "--format",
                fmt,
                "--out",
                str(tmp),
            ],
            check=True,
        )
        tmp.rename(path)
    return path
