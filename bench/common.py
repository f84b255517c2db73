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

# Runs a command and prints its wall time, its CPU time (user + system, all threads and
# children) and the peak RSS of the process tree's largest member, as JSON. Used so each
# measured run is a fresh process. On a shared machine the wall time grows with the other
# load while the CPU time mostly does not: both are printed.
_MEASURE = r"""
import json, resource, subprocess, sys, time
t = time.perf_counter()
rc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode
dt = time.perf_counter() - t
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"rc": rc, "seconds": dt, "cpu_seconds": usage.ru_utime + usage.ru_stime,
                  "peak_rss_mb": usage.ru_maxrss / 1024}))
"""


@dataclass(frozen=True)
class Sample:
    seconds: float
    peak_rss_mb: float
    cpu_seconds: float = 0.0
    rc: int = 0
    stderr: str = ""


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
    return Sample(info["seconds"], info["peak_rss_mb"], info["cpu_seconds"], info["rc"], proc.stderr)


def baseline_checkout() -> Path | None:
    """A checkout of an earlier lcgraph to measure beside this one (``BENCH_BASELINE``), or ``None``.

    The baseline runs with that checkout's own ``.venv`` when it has one (else
    with this one, the checkout's code first on the path), on stores its own
    code wrote; rows for it are printed as a third column in the same run.
    """
    value = os.environ.get("BENCH_BASELINE") or os.environ.get("BENCH_SPARQL_BASELINE")
    return Path(value).resolve() if value else None


def baseline_command(checkout: Path, *args: str | int | os.PathLike[str]) -> tuple[list[str], dict[str, str]]:
    """``python -m …`` of the baseline checkout: the command and the environment to run it with."""
    python = checkout / ".venv" / "bin" / "python"
    # -P: the working directory (this checkout) is not put first on the path; PYTHONPATH is.
    command = [str(python if python.exists() else sys.executable), "-P", *map(str, args)]
    return command, {"PYTHONPATH": str(checkout)}


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


def report(
    title: str, rows: list[tuple[str, float, float, str]], baseline: list[float | None] | None = None
) -> None:
    """Print ``(what, lcgraph, peer, unit)`` rows with the ratio lcgraph/peer.

    ``baseline``: the same measures of an earlier lcgraph (:func:`baseline_checkout`), one per row
    (``None`` where it has none), printed with its own ratio to the peer and ours to it.
    """
    print(f"\n== {title}")
    extra = f" {'baseline':>12} {'base/peer':>9} {'ours/base':>9}" if baseline else ""
    print(f"{'measure':44} {'lcgraph':>12} {'peer':>12} {'ratio':>8}{extra}")
    for i, (what, ours, peer, unit) in enumerate(rows):
        ratio = ours / peer if peer else float("nan")
        line = f"{what:44} {ours:>10.3f}{unit:>2} {peer:>10.3f}{unit:>2} {ratio:>7.2f}x"
        base = baseline[i] if baseline else None
        if base is not None:
            line += (
                f" {base:>10.3f}{unit:>2} {base / peer if peer else float('nan'):>8.2f}x {ours / base:>8.2f}x"
            )
        print(line)


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
