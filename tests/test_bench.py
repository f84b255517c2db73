"""``make bench`` runs every benchmark: each ``bench/bench_*.py`` has a ``main()`` the harness can call,
and none reads the harness's command line (``python -m bench gaps`` once stopped in ``bench_gaps``'s
argument parser)."""

from __future__ import annotations

import ast
import inspect
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.__main__ import names  # noqa: E402

BENCHMARKS = names()


def _reads_the_command_line(tree: ast.Module) -> list[str]:
    """Where a module reads ``sys.argv`` or calls ``parse_args()`` outside ``if __name__ == "__main__"``."""
    guarded: set[int] = set()
    for node in tree.body:
        if isinstance(node, ast.If) and "__main__" in ast.unparse(node.test):
            guarded |= {id(n) for n in ast.walk(node)}
    found = []
    for node in ast.walk(tree):
        if id(node) in guarded:
            continue
        if isinstance(node, ast.Attribute) and ast.unparse(node) == "sys.argv":
            found.append(f"line {node.lineno}: sys.argv")
        if isinstance(node, ast.Call) and ast.unparse(node.func).endswith("parse_args") and not node.args:
            found.append(f"line {node.lineno}: parse_args() reads sys.argv")
    return found


def test_the_harness_finds_every_benchmark_module() -> None:
    files = {p.stem.removeprefix("bench_") for p in (ROOT / "bench").glob("bench_*.py")}
    assert set(BENCHMARKS) == files and "gaps" in files


@pytest.mark.parametrize("name", BENCHMARKS)
def test_each_benchmark_runs_from_the_harness_without_its_arguments(name: str) -> None:
    source = (ROOT / "bench" / f"bench_{name}.py").read_text(encoding="utf-8")
    assert _reads_the_command_line(ast.parse(source)) == []
    namespace = __import__(f"bench.bench_{name}", fromlist=["main"])
    required = [
        p
        for p in inspect.signature(namespace.main).parameters.values()
        if p.default is inspect.Parameter.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    ]
    assert required == [], f"bench_{name}.main() needs {required}"


def test_the_check_finds_a_benchmark_that_reads_the_harness_arguments() -> None:
    bad = (
        "import argparse, sys\ndef main():\n    argparse.ArgumentParser().parse_args()\n    return sys.argv\n"
    )
    assert len(_reads_the_command_line(ast.parse(bad))) == 2
