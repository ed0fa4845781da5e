"""Deployment rules: scaled scheduler processes (BGT024). CronJobs: ``cronjob_rules.py``.

BGT024 reads the workloads (Deployment, StatefulSet, DaemonSet, docker-compose services,
Procfile process types) and parses their commands for a scheduler process that must run
exactly once: Celery beat (standalone or embedded in a worker by ``-B``/``--beat``),
``taskiq scheduler``, or a huey consumer that runs periodic tasks (no ``-n``/
``--no-periodic``). The copy count comes from ``replicas``, any HorizontalPodAutoscaler /
KEDA ScaledObject that targets the workload (in any file), compose ``deploy.replicas`` /
``scale`` / ``mode: global``, or the ``app.json`` formation joined to a Procfile. An
unknown count (templated replicas, a Procfile without a formation) is silent. Celery beat
started from Python code by a program the workload runs (`app.Beat().run()` in the script
of `python run_beat.py`) counts too: deploy/beat_starts.py.
"""

from __future__ import annotations

import functools
import shlex
from collections.abc import Iterator
from dataclasses import dataclass

from ..config import Config
from ..link import PlacedWorkload, Project
from ..model import Finding, Location
from .registry import Rule, rule

# ------------------------------------------------------------- scheduler processes


@dataclass(frozen=True)
class Process:
    """A scheduler process found in a command line."""

    family: str  # celery | taskiq | huey
    label: str  # what the message calls it
    advice: str  # what to do, with {unit} for "its own ... with 1 replica"


NOT_A_SCHEDULER = Process("", "", "")  # a known program that is not a scheduler here

_SEPARATORS = frozenset("();|&")
_MAX_DEPTH = 4
_MAX_TOKENS = 2000

_CELERY_BEAT = Process(
    "celery",
    "Celery beat",
    "run beat in exactly one process ({unit}) or use a lock-based scheduler such as RedBeat",
)
_CELERY_EMBEDDED = Process(
    "celery",
    "Celery beat (embedded in the worker by -B)",
    "drop -B from the scaled workers and run `celery beat` in exactly one process ({unit}), "
    "or use a lock-based scheduler such as RedBeat",
)
_TASKIQ = Process(
    "taskiq",
    "the taskiq scheduler",
    "run `taskiq scheduler` in exactly one process ({unit})",
)
_HUEY = Process(
    "huey",
    "a huey consumer with periodic tasks enabled",
    "start the scaled consumers with -n/--no-periodic and run periodic tasks in exactly "
    "one consumer ({unit})",
)

# Options taking a separate value, before or after Celery's sub-command (Celery 3-5).
_CELERY_VALUE_OPTIONS = frozenset(
    {
        "-A",
        "--app",
        "-b",
        "--broker",
        "--result-backend",
        "--loader",
        "--config",
        "--workdir",
        "-l",
        "--loglevel",
        "-f",
        "--logfile",
        "--pidfile",
        "-s",
        "--schedule",
        "-S",
        "--scheduler",
        "--statedb",
        "-Q",
        "--queues",
        "-X",
        "--exclude-queues",
        "-I",
        "--include",
        "-c",
        "--concurrency",
        "-n",
        "--hostname",
        "-P",
        "--pool",
        "-O",
        "--uid",
        "--gid",
        "--max-interval",
    }
)
# Short options of `celery worker` that take a value: `-lINFO`, `-c4` end a flag cluster.
_CELERY_WORKER_VALUE_LETTERS = frozenset("AbflsSQXIcnPO")
# Short options of huey_consumer / run_huey that take a value.
_HUEY_VALUE_LETTERS = frozenset("wkdmbcsLl")


@functools.lru_cache(maxsize=4096)
def _tokens(text: str) -> list[str]:
    """Shell words of a command line, with operators (``&&``, ``;``, ``|``) as words."""
    lexer = shlex.shlex(text, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    try:
        words = []
        for word in lexer:
            words.append(word)
            if len(words) >= _MAX_TOKENS:
                break
        return words
    except ValueError:  # unbalanced quotes: the shell would refuse it; read it roughly
        return text.split()[:_MAX_TOKENS]


def _simple_commands(words: list[str]) -> Iterator[list[str]]:
    current: list[str] = []
    for word in words:
        if word and set(word) <= set("();<>|&") and set(word) & _SEPARATORS:
            if current:
                yield current
            current = []
        else:
            current.append(word)
    if current:
        yield current


def _positional(args: list[str], value_options: frozenset[str] = frozenset()) -> int | None:
    """Index of the first non-option word (the sub-command), skipping option values."""
    i = 0
    while i < len(args):
        word = args[i]
        if word in value_options:
            i += 2
        elif word.startswith("-") and len(word) > 1:
            i += 1
        else:
            return i
    return None


def _has_flag(args: list[str], letter: str, long: str, value_letters: frozenset[str]) -> bool:
    """Is ``-X`` / ``--long`` given, alone or in a cluster of short flags (``-EB``)?"""
    for word in args:
        if word == long:
            return True
        if word.startswith("-") and not word.startswith("--"):
            for char in word[1:]:
                if char == letter:
                    return True
                if char in value_letters or not char.isalpha():
                    break
    return False


def _option_value(args: list[str], names: tuple[str, ...]) -> str | None:
    for i, word in enumerate(args):
        for name in names:
            if word == name and i + 1 < len(args):
                return args[i + 1]
            if name.startswith("--") and word.startswith(name + "="):
                return word[len(name) + 1 :]
            if not name.startswith("--") and word.startswith(name) and len(word) > len(name):
                return word[len(name) :]
    return None


def _lock_based(scheduler: str | None) -> bool:
    return bool(scheduler) and "redbeat" in str(scheduler).lower()


def _celery(args: list[str]) -> Process:
    index = _positional(args, _CELERY_VALUE_OPTIONS)
    if index is None:
        return NOT_A_SCHEDULER
    sub, rest = args[index], args[index + 1 :]
    if sub == "beat":
        return (
            NOT_A_SCHEDULER
            if _lock_based(_option_value(args, ("-S", "--scheduler")))
            else (_CELERY_BEAT)
        )
    if sub == "worker":
        return _celery_worker(rest)
    return NOT_A_SCHEDULER


def _celery_worker(args: list[str]) -> Process:
    if not _has_flag(args, "B", "--beat", _CELERY_WORKER_VALUE_LETTERS):
        return NOT_A_SCHEDULER
    if _lock_based(_option_value(args, ("--scheduler",))):
        return NOT_A_SCHEDULER
    return _CELERY_EMBEDDED


def _huey(args: list[str]) -> Process:
    if _has_flag(args, "n", "--no-periodic", _HUEY_VALUE_LETTERS):
        return NOT_A_SCHEDULER
    return _HUEY


def _program(argv: list[str], i: int) -> Process | None:
    """The process ``argv[i:]`` starts when ``argv[i]`` is a program we know, else None."""
    base = argv[i].rsplit("/", 1)[-1]
    args = argv[i + 1 :]
    if base == "celery":
        return _celery(args)
    if base == "celerybeat":  # Celery 3
        return (
            NOT_A_SCHEDULER
            if _lock_based(_option_value(args, ("-S", "--scheduler")))
            else (_CELERY_BEAT)
        )
    if base == "celeryd":  # Celery 3
        return _celery_worker(args)
    if base == "taskiq":
        index = _positional(args)
        if index is not None and args[index] == "scheduler":
            return _TASKIQ
        return NOT_A_SCHEDULER
    if base in ("huey_consumer", "huey_consumer.py") or base.endswith(".huey_consumer"):
        return _huey(args)
    if base in ("manage.py", "django-admin", "django-admin.py"):
        index = _positional(args, frozenset({"--settings", "--pythonpath"}))
        if index is None:
            return NOT_A_SCHEDULER
        sub, rest = args[index], args[index + 1 :]
        if sub == "run_huey":
            return _huey(rest)
        if sub in ("celery", "celerybeat", "celeryd"):  # django-celery
            return _program(args, index)
        return NOT_A_SCHEDULER
    return None


def _is_script_flag(word: str) -> bool:
    """``-c`` and clusters such as ``-ec`` / ``-lc``: the next word is a shell script."""
    return (
        word.startswith("-")
        and not word.startswith("--")
        and word[1:].isalpha()
        and ("c" in word[1:])
    )


def scheduler_processes(command: str, depth: int = 0) -> list[Process]:
    """Scheduler processes a command line starts (``sh -c "..."`` scripts are followed).

    In each simple command the first known program decides (wrappers such as ``exec``,
    ``env``, ``poetry run``, ``dumb-init --``, ``python -m`` or an entrypoint script are
    skipped over); a word after ``-c`` (``sh -c``, ``bash -lc``) is parsed as a script.
    """
    found: list[Process] = []
    if not command or depth > _MAX_DEPTH:
        return found
    for argv in _simple_commands(_tokens(command)):
        for i, word in enumerate(argv):
            process = _program(argv, i)
            if process is not None:
                if process is not NOT_A_SCHEDULER:
                    found.append(process)
                break
            if i > 0 and _is_script_flag(argv[i - 1]) and (" " in word or "\t" in word):
                found.extend(scheduler_processes(word, depth + 1))
    return found


# --------------------------------------------------------------- copies of a workload

SCALER_KINDS = ("HorizontalPodAutoscaler", "ScaledObject")


@dataclass(frozen=True)
class Copies:
    how: str  # "with replicas: 2", "on every node", ...
    copy: str  # what one copy is called: replica, pod, dyno
    unit: str  # "its own Deployment with replicas: 1"
    related: tuple[Location, ...] = ()


def _scaler_locations(pw: PlacedWorkload, project: Project) -> dict[tuple[str, int], Location]:
    out: dict[tuple[str, int], Location] = {}
    for other in project.workloads:
        scaler = other.workload
        if scaler.kind in SCALER_KINDS and scaler.name == pw.workload.name:
            out[(scaler.kind, scaler.line)] = other.location
    return out


def _kubernetes_copies(pw: PlacedWorkload, project: Project) -> Copies | None:
    workload = pw.workload
    unit = f"its own {workload.kind} with replicas: 1"
    if workload.kind == "DaemonSet":
        return Copies(
            "on every node (one pod per node)", "pod", "its own Deployment with replicas: 1"
        )
    replicas = workload.replicas
    scaled: list[tuple[str, int]] = []  # (scaler description, max replicas)
    related: list[Location] = []
    if workload.autoscaled:
        locations = _scaler_locations(pw, project)
        for entry in workload.extra.get("autoscalers") or []:
            maximum = entry.get("max_replicas")
            if not isinstance(maximum, int) or isinstance(maximum, bool) or maximum <= 1:
                continue  # unknown (templated) or never more than one
            kind = entry.get("kind") or "autoscaler"
            name = entry.get("name")
            scaled.append((f"{kind} '{name}'" if name else str(kind), maximum))
            location = locations.get((kind, entry.get("line")))
            if location is not None:
                related.append(location)
    parts: list[str] = []
    if isinstance(replicas, int) and not isinstance(replicas, bool) and replicas > 1:
        parts.append(f"with replicas: {replicas}")
    if scaled:
        described = " and ".join(f"{what} (up to {most} replicas)" for what, most in scaled)
        parts.append(f"scaled by {described}")
    if not parts:
        return None
    return Copies(" and ".join(parts), "replica", unit, tuple(related))


def _compose_copies(pw: PlacedWorkload) -> Copies | None:
    workload = pw.workload
    unit = "its own service with 1 replica"
    if workload.extra.get("replicas_source") == "per-node":
        return Copies("in global mode (one container per node)", "container", unit)
    replicas = workload.replicas
    if isinstance(replicas, int) and not isinstance(replicas, bool) and replicas > 1:
        return Copies(f"with {replicas} replicas", "replica", unit)
    return None


def _procfile_copies(pw: PlacedWorkload, project: Project) -> Copies | None:
    workload = pw.workload
    replicas = workload.replicas
    if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas <= 1:
        return None  # unknown (no app.json formation) or one dyno
    directory = pw.file.rpartition("/")[0]
    related = tuple(
        other.location
        for other in project.workloads
        if other.workload.kind == "heroku_formation"
        and other.workload.name == workload.name
        and other.file.rpartition("/")[0] == directory
    )
    return Copies(
        f"with {replicas} dynos (app.json formation)",
        "dyno",
        "its own process type with quantity 1",
        related,
    )


def _copies(pw: PlacedWorkload, project: Project) -> Copies | None:
    kind = pw.workload.kind
    if kind in ("Deployment", "StatefulSet", "DaemonSet"):
        return _kubernetes_copies(pw, project)
    if kind == "compose":
        return _compose_copies(pw)
    if kind == "Procfile":
        return _procfile_copies(pw, project)
    return None


WORKLOAD_TITLES = {"compose": "docker-compose service", "Procfile": "Procfile process type"}


def _commands(
    pw: PlacedWorkload, project: Project
) -> list[tuple[str, tuple[str, Location] | None]]:
    """The workload's command lines and those they hand over to (supervisord programs,
    an entrypoint script's exec, the CMD of the image a compose service builds), each with
    where it was handed over (None: the workload's own)."""
    from ..deploy.processes import expanded_commands

    return expanded_commands(project, pw)


def _started_in_code(
    pw: PlacedWorkload, project: Project
) -> Iterator[tuple[Process, Location, str]]:
    """Celery beat the workload's programs start from Python code (deploy/beat_starts.py):
    (process, where the call is, what says so)."""
    from ..deploy.beat_starts import code_beats

    for beat in code_beats(project).run_by(pw):
        process = code_process(beat.start.form, beat.start.argv)
        if process is not NOT_A_SCHEDULER:
            yield (
                process,
                beat.location,
                f"started in code by `{beat.start.call}` in `{beat.runner}`",
            )


def code_process(form: str, argv: tuple[str, ...]) -> Process:
    """The scheduler a beat start of extract/beat_starts.py runs: a Beat object run, the
    argv of `app.worker_main(argv)` (a worker: beat only with -B/--beat), or of
    `app.start(argv)` (a command line after `celery`, the program's name perhaps first).

    Celery 4 takes argv[0] as the program's name and Celery 5 does not (it also wants
    `worker` in a worker_main argv); which one is installed is not read, so both
    spellings count: deployed code that failed to start would be noticed at once."""
    if form == "beat":
        return _CELERY_BEAT
    args = list(argv)
    if form == "worker_main":
        return _celery_worker(args)
    if args and (args[0] == "" or args[0].rsplit("/", 1)[-1] in ("celery", "celery.py")):
        args = args[1:]
    return _celery(args)


@rule(
    "BGT024",
    "scaled-scheduler-process",
    "error",
    "a process that must run once (Celery beat, taskiq scheduler, huey periodic consumer) "
    "runs in several copies",
)
def scaled_scheduler_process(self: Rule, project: Project, config: Config) -> Iterator[Finding]:
    for pw in project.workloads:
        processes: dict[Process, tuple[str, Location] | None] = {}
        for command, origin in _commands(pw, project):
            for process in scheduler_processes(command):
                processes.setdefault(process, origin)
        for process, location, how in _started_in_code(pw, project):
            processes.setdefault(process, (how, location))
        if not processes:
            continue
        copies = _copies(pw, project)
        if copies is None:
            continue
        workload = pw.workload
        title = WORKLOAD_TITLES.get(workload.kind, workload.kind)
        for process, origin in processes.items():
            via = f" ({origin[0]}, {origin[1].file}:{origin[1].line})" if origin else ""
            yield self.finding(
                f"{title} '{workload.name}' runs {process.label}{via} {copies.how}: every "
                f"{copies.copy} sends every periodic task, so each one runs several times; "
                + process.advice.format(unit=copies.unit),
                pw.location,
                related=(*copies.related, *([origin[1]] if origin else [])),
                basis=f"{workload.kind}|{workload.namespace or ''}|{workload.name}|{process.label}",
            )
