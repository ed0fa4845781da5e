#!/usr/bin/env python3
"""Scan speed against ruff's RUF006 on the same trees, measured alternately in one run.

    python bench/bench_scan.py PATH [PATH ...] [--runs 5] [--jobs N]

For each tree it prints wall-clock medians and peak RSS of:
  ruff cold      `ruff check --select RUF006 --no-cache`           (the peer)
  ruff warm      the same with ruff's cache, second run
  I/O floor      read every .py file once (this process)
  python -c pass the interpreter's own start-up, which every run of ours includes
  bgt cold       `check-background-tasks check --no-cache`
  bgt warm       the same with our cache, nothing changed
  bgt 1 touched  warm, after one candidate file's content changed
and the ratios the performance issue sets targets for.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BGT = [sys.executable, "-m", "check_background_tasks"]


def _timed(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> tuple[float, int]:
    """(wall seconds, peak RSS in KiB of the largest process in the command's tree)."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    proc.returncode = code
    if code not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} failed ({code}): {err[-500:]!r}")
    return elapsed, usage.ru_maxrss


def _io_floor(root: Path) -> float:
    start = time.perf_counter()
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if not d.startswith(".") and d != "node_modules"]
        for name in filenames:
            if name.endswith(".py"):
                with contextlib.suppress(OSError):
                    (Path(dirpath) / name).read_bytes()
    return time.perf_counter() - start


def _candidate(root: Path) -> Path | None:
    """A file our prefilter parses, to touch for the one-file-changed figure."""
    for path in sorted(root.rglob("*.py")):
        try:
            data = path.read_bytes()
        except OSError:
            continue
        if b"create_task" in data or b"add_job" in data or b"beat_schedule" in data:
            return path
    return None


def bench(tree: Path, runs: int, jobs: int | None) -> None:
    ruff = shutil.which("ruff")
    if ruff is None:
        raise SystemExit("ruff is not installed: pip install ruff")
    py_files = sum(1 for _ in tree.rglob("*.py"))
    work = Path(tempfile.mkdtemp(prefix="bgt-bench-"))
    cache = work / "bgt-cache"
    ruff_cache = work / "ruff-cache"
    job_args = ["--jobs", str(jobs)] if jobs else []
    touched = _candidate(tree)
    original = touched.read_bytes() if touched else b""
    figures: dict[str, list[float]] = {}
    rss: dict[str, int] = {}

    def record(name: str, result: tuple[float, int]) -> None:
        figures.setdefault(name, []).append(result[0])
        rss[name] = max(rss.get(name, 0), result[1])

    ruff_cold = [ruff, "check", "--select", "RUF006", "--no-cache", "--exit-zero", "--quiet", "."]
    ruff_warm = [ruff, "check", "--select", "RUF006", "--exit-zero", "--quiet", "."]
    ruff_env = {**os.environ, "RUFF_CACHE_DIR": str(ruff_cache)}
    # An installed tool runs from cached bytecode; a sandbox that forbids writing it would
    # charge every run for compiling our own modules, which ruff, being native, never pays.
    bgt_env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    bgt_cold = [*BGT, "check", ".", "--no-cache", "--exit-zero", *job_args]
    bgt_warm = [*BGT, "check", ".", "--cache-dir", str(cache), "--exit-zero", *job_args]
    try:
        for _ in range(runs):
            # Alternate peer and tool so machine noise hits both alike.
            record("ruff cold", _timed(ruff_cold, tree))
            record("bgt cold", _timed(bgt_cold, tree, bgt_env))
            _timed(ruff_warm, tree, ruff_env)
            record("ruff warm", _timed(ruff_warm, tree, ruff_env))
            shutil.rmtree(cache, ignore_errors=True)
            _timed(bgt_warm, tree, bgt_env)
            record("bgt warm", _timed(bgt_warm, tree, bgt_env))
            if touched:
                touched.write_bytes(original + f"\n# bench {time.time()}\n".encode())
                record("bgt 1 touched", _timed(bgt_warm, tree, bgt_env))
                touched.write_bytes(original)
            figures.setdefault("I/O floor", []).append(_io_floor(tree))
            # What any Python tool pays before its first line runs (site, .pth files).
            record("python -c pass", _timed([sys.executable, "-c", "pass"], tree, bgt_env))
    finally:
        if touched:
            touched.write_bytes(original)
        shutil.rmtree(work, ignore_errors=True)

    med = {name: statistics.median(values) for name, values in figures.items()}
    base = med["ruff cold"]
    print(f"\n{tree}  ({py_files} Python files, {runs} runs, medians)")
    print(f"{'figure':<16}{'seconds':>10}{'x ruff cold':>14}{'peak RSS MiB':>15}")
    names = ("ruff cold", "ruff warm", "I/O floor", "python -c pass")
    for name in (*names, "bgt cold", "bgt warm", "bgt 1 touched"):
        if name not in med:
            continue
        mib = f"{rss[name] / 1024:.0f}" if name in rss else "-"
        print(f"{name:<16}{med[name]:>10.3f}{med[name] / base:>14.2f}{mib:>15}")
    print("targets: bgt cold <= 5 x ruff cold; bgt warm <= 1 x ruff cold and <= 3 x I/O floor")
    print(
        f"          now: cold {med['bgt cold'] / base:.2f} x, warm {med['bgt warm'] / base:.2f} x"
        f" ruff cold, warm {med['bgt warm'] / med['I/O floor']:.1f} x I/O floor"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="+", type=Path)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--jobs", type=int, default=None)
    args = parser.parse_args()
    for tree in args.paths:
        bench(tree.resolve(), args.runs, args.jobs)


if __name__ == "__main__":
    main()
