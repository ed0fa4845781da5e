"""`diff BASE [HEAD]`: what background work a change adds, removes or alters.

Each revision is read with `git archive` (a tar stream of the committed tree) into its
own temporary directory; the user's working tree, index and HEAD are never touched.
HEAD defaults to the `HEAD` revision (the last commit), not the working tree, so the
output describes exactly what a pull request contains.

Only the part of the repository under the current directory is compared (reported paths
stay relative to it, as everywhere else), plus every `pyproject.toml` on the way up to the
repository root so each revision is read with its own configuration. Only the files the
scan could read are extracted (Python, YAML/JSON, Procfiles); symbolic links are skipped.
Files marked `export-ignore` in `.gitattributes` are not part of a `git archive` and so
not compared.

Jobs are matched across revisions by (kind, name, target) — and the file, for jobs
without a name — never by line, so moving code is not a change. New findings are those
whose baseline fingerprint the base revision does not have.
"""

from __future__ import annotations

import json
import os
import subprocess
import tarfile
import tempfile
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from .config import CONFIG_FILES, ConfigError
from .discover import is_candidate_name
from .model import Finding, Job

MAX_MEMBER_BYTES = 64 * 1024 * 1024


@dataclass
class Side:
    rev: str  # as given
    sha: str
    jobs: list[Job]
    findings: list[Finding]


@dataclass
class Change:
    kind: str  # rescheduled | lock_added | lock_lost
    before: Job
    after: Job


@dataclass
class Diff:
    base: Side
    head: Side
    added: list[Job] = field(default_factory=list)
    removed: list[Job] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    new_findings: list[Finding] = field(default_factory=list)
    new_fingerprints: list[str] = field(default_factory=list)
    fixed_findings: int = 0

    def of(self, kind: str) -> list[Change]:
        return [c for c in self.changes if c.kind == kind]

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changes or self.new_findings)


# --- reading a revision -------------------------------------------------------------


def _git(args: list[str], cwd: Path) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False)
    except OSError as exc:
        raise ConfigError(f"cannot run git: {exc}") from None


def repository(cwd: Path) -> tuple[Path, str]:
    """(top level of the repository, the current directory relative to it: '' or 'a/b')."""
    proc = _git(["rev-parse", "--show-toplevel", "--show-prefix"], cwd)
    if proc.returncode != 0:
        raise ConfigError(f"not a git repository: {cwd}")
    top, prefix = [*proc.stdout.decode("utf-8", "surrogateescape").splitlines(), ""][:2]
    return Path(top), prefix.strip().rstrip("/")


def resolve(rev: str, cwd: Path) -> str:
    if rev.startswith("-"):
        raise ConfigError(f"invalid revision: {rev}")
    proc = _git(["rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}"], cwd)
    if proc.returncode != 0:
        raise ConfigError(f"unknown revision: {rev}")
    return proc.stdout.decode().strip()


def _wanted(name: str, prefix: str) -> str | None:
    """The path below `prefix` to write `name` to, or None to skip it."""
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts:
        return None
    parts = path.parts
    pre = tuple(PurePosixPath(prefix).parts) if prefix else ()
    if parts[: len(pre)] == pre and len(parts) > len(pre):
        rel = PurePosixPath(*parts[len(pre) :])
        if is_candidate_name(rel.name) or rel.name in CONFIG_FILES:
            return rel.as_posix()
        return None
    # configuration files above the prefix: keep their relative position.
    if path.name in CONFIG_FILES and parts[:-1] == pre[: len(parts) - 1]:
        up = len(pre) - (len(parts) - 1)
        return "/".join([".."] * up + [path.name]) if up else path.name
    return None


def export(sha: str, top: Path, prefix: str, dest: Path) -> Path:
    """Write the revision's relevant files under dest; return the directory for `prefix`."""
    root = dest / "tree"
    work = root / prefix if prefix else root
    work.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen(
        ["git", "archive", "--format=tar", sha],
        cwd=top,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None
    try:
        with tarfile.open(fileobj=proc.stdout, mode="r|") as archive:
            for member in archive:
                if not member.isfile() or member.size > MAX_MEMBER_BYTES:
                    continue
                rel = _wanted(member.name, prefix)
                if rel is None:
                    continue
                target = (work / rel).resolve()
                if root.resolve() not in target.parents:
                    continue
                handle = archive.extractfile(member)
                if handle is None:
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(handle.read())
    except tarfile.TarError as exc:
        proc.kill()
        proc.wait()
        if proc.stderr is not None:
            proc.stderr.close()
        raise ConfigError(f"cannot read revision {sha[:12]} with git archive: {exc}") from None
    finally:
        proc.stdout.close()
    stderr = ""
    if proc.stderr is not None:
        with proc.stderr:
            stderr = proc.stderr.read().decode("utf-8", "replace")
    if proc.wait() != 0:
        raise ConfigError(f"git archive {sha[:12]} failed: {stderr.strip().splitlines()[-1:]}")
    return work


def read_side(
    rev: str, cwd: Path, config_file: str | None, select: Sequence[str] = ()
) -> tuple[Side, list[str]]:
    """Inventory and findings of one revision (with its own configuration)."""
    from . import checker
    from .baseline import fingerprints
    from .engine import scan
    from .settings import resolve as resolve_settings

    top, prefix = repository(cwd)
    sha = resolve(rev, cwd)
    with tempfile.TemporaryDirectory(prefix="bgt-diff-") as tmp:
        work = export(sha, top, prefix, Path(tmp))
        # Each file judged by its nearest configuration in that revision (settings.py).
        settings = resolve_settings((str(work),), config_file, select=list(select))
        # The export is no repository: stop git from finding one around the temporary
        # directory (TMPDIR inside a checkout), so discovery walks exactly what was exported.
        saved = os.environ.get("GIT_CEILING_DIRECTORIES")
        os.environ["GIT_CEILING_DIRECTORIES"] = str(Path(tmp).resolve())
        try:
            result = scan(
                ["."], settings.root, jobs=None, cache_dir=None, cwd=work, exclude=settings.excluded
            )
        finally:
            if saved is None:
                os.environ.pop("GIT_CEILING_DIRECTORIES", None)
            else:
                os.environ["GIT_CEILING_DIRECTORIES"] = saved
        # scan() reports paths relative to `cwd`: already repository-relative here.
        outcome = settings.judge(checker.run(result.project, settings.rules_config()), str(work))
        jobs = [lj.job for lj in result.project.jobs]
        prints = fingerprints(outcome.findings)
    return Side(rev, sha, jobs, outcome.findings), prints


# --- comparing ------------------------------------------------------------------------


def _identity(job: Job) -> tuple[Any, ...]:
    if job.name:
        return (job.kind, job.name, job.target)
    return (job.kind, None, job.target, job.location.file)


def _schedule(job: Job) -> tuple[Any, ...]:
    s = job.schedule
    if s is None:
        return (None,)
    return (s.text, s.cron, s.interval_seconds, s.timezone, s.run_at)


def compare(base: Side, head: Side, base_prints: list[str], head_prints: list[str]) -> Diff:
    diff = Diff(base, head)
    pool: dict[tuple[Any, ...], list[Job]] = defaultdict(list)
    for job in base.jobs:
        pool[_identity(job)].append(job)
    for job in head.jobs:
        candidates = pool.get(_identity(job))
        if not candidates:
            diff.added.append(job)
            continue
        before = candidates.pop(0)
        if _schedule(before) != _schedule(job):
            diff.changes.append(Change("rescheduled", before, job))
        if before.locked is not True and job.locked is True:
            diff.changes.append(Change("lock_added", before, job))
        elif before.locked is True and job.locked is False:
            diff.changes.append(Change("lock_lost", before, job))
    diff.removed = [job for jobs in pool.values() for job in jobs]
    diff.removed.sort(key=lambda j: (j.location, j.kind, j.name or ""))
    known = set(base_prints)
    for finding, fp in zip(head.findings, head_prints, strict=True):
        if fp not in known:
            diff.new_findings.append(finding)
            diff.new_fingerprints.append(fp)
    diff.fixed_findings = len(known - set(head_prints))
    return diff


def run(base: str, head: str, cwd: Path, config_file: str | None = None) -> Diff:
    base_side, base_prints = read_side(base, cwd, config_file)
    head_side, head_prints = read_side(head, cwd, config_file)
    return compare(base_side, head_side, base_prints, head_prints)


# --- reporting ------------------------------------------------------------------------


def _schedule_text(job: Job) -> str:
    s = job.schedule
    if s is None:
        return "-"
    return s.cron or s.text


def _lock_text(job: Job) -> str:
    return {True: "locked", False: "unlocked", None: "-"}[job.locked]


def _job_text(job: Job) -> str:
    name = f"'{job.name}'" if job.name else "(unnamed)"
    where = f"{job.location.file}:{job.location.line}"
    target = job.target or "-"
    return f"{job.kind} {name} {target} [{_schedule_text(job)}] {_lock_text(job)} at {where}"


def headline(diff: Diff) -> str:
    parts = [
        f"{len(diff.added)} added",
        f"{len(diff.removed)} removed",
        f"{len(diff.of('rescheduled'))} rescheduled",
        f"{len(diff.of('lock_added'))} lock added",
        f"{len(diff.of('lock_lost'))} lock lost",
        f"{len(diff.new_findings)} new findings",
    ]
    return ", ".join(parts)


def to_text(diff: Diff) -> str:
    lines = [
        f"Background jobs {diff.base.rev} ({diff.base.sha[:12]}) → "
        f"{diff.head.rev} ({diff.head.sha[:12]}): {headline(diff)}"
    ]
    lines += [f"+ {_job_text(j)}" for j in diff.added]
    lines += [f"- {_job_text(j)}" for j in diff.removed]
    for change in diff.changes:
        if change.kind == "rescheduled":
            lines.append(
                f"~ rescheduled {_job_text(change.after)} (was [{_schedule_text(change.before)}])"
            )
        elif change.kind == "lock_added":
            lines.append(f"~ lock added {_job_text(change.after)}")
        else:
            lines.append(f"! lock lost {_job_text(change.after)}")
    for f in diff.new_findings:
        loc = f.location
        lines.append(f"{loc.file}:{loc.line}:{loc.column}: {f.code} {f.message}")
    return "\n".join(lines) + "\n"


def to_markdown(diff: Diff) -> str:
    from .report.summary import INVENTORY_HEADER, cell, findings_markdown, inventory_rows, table

    out = [
        "## Background jobs in this change\n",
        f"Comparing `{diff.base.sha[:12]}` ({cell(diff.base.rev)}) → "
        f"`{diff.head.sha[:12]}` ({cell(diff.head.rev)}): **{headline(diff)}**.\n",
    ]
    if diff.empty:
        out.append("No background job was added, removed, rescheduled or changed its lock.\n")
    raw = frozenset({4})
    if diff.added:
        out.append(f"### Added ({len(diff.added)})\n")
        out.append(table(INVENTORY_HEADER, inventory_rows(diff.added), raw))
    if diff.removed:
        out.append(f"### Removed ({len(diff.removed)})\n")
        out.append(table(INVENTORY_HEADER, inventory_rows(diff.removed), raw))
    if diff.changes:
        out.append(f"### Changed ({len(diff.changes)})\n")
        labels = {
            "rescheduled": "rescheduled",
            "lock_added": "lock added",
            "lock_lost": ":warning: **lock lost**",
        }
        rows = [
            (
                labels[c.kind],
                c.after.kind,
                c.after.name,
                c.after.target,
                f"{_schedule_text(c.before)} → {_schedule_text(c.after)}"
                if c.kind == "rescheduled"
                else f"{_lock_text(c.before)} → {_lock_text(c.after)}",
                f"{c.after.location.file}:{c.after.location.line}",
            )
            for c in diff.changes
        ]
        out.append(
            table(("Change", "Kind", "Name", "Target", "Was → now", "Where"), rows, frozenset({0}))
        )
    if diff.new_findings:
        out.append(findings_markdown(diff.new_findings, heading="New findings"))
    if diff.fixed_findings:
        out.append(f"{diff.fixed_findings} finding(s) of the base revision are gone.\n")
    return "\n".join(out)


def to_json(diff: Diff) -> str:
    def side(s: Side) -> dict[str, Any]:
        return {"rev": s.rev, "sha": s.sha, "jobs": len(s.jobs), "findings": len(s.findings)}

    def change(c: Change) -> dict[str, Any]:
        return {"before": c.before.record(), "after": c.after.record()}

    document = {
        "base": side(diff.base),
        "head": side(diff.head),
        "added": [j.record() for j in diff.added],
        "removed": [j.record() for j in diff.removed],
        "rescheduled": [change(c) for c in diff.of("rescheduled")],
        "lock_added": [change(c) for c in diff.of("lock_added")],
        "lock_lost": [change(c) for c in diff.of("lock_lost")],
        "new_findings": [
            {**f.record(), "fingerprint": fp}
            for f, fp in zip(diff.new_findings, diff.new_fingerprints, strict=True)
        ],
        "fixed_findings": diff.fixed_findings,
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


FORMATS = {"text": to_text, "markdown": to_markdown, "json": to_json}
