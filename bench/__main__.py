"""Run the benchmarks: ``python -m bench`` (all) or ``python -m bench load sparql``.

Every ``bench/bench_*.py`` module is one benchmark; the harness calls its
``main()`` with no arguments (a module's own command-line options are for
running it by itself and never read the harness's). A benchmark that fails is
reported and the others still run; the exit status says whether all passed.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
import traceback

import bench


def names() -> list[str]:
    """Every benchmark in ``bench/``, by the name ``python -m bench NAME`` takes."""
    return sorted(
        m.name[len("bench_") :] for m in pkgutil.iter_modules(bench.__path__) if m.name.startswith("bench_")
    )


def main(argv: list[str]) -> int:
    known = names()
    chosen = argv or known
    unknown = [n for n in chosen if n not in known]
    if unknown:
        raise SystemExit(f"unknown benchmark(s) {unknown}; known: {known}")
    failed: list[str] = []
    for name in chosen:
        print(f"\n#### bench {name}", flush=True)
        try:
            importlib.import_module(f"bench.bench_{name}").main()
        except Exception:
            traceback.print_exc()
            failed.append(name)
    print(
        f"\n#### {len(chosen) - len(failed)} of {len(chosen)} benchmarks ran"
        + (f"; failed: {failed}" if failed else "")
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
