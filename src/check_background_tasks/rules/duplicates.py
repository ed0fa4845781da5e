"""Duplicate jobs: across schedulers (BGT001), by id (BGT002), within one scheduler (BGT003)."""

from __future__ import annotations

import ast
import posixpath
import re
import shlex
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace

from ..config import Config
from ..link import LinkedJob, Project, alternatives, conditional_override
from ..link_loops import started_as
from ..model import Finding, Location
from .registry import Rule, rule

# Which scheduler a job kind belongs to, as users name it.
SCHEDULERS = {
    "apscheduler": "APScheduler",
    "apscheduler4": "APScheduler",
    "locked_scheduler": "APScheduler",
    "celery_beat": "Celery beat",
    "k8s_cronjob": "Kubernetes CronJob",
    "taskiq": "taskiq",
    "huey": "huey",
    "arq": "arq",
    "create_task": "a start-up loop",
}
# Kinds whose `target` is a dotted callable path (not a command line).
CALLABLE_KINDS = frozenset(SCHEDULERS) - {"k8s_cronjob", "create_task"}
# Names too generic to say two jobs are the same job.
GENERIC_NAMES = frozenset(
    {
        "run",
        "main",
        "job",
        "task",
        "jobs",
        "tasks",
        "cron",
        "cronjob",
        "execute",
        "handle",
        "handler",
        "call",
        "start",
        "process",
        "tick",
        "worker",
        "scheduler",
        "lambda",
        "default",
    }
)
NAME_SUFFIXES = ("_job", "_task", "_cronjob", "_jobs", "_tasks", "_loop", "_forever")
SHELLS = frozenset({"sh", "bash", "zsh", "dash", "ash"})
PYTHON_EXE = re.compile(r"^python(\d+(\.\d+)*)?$")
PYTHON_OPTS_WITH_VALUE = frozenset({"-W", "-X", "-Q"})
TEMPLATED = "<templated>"


# --------------------------------------------------------------------------- helpers


def scheduler_of(linked: LinkedJob) -> str | None:
    """The scheduler family of a job, or None when the job is not a scheduled job.

    A `create_task` counts only when its coroutine loops forever with a sleep (a home-made
    scheduler); one-off jobs (`periodic=False`, e.g. APScheduler date jobs) never count.
    """
    job = linked.job
    if started_as(job) == "create_task":
        fn = linked.definition
        return SCHEDULERS["create_task"] if fn and fn.loops_forever_with_sleep else None
    if not job.periodic:
        return None
    return SCHEDULERS.get(job.kind)


def canonical_target(linked: LinkedJob) -> str | None:
    """Where the callable is defined (module.qualname), or the resolved target as written."""
    job = linked.job
    if job.kind == "k8s_cronjob" or linked.raw.target.how in ("command", "unknown", "variable"):
        return None
    if linked.definition is not None and linked.definition_facts is not None:
        module = linked.definition_facts.module
        qual = linked.definition.qualname
        return f"{module}.{qual}" if module else qual
    return job.target or None


def target_identity(linked: LinkedJob) -> str | None:
    """What tells two targets apart: the definition, not its name. A module that defines a
    name twice (two decorated `async def _()`) has two targets of one dotted path."""
    target = canonical_target(linked)
    fn, ff = linked.definition, linked.definition_facts
    if target is None or fn is None or ff is None:
        return target
    if sum(other.qualname == fn.qualname for other in ff.functions) > 1:
        return f"{target}@{fn.line}:{fn.column}"
    return target


def one_job(a: LinkedJob, b: LinkedJob) -> bool:
    """Two records that never run as two jobs: triggers of one declaration (taskiq's
    `schedule=[...]`), or alternatives in different arms of one `if` / `try` / `match`."""
    return (a.job.location == b.job.location and a.job.kind == b.job.kind) or alternatives(a, b)


def target_module(linked: LinkedJob) -> str | None:
    if linked.definition_facts is not None and linked.definition_facts.module:
        return linked.definition_facts.module
    target = canonical_target(linked)
    if not target:
        return None
    return target.rpartition(".")[0] or None


def normalize_name(name: str | None) -> str | None:
    """`cleanup-expired` = `cleanup_expired` = `cleanup_expired_job` = `CleanupExpired`."""
    if not name or TEMPLATED in name:
        return None
    text = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name)
    text = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")
    changed = True
    while changed:
        changed = False
        for suffix in NAME_SUFFIXES:
            if text.endswith(suffix) and len(text) > len(suffix):
                text = text[: -len(suffix)].rstrip("_")
                changed = True
    if len(text) < 3 or text in GENERIC_NAMES or text.isdigit():
        return None
    return text


def job_names(linked: LinkedJob) -> set[str]:
    """Normalized names of a job: its id / key / CronJob name, and its function's name."""
    out = set()
    job = linked.job
    if not computed_id(linked) and (n := normalize_name(job.name)):
        out.add(n)
    target = canonical_target(linked)
    if target:
        short = target.rpartition(".")[2]
        if not short.startswith("<") and (n := normalize_name(short)):
            out.add(n)
    return out


def computed_id(linked: LinkedJob) -> bool:
    """An id built at run time (`f"sync-{account.id}"`, a beat row per object): one job
    per value, its name shown as written."""
    return bool(dict(linked.job.extra).get("id_is_expression"))


def describe(linked: LinkedJob) -> str:
    job = linked.job
    if job.name:
        return f"'{job.name}'"
    target = job.target or "?"
    return f"`{target}`"


def where(location: Location) -> str:
    return f"{location.file}:{location.line}"


def _and(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


# ------------------------------------------------------------------ CronJob commands


@dataclass
class CommandRefs:
    """What a container command runs: modules (`-m`, scripts) and callables (`-c`)."""

    modules: set[str] = field(default_factory=set)
    paths: set[str] = field(default_factory=set)
    targets: set[str] = field(default_factory=set)


def command_refs(linked: LinkedJob) -> CommandRefs:
    refs = CommandRefs()
    extra = dict(linked.job.extra)
    commands = [c for c in extra.get("commands") or [] if isinstance(c, str)]
    argv = extra.get("command_argv")
    if isinstance(argv, list) and all(isinstance(a, str) for a in argv):
        _scan_argv(list(argv), refs, depth=0)
    for command in commands or [linked.job.target or ""]:
        _scan_command(command, refs, depth=0)
    return refs


def _scan_command(command: str, refs: CommandRefs, depth: int) -> None:
    if not command or TEMPLATED in command or depth > 3:
        return
    try:
        argv = shlex.split(command)
    except ValueError:
        argv = command.split()
    _scan_argv(argv, refs, depth)


def _scan_argv(argv: list[str], refs: CommandRefs, depth: int) -> None:
    i = 0
    while i < len(argv):
        base = posixpath.basename(argv[i])
        if base in SHELLS:
            j = i + 1
            while j < len(argv) and argv[j].startswith("-"):
                if "c" in argv[j][1:]:
                    if j + 1 < len(argv):
                        _scan_command(argv[j + 1], refs, depth + 1)
                    i = j + 1
                    break
                j += 1
        elif PYTHON_EXE.match(base):
            i = _scan_python(argv, i + 1, refs)
            continue
        elif base == "celery" and "call" in argv[i + 1 :]:
            # celery -A app call app.tasks.cleanup: sends the task once, by name
            at = argv.index("call", i + 1)
            if at + 1 < len(argv):
                refs.targets.add(argv[at + 1])
            i = at + 2
            continue
        i += 1


def _scan_python(argv: list[str], i: int, refs: CommandRefs) -> int:
    while i < len(argv):
        arg = argv[i]
        if arg == "-m" and i + 1 < len(argv):
            refs.modules.add(argv[i + 1])
            return i + 2
        if arg.startswith("-m") and len(arg) > 2:
            refs.modules.add(arg[2:])
            return i + 1
        if arg == "-c" and i + 1 < len(argv):
            _scan_code(argv[i + 1], refs)
            return i + 2
        if arg in PYTHON_OPTS_WITH_VALUE:
            i += 2
            continue
        if arg.startswith("-"):
            i += 1
            continue
        if arg.endswith(".py"):
            refs.paths.add(arg)
        return i + 1
    return i


def _scan_code(code: str, refs: CommandRefs) -> None:
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        for match in re.finditer(r"from\s+([\w.]+)\s+import\s+([\w, ]+)", code):
            for name in match.group(2).split(","):
                if name.strip():
                    refs.targets.add(f"{match.group(1)}.{name.strip()}")
        for match in re.finditer(r"(?<!from )\bimport\s+([\w.]+)", code):
            refs.modules.add(match.group(1))
        return
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                refs.targets.add(f"{node.module}.{alias.name}")
                refs.modules.add(f"{node.module}.{alias.name}")  # may be a module itself
        elif isinstance(node, ast.Import):
            for alias in node.names:
                refs.modules.add(alias.name)


def _path_modules(paths: set[str], project: Project) -> set[str]:
    """Modules of the scanned files a script path names (`/app/pkg/mod.py` → `pkg.mod`)."""
    out: set[str] = set()
    for path in paths:
        parts = [p for p in path.replace("\\", "/").split("/") if p not in ("", ".")]
        for start in range(len(parts)):
            suffix = "/".join(parts[start:])
            found = [
                ff.module
                for ff in project.facts
                if ff.module and (ff.path == suffix or ff.path.endswith("/" + suffix))
            ]
            if found:
                out.update(m for m in found if m)
                break
    return out


# --------------------------------------------------------------------------- BGT001


# Why two jobs are the same job, strongest first (a pair keeps its strongest reason).
REASONS = (
    "same target",
    "CronJob runs the function",
    "CronJob runs the module",
    "same name",
)


def _matches(jobs: list[LinkedJob], project: Project) -> dict[int, dict[int, str]]:
    """Direct matches between jobs: index -> {other index: reason}."""
    out: dict[int, dict[int, str]] = defaultdict(dict)

    def join(a: int, b: int, reason: str) -> None:
        if a == b or alternatives(jobs[a], jobs[b]):
            return
        for x, y in ((a, b), (b, a)):
            old = out[x].get(y)
            if old is None or REASONS.index(reason) < REASONS.index(old):
                out[x][y] = reason

    by_target: dict[str, list[int]] = defaultdict(list)  # by definition
    by_path: dict[str, list[int]] = defaultdict(list)  # by dotted path, for commands
    by_name: dict[str, list[int]] = defaultdict(list)
    by_module: dict[str, list[int]] = defaultdict(list)
    for i, lj in enumerate(jobs):
        target = canonical_target(lj)
        if target:
            by_target[target_identity(lj) or target].append(i)
            by_path[target].append(i)
            if module := target_module(lj):
                by_module[module].append(i)
        for name in job_names(lj):
            by_name[name].append(i)
    for keyed, reason in ((by_target, "same target"), (by_name, "same name")):
        for members in keyed.values():
            for a in members:
                for b in members:
                    join(a, b, reason)
    for i, lj in enumerate(jobs):
        if lj.job.kind != "k8s_cronjob":
            continue
        refs = command_refs(lj)
        for module in refs.modules | _path_modules(refs.paths, project):
            for j in by_module.get(module, []):
                join(i, j, "CronJob runs the module")
        for target in refs.targets:
            for j in by_path.get(target, []):
                join(i, j, "CronJob runs the function")
    return out


@rule(
    "BGT001",
    "duplicate-across-schedulers",
    "error",
    "the same job is scheduled by two or more different schedulers",
)
def duplicate_across_schedulers(self: Rule, project: Project, config: Config) -> Iterator[Finding]:
    # One job per value of a run-time id: whether any is another scheduler's job depends
    # on the values.
    jobs = [lj for lj in project.jobs if scheduler_of(lj) and not computed_id(lj)]
    for i, others in sorted(_matches(jobs, project).items()):
        lj = jobs[i]
        mine = scheduler_of(lj)
        elsewhere = sorted(
            {  # a set: copies of one object rendered for several environments are one place
                (jobs[j].job.location, scheduler_of(jobs[j]) or "", reason)
                for j, reason in others.items()
                if scheduler_of(jobs[j]) != mine
            }
        )
        if not elsewhere:
            continue
        kinds = sorted({mine or "", *(kind for _loc, kind, _r in elsewhere)})
        listed = _and([f"{kind} ({where(loc)}, {reason})" for loc, kind, reason in elsewhere])
        yield self.finding(
            f"Job {describe(lj)} is scheduled by {mine} and also by {listed}: it runs once per "
            f"scheduler ({_and(kinds)}) each tick; keep one scheduler and delete the others",
            lj.job.location,
            related=[loc for loc, _kind, _reason in elsewhere],
            basis=f"{canonical_target(lj) or lj.job.name}|{started_as(lj.job)}",
        )


# --------------------------------------------------------------------------- BGT002


def _id_key(lj: LinkedJob) -> tuple[str, ...] | None:
    job = lj.job
    if not job.name or TEMPLATED in job.name or dict(job.extra).get("id_is_expression"):
        return None  # an id computed at run time (f"sync-{name}") differs per call
    if job.kind == "k8s_cronjob":
        namespace = dict(job.extra).get("namespace")
        environment = dict(job.extra).get("environment")
        if isinstance(environment, str) and environment:
            # Copies deployed to different environments (overlays, clusters, releases)
            # never meet: only the same name twice in one environment collides.
            ns = namespace if isinstance(namespace, str) and TEMPLATED not in namespace else ""
            return ("k8s_cronjob", job.name, ns or "", f"environment {environment}")
        if isinstance(namespace, str) and namespace and TEMPLATED not in namespace:
            return ("k8s_cronjob", job.name, namespace)
        # No namespace in the manifest: kustomize overlays and per-environment copies
        # set it elsewhere, so only the same directory counts as the same namespace.
        return ("k8s_cronjob", job.name, "", posixpath.dirname(job.location.file))
    family = SCHEDULERS.get(job.kind)
    if family is None or job.kind == "create_task":
        return None
    return (family, job.name)


@rule(
    "BGT002",
    "duplicate-job-id",
    "error",
    "the same job id / beat key / CronJob name (+namespace) is defined more than once",
)
def duplicate_job_id(self: Rule, project: Project, config: Config) -> Iterator[Finding]:
    keyed: dict[tuple[str, ...], list[LinkedJob]] = defaultdict(list)
    for lj in project.jobs:
        key = _id_key(lj)
        if key is not None:
            keyed[key].append(lj)
    for key, members in keyed.items():
        if len(members) < 2 or _rescheduled(members):
            continue
        ordered = sorted(members, key=lambda lj: lj.job.location)
        what = _id_phrase(key)
        for i, lj in enumerate(ordered):
            clashes = [earlier for earlier in ordered[:i] if _id_clash(lj, earlier)]
            if not clashes:
                continue
            yield self.finding(
                f"{what} is already defined at {where(clashes[0].job.location)}: one "
                "definition silently replaces the other (or fails at start-up); give each job "
                "its own id or delete the duplicate",
                lj.job.location,
                related=[m.job.location for m in (*clashes, lj)],
                basis="|".join(key),
            )


def _id_clash(later: LinkedJob, earlier: LinkedJob) -> bool:
    """Both definitions of one id take effect, so one of them is lost.

    Not when only one of them runs (different arms of an `if`), and not when the later one
    is a deliberate override under a condition, for schedulers where a re-definition
    replaces the first: a beat entry re-assigned, an APScheduler job re-added with
    `replace_existing=True`. (Without it APScheduler raises ConflictingIdError.)"""
    if one_job(later, earlier):
        return False
    replaces = later.job.kind == "celery_beat" or (
        dict(later.job.extra).get("replace_existing") is True
    )
    return not (replaces and conditional_override(later, earlier))


def _rescheduled(members: list[LinkedJob]) -> bool:
    """The same job re-added with replace_existing=True (e.g. to change its schedule)."""
    targets = {canonical_target(lj) for lj in members}
    return len(targets) == 1 and all(
        dict(lj.job.extra).get("replace_existing") is True for lj in members
    )


def _id_phrase(key: tuple[str, ...]) -> str:
    if key[0] == "k8s_cronjob":
        namespace = f" in namespace '{key[2]}'" if key[2] else ""
        environment = f" ({key[3]})" if len(key) > 3 and key[3].startswith("environment") else ""
        return f"CronJob '{key[1]}'{namespace}{environment}"
    if key[0] == "Celery beat":
        return f"Celery beat entry '{key[1]}'"
    return f"{key[0]} job id '{key[1]}'"


# --------------------------------------------------------------------------- BGT003


def _args_of(lj: LinkedJob) -> tuple[object, object, object]:
    """The arguments a run gets: `args`/`kwargs`, and what a `partial(f, ...)` or a
    signature `f.s(...)` binds."""
    extra = dict(lj.job.extra)
    return (repr(extra.get("args")), repr(extra.get("kwargs")), lj.raw.target.bound)


@rule(
    "BGT003",
    "duplicate-schedule-entry",
    "warning",
    "one scheduler schedules the same target twice under different ids",
)
def duplicate_schedule_entry(self: Rule, project: Project, config: Config) -> Iterator[Finding]:
    keyed: dict[tuple[str, str, tuple[object, ...]], list[LinkedJob]] = defaultdict(list)
    for lj in project.jobs:
        if lj.job.kind not in CALLABLE_KINDS or not lj.job.periodic or computed_id(lj):
            continue  # (one job per value of a run-time id: it may differ from the others)
        identity = target_identity(lj)
        if identity:
            keyed[(SCHEDULERS[lj.job.kind], identity, _args_of(lj))].append(lj)
    for (family, _identity, _args), members in keyed.items():
        names = {lj.job.name for lj in members}
        if len(members) < 2 or (len(names) == 1 and None not in names):
            continue  # one id used twice is BGT002
        ordered = sorted(members, key=lambda lj: lj.job.location)
        for i, lj in enumerate(ordered):
            earlier = [e for e in ordered[:i] if _both_scheduled(lj, e)]
            if not earlier:
                continue
            target = canonical_target(lj)
            related = _locations(m for m in members if m is lj or not one_job(lj, m))
            basis = f"{family}|{target}|{lj.job.name}"
            together = [(e, _fire_together(lj, e)) for e in earlier]
            first = next((e for e, when in together if when == "minute"), None)
            if first is not None:
                yield self.finding(
                    f"{family} already schedules `{target}` at {where(first.job.location)}"
                    f"{_as_id(first)}; this second entry{_as_id(lj)} makes it run twice: "
                    "merge the schedules into one entry or delete one",
                    lj.job.location,
                    related=related,
                    basis=basis,
                )
                continue
            first = next((e for e, when in together if when == "day"), None)
            if first is not None:
                # 01:30 and 03:45 daily under two ids that differ by a dash (plane): a
                # leftover entry, or two runs a day one entry would say plainly
                yield self.finding(
                    f"{family} already schedules `{target}` at {where(first.job.location)}"
                    f"{_as_id(first)}; this second entry{_as_id(lj)} runs it again on the "
                    "same days at other times: merge the schedules into one entry or delete one",
                    lj.job.location,
                    related=related,
                    basis=basis,
                )
                continue
            # One report per quarter in four entries runs on different days, not twice:
            # worth a word (a leftover entry could look the same), not a failed build.
            first = earlier[0]
            finding = self.finding(
                f"{family} also schedules `{target}` at {where(first.job.location)}"
                f"{_as_id(first)}; this entry{_as_id(lj)} never fires on the same day, so "
                "it adds runs on other days: delete it if it is a leftover, or keep the "
                "schedules in one entry",
                lj.job.location,
                related=related,
                basis=basis,
            )
            yield replace(finding, severity="info")


def _both_scheduled(later: LinkedJob, earlier: LinkedJob) -> bool:
    """Two entries that both run (the same id twice is BGT002's)."""
    if later.job.name is not None and later.job.name == earlier.job.name:
        return False
    return not one_job(later, earlier)


def _fire_together(later: LinkedJob, earlier: LinkedJob) -> str | None:
    """When the two fire: "minute", "day" or None, as pileups.shared_firing says (a
    schedule not known: "minute")."""
    from ..pileups import shared_firing

    if later.job.schedule is None or earlier.job.schedule is None:
        return "minute"
    return shared_firing(earlier.job.schedule, later.job.schedule)


def _as_id(lj: LinkedJob) -> str:
    return f" (id '{lj.job.name}')" if lj.job.name else " (no id)"


def _locations(members: Iterable[LinkedJob]) -> list[Location]:
    return [lj.job.location for lj in members]
