"""asyncio rules: dangling tasks (BGT021), replica loops (BGT022), blocking calls (BGT040)."""

from __future__ import annotations

from collections.abc import Iterator

from ..config import Config
from ..deploy.processes import Verdict
from ..link import LinkedJob, Project, lock_decorated
from ..link_loops import started_as
from ..model import FileFacts, Finding, FunctionFacts, Location
from .process_wording import (
    at_most_info,
    exactly_one,
    not_stated,
    not_worked_out,
    started_only_where,
)
from .registry import Rule, rule


@rule(
    "BGT021",
    "dangling-task",
    "warning",
    "the result of asyncio.create_task / ensure_future / loop.create_task is discarded",
    aliases=("RUF006", "ASYNC300"),
)
def dangling_task(self: Rule, project: Project, config: Config) -> Iterator[Finding]:
    for linked in project.jobs:
        job = linked.job
        if started_as(job) != "create_task" or not dict(job.extra).get("discarded"):
            continue
        yield self.finding(_dangling_message(linked), job.location, basis=f"{job.target}")


def _factory_message(linked: LinkedJob, extra: dict, weak: str) -> str:  # type: ignore[type-arg]
    """`self.sys_create_task(...)` → `CoreSys.create_task` → `loop.create_task`
    (link_factories.py)."""
    call = extra["call"]
    if not call.startswith("self."):
        call = call.rpartition(".")[2]
    chain = extra["factory"].split(" → ")
    if chain and chain[0].rpartition(".")[2] == call.rpartition(".")[2]:
        chain = chain[1:]
    hops = " → ".join(f"`{hop}`" for hop in [*chain, extra["via"]])
    local = extra.get("kept_in_local")
    dropped = (
        f"is kept only in the local `{local}`, which dies when "
        f"`{linked.raw.enclosing or 'its function'}` returns"
        if local
        else "is thrown away here"
    )
    maker = extra["factory"].split(" → ")[-1]
    return (
        f"`{call}(...)` → {hops}: nothing keeps the task (`{maker}` at "
        f"{extra['factory_at']} returns it unstored, and the result {dropped}): {weak}; "
        f"keep the result, or make `{maker}` keep its tasks (a set + "
        "add_done_callback(set.discard)) and every call of it is safe"
    )


KEEP_ADVICE = "keep a reference (a set + add_done_callback(set.discard)) or use a TaskGroup"


def _dangling_message(linked: LinkedJob) -> str:
    job, extra = linked.job, dict(linked.job.extra)
    via = extra.get("via", "create_task")
    call = f"`{via}({job.target or '...'}...)`"
    weak = "the event loop keeps only a weak reference, so it can be garbage-collected mid-flight"
    local = extra.get("kept_in_local")
    # a done callback sees the exception, and lives on what it was added to: it keeps
    # nothing alive
    dies = (
        f"is kept only in the local `{local}`, which dies when "
        f"`{linked.raw.enclosing or 'its function'}` returns"
    )
    if via.endswith("run_coroutine_threadsafe"):
        if local:
            return (
                f"The future of {call} {dies} (its done callback lives on the future "
                "itself): it is all that references the task started on the loop, so "
                f"{weak.partition(', so ')[2]}; keep the future (a set + "
                "add_done_callback(set.discard))"
            )
        return (
            f"The future of {call} is dropped: it is all that references the task started "
            f"on the loop, so {weak.partition(', so ')[2]} and its exception is never seen; "
            "keep the future (wait on `.result()` or add a done callback)"
        )
    if extra.get("factory"):
        return _factory_message(linked, extra, weak)
    if local:
        return (
            f"Task from {call} {dies} (a done callback lives on the task itself): {weak}; "
            f"{KEEP_ADVICE}"
        )
    return f"Task from {call} is not stored: {weak}; {KEEP_ADVICE}"


# create_task records, and threads over a forever-loop (link_loops.py)
LOOP_KINDS = frozenset({"create_task", "loop"})
STARTUP_NAMES = frozenset({"__init__", "start", "startup", "__aenter__"})


def _started_at_startup(linked: LinkedJob) -> str | None:
    """Where a task is started from when that is start-up code, else None."""
    if linked.raw.enclosing is None:
        return "at module level"
    enclosing = linked.enclosing
    short = linked.raw.enclosing.rpartition(".")[2]
    if (enclosing is not None and enclosing.is_startup_hook) or short in STARTUP_NAMES:
        return f"in `{linked.raw.enclosing}`"
    return None


@rule(
    "BGT022",
    "replica-loop",
    "warning",
    "a `while True` + sleep loop is started as a task at app start-up, on every replica",
)
def replica_loop(self: Rule, project: Project, config: Config) -> Iterator[Finding]:
    for linked in project.jobs:
        job = linked.job
        fn = linked.definition
        if job.kind not in LOOP_KINDS or fn is None or not fn.loops_forever_with_sleep:
            continue
        if fn.takes_lock or lock_decorated(fn, config.lock_decorators):
            continue
        if fn.per_process:
            continue  # a heartbeat or per-process metrics flush: one copy per process is right
        started = _started_at_startup(linked)
        if started is None:
            continue
        what = "Task"
        if started_as(job) == "loop":  # a thread (link_loops.py)
            if dict(job.extra).get("under_main_guard"):
                continue  # a script's own main loop, not code every importer runs
            what = "Thread"
            if linked.raw.enclosing is None:
                started = "at module level (at import, in every process that imports it)"
        verdict = _verdict(project, linked)
        if verdict is not None and verdict.status == "one":
            continue  # one process: the loop runs once
        finding = self.finding(
            f"{what} `{job.target}` loops forever with a sleep and is started {started}: a "
            f"home-made scheduler that {_where_it_runs(verdict)}; schedule it once "
            "(locked_scheduler or a distributed lock inside the loop) or run it in one "
            "dedicated process",
            job.location,
            related=[_definition_location(linked)],
            basis=f"{job.target}",
        )
        yield at_most_info(finding, verdict)
    yield from _repeat_every_started(self, project, config)


def _repeat_every_started(self: Rule, project: Project, config: Config) -> Iterator[Finding]:
    """`@repeat_every(...)` functions a start-up hook starts (link_loops.py)."""
    for linked in project.jobs:
        job = linked.job
        started_by = dict(job.extra).get("started_by")
        if job.kind != "repeat_every" or not started_by:
            continue
        fn = linked.definition
        if fn is not None and (fn.takes_lock or lock_decorated(fn, config.lock_decorators)):
            continue
        seconds = job.schedule.interval_seconds if job.schedule else None
        written = job.schedule.text if job.schedule else ""
        every = f"every {seconds:g} s" if seconds else f"(`{written}`)"
        how = (
            "is itself a start-up hook"
            if started_by == job.target
            else f"is started by the start-up code `{started_by}`"
        )
        decorator = dict(job.extra).get("decorator", "repeat_every").rpartition(".")[2]
        verdict = _verdict(project, linked)
        if verdict is not None and verdict.status == "one":
            continue  # one process: the loop runs once
        finding = self.finding(
            f"`{job.target}` repeats {every} (`@{decorator}`) and {how}: a home-made "
            f"scheduler that {_where_it_runs(verdict)}; schedule it once (locked_scheduler "
            "or a distributed lock inside the function) or run it in one dedicated process",
            job.location,
            related=[_definition_location(linked)],
            basis=f"{job.target}",
        )
        yield at_most_info(finding, verdict)


def _verdict(project: Project, linked: LinkedJob) -> Verdict | None:
    """How many processes start the task (deploy/processes.py), when there is a model."""
    schedulers = project.processes
    if schedulers is None:
        return None
    from ..deploy.schedulers import task_context

    found: Verdict = schedulers.task_verdict(linked, task_context(linked) or "function")
    return found


def _where_it_runs(verdict: Verdict | None) -> str:
    """`runs in 4 processes: ...`, or what is known of an unknown count."""
    runs = verdict.runs() if verdict is not None else None
    if verdict is not None and verdict.status == "unknown" and verdict.gate is not None:
        return (
            f"runs in every process that starts it, which is "
            f"{started_only_where(verdict.gate)}: {exactly_one(verdict)}"
        )
    if runs is not None:
        return runs
    if verdict is not None and verdict.undeployed:
        return (
            f"runs in every process that starts it, and {not_stated(verdict)}: if more than "
            "one does, each runs the loop"
        )
    return f"runs in every process that starts it ({not_worked_out(verdict)})"


BLOCKING_ADVICE = {
    "time.sleep": "use `await asyncio.sleep(...)`",
    "boto3": "use aioboto3 / aiobotocore, or `await asyncio.to_thread(...)`",
    "urllib3": "use an async client (httpx.AsyncClient, aiohttp)",
    "os": "use `await asyncio.to_thread(...)` (or aiofiles.os)",
    "shutil": "use `await asyncio.to_thread(...)`",
    "open": "use `await asyncio.to_thread(...)` or aiofiles",
    "subprocess": "use `asyncio.create_subprocess_exec(...)`",
    "os.system": "use `asyncio.create_subprocess_shell(...)`",
    "requests": "use an async client (httpx.AsyncClient, aiohttp)",
    "httpx": "use `httpx.AsyncClient`",
    "urllib": "use an async client (httpx.AsyncClient, aiohttp)",
    "socket": "use `asyncio.open_connection(...)`",
}
# Kinds that run a coroutine on an event loop (Celery and huey tasks do not).
ASYNC_JOB_KINDS = frozenset(
    {"create_task", "fastapi_background", "apscheduler", "locked_scheduler", "taskiq", "arq"}
)


def _advice(call: str) -> str:
    family, _, written = call.rpartition(":")  # "boto3:s3.upload_file": a client's call
    for prefix in (family, written, written.split(".")[0]):
        if prefix in BLOCKING_ADVICE:
            return BLOCKING_ADVICE[prefix]
    return "use `await asyncio.to_thread(...)`"


def _shown(call: str) -> str:
    """`s3.upload_file` (a boto3 client) for a client's call, else the call itself."""
    family, _, written = call.rpartition(":")
    return f"`{written}` (a {family} client)" if family else f"`{call}`"


def _definition_location(linked: LinkedJob) -> Location:
    fn, ff = linked.definition, linked.definition_facts
    if fn is None or ff is None:
        return linked.job.location
    return Location(ff.path, fn.line, fn.column)


@rule(
    "BGT040",
    "blocking-call-in-async-job",
    "warning",
    "an async job calls a blocking function (time.sleep, requests.*, sync file or socket I/O)",
    # ruff / flake8-async report the same call at the same line.
    aliases=("ASYNC210", "ASYNC220", "ASYNC221", "ASYNC230", "ASYNC251"),
)
def blocking_call_in_async_job(self: Rule, project: Project, config: Config) -> Iterator[Finding]:
    calls: dict[Location, tuple[str, str, list[LinkedJob]]] = {}
    for linked in project.jobs:
        job, fn, ff = linked.job, linked.definition, linked.definition_facts
        if fn is None or ff is None or not fn.is_async or not fn.blocking_calls:
            continue
        if started_as(job) not in ASYNC_JOB_KINDS:
            continue
        for call, line, column in fn.blocking_calls:
            location = Location(ff.path, line, column)
            entry = calls.setdefault(location, (call, fn.qualname, []))
            entry[2].append(linked)
    for location, (call, qualname, jobs) in sorted(calls.items()):
        first = jobs[0].job
        label = f"'{first.name}'" if first.name else f"`{first.target}`"
        more = f" and {len(jobs) - 1} more" if len(jobs) > 1 else ""
        yield self.finding(
            f"{_shown(call)} blocks the event loop in async job {label} ({started_as(first)} at "
            f"{first.location.file}:{first.location.line}{more}): while it waits no other "
            f"task runs; {_advice(call)}",
            location,
            related=[lj.job.location for lj in jobs],
            basis=f"{qualname}|{call}",
        )
    yield from _blocking_helpers(self, project)


def _helper(
    project: Project, fn: FunctionFacts, ff: FileFacts, callee: str
) -> tuple[FunctionFacts, FileFacts] | None:
    """The project's own function `callee` names inside `fn` (one re-export hop)."""
    head, _, rest = callee.partition(".")
    if head == "self":
        owner = fn.qualname.rpartition(".")[0]
        if not owner or "<locals>" in owner or not ff.module:
            return None
        dotted = f"{ff.module}.{owner}.{rest}"
    elif head in ff.imports:
        dotted = ff.imports[head] + (f".{rest}" if rest else "")
    elif ff.module:
        dotted = f"{ff.module}.{callee}"
    else:
        return None
    found = project.functions.get(dotted)
    if found is None:
        module, _, name = dotted.rpartition(".")
        defining = project.modules.get(module)
        if defining is not None and name in defining.imports:
            found = project.functions.get(defining.imports[name])
    return found


def _blocking_helpers(self: Rule, project: Project) -> Iterator[Finding]:
    """A coroutine that calls the project's own sync function, which blocks: one level."""
    calls: dict[Location, tuple[str, FunctionFacts, FileFacts, list[LinkedJob]]] = {}
    for linked in project.jobs:
        fn, ff = linked.definition, linked.definition_facts
        if fn is None or ff is None or not fn.is_async or not fn.calls:
            continue
        if started_as(linked.job) not in ASYNC_JOB_KINDS:
            continue
        for callee, line, column in fn.calls:
            found = _helper(project, fn, ff, callee)
            if found is None or found[0].is_async or not found[0].blocking_calls:
                continue
            location = Location(ff.path, line, column)
            entry = calls.setdefault(location, (callee, found[0], found[1], []))
            entry[3].append(linked)
    for location, (callee, helper, helper_facts, jobs) in sorted(calls.items()):
        first = jobs[0].job
        label = f"'{first.name}'" if first.name else f"`{first.target}`"
        more = f" and {len(jobs) - 1} more" if len(jobs) > 1 else ""
        blocking, line, column = helper.blocking_calls[0]
        others = len(helper.blocking_calls) - 1
        also = f" and {others} more blocking call{'s' if others > 1 else ''}" if others else ""
        name = callee.rpartition(".")[2]
        yield self.finding(
            f"`{callee}()` blocks the event loop in async job {label} ({started_as(first)} at "
            f"{first.location.file}:{first.location.line}{more}): it is a sync function that "
            f"calls {_shown(blocking)} ({helper_facts.path}:{line}){also}, and while it runs "
            f"no other task does; call it in a thread (`await asyncio.to_thread({name}, ...)`)",
            location,
            related=[Location(helper_facts.path, line, column)],
            basis=f"{helper.qualname}|{callee}",
        )
