"""Run the benchmarks: ``python -m bench`` (all) or ``python -m bench load sparql``."""

from __future__ import annotations

import importlib
import pkgutil
import sys

import bench


def main(argv: list[str]) -> None:
    names = sorted(
        m.name[len("bench_") :] for m in pkgutil.iter_modules(bench.__path__) if m.name.startswith("bench_")
    )
    chosen = argv or names
    unknown = [n for n in chosen if n not in names]
    if unknown:
        raise SystemExit(f"unknown benchmark(s) {unknown}; known: {names}")
    for name in chosen:
        print(f"\n#### bench {name}")
        importlib.import_module(f"bench.bench_{name}").main()


if __name__ == "__main__":
    main(sys.argv[1:])
