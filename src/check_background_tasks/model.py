"""Plain data passed between the pipeline stages.

Everything here is picklable and built from builtins so per-file facts can cross
process boundaries and be cached as JSON.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

# The value of a manifest field that only the template engine knows (a Helm action).
TEMPLATED = "<templated>"
# A key of a plain manifest mapping into which a template injects keys nobody can read
# here (`{{ toYaml .Values.x | nindent 4 }}`): a key the mapping lacks is unknown, not
# missing. (No Kubernetes field can be called this.)
OPEN = "<open>"
# A kustomization's inline patch text, parsed at extraction: {INLINE: [document, ...]}.
INLINE = "<inline>"


@dataclass(frozen=True, order=True)
class Location:
    """Where a finding or a job is: file, 1-based line and column."""

    file: str  # relative to the current directory, forward slashes
    line: int  # 1-based
    column: int  # 1-based


@dataclass(frozen=True)
class Schedule:
    """A schedule as written plus what could be derived from it statically."""

    text: str  # as written, one line, shortened
    cron: str | None = None  # standard 5-field cron (Sunday = 0) when expressible
    interval_seconds: float | None = None
    timezone: str | None = None
    run_at: str | None = None  # ISO timestamp of a one-off (date) trigger
    error: str | None = None  # why the schedule is invalid (BGT030)
    resolved: bool = True  # False when the value is only known at run time


@dataclass(frozen=True)
class TargetRef:
    """How a job names the callable it runs, before project-wide linking.

    `how` is one of:
      import  - `value` is an absolute dotted path built from the file's imports;
                a relative import keeps its leading dots (``..jobs.cleanup``).
      local   - `value` is a name defined (or assumed) in the declaring module.
      string  - `value` is a dotted or ``pkg.mod:func`` string (APScheduler
                textual reference, Celery task name).
      command - `value` is a container command line (Kubernetes).
      variable - `value` is a parameter or local of the enclosing function, known only
                at its call sites.
      unknown - `value` is the expression as written.
    """

    how: str
    value: str
    # Arguments a wrapper binds to the callable (`partial(f, 1)`, `task.s(1)`), as written:
    # the same function with other arguments is another job.
    bound: str | None = None


@dataclass
class RawJob:
    """One scheduled or background job as a single file declares it."""

    kind: str
    name: str | None
    target: TargetRef
    schedule: Schedule | None
    line: int
    column: int
    periodic: bool = True
    lock_key: str | None = None  # a lock the declaration itself names
    locked: bool | None = None  # decided at declaration time (e.g. locked_scheduler)
    scheduler: str | None = None  # which scheduler object declared it (variable name)
    enclosing: str | None = None  # qualname of the function around the declaration
    extra: dict[str, Any] = field(default_factory=dict)
    # The branches the declaration sits in, outermost first: (line, column, arm) of each
    # `if` / `try` / `match` around it and which arm (body 0, else 1; handler i + 1; case i).
    # Two declarations of one file in different arms of one statement never both run.
    branches: tuple[tuple[int, int, int], ...] = ()
    # (line, column) of the function a decorator declares as the job: the definition
    # itself, even when the module defines another function of the same name.
    defined_at: tuple[int, int] | None = None


@dataclass
class FunctionFacts:
    """What rules need to know about one function definition."""

    qualname: str  # dotted within its module, e.g. ``Worker.run``
    line: int
    column: int
    is_async: bool
    decorators: list[str] = field(default_factory=list)  # resolved dotted names
    takes_lock: bool = False
    lock_key: str | None = None
    loops_forever_with_sleep: bool = False
    blocking_calls: list[tuple[str, int, int]] = field(default_factory=list)
    # (callee as written, line, column) of calls a coroutine makes without awaiting them
    calls: list[tuple[str, int, int]] = field(default_factory=list)
    # explicit name= of a task decorator; "<unknown task name>" when only the run time
    # knows it (a constant imported from another module)
    celery_task_name: str | None = None
    is_celery_task: bool = False
    is_startup_hook: bool = False  # lifespan, on_event("startup"), ...
    # Why a forever-loop must run in every process (a heartbeat, per-process metrics):
    # the evidence as a phrase, or None (BGT022).
    per_process: str | None = None
    # A project's own repeat_every (extract/repeat_every.py): a decorator factory whose
    # wrapper starts a task looping over `await func(); await sleep(...)`, with the
    # parameter the sleep is made of and its factor to seconds (("", 0.0): not known).
    repeat_decorator: tuple[str, float] | None = None
    # What a start-up hook calls (extract/repeat_every.py), to know what starts at start-up.
    startup_calls: list[TargetRef] = field(default_factory=list)
    # (receiver, line, column) of a `.start()` of an APScheduler scheduler in this body
    starts_scheduler: tuple[str, int, int] | None = None

    def __reduce__(self) -> tuple[type[FunctionFacts], tuple[Any, ...]]:
        # A cache index holds thousands of these: rebuilt from a tuple of values they
        # unpickle in about half the time of the default (an instance dict per object).
        return (FunctionFacts, tuple(getattr(self, name) for name in _FUNCTION_FACT_FIELDS))


_FUNCTION_FACT_FIELDS = tuple(f.name for f in fields(FunctionFacts))  # __init__'s order


@dataclass
class Workload:
    """A process definition that may run in several copies (BGT024)."""

    kind: str  # Deployment, StatefulSet, compose, Procfile, ...
    name: str
    command: str
    replicas: int | None  # None: unknown / templated
    line: int
    column: int
    namespace: str | None = None
    autoscaled: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Switch:
    """A configuration switch some code runs under: `if app.config["RUN_SCHEDULER"]:`,
    `if not should_start(app): return` (extract/switches.py). The deployment decides which
    processes set it, so what it gates is a deliberate per-process choice."""

    name: str  # the setting or variable read: RUN_SCHEDULER (empty while `call` is unresolved)
    text: str  # the test as written, shortened: `not should_start_apscheduler(app)`
    path: str  # where the test is
    line: int
    negated: bool = False  # the code runs where the setting is off
    # how a value read from the environment decides: "words" (true/1/yes ... false/0/no),
    # "raw" (an os.environ string: anything non-empty is on), "equals" (one of `values`),
    # "opaque" (cannot be worked out from the value)
    how: str = "words"
    values: tuple[str, ...] = ()
    fold: bool = False  # compared case-insensitively (`.lower() == "true"`)
    via: str = ""  # the project function whose body reads it: `should_start_apscheduler()`
    call: str = ""  # an imported project function to resolve project-wide (deploy/switches.py)


@dataclass
class StartSite:
    """A `scheduler.start()` call, with what decides which processes make it (deploy/)."""

    line: int
    column: int
    receiver: str  # as written, e.g. ``self._scheduler``
    scheduler: str | None  # project-wide identity (dotted), None when not knowable
    scheduler_class: str  # dotted factory when known, else ""
    # When the call runs: "import" (module level, or a function/constructor called there),
    # "main" (under `if __name__ == "__main__"`), "startup" (an app's start-up hook),
    # "function" (some other function, known only through its callers)
    contexts: tuple[str, ...]
    enclosing: str | None = None  # qualname of the function holding the call
    via: str | None = None  # how the context was found, e.g. "Scheduler() at line 16"
    callers: tuple[str, ...] = ()  # dotted names other modules call to reach it
    paused: bool = False  # start(paused=True)
    gate: str | None = None  # the leader election deciding whether this process runs jobs
    gate_line: int = 0
    switch: Switch | None = None  # a configuration switch the call itself runs under


@dataclass
class Launch:
    """A server started from Python code (`uvicorn.run(...)`, `Server(Config(...)).run()`)."""

    kind: str  # uvicorn.run | uvicorn.Server | hypercorn | waitress | flask | aiohttp | ...
    line: int
    workers: Any  # int; None: not given; "many": more than one, how many unknown; "?": unknown
    import_string: str | None  # uvicorn.run("pkg.main:app", ...): the workers import this
    contexts: tuple[str, ...]  # as for StartSite


@dataclass
class BeatStart:
    """Celery beat started from Python code (extract/beat_starts.py), for BGT024: the
    process whose entry module makes this call runs beat."""

    line: int
    column: int
    call: str  # the call as written, shortened: `app.Beat(loglevel="info").run()`
    # "beat": a Beat object run; "worker_main" / "start": the app's method with `argv`
    form: str
    argv: tuple[str, ...] = ()  # literal words; "<?>" where a word is not a literal
    # the imported receiver to confirm as a Celery app project-wide; "" when known here
    app: str = ""
    contexts: tuple[str, ...] = ()  # as for StartSite, through unconditional calls only
    via: str | None = None
    callers: tuple[str, ...] = ()  # dotted names other modules call to reach it


@dataclass
class CliFacts:
    """A command line one file builds (extract/cli_commands.py): which function each
    sub-command runs, for the process model (deploy/cli.py). Nodes are dotted names: a
    group by its object (`pkg.cli.app`) or, for argparse, by the scope that builds the
    parser (`pkg.cli.main`, `pkg.cli.<main>`); a command by its function."""

    nodes: dict[str, str] = field(default_factory=dict)  # node -> typer|click|argparse|command
    names: dict[str, tuple[str, ...]] = field(default_factory=dict)  # a node's own names
    # (parent, name typed on the command line, child, line); name "": the child's own
    # name (names), None: not a literal (that sub-command cannot be told apart)
    children: list[tuple[str, str | None, str, int]] = field(default_factory=list)
    # (node, function that runs whenever the node is on the command's way, line)
    callbacks: list[tuple[str, str, int]] = field(default_factory=list)
    # scope -> nodes called there (`app()`, `cli.main()`): the command line is read there
    invokes: dict[str, list[str]] = field(default_factory=dict)
    # scope -> functions handed to `ctx.invoke(f)` / `ctx.forward(f)`: they run there
    hands: dict[str, list[str]] = field(default_factory=dict)
    # (scope, project callee, pseudo-command `node#word`): every call of the callee in
    # that scope runs under a branch on the first word (extract/cli_branches.py)
    branches: list[tuple[str, str, str]] = field(default_factory=list)
    # (line, column) of a call under such a branch -> its pseudo-commands
    under: dict[tuple[int, int], list[str]] = field(default_factory=dict)


@dataclass
class ProcessFacts:
    """What one Python file tells the process model (deploy/processes.py)."""

    starts: list[StartSite] = field(default_factory=list)
    job_schedulers: list[tuple[int, int, str]] = field(default_factory=list)  # (line, col, id)
    roots: dict[str, list[str]] = field(default_factory=dict)  # context -> dotted callees
    launches: list[Launch] = field(default_factory=list)
    # qualname -> project callees; "<module>" / "<main>": calls at module level / under the
    # main guard (in a script, also the callees of other top-level packages it imports)
    calls: dict[str, list[str]] = field(default_factory=dict)
    leader_checks: dict[str, int] = field(default_factory=dict)  # qualname -> line of the check
    # Configuration switches (extract/switches.py): scope -> {callee: the switch every call
    # of it there runs under}; scope is a function's qualname, "<module>" or "<main>"
    call_switches: dict[str, dict[str, Switch]] = field(default_factory=dict)
    switch_functions: dict[str, Switch] = field(default_factory=dict)  # body returns a reading
    task_switches: dict[tuple[int, int], Switch] = field(default_factory=dict)  # task starts
    settings: dict[str, Any] = field(default_factory=dict)  # a gunicorn config file's settings
    imports: list[str] = field(default_factory=list)  # modules imported (absolute, dotted)
    # Only `imports` is known: the file was not parsed, its import lines were read for the
    # process model (engine.py caches them so a warm run does not read the file again).
    imports_only: bool = False
    # Modules imported somewhere inside a function or under an `if` -> every (scope, switch)
    # that imports them (extract/import_sites.py); other imports are at the top level.
    import_sites: dict[str, list[tuple[str, Switch | None]]] = field(default_factory=dict)
    beat_starts: list[BeatStart] = field(default_factory=list)  # extract/beat_starts.py
    # project callees every call of which at import / under the main guard sits under an
    # `if` or `match` (other than the main guard): not known to run (extract/beat_starts.py)
    guarded_roots: list[str] = field(default_factory=list)
    cli: CliFacts | None = None  # the command line it builds (extract/cli_commands.py)


@dataclass
class Manifest:
    """One YAML document the deploy stage may render, as plain data (see extract/yaml_plain.py).

    ``kind`` is the object's kind (``CronJob``, ``Deployment``, ...) or a pseudo-kind for
    documents that are not objects: ``Kustomization`` (a kustomization file),
    ``Json6902Patch`` (a list of JSON patch operations), ``Compose`` (a docker-compose
    file). ``positions`` maps a path tuple (``("spec", "schedule")``) to the 1-based
    (line, column) of that key or item in this file; ``line``/``column`` is where the
    document is reported (its first key).
    """

    kind: str
    doc: Any
    positions: dict[tuple[Any, ...], tuple[int, int]]
    line: int
    column: int


@dataclass
class Problem:
    """A file-level problem that becomes a BGT900 finding."""

    message: str
    line: int = 1
    column: int = 1
    severity: str | None = None  # overrides BGT900's own, e.g. "info" for skipped large files


@dataclass
class Suppression:
    """A `# noqa` comment: its line and the codes it names."""

    line: int
    codes: frozenset[str]  # upper-case codes; empty never means "all"


@dataclass
class TaskReturn:
    """A function that returns what one call gives back (extract/factories.py):

    def create_task(self, coro):            # creates: "loop.create_task"
        return self.loop.create_task(coro)

    def sys_create_task(self, coro):        # callee: "self.coresys.create_task"
        return self.coresys.create_task(coro)
    """

    function: str  # qualname
    owner: str | None  # qualname of the class the function is a method of
    parameters: tuple[str, ...]  # in order, `self` included
    line: int  # of the returned call
    column: int
    creates: str | None  # the returned call starts the task itself: how (`via`)
    # else the returned call's callee: absolute dotted (`pkg.mod.spawn`), or as written
    # from `self` (`self.coresys.create_task`)
    callee: str | None
    # (position "0".. or keyword, parameters of `function` the argument mentions, whether
    # the argument is itself a call): for `creates`, the coroutine argument alone ("coro")
    arguments: tuple[tuple[str, tuple[str, ...], bool], ...]
    # for `creates`: what the coroutine made in the factory itself calls (`self._poll()`)
    coroutine: TargetRef | None = None


@dataclass
class TaskCall:
    """A call whose result is thrown away or stored: a task when its callee is a factory."""

    callee: str  # absolute dotted, or as written from `self` (`self.sys_create_task`)
    enclosing: str | None  # function qualname, None at module level
    enclosing_class: str | None
    line: int
    column: int
    discarded: bool
    # (position "0".. or keyword, what the argument calls when it is a call): the task's
    # target is the coroutine handed to the factory
    arguments: tuple[tuple[str, TargetRef | None], ...]
    # `task = factory(...)` whose local keeps nothing (extract/task_locals.py): its name
    kept_in_local: str | None = None
    # (position or keyword, value) of the arguments that are plain literals, evaluated in
    # the caller's file: what a scheduler wrapper's parameters are bound to (link_wrappers.py)
    literals: tuple[tuple[str, Any], ...] = ()


@dataclass
class SchedulerWrapper:
    """A function that declares a job whose callable is one of its parameters
    (extract/wrappers.py): each call of it declares a job (link_wrappers.py).

        def add_interval_job(self, func, minutes, job_id):
            self.aps.add_job(func, "interval", minutes=minutes, id=job_id)
    """

    function: str  # qualname
    owner: str | None  # qualname of the class the function is a method of
    parameters: tuple[str, ...]  # in order, `self` included
    defaults: dict[str, str]  # parameter -> default as written
    kind: str  # the kind of the job it declares
    call: str  # the declaring call (`self.aps.add_job(func, ...)`), as source text
    method: str  # the declaring call's callee as written (`self.aps.add_job`)
    receivers: dict[str, str]  # receiver as written -> kind, as the file knew it
    receiver_classes: dict[str, str]
    constants: dict[str, str]  # module constants the call mentions, as written
    line: int  # of the job the function declares itself (with a parameter as target)
    column: int


@dataclass
class ClassShape:
    """What a class says about itself that method calls on it depend on."""

    bases: tuple[str, ...]  # absolute dotted names as written
    # attribute -> absolute dotted type, from annotations, constructor calls and annotated
    # parameters assigned to it; "" when two disagree
    attributes: dict[str, str] = field(default_factory=dict)


@dataclass
class TaskFlow:
    """One file's part of the task-factory analysis (extract/factories.py, link_factories.py)."""

    returns: list[TaskReturn] = field(default_factory=list)
    calls: list[TaskCall] = field(default_factory=list)
    classes: dict[str, ClassShape] = field(default_factory=dict)  # qualname -> shape
    singletons: dict[str, str] = field(default_factory=dict)  # module variable -> constructor
    wrappers: list[SchedulerWrapper] = field(default_factory=list)  # link_wrappers.py
    # discarded calls passing a name or attribute: maybe a scheduler wrapper's call sites
    wrapper_calls: list[TaskCall] = field(default_factory=list)
    # function qualname -> (parameters, defaults as written) of each function one of whose
    # wrapper_calls hands over its own parameter: maybe a wrapper forwarding to a wrapper
    signatures: dict[str, tuple[tuple[str, ...], dict[str, str]]] = field(default_factory=dict)


@dataclass
class FileFacts:
    """Everything the project pass needs from one file; pure function of its bytes."""

    path: str
    module: str | None = None  # dotted module name when the file is Python
    jobs: list[RawJob] = field(default_factory=list)
    functions: list[FunctionFacts] = field(default_factory=list)
    imports: dict[str, str] = field(default_factory=dict)  # local name -> dotted
    receivers: dict[str, str] = field(default_factory=dict)  # module variable -> kind
    workloads: list[Workload] = field(default_factory=list)
    # (line, column, receiver, scheduler class) of scheduler.start() at import (BGT023)
    scheduler_starts: list[tuple[int, int, str, str]] = field(default_factory=list)
    # (line, column, callee as written) of calls made by module-level statements, outside
    # `if __name__ == "__main__":`: what runs at import (`scheduler = Scheduler()`)
    import_calls: list[tuple[int, int, str]] = field(default_factory=list)
    # (owner, key, value, line): what a scheduler gives all its jobs, e.g. its time zone
    # and job stores (extract/scheduler_settings.py documents the rows)
    scheduler_settings: list[tuple[str, str, Any, int]] = field(default_factory=list)
    # (what, receiver, value, line, column): APScheduler job ids declared and referred to,
    # and how each job is added (extract/job_calls.py documents the rows)
    job_calls: list[tuple[str, str, Any, int, int]] = field(default_factory=list)
    # What the inter-procedural pass over task factories needs (extract/factories.py)
    task_flow: TaskFlow | None = None
    suppressions: list[Suppression] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    processes: ProcessFacts | None = None  # start sites, launches ... (Python files only)
    manifests: list[Manifest] = field(default_factory=list)  # YAML documents to render
    # A test of the project (test_paths.py, judged below the scan's root, so not a pure
    # function of the bytes: the cache matches it too): no deployment runs it.
    is_test: bool = False


@dataclass(frozen=True)
class Job:
    """A linked inventory record (the DESIGN.md contract plus extras)."""

    kind: str
    name: str | None
    target: str | None
    schedule: Schedule | None
    locked: bool | None
    lock_key: str | None
    location: Location
    periodic: bool = True
    extra: tuple[tuple[str, Any], ...] = ()

    def record(self) -> dict[str, Any]:
        sched = self.schedule
        out: dict[str, Any] = {
            "kind": self.kind,
            "name": self.name,
            "target": self.target,
            "schedule": sched.text if sched else None,
            "cron": sched.cron if sched else None,
            "interval_seconds": sched.interval_seconds if sched else None,
            "timezone": sched.timezone if sched else None,
            "locked": self.locked,
            "lock_key": self.lock_key,
            "file": self.location.file,
            "line": self.location.line,
            "column": self.location.column,
        }
        for key, value in self.extra:
            out.setdefault(key, value)
        return out


@dataclass(frozen=True)
class Finding:
    """One reported problem."""

    code: str
    name: str
    severity: str  # error | warning | info
    message: str
    location: Location
    related: tuple[Location, ...] = ()
    fingerprint_basis: str = ""  # stable identity for baselines / SARIF

    def record(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "severity": self.severity,
            "message": self.message,
            "file": self.location.file,
            "line": self.location.line,
            "column": self.location.column,
            "related": [{"file": r.file, "line": r.line, "column": r.column} for r in self.related],
        }

    def sort_key(self) -> tuple[str, int, int, str, str]:
        loc = self.location
        return (loc.file, loc.line, loc.column, self.code, self.message)
