#!/usr/bin/env python3
"""Kubernetes-YAML scan speed against checkov's Kubernetes framework, measured alternately.

    python bench/bench_yaml.py PATH [PATH ...] [--runs 3] [--jobs N] [--checkov EXE]

For each tree it prints wall-clock medians and peak RSS of:
  checkov      `checkov -d . --framework kubernetes --quiet --compact -o json --skip-download`
               offline: BC_SKIP_MAPPING=TRUE, CKV_SKIP_PACKAGE_UPDATE_CHECK=TRUE, no API key
  bgt cold     `check-background-tasks inventory . --format json --no-cache -o /dev/null`
  bgt imports  interpreter start-up plus importing the CLI: the floor of every run
and the ratio bgt cold / checkov, which issue #7 caps at 0.1. Then, in this process: how
many YAML files and resources the tree holds, how many pass our byte prefilter
(`extract.might_matter`), how many are composed and with which loader, and how long
discovery, the prefilter and extraction take in one process (no pool, modules imported).

checkov is best installed apart from the project's dependencies:
    python -m venv /tmp/checkov-venv && /tmp/checkov-venv/bin/pip install checkov
    python bench/bench_yaml.py TREE --checkov /tmp/checkov-venv/bin/checkov
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import yaml
from bench_scan import BGT, _timed

from check_background_tasks.discover import discover
from check_background_tasks.extract import DEFAULT_MAX_FILE_SIZE, extract, might_matter

YAML_SUFFIXES = (".yaml", ".yml")
# Issue #7: "YAML files without CronJob/scaler/beat keywords never loaded". The scheduler
# programs are those BGT024 recognises in a workload's command (celery beat, celery
# worker -B, taskiq scheduler, huey consumers).
REQUIRED_KEYWORDS = (
    b"CronJob",
    b"HorizontalPodAutoscaler",
    b"ScaledObject",
    b"beat",
    b"celery",
    b"taskiq",
    b"huey",
)
_KIND_LINE = re.compile(rb"^kind:[ \t]*[^ \t\r\n#]", re.MULTILINE)
# Never let checkov reach the platform: no key, no mapping download, no version check.
_CHECKOV_ENV_DROP = ("BC_API_KEY", "PRISMA_API_URL", "BC_API_URL")


def _checkov_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _CHECKOV_ENV_DROP}
    env.update(BC_SKIP_MAPPING="TRUE", CKV_SKIP_PACKAGE_UPDATE_CHECK="TRUE", LOG_LEVEL="ERROR")
    return env


def _yaml_files(tree: Path) -> list[Path]:
    """Every YAML file outside .git, the way checkov's directory walk sees them."""
    out: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(tree):
        dirnames[:] = [d for d in dirnames if d != ".git"]
        out.extend(Path(dirpath) / n for n in filenames if n.endswith(YAML_SUFFIXES))
    return sorted(out)


def _resources(data: bytes) -> int:
    """Documents with a top-level `kind`; `kind:` lines when the file does not parse
    (Helm templates)."""
    try:
        docs = list(yaml.load_all(data, Loader=yaml.CSafeLoader))
    except yaml.YAMLError:
        return len(_KIND_LINE.findall(data))
    return sum(1 for doc in docs if isinstance(doc, dict) and "kind" in doc)


def _checkov_summary(out_dir: Path) -> dict:
    try:
        report = json.loads((out_dir / "results_json.json").read_text())
    except (OSError, ValueError):
        return {}
    reports = report if isinstance(report, list) else [report]
    for item in reports:
        if item.get("check_type") == "kubernetes":
            return item.get("summary", {})
    return {}


class _ComposeCounter:
    """Counts `yaml.compose_all` calls (by loader) while the extractor runs."""

    def __init__(self) -> None:
        self.loaders: Counter[str] = Counter()
        self._original = yaml.compose_all

    def __enter__(self) -> _ComposeCounter:
        def counting(stream, Loader=yaml.Loader):  # PyYAML's own keyword name
            self.loaders[Loader.__name__] += 1
            return self._original(stream, Loader=Loader)

        yaml.compose_all = counting
        return self

    def __exit__(self, *exc: object) -> None:
        yaml.compose_all = self._original


def _phases(tree: Path) -> dict:
    """Discovery, read + prefilter and extraction in this process, with file counts."""
    for module in ("kubernetes", "python"):  # import cost stays out of the timed phases
        importlib.import_module(f"check_background_tasks.extract.{module}")

    figures: dict = {"loaders": Counter()}
    start = time.perf_counter()
    files, _ = discover([str(tree)], [], cwd=tree)
    figures["discovery"] = time.perf_counter() - start
    start = time.perf_counter()
    yaml_candidates, py_candidates, oversized = [], [], 0
    for file in files:
        name = file.path.name
        if not name.endswith(".py") and file.path.stat().st_size > DEFAULT_MAX_FILE_SIZE:
            oversized += name.endswith(YAML_SUFFIXES)
            continue  # the engine never reads them (_Planner._oversized_data)
        data = file.path.read_bytes()
        if might_matter(name, data):
            target = py_candidates if name.endswith(".py") else yaml_candidates
            target.append((file.display, data))
    figures["prefilter"] = time.perf_counter() - start
    figures.update(files=len(files), oversized=oversized, passed=len(yaml_candidates))
    figures["passed_yaml"] = sum(d.endswith(YAML_SUFFIXES) for d, _ in yaml_candidates)
    loaded = unneeded = 0
    start = time.perf_counter()
    for display, data in yaml_candidates:
        with _ComposeCounter() as counter:
            extract(display, data)
        figures["loaders"].update(counter.loaders)
        if counter.loaders:
            loaded += 1
            unneeded += not any(k in data for k in REQUIRED_KEYWORDS)
    figures["yaml_extract"] = time.perf_counter() - start
    figures.update(loaded=loaded, unneeded=unneeded, python=len(py_candidates))
    start = time.perf_counter()
    for display, data in py_candidates:
        extract(display, data)
    figures["python_extract"] = time.perf_counter() - start
    return figures


def _print_counts(tree: Path) -> None:
    yaml_files = _yaml_files(tree)
    resources = sum(_resources(path.read_bytes()) for path in yaml_files)
    ph = _phases(tree)
    loaders = ", ".join(f"{n} {c}" for n, c in sorted(ph["loaders"].items())) or "none"
    print(f"YAML files {len(yaml_files)}, resources {resources} (documents with a `kind`)")
    print(
        f"  our prefilter passes {ph['passed_yaml']} YAML files ({ph['passed']} with JSON);"
        f" {ph['oversized']} over max-file-size are never read"
    )
    print(f"  composed: {ph['loaded']} files ({loaders} chunks)")
    print(f"  composed without a CronJob/scaler/beat keyword: {ph['unneeded']} files")
    print(
        f"one process: discovery {ph['discovery']:.3f} s ({ph['files']} files),"
        f" read + prefilter {ph['prefilter']:.3f} s,"
        f" YAML extraction {ph['yaml_extract']:.3f} s ({ph['passed']} files),"
        f" Python extraction {ph['python_extract']:.3f} s ({ph['python']} files)"
    )


def bench(tree: Path, runs: int, jobs: int | None, checkov: str) -> None:
    work = Path(tempfile.mkdtemp(prefix="bgt-bench-yaml-"))
    job_args = ["--jobs", str(jobs)] if jobs else []
    checkov_cmd = [checkov, "-d", ".", "--framework", "kubernetes", "--quiet", "--compact"]
    checkov_cmd += ["-o", "json", "--skip-download", "--output-file-path", str(work)]
    bgt_cmd = [*BGT, "inventory", ".", "--format", "json", "--no-cache", "-o", os.devnull]
    floor_cmd = [sys.executable, "-c", "import check_background_tasks.cli"]
    env = _checkov_env()
    figures: dict[str, list[float]] = {}
    rss: dict[str, int] = {}

    def record(name: str, result: tuple[float, int]) -> None:
        figures.setdefault(name, []).append(result[0])
        rss[name] = max(rss.get(name, 0), result[1])

    try:
        for _ in range(runs):
            # Alternate peer and tool so machine noise hits both alike.
            record("checkov", _timed(checkov_cmd, tree, env))
            record("bgt cold", _timed([*bgt_cmd, *job_args], tree))
            record("bgt imports", _timed(floor_cmd, tree))
        summary = _checkov_summary(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    med = {name: statistics.median(values) for name, values in figures.items()}
    base = med["checkov"]
    print(f"\n{tree}  ({runs} runs, medians)")
    print(f"{'figure':<14}{'seconds':>10}{'x checkov':>12}{'peak RSS MiB':>15}")
    for name in ("checkov", "bgt cold", "bgt imports"):
        print(f"{name:<14}{med[name]:>10.3f}{med[name] / base:>12.3f}{rss[name] / 1024:>15.0f}")
    ratio = med["bgt cold"] / base
    verdict = "met" if ratio <= 0.1 else f"missed by {ratio / 0.1:.2f} x"
    print(f"target: bgt cold <= 0.1 x checkov: now {ratio:.3f} x ({verdict})")
    if summary:
        print(
            f"checkov's summary: resource_count {summary.get('resource_count')},"
            f" parsing_errors {summary.get('parsing_errors')},"
            f" version {summary.get('checkov_version')}"
        )
    _print_counts(tree)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="+", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=None)
    parser.add_argument("--checkov", default=shutil.which("checkov"), help="checkov executable")
    args = parser.parse_args()
    if not args.checkov:
        raise SystemExit("checkov not found: pip install checkov, or pass --checkov EXE")
    for tree in args.paths:
        bench(tree.resolve(), args.runs, args.jobs, args.checkov)


if __name__ == "__main__":
    main()
