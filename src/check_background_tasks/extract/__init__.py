"""Per-file extraction: a pure function of (path, bytes) → FileFacts."""

from __future__ import annotations

import re

from ..model import FileFacts, Problem
from .size_limits import DEFAULT_MAX_FILE_SIZE, DEFAULT_MAX_FILE_TOKENS, too_many_tokens

# extract_python and the framework modules are imported on first use, not here: the engine
# imports this package for the prefilter, and a fully cached run must never load them.

# Byte strings at least one of which any Python file declaring a job must contain.
# Literal `in` tests are far cheaper than a regex alternation (see bench/README.md).
PYTHON_KEYWORDS = (
    b"add_job",
    b"add_schedule",
    b"scheduled_job",
    b"beat_schedule",
    b"BEAT_SCHEDULE",
    b"add_periodic_task",
    # calls: not `create_task_run(` or `add_task_handler(`, common names in task runners
    # (`create_task` and `ensure_future` are tested apart: see OWN_NAME_CALLS)
    b"add_task(",
    b"add_task (",
    b"periodic_task",
    b"shared_task",
    b"_task(name=",  # a project's own task decorator naming its task (celery.py)
    # `@app.task` / `@app.task(...)`: not `.tasks`, which every module importing tasks has
    b".task(",
    b".task\n",
    b".task\r\n",
    b".task ",
    b"locked_scheduler",
    b"apscheduler",  # a module that only builds the scheduler other modules add jobs to
    # settings every job of a scheduler inherits (extract/scheduler_settings.py): Celery's
    # and Django's time zone, a Celery config module's bare `timezone = ...`, huey's `utc=`
    b"TIME_ZONE",
    b"CELERY_TIMEZONE",
    b"enable_utc",
    b"conf.timezone",
    b"\ntimezone =",
    b"\ntimezone=",
    b"Huey(",
    # Flask-APScheduler's settings by name: `SCHEDULER_` alone is in every settings module
    # of a product with a "scheduler" service (prefect: 4 files, 280 KB parsed for nothing)
    b"SCHEDULER_TIMEZONE",
    b"SCHEDULER_JOBSTORES",
    b"SCHEDULER_EXECUTORS",
    b"SCHEDULER_JOB_DEFAULTS",
    b"SCHEDULER_API_ENABLED",
    b"run_coroutine_threadsafe",  # a task started on a loop from another thread
    b"repeat_every",  # fastapi-utils' decorator and copies of it under its name
    b"JOBS = [",  # Flask-APScheduler's job list in a config without SCHEDULER_ settings
    b"JOBS=[",
    b"django_celery_beat",  # beat rows made in code or data migrations (django_beat.py)
    # Neuroglia background jobs (neuroglia.py): descriptors and registered job classes
    b"TaskDescriptor(",
    b"@backgroundjob",
    # discord.py's background loops (discord_loops.py): `@tasks.loop(...)`, or `@loop(...)`
    # imported from the module
    b"tasks.loop(",
    b"ext.tasks import",
    b"ext import tasks",  # `from discord.ext import tasks as t`: `@t.loop(...)`
)

# `scheduler.start()` at import (BGT023), `scheduler.schedule(JobSpec(...))`,
# `SCHEDULE.update(...)`: a method called on a scheduler-like name. Either word alone is
# everywhere ("schedule" in prose, `thread.start()`), so the cheap tests pick the few
# files with both and the pattern confirms the call before anything is parsed.
SCHEDULER_NAMES = (b"sched", b"Sched", b"SCHED")
SCHEDULER_METHODS = (b".start", b".schedule", b".update")
# `.schedule` and `.update` only as calls: `deployment_schedule.schedule.interval` is data
# (prefect: 9 files, 640 KB parsed for nothing); `.start` also as a callback handed over
# (`app.add_event_handler("startup", scheduler.start)`), not as `scheduler.started`.
SCHEDULER_CALL = re.compile(
    rb"(?i)sched\w*(?:\.\w+)*\.(?:start\b(?!\s*[.=\[])|(?:schedule|update)\s*\()"
)
JOB_REFERENCE_CALL = re.compile(
    rb"(?i)sched\w*(?:\.\w+)*\.(?:modify|reschedule|pause|resume|remove|get)_job\b"
)


# Task-starting calls recognised only under their own name: `asyncio.ensure_future(` and
# `loop.create_task(`, not a project's `safe_ensure_future(` helper, which wraps the call
# in another module (a wrapper is followed within its own file only). On hummingbot 102
# of 256 candidate files held nothing but such helper calls.
OWN_NAME_CALLS = (
    (b"create_task", (b"(", b" (")),  # a call: `create_task_run` is another name
    # arq's `cron(func, ...)`, not `test_accepts_cron(` (crontab() and CronTrigger come with
    # a keyword above)
    (b"cron", (b"(", b" (")),
    (b"ensure_future", (b"",)),  # also `ef = asyncio.ensure_future`, an alias
)
# ... but a project's own task factory is conventionally named after what it wraps
# (`self.sys_create_task(`, `safe_ensure_future(`): its calls are read for the
# task-factory pass (link_factories.py), which reports those that throw the task away.
FACTORY_CALLS = (b"create_task(", b"ensure_future(")


def _own_name(source: bytes, name: bytes, followed_by: tuple[bytes, ...]) -> bool:
    """`name` not as the tail of a longer identifier, followed by one of `followed_by`."""
    start = source.find(name)
    while start != -1:
        before = source[start - 1] if start else 0x20
        is_tail = before == 0x5F or before >= 0x80 or chr(before).isalnum()  # _, non-ASCII
        end = start + len(name)
        if not is_tail and any(source.startswith(after, end) for after in followed_by):
            return True
        start = source.find(name, end)
    return False


# Every keyword and scheduler name above contains one of these. Most files contain none,
# and scanning for these few costs far less than scanning for all the keywords.
COMMON_PARTS = (
    b"task",
    b"ched",
    b"CHED",
    b"ensure_future",
    b"cron",
    b"ZONE",
    b"_utc",
    b"conf.timezone",
    b"\ntimezone",
    b"Huey(",
    b"_job",
    b"_threadsafe",
    b"Thread(",
    b"repeat_every",
    b"JOBS",
    b"django_celery_beat",
    b"TaskDescriptor(",
    b"@backgroundjob",
)

# A thread started over a forever-loop (BGT022, extract/threads.py): the three together.
THREAD_LOOP = (b"Thread(", b".start(")
FOREVER = (b"while True", b"while 1")


# A taskiq registry (`SCHEDULED_TASKS = [{"task": ..., "schedule": [...]}]`): an upper-case
# SCHEDULE name with a "schedule" key, not any `StateType.SCHEDULED`.
REGISTRY_KEYS = (b'"schedule"', b"'schedule'", b"schedule=")


# The common part each own-name call holds (the first stage found it, or the call is absent).
OWN_NAME_PARTS = tuple(
    next(part for part in COMMON_PARTS if part in name) for name, _ in OWN_NAME_CALLS
)

# The keywords that hold each common part: a file is scanned only for the keywords of the
# parts it contains (prefect's files hold "task" everywhere, rarely anything else).
KEYWORDS_BY_PART = {
    part: tuple(keyword for keyword in PYTHON_KEYWORDS if part in keyword) for part in COMMON_PARTS
}


def _called_at_a_scheduler(source: bytes, pattern: re.Pattern[bytes]) -> bool:
    """`pattern.search(source)` for a case-blind pattern that starts with `sched`, tried
    only where `sched` occurs in any case (a scheduler module names it hundreds of times;
    most files that get here name it a few): 3x faster than searching every byte."""
    lowered = source.lower()  # one pass, far cheaper than the search
    start = lowered.find(b"sched")
    while start != -1:
        if pattern.match(lowered, start) is not None:
            return True
        start = lowered.find(b"sched", start + 5)
    return False


def python_might_matter(source: bytes) -> bool:
    present = {part for part in COMMON_PARTS if part in source}
    if not present:
        return False
    for part in present:
        if any(keyword in source for keyword in KEYWORDS_BY_PART[part]):
            return True
    # Each test below looks only where its common part was found: most files that get
    # this far hold "task" and nothing else (prefect: 700 files, 200 ms of scans saved).
    if any(
        part in present and _own_name(source, name, after)
        for (name, after), part in zip(OWN_NAME_CALLS, OWN_NAME_PARTS, strict=True)
    ):
        return True
    if (b"task" in present or b"ensure_future" in present) and any(
        call in source for call in FACTORY_CALLS
    ):
        return True
    if b"CHED" in present and b"SCHEDULE" in source and any(k in source for k in REGISTRY_KEYS):
        return True
    if (
        b"Thread(" in present
        and all(part in source for part in THREAD_LOOP)
        and any(w in source for w in FOREVER)
    ):
        return True
    # A job referred to by id (BGT036), possibly far from where it is added: on a
    # scheduler-like receiver only (`client.get_job(...)` of a cloud API is no such call).
    if b"_job" in present and _called_at_a_scheduler(source, JOB_REFERENCE_CALL):
        return True
    return (
        (b"ched" in present or b"CHED" in present)
        and any(name in source for name in SCHEDULER_NAMES)
        and any(method in source for method in SCHEDULER_METHODS)
        and _called_at_a_scheduler(source, SCHEDULER_CALL)
    )


def might_matter(path: str, source: bytes) -> bool:
    """The byte-level prefilter for any file (``path`` or its bare name): False means it
    is never decoded or parsed."""
    name = path.rsplit("/", 1)[-1]
    if name.endswith(".py"):
        if "gunicorn" in name and b"workers" in source:
            return True  # a gunicorn configuration file (the process model reads it)
        return python_might_matter(source)
    if name == "app.json":
        from .procfile import app_json_might_matter

        return app_json_might_matter(source)
    if name.endswith((".yaml", ".yml", ".json")) or name == "Kustomization":
        from .yaml_prefilter import KUSTOMIZATION_NAMES, yaml_worth_loading

        if name in KUSTOMIZATION_NAMES or yaml_worth_loading(source):
            return True
        return _helm_input(path, source)
    if name.endswith((".tpl", ".gotmpl")):
        return _helm_input(path, source)
    if name.endswith((".conf", ".ini")):
        from .ini_programs import ini_might_matter

        return ini_might_matter(source)
    if name.endswith(".sh"):
        from .shell_script import script_might_matter

        return script_might_matter(source)
    return True  # Procfiles and Dockerfiles are small


def _helm_input(path: str, source: bytes) -> bool:
    """Chart files, values, helmfiles, Argo/Flux releases: by name and cheap byte tests."""
    from .helm_prefilter import might_matter as helm_might_matter

    return helm_might_matter(path, source)


def extract(
    path: str,
    source: bytes,
    module: str | None = None,
    is_package: bool = False,
    max_size: int = DEFAULT_MAX_FILE_SIZE,
    max_tokens: int = DEFAULT_MAX_FILE_TOKENS,
    is_test: bool | None = None,
) -> FileFacts:
    """Facts of one file. Never raises for bad input: problems become `FileFacts.problems`.
    `is_test`: the file is a test of the project (discovery judges it below the scan's
    root); None: judged on `path` itself, for a caller that knows no root."""
    if len(source) > max_size:
        message = (
            f"larger than max-file-size ({len(source)} > {max_size} bytes): not analysed;"
            " raise max-file-size to read it, or exclude it"
        )
        # Usually generated code or data: worth a note, not a failed build.
        return FileFacts(path=path, problems=[Problem(message, severity="info")])
    name = path.rsplit("/", 1)[-1]
    if too_many_tokens(name, source, max_tokens):
        if name.endswith(".json"):
            return FileFacts(path=path)  # a JSON data file is not ours to judge
        message = (
            f"more than max-file-tokens ({max_tokens}) tokens: not analysed, since its parse"
            " would pass the memory bound (generated code?); raise max-file-tokens to read"
            " it, or exclude it"
        )
        return FileFacts(path=path, problems=[Problem(message, severity="info")])
    if b"\x00" in source and not _wide_yaml(name, source):
        return FileFacts(path=path, problems=[Problem("file contains NUL bytes")])
    if name.endswith((".py", ".pyi")):
        from .python import extract_python

        if is_test is None:
            from ..test_paths import is_test_file

            is_test = is_test_file(path)
        return extract_python(path, source, module, is_package, is_test)
    if name == "app.json":
        from .procfile import extract_app_json

        return extract_app_json(path, source)
    if name.endswith((".yaml", ".yml", ".json")) or name == "Kustomization":
        from .helm_files import add_helm_inputs
        from .helm_prefilter import is_helm_template
        from .kubernetes import extract_yaml

        # a Helm template's problems are weighed by helm_files.py (it is rendered)
        facts = extract_yaml(path, source, judge=not is_helm_template(path, source))
        if name.endswith(".json") and not facts.jobs and not facts.workloads:
            facts.problems = []  # a JSON data file (JSON Lines, fixtures) is not ours to judge
        if any(w.kind == "compose" for w in facts.workloads):
            from .compose_details import add_compose_details
            from .yaml_text import decode_text

            add_compose_details(facts, decode_text(source))
        return add_helm_inputs(path, source, facts)
    if name.endswith((".tpl", ".gotmpl")):
        from .helm_files import add_helm_inputs

        return add_helm_inputs(path, source, FileFacts(path=path))
    if name == "Procfile" or name.startswith("Procfile."):
        from .procfile import extract_procfile

        return extract_procfile(path, source)
    return extract_process_file(path, source)


def extract_process_file(path: str, source: bytes) -> FileFacts:
    """Dockerfiles, supervisord/uWSGI INI files and shell scripts (the process model); a
    script a Dockerfile runs may have any name (`bin/boot_server`): its `#!` line says."""
    name = path.rsplit("/", 1)[-1]
    lower = name.lower()
    if lower.startswith(("dockerfile", "containerfile")) or lower.endswith(
        (".dockerfile", ".containerfile")
    ):
        from .dockerfile import dockerfile_name, extract_dockerfile

        return extract_dockerfile(path, source) if dockerfile_name(name) else FileFacts(path)
    if name.endswith((".conf", ".ini")):
        from .ini_programs import extract_ini

        return extract_ini(path, source)
    if name.endswith(".sh") or _shell_shebang(source):
        from .shell_script import extract_script

        return extract_script(path, source)
    return FileFacts(path=path)


def _shell_shebang(source: bytes) -> bool:
    """`#!/bin/sh`, `#!/usr/bin/env bash` ...: a shell script whatever its name."""
    if not source.startswith(b"#!"):
        return False
    first = source[:100].split(b"\n", 1)[0]
    return any(shell in first for shell in (b"sh", b"bash", b"dash", b"zsh"))


def _wide_yaml(name: str, source: bytes) -> bool:
    """UTF-16/32 YAML holds NUL bytes by nature; its extractor decodes it."""
    if not name.endswith((".yaml", ".yml", ".json")):
        return False
    from .yaml_text import has_wide_bom

    return has_wide_bom(source)
