"""Scheduler processes in a command line: Celery beat, taskiq's scheduler, a huey consumer
that runs periodic tasks. Pure functions of text (no project, no YAML), shared by BGT024,
which counts their copies, and by the YAML reading, which asks whether a document it could
not parse might start one (extract/yaml_problems.py)."""

from __future__ import annotations

import functools
import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass

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


# ------------------------------------------------------- in text that is not parsed

# Every program `_program` knows has one of these in its name (`manage.py run_huey` too).
_PROGRAM_PARTS = ("celery", "taskiq", "huey")
_MAX_CANDIDATES = 500
# `key:` at the start of a YAML line (after list dashes): a new value starts there.
_YAML_KEY_RE = re.compile(r"""^[ \t]*(?:-[ \t]+)*["']?([A-Za-z_][\w.-]*)["']?[ \t]*:(?:[ \t]|$)""")
# Keys whose values are one command line together (Kubernetes, docker-compose).
_COMMAND_KEYS = frozenset({"command", "args", "entrypoint"})
# YAML punctuation around the words of a flow or block list; block scalar indicators.
_YAML_PUNCTUATION = str.maketrans({c: " " for c in "[]{},\"'"})
_BLOCK_INDICATORS = frozenset({"-", "|", ">", "|-", ">-", "|+", ">+"})


def may_start_scheduler(text: str) -> bool:
    """Could this YAML text, which could not be parsed, start a scheduler process?

    Read roughly, line by line: the value of each key (a command and its args together)
    is one command line, list items and block scalars continue it, and `scheduler_processes`
    judges each, as it judges a parsed workload's command for BGT024.
    """
    if not any(part in text for part in _PROGRAM_PARTS):
        return False
    budget = _MAX_CANDIDATES  # shlex is slow: a bounded number of likely command lines
    for command in _command_texts(text):
        if not any(part in command for part in _PROGRAM_PARTS):
            continue
        if scheduler_processes(command):
            return True
        budget -= 1
        if budget == 0:
            return False  # not known: said as the lesser claim
    return False


def _command_texts(text: str) -> Iterator[str]:
    """Each key's value as one command line, then each of its lines alone (a block scalar
    script: one command a line)."""
    for value in _values(text):
        yield "\n".join(value)
        if len(value) > 1:
            yield from value


def _values(text: str) -> Iterator[list[str]]:
    current: list[str] = []
    in_command = False
    for line in text.splitlines():
        match = _YAML_KEY_RE.match(line)
        if match is not None:
            is_command = match.group(1) in _COMMAND_KEYS
            if not (is_command and in_command):  # `args:` after `command:` continues it
                if current:
                    yield current
                current = []
            in_command = is_command
            line = line[match.end() :]
        words = line.translate(_YAML_PUNCTUATION).split()
        current.append(" ".join(w for w in words if w not in _BLOCK_INDICATORS))
    if current:
        yield current
