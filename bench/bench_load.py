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

``BENCH_LOAD_VALIDATED=0`` leaves out the validated and refused rows.
With ``BENCH_BASELINE`` naming a checkout of an earlier lcgraph, its
``load --force`` runs too, into a store its own ``init`` made, in turn with
the others (one of each per round).

``BENCH_LOAD_PHASES=1`` instead times one validated load phase by phase
(in a child process: wall, CPU and peak RSS of each phase, the peak reset
at each phase start) beside one `oxigraph load` of the same file.

``BENCH_NATIONAL=1`` also loads the national file (`--cities 1000 --profile
benchmark`, ~8.7M triples) once, validated, and prints time and peak RSS.

``BENCH_LOAD_BAD=1`` instead shows refusals at scale, each run once beside
`oxigraph load` of the good file: the file with one invalid entity appended
at its end, and the file with ``BENCH_BAD_MANY`` (default 50,000) invalid
entities appended (two broken rules each, so 100,000 results). For each it
checks the exit code (1), that the report names the last entity (or is
capped and summarised) and that the store's quads are unchanged (count and
SHA-256 of the sorted N-Quads), and prints wall, CPU, peak RSS and the size
of the report. With ``BENCH_NATIONAL=1`` the national file too (one bad last
entity, and `oxigraph load` of it).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from bench.common import (
    OUT_DIR,
    VENV_BIN,
    baseline_checkout,
    baseline_command,
    generated_file,
    median,
    report,
    run_measured,
)

REPEAT = int(os.environ.get("BENCH_REPEAT", "3"))
CITIES = int(os.environ.get("BENCH_CITIES", "100"))
VALIDATED = os.environ.get("BENCH_LOAD_VALIDATED", "1") != "0"
BAD_TAIL = (
    "<https://w3id.org/lcgraph/id/space/bench-last> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> "
    "<https://w3id.org/lcgraph/def#LearningSpace> .\n"
)


def _template(tmp: Path, checkout: Path | None = None) -> Path:
    """A store as ``lcgraph init`` leaves it (by the baseline's code when ``checkout`` is given)."""
    template = tmp / ("base-template" if checkout else "template")
    cmd: Sequence[str | Path]
    env: dict[str, str] | None
    cmd, env = [VENV_BIN / "lcgraph"], None
    if checkout is not None:
        cmd, env = baseline_command(checkout, "-m", "lcgraph.cli")
    subprocess.run(
        [*cmd, "init", "--no-check", "--data", template],
        check=True,
        capture_output=True,
        env=env and {**os.environ, **env},
    )
    return template


def _fresh(template: Path, to: Path) -> Path:
    shutil.copytree(template, to)
    return to


def _rss_mb() -> tuple[float, float]:
    """This process's resident set and its peak since the last reset, in MB (Linux)."""
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines())
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def _phases_child(store: str, file: str) -> None:
    """Run in a child: one validated load of ``file`` into ``store``, printing each phase as JSON."""
    from lcgraph.store import Dataset
    from lcgraph.validation.bulk_load import load_validated

    rows: list[dict[str, object]] = []
    state: dict[str, str | float] = {"name": "opening", "t": time.perf_counter(), "cpu": time.process_time()}

    def close_phase() -> None:
        rss, peak = _rss_mb()
        rows.append(
            {
                "phase": state["name"],
                "seconds": time.perf_counter() - float(state["t"]),
                "cpu_seconds": time.process_time() - float(state["cpu"]),
                "rss_mb": rss,
                "peak_rss_mb": peak,
            }
        )
        Path("/proc/self/clear_refs").write_text("5")  # resets the peak (VmHWM) to the current RSS

    def phase(name: str, _size: int | None) -> None:
        close_phase()
        state.update(name=name, t=time.perf_counter(), cpu=time.process_time())

    ds = Dataset.open(store)
    load_validated(ds, file, agent="bench", phase=phase)
    ds.close()
    close_phase()
    print(json.dumps(rows))


def phases(data: Path, template: Path, tmp: Path) -> None:
    """Time one validated load phase by phase, beside `oxigraph load` of the same file."""
    store = _fresh(template, tmp / "phases")
    started = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-m", "bench.bench_load", "phases-child", str(store), str(data)],
        capture_output=True,
        text=True,
    )
    total = time.perf_counter() - started
    if out.returncode:
        raise RuntimeError(f"the validated load failed: {out.stderr[-3000:]}")
    rows = json.loads(out.stdout.strip().splitlines()[-1])
    peer = run_measured([VENV_BIN / "oxigraph", "load", "--location", tmp / "ox-phases", "--file", data])
    print(
        f"\n== validated load phase by phase (one run), beside `oxigraph load` ({peer.seconds:.1f} s, "
        f"{peer.cpu_seconds:.1f} s CPU, peak RSS {peer.peak_rss_mb:.0f} MB)"
    )
    print(f"{'phase':16} {'wall':>8} {'x peer':>7} {'CPU':>8} {'RSS after':>10} {'peak':>8} {'x peer':>7}")
    for r in rows:
        print(
            f"{r['phase']:16} {r['seconds']:>7.1f}s {r['seconds'] / peer.seconds:>6.2f}x "
            f"{r['cpu_seconds']:>7.1f}s {r['rss_mb']:>8.0f}MB {r['peak_rss_mb']:>6.0f}MB "
            f"{r['peak_rss_mb'] / peer.peak_rss_mb:>6.2f}x"
        )
    load = os.getloadavg()[0]
    print(f"{'process total':16} {total:>7.1f}s {total / peer.seconds:>6.2f}x  (load average {load:.1f})")


def _store_state(store: Path) -> tuple[int, str]:
    """The store's named-graph quad count and the SHA-256 of its sorted N-Quads."""
    from lcgraph.store import Dataset

    ds = Dataset.open_read_only(store)
    lines = sorted(str(q).encode() for q in ds.quads())
    del ds
    digest = hashlib.sha256(b"\n".join(lines)).hexdigest()
    return len(lines), digest


def _bad_many(count: int) -> bytes:
    """``count`` learning spaces with neither city nor space type: two Violations each."""
    return "".join(
        f"<https://w3id.org/lcgraph/id/space/bench-bad-{i}> {BAD_TAIL.split(' ', 1)[1]}" for i in range(count)
    ).encode()


def _refusal(name: str, data: Path, tail: bytes, template: Path, tmp: Path, expect: str) -> None:
    """One refused load of ``data`` + ``tail`` into a fresh store, checked and measured."""
    bad = tmp / f"{name}.nt"
    with open(bad, "wb") as out, open(data, "rb") as src:
        shutil.copyfileobj(src, out)
        out.write(tail)
    lines = sum(1 for _ in bad.open("rb"))
    store = _fresh(template, tmp / f"store-{name}")
    before = _store_state(store)
    load = os.getloadavg()[0]
    sample = run_measured([VENV_BIN / "lcgraph", "load", "--data", store, bad], ok_codes=(0, 1, 2))
    after = _store_state(store)
    side = store.parent / f"{store.name}.scratch"
    leftovers = list(side.iterdir()) if side.exists() else []
    text = sample.stderr
    checks = {
        "exit code 1": sample.rc == 1,
        f"report names {expect}": expect in text,
        "quads unchanged": after == before,
        "no side copy left": not leftovers,
    }
    size = bad.stat().st_size / 1e6
    print(f"\n== refused: {name} ({lines:,} triples, {size:.0f} MB, load average {load:.1f})")
    print(
        f"wall {sample.seconds:.1f} s, CPU {sample.cpu_seconds:.1f} s, peak RSS {sample.peak_rss_mb:.0f} MB, "
        f"exit {sample.rc}, report {len(text.encode()):,} bytes on stderr"
    )
    print(f"store before: {before[0]:,} quads, sha256 {before[1][:16]}; after: {after[0]:,}, {after[1][:16]}")
    for what, ok in checks.items():
        print(f"  {'ok  ' if ok else 'FAIL'} {what}")
    head = [line for line in text.splitlines() if line.strip()]
    print("  report head: " + "\n  ".join(head[:3]))
    summary = [line for line in head if line.lstrip().startswith(tuple("0123456789"))]
    if summary:
        print("  summary lines:\n  " + "\n  ".join(summary[:6]))
    bad.unlink()
    shutil.rmtree(store)


def bad_inputs(data: Path, template: Path, tmp: Path) -> None:
    """Refusals at scale (``BENCH_LOAD_BAD=1``): see the module doc."""
    peer = run_measured([VENV_BIN / "oxigraph", "load", "--location", tmp / "ox", "--file", data])
    shutil.rmtree(tmp / "ox")
    print(
        f"peer: `oxigraph load` {data.name}: wall {peer.seconds:.1f} s, CPU {peer.cpu_seconds:.1f} s, "
        f"peak RSS {peer.peak_rss_mb:.0f} MB"
    )
    last = "https://w3id.org/lcgraph/id/space/bench-last"
    _refusal(f"{data.stem}-last-bad", data, BAD_TAIL.encode(), template, tmp, last)
    many = int(os.environ.get("BENCH_BAD_MANY", "50000"))
    _refusal(f"{data.stem}-{many}-bad", data, _bad_many(many), template, tmp, "summary")
    if os.environ.get("BENCH_NATIONAL") == "1":
        national = _national()
        peer = run_measured([VENV_BIN / "oxigraph", "load", "--location", tmp / "oxn", "--file", national])
        shutil.rmtree(tmp / "oxn")
        print(
            f"\npeer: `oxigraph load` {national.name}: wall {peer.seconds:.1f} s, "
            f"CPU {peer.cpu_seconds:.1f} s, peak RSS {peer.peak_rss_mb:.0f} MB"
        )
        _refusal(f"{national.stem}-last-bad", national, BAD_TAIL.encode(), template, tmp, last)


def main() -> None:
    data = generated_file(CITIES, fmt="nt")
    if os.environ.get("BENCH_LOAD_BAD") == "1":
        with tempfile.TemporaryDirectory(dir=OUT_DIR) as tmp_name:
            bad_inputs(data, _template(Path(tmp_name)), Path(tmp_name))
        return
    if os.environ.get("BENCH_LOAD_PHASES") == "1":
        with tempfile.TemporaryDirectory(dir=OUT_DIR) as tmp_name:
            phases(data, _template(Path(tmp_name)), Path(tmp_name))
        return
    lines = sum(1 for _ in data.open("rb"))
    print(f"input: {data.name}, {lines:,} triples, {data.stat().st_size / 1e6:.0f} MB")
    validated, refused, forced, peer, based = [], [], [], [], []
    checkout = baseline_checkout()
    with tempfile.TemporaryDirectory(dir=OUT_DIR) as tmp_name:
        tmp = Path(tmp_name)
        template = _template(tmp)
        base_template = _template(tmp, checkout) if checkout else None
        bad = tmp / "last-is-bad.nt"
        with open(bad, "wb") as out, open(data, "rb") as src:
            shutil.copyfileobj(src, out)
            out.write(BAD_TAIL.encode())
        lcgraph = VENV_BIN / "lcgraph"
        for i in range(REPEAT):
            if VALIDATED:
                a = _fresh(template, tmp / f"lc{i}")
                validated.append(run_measured([lcgraph, "load", "--data", a, data]))
                shutil.rmtree(a)
            b = tmp / f"ox{i}"
            peer.append(run_measured([VENV_BIN / "oxigraph", "load", "--location", b, "--file", data]))
            shutil.rmtree(b)
            if VALIDATED:
                c = _fresh(template, tmp / f"bad{i}")
                refused.append(run_measured([lcgraph, "load", "--data", c, bad], ok_codes=(1,)))
                shutil.rmtree(c)
            d = _fresh(template, tmp / f"force{i}")
            forced.append(run_measured([lcgraph, "load", "--force", "--data", d, data]))
            shutil.rmtree(d)
            if checkout is not None and base_template is not None:
                e = _fresh(base_template, tmp / f"base{i}")
                cmd, env = baseline_command(
                    checkout, "-m", "lcgraph.cli", "load", "--force", "--data", e, data
                )
                based.append(run_measured(cmd, env=env))
                shutil.rmtree(e)
        if os.environ.get("BENCH_NATIONAL") == "1":
            national = _national()
            n = _fresh(template, tmp / "national")
            sample = run_measured([lcgraph, "load", "--data", n, national])
            print(
                f"national file {national.name}: validated load {sample.seconds:.1f} s, "
                f"peak RSS {sample.peak_rss_mb:.0f} MB"
            )
    rows: list[tuple[str, float, float, str]] = []
    base_rows: list[float | None] = []
    measures = (
        ("wall time", "seconds", "s"),
        ("CPU time", "cpu_seconds", "s"),
        ("peak RSS", "peak_rss_mb", "MB"),
    )
    for what, samples in (
        ("validated load", validated),
        ("refused (bad last entity)", refused),
        ("--force (no shapes)", forced),
    ):
        for label, attr, unit in measures if samples else ():
            ours, theirs = (median([getattr(s, attr) for s in x]) for x in (samples, peer))
            rows.append((f"{what}: {label}", ours, theirs, unit))
            forced_row = samples is forced and based
            base_rows.append(median([getattr(s, attr) for s in based]) if forced_row else None)
    report(
        f"load {lines:,} triples (N-Triples) vs `oxigraph load`, median of {REPEAT}",
        rows,
        base_rows if based else None,
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
    if sys.argv[1:2] == ["phases-child"]:
        _phases_child(sys.argv[2], sys.argv[3])
    else:
        main()
