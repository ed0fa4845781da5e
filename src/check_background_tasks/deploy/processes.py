"""The process model: which processes run each in-app scheduler, and how many copies.

Sources of process definitions (each a *system*: things deployed together):

- a docker-compose file (its services; a service that builds an image without a command
  runs that Dockerfile's ENTRYPOINT/CMD);
- Kubernetes workloads (grouped by rendered environment, else by directory);
- a Procfile (+ app.json formation);
- a Dockerfile no compose file builds: `docker run` of the image, one container.

A definition's command is read by deploy/commands.py; entrypoint scripts, supervisord
programs, gunicorn/uWSGI configuration files and app modules are looked up here. Each
program that runs project code becomes a `Runner`: the module it loads (app spec, script,
`python -m`, Celery `-A`), whether that module runs as `__main__`, whether the app's
start-up hooks run, and how many processes per copy (workers).

A *subject* (a scheduler's start sites, or the module and context of a task start) is then
placed: a runner makes it when its module's import closure reaches the subject's module and
the context fits (import-time code runs wherever the module is imported; `__main__` code
only in the script; start-up hooks only where the app is served). What cannot be seen is
"maybe"; a command the model cannot read is "unknown".

Verdict per subject: "many" (a system runs it in N > 1 processes, with the evidence), "one"
(every system that runs it runs one process, and at least one visibly does), or "unknown".
"""

from __future__ import annotations

import os
import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..link import PlacedWorkload, Project
from ..model import FileFacts, Location, StartSite, Workload
from ..switch_values import state
from .cli import NO as CLI_NO
from .cli import YES as CLI_YES
from .cli import Choice, CliIndex
from .commands import (
    ONE,
    UNBOUNDED,
    Count,
    Program,
    expand,
    programs,
    script_programs,
    short,
    words_of,
)
from .imports import closure
from .switches import Gate

YES, MAYBE, NO, UNKNOWN = "yes", "maybe", "no", "unknown"
RANK = {NO: 0, MAYBE: 1, UNKNOWN: 2, YES: 3}
MAX_SCRIPT_DEPTH = 3
KUBERNETES_KINDS = ("Deployment", "StatefulSet", "DaemonSet")
# Words in image and directory names that say nothing about whose image it is.
GENERIC_NAMES = frozenset(
    {
        "app",
        "api",
        "web",
        "server",
        "backend",
        "frontend",
        "worker",
        "service",
        "services",
        "python",
        "latest",
        "main",
        "docker",
        "deploy",
        "deployment",
        "src",
        "lib",
        "libs",
        "tests",
        "test",
        "scripts",
        "bin",
        "config",
        "configs",
        "k8s",
        "kubernetes",
        "helm",
        "charts",
        "chart",
        "templates",
        "base",
        "overlays",
        "prod",
        "production",
        "dev",
        "staging",
        "local",
        "devcontainer",
        ".devcontainer",
        "docs",
        "tools",
        "utils",
        "core",
        "common",
        "compose",
        "images",
        "image",
        "build",
        "alpine",
        "slim",
        "bookworm",
    }
)


@dataclass
class Runner:
    """A program of a process definition that runs project Python code."""

    kind: str  # server | script | worker | unknown
    what: str  # `gunicorn src.khoj.main:app`, for messages
    module: str | None  # the module it loads; None: not found in the project
    as_main: bool = False  # the module runs as __main__ (python path.py, python -m)
    serves: bool | None = None  # the app's start-up hooks run here (None: cannot tell)
    dynamic: bool = False  # loads modules nobody names (Django apps, Celery autodiscovery)
    preload: bool = False  # the app is imported once in a master, then forked
    per_copy: Count = ONE  # processes per copy that load the module
    env: dict[str, str] | None = None  # the environment it runs with, as far as it is seen
    argv: tuple[str, ...] = ()  # a script's arguments: a sub-command, maybe (deploy/cli.py)
    where: str = ""  # the command line that runs it (`docker-compose.yml:152`)


@dataclass
class ProcessDef:
    system: str
    label: str  # "docker-compose service 'web'"
    location: Location
    copies: Count
    runners: list[Runner] = field(default_factory=list)
    other: bool = False  # a program known not to run project code
    # What may set variables not seen (an env_file, a ConfigMap, Heroku itself): a
    # server's default worker count (WEB_CONCURRENCY) is then unknown. None: all seen.
    env_unseen: str | None = None
    workload: PlacedWorkload | None = None  # what it was read from (deploy/beat_starts.py)


@dataclass(frozen=True)
class Placement:
    """Where a subject runs: in `module`, in `context` (import | main | startup | function)."""

    module: str
    context: str
    via: str | None = None
    gate: Gate | None = None  # a configuration switch every way into it passes
    # the command-line functions every way into it starts from (deploy/cli.py): only a
    # process that names one of their sub-commands runs it. None: not so.
    commands: frozenset[str] | None = None


@dataclass
class Verdict:
    status: str  # many | one | unknown
    count: Count | None = None  # processes, when status is many/one
    where: str = ""  # the process definition that runs it ("docker-compose service 'web'")
    evidence: list[str] = field(default_factory=list)  # "file:line what"
    note: str = ""  # why unknown, or how the one process was found
    # A configuration switch every way into it passes (deploy/switches.py): the deployment
    # decides which processes start it. `switch_on`: where a process sets it (evidence).
    gate: Gate | None = None
    switch_on: list[str] = field(default_factory=list)
    # Why the count is not in the repository at all: no process definition runs its code.
    undeployed: str = ""

    def describe(self) -> str:
        """`12 processes: 3 replicas (k8s/web.yaml:9) x 4 gunicorn workers (...)`."""
        if self.count is None:
            return ""
        number = self.count.number()
        noun = "process" if number == "1" else "processes"
        why = self.count.why()
        return f"{number} {noun}: {why}" if why else f"{number} {noun}"

    def runs(self) -> str | None:
        """`runs in 12 processes: 3 replicas (...) x 4 gunicorn workers (...)`, `may run in
        several processes: uvicorn --workers $WORKERS (start.sh:9), a number set at run
        time`, or None when nothing is known."""
        if self.count is None or self.status == "one":
            return None
        if self.status == "many":
            on = f", where {self.switch_on[0]}" if self.switch_on else ""
            return f"runs in {self.describe()}{on}"
        why = self.count.why()
        return f"may run in several processes: {why}, a number set at run time"

    def count_text(self) -> str:
        """`12 times` / `at least 2 times`."""
        if self.count is None:
            return "more than once"
        return f"{self.count.number()} times"

    def record(self) -> dict[str, Any]:
        count = self.count.exact if self.count is not None and self.status != "unknown" else None
        out: dict[str, Any] = {"count": count, "evidence": self.evidence}
        if self.count is not None and count is None and self.status == "many":
            out["at_least"] = self.count.low
        if self.where:
            out["process"] = self.where
        if self.note:
            out["note"] = self.note
        if self.gate is not None:
            switch = self.gate.switch
            out["switch"] = f"{switch.name} ({switch.path}:{switch.line})"
            out["evidence"] = [*self.evidence, *self.switch_on]
        if self.undeployed:
            out["note"] = f"not stated in this repository: {self.undeployed}"
        return out


# ------------------------------------------------------------------------ the index


class ProjectIndex:
    """Files of the project by kind, for the lookups the model makes."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self.python_files: dict[str, str] = dict(getattr(project, "python_files", {}) or {})
        for ff in project.facts:
            if ff.module and ff.path not in self.python_files:
                self.python_files[ff.path] = ff.module
        self.known_modules = set(self.python_files.values())
        self.module_facts = {ff.module: ff for ff in project.facts if ff.module}
        self.by_path = {ff.path: ff for ff in project.facts}
        self.module_imports: dict[str, list[str]] = dict(
            getattr(project, "module_imports", {}) or {}
        )
        self.workloads_by_file: dict[str, list[Workload]] = {}
        for pw in project.workloads:
            self.workloads_by_file.setdefault(pw.file, []).append(pw.workload)
        self._closures: dict[str, tuple[set[str], bool]] = {}
        self._names: set[str] | None = None
        self._by_name: dict[str, list[str]] | None = None
        self._module_names: dict[tuple[str, str], str | None] = {}

    # --- paths ---------------------------------------------------------------------

    def find_path(
        self, wanted: str, near: str, accept: Callable[[str], bool], by_name: bool = False
    ) -> str | None:
        """The project file a container path or relative path names: the one whose path
        ends with it, nearest to `near` (a directory); None when none or several tie.
        `by_name`: a file name alone may decide when no other file has it."""
        wanted = wanted.lstrip("./") if wanted.startswith("./") else wanted
        wanted = posixpath.normpath(wanted).lstrip("/")
        if not wanted or wanted == ".":
            return None
        parts = wanted.split("/")
        candidates: list[tuple[int, str]] = []
        for path in self._named(parts[-1]):
            if not accept(path):
                continue
            path_parts = path.split("/")
            for k in range(len(parts), 0, -1):
                tail = parts[-k:]
                if path_parts[-k:] == tail:
                    candidates.append((k, path))
                    break
        if not candidates:
            return None
        best = max(k for k, _ in candidates)
        if best == 1 and len(parts) > 1 and not (by_name and len(candidates) == 1):
            return None  # only the file name matches: too weak
        top = [p for k, p in candidates if k == best]
        if len(top) == 1:
            return top[0]
        near_top = [p for p in top if _within(p, near)]
        return near_top[0] if len(near_top) == 1 else None

    def _named(self, name: str) -> list[str]:
        """Project files called `name` (Python files, and every file that was read)."""
        if self._by_name is None:
            self._by_name = {}
            for path in dict.fromkeys([*self.python_files, *self.by_path]):
                self._by_name.setdefault(path.rpartition("/")[2], []).append(path)
        return self._by_name.get(name, [])

    def module_of_path(self, path: str | None) -> str | None:
        return self.python_files.get(path) if path else None

    def module_named(self, dotted: str, near: str) -> str | None:
        """A module named in a command (`src.khoj.main`, `app`) -> the project module."""
        key = (dotted, near)
        if key not in self._module_names:
            self._module_names[key] = self._module_named(dotted, near)
        return self._module_names[key]

    def _module_named(self, dotted: str, near: str) -> str | None:
        dotted = dotted.strip()
        if not dotted or not all(p.isidentifier() for p in dotted.split(".")):
            return None
        if dotted in self.known_modules:
            return dotted
        rel = dotted.replace(".", "/")
        path = self.find_path(rel + ".py", near, lambda p: p.endswith(".py"))
        if path is None:
            path = self.find_path(rel + "/__init__.py", near, lambda p: p.endswith(".py"))
        return self.module_of_path(path)

    # --- images --------------------------------------------------------------------

    def may_be_ours(self, image: str) -> bool:
        """Could `image` be this project's own (`ghcr.io/org/khoj:latest` for a project
        with a `khoj` package)? Then what it runs is unknown, not "another program"."""
        if not image:
            return True
        name = image.rsplit("/", 1)[-1].split(":")[0].split("@")[0].lower()
        tokens = {t for t in re.split(r"[-_.]", name) if len(t) >= 3} - GENERIC_NAMES
        return name in self.project_names or bool(tokens & self.project_names)

    @property
    def project_names(self) -> set[str]:
        if self._names is None:
            names = {m.split(".")[0].lower() for m in self.known_modules}
            names |= {root.lower() for root in getattr(self.project, "scan_roots", [])}
            for path in self.workloads_by_file:
                for part in path.split("/")[:-1]:
                    names.add(part.lower())
            self._names = {n for n in names if len(n) >= 3} - GENERIC_NAMES
        return self._names

    # --- imports -------------------------------------------------------------------

    def imports_of(self, module: str) -> list[str] | None:
        ff = self.module_facts.get(module)
        if ff is not None and ff.processes is not None:
            return ff.processes.imports
        return self.module_imports.get(module)

    def closure(self, module: str) -> tuple[set[str], bool]:
        found = self._closures.get(module)
        if found is None:
            found = closure(module, self.imports_of, self.known_modules)
            self._closures[module] = found
        return found


def _within(path: str, directory: str) -> bool:
    return not directory or path.startswith(directory.rstrip("/") + "/")


def _dir(path: str) -> str:
    return path.rpartition("/")[0]


# ------------------------------------------------------------ process definitions


class Definitions:
    """Every process definition of the project, with its runners resolved."""

    def __init__(self, index: ProjectIndex) -> None:
        self.index = index
        self.defs: list[ProcessDef] = []
        self.wanted_scripts: set[str] = set()  # referenced script files not extracted
        self.wanted_modules: set[str] = set()
        workloads = index.project.workloads
        built = self._compose(workloads)
        self._kubernetes(workloads)
        self._procfiles(workloads)
        self._dockerfiles(workloads, built)

    # --- sources -------------------------------------------------------------------

    def _compose(self, workloads: list[PlacedWorkload]) -> set[str]:
        built: set[str] = set()
        for pw in workloads:
            w = pw.workload
            if w.kind != "compose":
                continue
            copies = _compose_copies(pw)
            base_dir = _dir(pw.file)
            build = w.extra.get("build")
            dockerfile = self._compose_dockerfile(build, base_dir) if build else None
            if dockerfile is not None:
                built.add(dockerfile[0])
            entry_argv = w.extra.get("entrypoint_argv")
            command_argv = w.extra.get("command_argv")
            env = {**(dockerfile[1].extra.get("env") or {} if dockerfile else {})}
            env.update(w.extra.get("env") or {})
            label = f"docker-compose service '{w.name}'"
            where = f"{pw.file}:{w.line}"
            if "build" not in w.extra:
                argv = words_of(w.command) if w.command else None  # details unread
                image_argv = None
            else:
                image = dockerfile[1] if dockerfile else None
                argv, image_argv = _compose_argv(entry_argv, command_argv, image)
            definition = ProcessDef(f"compose:{pw.file}", label, pw.location, copies)
            definition.workload = pw
            if w.extra.get("env_complete") is False or w.extra.get("env") is None:
                definition.env_unseen = "the service's env_file or interpolated environment"
            if argv is None:
                image_name = str(w.extra.get("image") or "")
                if build is None and not entry_argv and not self.index.may_be_ours(image_name):
                    definition.other = True  # another project's image, run as it is
                else:
                    what = (
                        f"the command of image {image_name}"
                        if image_name
                        else "the image's command"
                    )
                    definition.runners.append(Runner("unknown", what, None, env=env))
            elif (
                build is None
                and not self.index.may_be_ours(str(w.extra.get("image") or ""))
                and _image_program(argv, env)
            ):
                definition.other = True  # another project's image runs its own program
            else:
                context = _compose_context(build, base_dir)
                source = image_argv or where
                self._resolve(definition, argv, env, context, source)
            self.defs.append(definition)
        return built

    def _compose_dockerfile(
        self, build: dict[str, Any], base_dir: str
    ) -> tuple[str, Workload] | None:
        context = _compose_context(build, base_dir)
        name = build.get("dockerfile") or "Dockerfile"
        path = posixpath.normpath(posixpath.join(context, name)) if context else name
        for workload in self.index.workloads_by_file.get(path, []):
            if workload.kind == "Dockerfile":
                return path, workload
        return None

    def _kubernetes(self, workloads: list[PlacedWorkload]) -> None:
        for pw in workloads:
            w = pw.workload
            if w.kind not in KUBERNETES_KINDS:
                continue
            system = str(w.extra.get("environment") or w.extra.get("overlay") or _dir(pw.file))
            label = f"{w.kind} '{w.name}'"
            definition = ProcessDef(f"k8s:{system}", label, pw.location, _k8s_copies(pw))
            definition.workload = pw
            definition.env_unseen = "the container's env (envFrom, valueFrom, templates)"
            argv = w.extra.get("command_argv")
            env = w.extra.get("env")
            if isinstance(argv, list) and argv and not argv[0].startswith("-"):
                self._resolve(
                    definition, argv, dict(env or {}), _dir(pw.file), f"{pw.file}:{w.line}"
                )
            else:
                # the image's own command (not in this repository's view) or args for it
                unknown = Runner("unknown", "the image's command", None, env=dict(env or {}))
                definition.runners.append(unknown)
            self.defs.append(definition)

    def _procfiles(self, workloads: list[PlacedWorkload]) -> None:
        for pw in workloads:
            w = pw.workload
            if w.kind != "Procfile":
                continue
            copies = (
                Count(w.replicas, w.replicas, ((f"{w.replicas} dynos", f"{pw.file}:{w.line}"),))
                if isinstance(w.replicas, int) and w.replicas >= 1
                else UNBOUNDED
            )
            definition = ProcessDef(
                f"procfile:{_dir(pw.file)}",
                f"Procfile process type '{w.name}'",
                pw.location,
                copies,
                workload=pw,
            )
            definition.env_unseen = "Heroku, which sets it by dyno size"
            where = f"{pw.file}:{w.line}"
            for program in script_programs(w.command, {}):
                self._add_program(definition, program, {}, _dir(pw.file), where, 0)
            self.defs.append(definition)

    def _dockerfiles(self, workloads: list[PlacedWorkload], built: set[str]) -> None:
        for pw in workloads:
            w = pw.workload
            if w.kind != "Dockerfile" or pw.file in built:
                continue
            where = f"{pw.file}:{w.line}"
            copies = Count(1, 1, (("one container", where),))
            definition = ProcessDef(f"docker:{pw.file}", pw.file, pw.location, copies)
            argv = w.extra.get("command_argv")
            if argv:
                self._resolve(
                    definition, argv, dict(w.extra.get("env") or {}), _dir(pw.file), where, w
                )
            else:
                env = dict(w.extra.get("env") or {})
                definition.runners.append(
                    Runner("unknown", "the base image's command", None, env=env)
                )
            self.defs.append(definition)

    # --- commands ------------------------------------------------------------------

    def _resolve(
        self,
        definition: ProcessDef,
        argv: list[str],
        env: dict[str, str],
        context: str,
        where: str,
        dockerfile: Workload | None = None,
    ) -> None:
        env = {k: v for k, v in env.items() if isinstance(v, str)}
        for program in programs(argv, env):
            self._add_program(definition, program, env, context, where, 0, dockerfile)

    def _add_program(
        self,
        definition: ProcessDef,
        program: Program,
        env: dict[str, str],
        context: str,
        where: str,
        depth: int,
        dockerfile: Workload | None = None,
    ) -> None:
        env = {**env, **dict(program.env)}
        before = len(definition.runners)
        self._add(definition, program, env, context, where, depth, dockerfile)
        for runner in definition.runners[before:]:
            if runner.env is None:  # a runner of an inner program keeps its own
                runner.env = env

    def _add(
        self,
        definition: ProcessDef,
        program: Program,
        env: dict[str, str],
        context: str,
        where: str,
        depth: int,
        dockerfile: Workload | None,
    ) -> None:
        kind = program.kind
        if kind == "other":
            definition.other = True
            return
        if kind == "script-file" and program.script:
            self._script_file(definition, program, env, context, where, depth, dockerfile)
            return
        if kind == "supervisord":
            self._supervisord(definition, program, env, context, where, depth)
            return
        if kind == "server":
            definition.runners.append(
                self._server(program, env, context, where, definition.env_unseen)
            )
            return
        if kind == "script":
            definition.runners.extend(self._script(program, context, where))
            return
        if kind == "worker":
            module = self.index.module_named((program.app or "").partition(":")[0], context)
            if module is None and program.app:
                module = self.index.module_named(program.app.rpartition(".")[0], context)
            definition.runners.append(
                Runner(
                    "worker",
                    program.text or program.name,
                    module,
                    serves=False,
                    dynamic=True,
                    per_copy=ONE,
                )
            )
            return
        definition.runners.append(Runner("unknown", program.text or program.name, None))

    def _script_file(
        self,
        definition: ProcessDef,
        program: Program,
        env: dict[str, str],
        context: str,
        where: str,
        depth: int,
        dockerfile: Workload | None,
    ) -> None:
        assert program.script is not None
        path = self._container_path(program.script, context, dockerfile)
        script = None
        if path is not None:
            script = next(
                (w for w in self.index.workloads_by_file.get(path, []) if w.kind == "script"), None
            )
            if script is None and path not in self.index.by_path:
                self.wanted_scripts.add(path)
        if script is None or depth >= MAX_SCRIPT_DEPTH:
            definition.runners.append(Runner("unknown", program.text or program.script, None))
            return
        launches = script.extra.get("launches") or []
        distinct = {str(launch[1]) for launch in launches}
        if len(distinct) != 1:
            what = f"{path} (it ends in one of several commands)"
            definition.runners.append(Runner("unknown", what, None))
            return
        line, command = launches[-1][0], str(launches[-1][1])
        variables = dict(script.extra.get("vars") or {})
        script_env = dict(env)
        for name, value in variables.items():
            script_env.setdefault(name, expand(value, script_env))
        script_where = f"{path}:{line}"
        words = [expand(w, script_env) for w in words_of(command)]
        if words and words[0] in ("$@", '"$@"', "${@}"):
            words = list(program.args) + words[1:]
        found = programs(words, script_env) if words else []
        for inner in found:
            if inner.passthrough:
                inner_programs = programs(list(program.args), script_env) if program.args else []
                for passed in inner_programs:
                    self._add_program(definition, passed, script_env, context, where, depth + 1)
                if not inner_programs:
                    definition.runners.append(Runner("unknown", f'{path} exec "$@"', None))
                continue
            self._add_program(definition, inner, script_env, context, script_where, depth + 1)

    def _container_path(self, script: str, context: str, dockerfile: Workload | None) -> str | None:
        """A path in the container -> the project file it was copied from."""
        wanted = script
        if dockerfile is not None:
            workdir = dockerfile.extra.get("workdir") or "/"
            absolute = posixpath.normpath(posixpath.join(workdir, script))
            for source, dest in dockerfile.extra.get("copies") or []:
                dest_abs = posixpath.normpath(posixpath.join(workdir, dest))
                if absolute == dest_abs or (dest.endswith("/") and _dir(absolute) == dest_abs):
                    wanted = (
                        source
                        if absolute == dest_abs
                        else posixpath.join(source.rstrip("/"), posixpath.basename(absolute))
                    )
                    break
                if absolute.startswith(dest_abs.rstrip("/") + "/") and source in (".", "./"):
                    wanted = absolute[len(dest_abs.rstrip("/")) + 1 :]
                    break
        path = self.index.find_path(wanted, context, lambda p: True, by_name=True)
        if path is None:
            # not a discovery candidate (no .sh): the engine reads it, inside the tree only
            relative = posixpath.normpath(posixpath.join(context, wanted.lstrip("/")))
            if not relative.startswith("..") and not posixpath.isabs(relative):
                path = relative
        return path

    def _supervisord(
        self,
        definition: ProcessDef,
        program: Program,
        env: dict[str, str],
        context: str,
        where: str,
        depth: int,
    ) -> None:
        conf = self._supervisord_conf(program.config, context)
        if conf is None:
            definition.runners.append(
                Runner("unknown", "supervisord (configuration not found)", None)
            )
            return
        for workload in self.index.workloads_by_file.get(conf, []):
            if workload.kind != "supervisord" or not workload.extra.get("autostart", True):
                continue
            numprocs = workload.replicas
            program_where = f"{conf}:{workload.line}"
            sub = ProcessDef(definition.system, definition.label, definition.location, ONE)
            sub.env_unseen = definition.env_unseen
            for inner in programs(words_of(workload.command), env):
                self._add_program(sub, inner, env, context, program_where, depth + 1)
            copies = (
                Count(numprocs, numprocs, ((f"numprocs={numprocs}", program_where),))
                if isinstance(numprocs, int) and numprocs != 1
                else ONE
                if numprocs == 1
                else UNBOUNDED
            )
            for runner in sub.runners:
                runner.per_copy = copies.times(runner.per_copy)
                runner.what = (
                    f"{runner.what} (supervisord program '{workload.name}', {program_where})"
                )
                definition.runners.append(runner)
            definition.other = definition.other or sub.other

    def _supervisord_conf(self, given: str | None, context: str) -> str | None:
        confs = [
            path
            for path, workloads in self.index.workloads_by_file.items()
            if any(w.kind == "supervisord" for w in workloads)
        ]
        if given:
            found = self.index.find_path(given, context, lambda p: p in confs)
            if found:
                return found
            base = posixpath.basename(given)
            named = [p for p in confs if posixpath.basename(p) == base]
            if len(named) == 1:
                return named[0]
            return None
        return confs[0] if len(confs) == 1 else None

    # --- servers -------------------------------------------------------------------

    def _server(
        self,
        program: Program,
        env: dict[str, str],
        context: str,
        where: str,
        env_unseen: str | None = None,
    ) -> Runner:
        app = program.app or ""
        if program.name == "fastapi" and app.endswith(".py"):
            path = self.index.find_path(app, context, lambda p: p.endswith(".py"))
            module = self.index.module_of_path(path)
        elif program.name == "uwsgi" and app.endswith(".py"):
            module = self.index.module_of_path(
                self.index.find_path(app, context, lambda p: p.endswith(".py"))
            )
        else:
            spec = app.partition(":")[0]
            module = self.index.module_named(spec, context) if spec else None
        workers, preload = self._workers(program, env, context, where, env_unseen)
        return Runner(
            "server",
            short(f"{program.name} {app}".strip()),
            module,
            serves=program.serves,
            dynamic=program.name == "django",
            preload=preload,
            per_copy=workers,
        )

    def _workers(
        self,
        program: Program,
        env: dict[str, str],
        context: str,
        where: str,
        env_unseen: str | None = None,
    ) -> tuple[Count, bool]:
        name = program.name
        preload = program.preload
        if program.workers is not None:
            return _located(program.workers, where, name), preload
        if name == "gunicorn":
            settings, conf_where = self._gunicorn_settings(program.config, context)
            if settings:
                preload = preload or settings.get("preload_app") is True
                workers = settings.get("workers")
                line = settings.get("workers_line")
                at = f"{conf_where}:{line}" if line else conf_where
                text = f"workers = {settings.get('workers_text', workers)}"
                if isinstance(workers, int) and not isinstance(workers, bool):
                    return Count(workers, workers, ((f"{workers} gunicorn workers", at),)), preload
                if workers == "many":
                    return Count(2, None, ((f"gunicorn {text}", at),)), preload
                if workers is not None:
                    return Count(1, None, ((f"gunicorn {text}", at),)), preload
            elif program.config:
                return Count(
                    1, None, ((f"gunicorn -c {program.config} (not found)", where),)
                ), preload
        if name in ("gunicorn", "uvicorn", "fastapi") and "WEB_CONCURRENCY" in env:
            value = env["WEB_CONCURRENCY"]
            if value.isdigit():
                n = int(value)
                return Count(n, n, ((f"WEB_CONCURRENCY={n}", where),)), preload
            return Count(1, None, ((f"WEB_CONCURRENCY={value}", where),)), preload
        if name == "uwsgi" and program.config:
            found = self._uwsgi(program.config, context)
            if found is not None:
                return found, preload
        if name in ("gunicorn", "uvicorn", "fastapi") and env_unseen:
            unseen = f"{name} workers per WEB_CONCURRENCY, which {env_unseen} may set"
            return Count(1, None, ((unseen, where),)), preload
        if name in ("gunicorn", "uvicorn", "fastapi", "hypercorn", "granian", "uwsgi"):
            # every one of them defaults to one worker process
            return Count(1, 1, ((f"{name} runs one worker by default", where),)), preload
        return ONE, preload

    def _gunicorn_settings(self, config: str | None, context: str) -> tuple[dict[str, Any], str]:
        candidates: list[str] = []
        if config and config.startswith("python:"):
            module = self.index.module_named(config[len("python:") :], context)
            ff = self.index.module_facts.get(module or "")
            if ff is not None and ff.processes is not None:
                return ff.processes.settings, ff.path
            return {}, ""
        if config:
            path = self.index.find_path(config, context, lambda p: p.endswith(".py"))
            if path:
                candidates.append(path)
        else:
            # gunicorn reads ./gunicorn.conf.py when no -c is given
            for directory in (context, ""):
                path = (
                    posixpath.join(directory, "gunicorn.conf.py")
                    if directory
                    else "gunicorn.conf.py"
                )
                if path in self.index.by_path or path in self.index.python_files:
                    candidates.append(path)
                    break
        for path in candidates:
            ff = self.index.by_path.get(path)
            if ff is not None and ff.processes is not None and ff.processes.settings:
                return ff.processes.settings, path
            if ff is None:
                module = self.index.module_of_path(path)
                if module:
                    self.wanted_modules.add(module)
        return {}, ""

    def _uwsgi(self, config: str, context: str) -> Count | None:
        path = self.index.find_path(config, context, lambda p: p.endswith(".ini"))
        for workload in self.index.workloads_by_file.get(path or "", []):
            if workload.kind == "uwsgi":
                processes = workload.extra.get("processes")
                at = f"{path}:{workload.extra.get('processes_line') or workload.line}"
                if isinstance(processes, int):
                    return Count(processes, processes, ((f"{processes} uWSGI processes", at),))
                return Count(1, None, (("uWSGI processes", at),))
        return None

    def _script(self, program: Program, context: str, where: str) -> list[Runner]:
        module = None
        if program.module:
            module = self.index.module_named(program.module + ".__main__", context)
            if module is None:
                module = self.index.module_named(program.module, context)
        elif program.script:
            path = self.index.find_path(
                program.script, context, lambda p: p.endswith(".py"), by_name=True
            )
            module = self.index.module_of_path(path)
        runner = Runner(
            "script",
            program.text or f"python {program.script or '-m ' + str(program.module)}",
            module,
            as_main=True,
            per_copy=Count(1, 1, (("one process", where),)),
            argv=program.args,
            where=where,
        )
        ff = self.index.module_facts.get(module or "")
        if module is not None and ff is None:
            self.wanted_modules.add(module)
        runners = [runner]
        if ff is not None and ff.processes is not None:
            runners += self._script_launches(runner, ff, context)
        return runners

    def _script_launches(self, runner: Runner, ff: FileFacts, context: str) -> list[Runner]:
        """A script that starts a server itself. `uvicorn.run(app)` and
        `uvicorn.Server(Config(...)).run()` serve in the script's own process;
        `uvicorn.run("pkg.main:app", workers=4)` starts 4 workers that import pkg.main."""
        assert ff.processes is not None
        out: list[Runner] = []
        for launch in ff.processes.launches:
            if not set(launch.contexts) & {"main", "import"}:
                continue
            runner.serves = True
            workers = launch.workers
            if launch.kind != "uvicorn.run" or not launch.import_string or workers in (None, 1):
                continue
            at = f"{ff.path}:{launch.line}"
            spec = launch.import_string.partition(":")[0]
            module = self.index.module_named(spec, _dir(ff.path)) or self.index.module_named(
                spec, context
            )
            if isinstance(workers, int):
                count = Count(workers, workers, ((f"uvicorn.run(workers={workers})", at),))
            elif workers == "many":
                count = Count(2, None, (("uvicorn.run(workers=<cpu count>)", at),))
            else:
                count = Count(1, None, (("uvicorn.run(workers=...)", at),))
            out.append(
                Runner(
                    "server",
                    f"uvicorn.run({launch.import_string!r})",
                    module,
                    serves=True,
                    per_copy=count,
                )
            )
        return out

    # --- command lines, for BGT024 --------------------------------------------------

    def commands_of(self, pw: PlacedWorkload) -> list[tuple[str, tuple[str, Location] | None]]:
        """A workload's command lines, with those it hands over to: the programs of the
        supervisord it runs, the command an entrypoint script ends in, the CMD of the image
        a compose service builds when it gives no command of its own. Each comes with
        where it was handed over (None: the workload's own)."""
        w = pw.workload
        given = w.extra.get("commands")
        commands = [c for c in given if isinstance(c, str)] if isinstance(given, list) else []
        commands = commands or ([w.command] if w.command else [])
        out: list[tuple[str, tuple[str, Location] | None]] = [(c, None) for c in commands]
        context = _dir(pw.file)
        dockerfile = None
        if w.kind == "compose" and isinstance(w.extra.get("build"), dict):
            found = self._compose_dockerfile(w.extra["build"], context)
            if found is not None:
                dockerfile = found[1]
                context = _compose_context(w.extra["build"], context)
                if not commands and dockerfile.command:
                    line = max(
                        dockerfile.extra.get("entrypoint_line") or 0,
                        dockerfile.extra.get("cmd_line") or 0,
                    )
                    origin = (f"the CMD of {found[0]}", Location(found[0], line or 1, 1))
                    out = [(dockerfile.command, origin)]
        seen = {c for c, _ in out}
        todo = [(c, 0) for c, _ in out]
        while todo:
            command, depth = todo.pop(0)
            if depth >= MAX_SCRIPT_DEPTH:
                continue
            for program in script_programs(command, {}):
                for more, origin in self._handed_over(program, context, dockerfile):
                    if more not in seen:
                        seen.add(more)
                        out.append((more, origin))
                        todo.append((more, depth + 1))
        return out

    def _handed_over(
        self, program: Program, context: str, dockerfile: Workload | None
    ) -> list[tuple[str, tuple[str, Location]]]:
        if program.kind == "supervisord":
            conf = self._supervisord_conf(program.config, context) or ""
            return [
                (w.command, (f"supervisord program '{w.name}'", Location(conf, w.line, 1)))
                for w in self.index.workloads_by_file.get(conf, [])
                if w.kind == "supervisord" and w.extra.get("autostart", True) and w.command
            ]
        if program.kind == "script-file" and program.script:
            path = self._container_path(program.script, context, dockerfile) or ""
            for w in self.index.workloads_by_file.get(path, []):
                if w.kind == "script":
                    return [
                        (str(launch[1]), (f"{path}", Location(path, int(launch[0]), 1)))
                        for launch in w.extra.get("launches") or []
                    ]
        return []

    # --- the definitions that may run project code ---------------------------------

    def systems(self) -> dict[str, list[ProcessDef]]:
        out: dict[str, list[ProcessDef]] = {}
        for definition in self.defs:
            out.setdefault(definition.system, []).append(definition)
        return out


def _located(count: Count, where: str, program: str) -> Count:
    evidence = tuple((what, at or where) for what, at in count.evidence)
    return Count(count.low, count.high, evidence)


# Programs that run a project's code whatever image they are in.
PROJECT_RUNNERS = frozenset({"honcho", "foreman", "sh", "bash", "python", "python -c"})


def _image_program(argv: list[str], env: dict[str, str]) -> bool:
    """Does the command only name programs the model does not know, by a bare name
    (`fasttext-serving --model=...`)? In another project's image, not built here, that is
    the image's own program: this project's code is not installed there."""
    found = programs(argv, {k: v for k, v in env.items() if isinstance(v, str)})
    return bool(found) and all(
        p.kind == "unknown"
        and p.name
        and not any(c in p.name for c in "/$`{")
        and not p.passthrough
        and p.name not in PROJECT_RUNNERS
        and not p.name.startswith("python")
        for p in found
    )


def _compose_context(build: Any, base_dir: str) -> str:
    if not isinstance(build, dict):
        return base_dir
    context = build.get("context") or "."
    if "://" in context or context.startswith("git@"):
        return base_dir
    joined = (
        posixpath.normpath(posixpath.join(base_dir, context))
        if base_dir
        else posixpath.normpath(context)
    )
    return "" if joined == "." else joined


def _compose_argv(
    entry_argv: list[str] | None, command_argv: list[str] | None, image: Workload | None
) -> tuple[list[str] | None, str | None]:
    """(argv the container runs, where the image's part comes from)."""
    image_entry = image.extra.get("entrypoint") if image else None
    image_cmd = image.extra.get("cmd") if image else None
    where = None
    if entry_argv is not None:
        # entrypoint given: the image's CMD is dropped, command (if any) is its argument
        return [*entry_argv, *(command_argv or [])], None
    if command_argv is not None:
        if image is None:
            if command_argv and command_argv[0].startswith("-"):
                return None, None  # arguments for an entrypoint we cannot see
            return command_argv, None
        if image_entry:
            where = f"{image.name}:{image.extra.get('entrypoint_line')}"
        return [*(image_entry or []), *command_argv], where
    if image is None:
        return None, None
    if not image_entry and not image_cmd:
        return None, None
    line = max(image.extra.get("entrypoint_line") or 0, image.extra.get("cmd_line") or 0)
    return [*(image_entry or []), *(image_cmd or [])], f"{image.name}:{line}"


def _compose_copies(pw: PlacedWorkload) -> Count:
    w = pw.workload
    source = w.extra.get("replicas_source")
    where = f"{pw.file}:{w.line}"
    if source == "per-node" or not isinstance(w.replicas, int):
        return UNBOUNDED
    if source == "explicit":
        return Count(w.replicas, w.replicas, ((f"{w.replicas} replicas", where),))
    return Count(w.replicas, w.replicas, (("one container", where),))


def _k8s_copies(pw: PlacedWorkload) -> Count:
    w = pw.workload
    where = f"{pw.file}:{w.line}"
    if w.kind == "DaemonSet" or not isinstance(w.replicas, int) or isinstance(w.replicas, bool):
        return UNBOUNDED
    low = high = w.replicas
    evidence = [(f"{w.replicas} replicas" if w.replicas != 1 else "1 replica", where)]
    for entry in w.extra.get("autoscalers") or []:
        maximum = entry.get("max_replicas")
        if not isinstance(maximum, int) or isinstance(maximum, bool):
            return Count(low, None, tuple(evidence))
        high = max(high, maximum)
        minimum = entry.get("min_replicas")
        if isinstance(minimum, int) and not isinstance(minimum, bool):
            low = min(low, max(minimum, 1))
        evidence = [(f"{entry.get('kind') or 'autoscaler'} up to {maximum} replicas", where)]
    return Count(low, high, tuple(evidence))


# ------------------------------------------------------------------------- placing


def reach(index: ProjectIndex, runner: Runner, placement: Placement) -> str:
    """Does `runner` make code at `placement` run? yes | maybe | no | unknown."""
    if runner.kind == "unknown" or runner.module is None:
        return UNKNOWN
    context = placement.context
    if context == "main":
        return YES if runner.as_main and runner.module == placement.module else NO
    loaded, complete = index.closure(runner.module)
    if placement.module in loaded:
        if context == "import":
            return YES
        if context == "startup":
            return YES if runner.serves else MAYBE
        return MAYBE
    if runner.dynamic or not complete:
        return MAYBE
    return NO


class ProcessModel:
    """Verdicts for subjects; built once per project."""

    def __init__(self, project: Project) -> None:
        self.index = ProjectIndex(project)
        self.cli = CliIndex(project)
        self.definitions = Definitions(self.index)
        self.systems = self.definitions.systems()
        self.has_definitions = any(d.runners for defs in self.systems.values() for d in defs)
        self.undeployed = "" if self.has_definitions else self._undeployed(project)

    def _undeployed(self, project: Project) -> str:
        """Why the repository says nothing of how many processes run its code, or "" when
        it holds process definitions the model could not tie to the code (supervisord and
        uWSGI configurations it reads only when a container runs them)."""
        if any(pw.workload.kind in ("supervisord", "uwsgi") for pw in project.workloads):
            return ""
        labels = [d.label for d in self.definitions.defs]
        if not labels:
            return "no Dockerfile, compose file, Procfile or Kubernetes workload found"
        shown = ", ".join(labels[:2]) + (" and others" if len(labels) > 2 else "")
        runs = "runs another program" if len(labels) == 1 else "run other programs"
        return (
            "no Dockerfile, compose file, Procfile or Kubernetes workload runs its Python "
            f"code; {shown} {runs}"
        )

    def verdict(self, placements: list[Placement]) -> Verdict:
        found = self._verdict(placements)
        found.gate = _common_gate(placements)
        found.undeployed = self.undeployed
        return found

    def _status(
        self, definition: ProcessDef, runner: Runner, placement: Placement
    ) -> tuple[str, str | None]:
        """(does `runner` make code at `placement` run, where its switch is set on)."""
        found = self._by_command(runner, placement)
        if found is None:
            found = reach(self.index, runner, placement)
            if found == YES and placement.commands is not None:
                # only sub-commands reach it, and which one this process runs is not
                # known: it may, or may not (a module imported inside a command's
                # function counts as loaded by the whole command line)
                found = MAYBE
        gate = placement.gate
        if found == NO or gate is None or placement.context == "main":
            return found, None
        decided = state(gate.switch, runner.env or {})
        if decided is None:
            # set or not where the deployment decides: not a known start, nor a known miss
            return (MAYBE if found == YES else found), None
        on, name, value = decided
        if not on:
            return NO, None  # the process sets the switch off: it does not start it
        where = f"{definition.location.file}:{definition.location.line}"
        return found, f"{definition.label} runs with `{name}={value}` ({where})"

    def _choice(self, runner: Runner) -> Choice | None:
        """The sub-command a script runner runs (`python -m app run-scheduler`)."""
        if runner.kind != "script" or runner.module is None or not runner.as_main:
            return None
        return self.cli.choice(runner.module, runner.as_main, runner.argv)

    def _by_command(self, runner: Runner, placement: Placement) -> str | None:
        """YES / NO when the runner's sub-command decides whether code that only
        command-line functions reach runs (deploy/cli.py); None: it does not decide."""
        if placement.commands is None:
            return None
        choice = self._choice(runner)
        if choice is None:
            return None
        decided = self.cli.decide(choice, placement.commands)
        return {CLI_YES: YES, CLI_NO: NO}.get(decided or "")

    def _command_evidence(self, runner: Runner, placements: list[Placement]) -> list[str]:
        """`docker-compose.yml:152: sub-command `run-scheduler` runs run_scheduler
        (robotoff/cli/main.py:20)`, when the runner's sub-command is why it runs it."""
        choice = self._choice(runner)
        if choice is None or not any(self._by_command(runner, p) == YES for p in placements):
            return []
        words = " ".join(choice.names)
        runs = ""
        if choice.function is not None and "#" not in choice.function:
            runs = f" runs {choice.function.rpartition('.')[2]}"
        if choice.at:
            runs += f" ({choice.at})"  # the function, or the branch on that word
        where = f"{runner.where}: " if runner.where else ""
        return [f"{where}sub-command `{words}`{runs}"]

    def _verdict(self, placements: list[Placement]) -> Verdict:
        if not placements:
            return Verdict("unknown", note="where it starts is not known")
        if not self.has_definitions:
            return Verdict("unknown", note="no process definition runs the project's code")
        best_many: tuple[Count, ProcessDef, Runner, Placement] | None = None
        best_on: str | None = None
        # a process known to run it, in a number of copies set only at run time
        unsized: tuple[Count, ProcessDef, Runner, Placement] | None = None
        seen_running = False
        seen: tuple[Count, ProcessDef, Runner, Placement] | None = None  # a process that does
        uncertain: list[str] = []
        switched_on: list[str] = []  # processes that may start it and set its switch on
        for system, defs in sorted(self.systems.items()):
            total_yes: Count | None = None
            total_all: Count | None = None
            for definition in defs:
                for runner in definition.runners:
                    status, placement, on = NO, placements[0], None
                    for candidate in placements:
                        found, switched = self._status(definition, runner, candidate)
                        if RANK[found] > RANK[status]:
                            status, placement, on = found, candidate, switched
                        elif RANK[found] == RANK[status] and on is None:
                            on = switched  # the same, through a switch it sets on
                    if status == NO:
                        continue
                    if on is not None and on not in switched_on:
                        switched_on.append(on)
                    count = self._count(definition, runner, placement)
                    if status == UNKNOWN:
                        uncertain.append(f"{definition.label} runs {runner.what}")
                        total_all = _add(total_all, Count(count.low, None, count.evidence))
                        continue
                    seen_running = True
                    total_all = _add(total_all, count)
                    if status == YES:
                        total_yes = _add(total_yes, count)
                        if count.low > 1 and (best_many is None or count.low > best_many[0].low):
                            best_many = (count, definition, runner, placement)
                            best_on = on
                        elif count.high is None and count.evidence and unsized is None:
                            unsized = (count, definition, runner, placement)
                        if seen is None:
                            seen = (count, definition, runner, placement)
            if total_all is not None and (total_all.high is None or total_all.high > 1):
                if total_yes is None or total_yes.low <= 1:
                    uncertain.append(f"{system}: up to {total_all.number()} processes")
        if best_many is not None:
            count, definition, runner, placement = best_many
            return Verdict(
                "many",
                count,
                where=f"{definition.label} ({runner.what})",
                evidence=_evidence(count) + self._command_evidence(runner, placements),
                note=placement.via or "",
                switch_on=[best_on] if best_on else [],
            )
        verdict = self._not_many(placements, seen_running, uncertain, unsized)
        verdict.switch_on = switched_on
        if verdict.status == "unknown" and not verdict.where and seen is not None and uncertain:
            # a process is seen to start it, others cannot be told: say which one does
            count, definition, runner, _ = seen
            verdict.where = f"{definition.label} ({runner.what})"
            verdict.evidence = _evidence(count) + self._command_evidence(runner, placements)
            verdict.note = f"{verdict.where} starts it; {verdict.note}"
        return verdict

    def _not_many(
        self,
        placements: list[Placement],
        seen_running: bool,
        uncertain: list[str],
        unsized: tuple[Count, ProcessDef, Runner, Placement] | None,
    ) -> Verdict:
        if seen_running and not uncertain:
            for defs in self.systems.values():
                for definition in defs:
                    for runner in definition.runners:
                        for placement in placements:
                            status, _ = self._status(definition, runner, placement)
                            if status in (YES, MAYBE):
                                one = self._count(definition, runner, placement)
                                return Verdict(
                                    "one",
                                    one,
                                    where=f"{definition.label} ({runner.what})",
                                    evidence=_evidence(one)
                                    + self._command_evidence(runner, placements),
                                )
        if unsized is not None:
            count, definition, runner, placement = unsized
            return Verdict(
                "unknown",
                count,
                where=f"{definition.label} ({runner.what})",
                evidence=_evidence(count),
                note="how many copies run is set at run time",
            )
        return Verdict("unknown", note="; ".join(uncertain[:3]))

    def _count(self, definition: ProcessDef, runner: Runner, placement: Placement) -> Count:
        per_copy = runner.per_copy
        if runner.preload and placement.context == "import":
            # imported once in the master before the fork: its threads stay there
            per_copy = Count(1, 1, (("imported once by the master (preload)", ""),))
        return definition.copies.times(per_copy)


def _common_gate(placements: list[Placement]) -> Gate | None:
    """The switch every placement passes (a script's main guard aside), if any."""
    gated = [p for p in placements if p.context != "main"]
    if not gated or any(p.gate is None for p in gated):
        return None
    return gated[0].gate


def _add(total: Count | None, count: Count) -> Count:
    return count if total is None else total.plus(count)


def _evidence(count: Count) -> list[str]:
    return [f"{where}: {what}" if where else what for what, where in count.evidence]


# ------------------------------------------------------------------------ subjects


def start_placements(
    project: Project,
    ff: FileFacts,
    site: StartSite,
    roots: dict[str, list[tuple[str, str]]],
    gate: Gate | None = None,
    commands: frozenset[str] | None = None,
) -> list[Placement]:
    """Where a start site runs: its own module and contexts, and callers in other modules
    (`gate`: the switch every way into it passes, deploy/switches.py; `commands`: the
    command-line functions every way into it starts from)."""
    module = ff.module or ""
    out = [Placement(module, context, site.via, gate, commands) for context in site.contexts]
    for name in site.callers:
        for caller_module, context in roots.get(name, []):
            out.append(Placement(caller_module, context, f"called as {name}", gate, commands))
    return out


def roots_index(project: Project) -> dict[str, list[tuple[str, str]]]:
    """dotted callee -> [(module, context)] of the calls other modules make at import, under
    `__main__` or in a start-up hook."""
    out: dict[str, list[tuple[str, str]]] = {}
    for ff in project.facts:
        if ff.processes is None or not ff.module:
            continue
        for context, callees in ff.processes.roots.items():
            for callee in callees:
                out.setdefault(callee, []).append((ff.module, context))
    return out


def wanted_files(model: Definitions) -> tuple[set[str], set[str]]:
    """(modules, script paths) the model would like extracted: entry modules a command
    names, configuration modules, scripts an image runs."""
    modules: set[str] = set(model.wanted_modules)
    for defs in model.systems().values():
        for definition in defs:
            for runner in definition.runners:
                if runner.module and runner.module not in model.index.module_facts:
                    modules.add(runner.module)
    return modules, model.wanted_scripts


def relative_display(path: str) -> str:
    return path.replace(os.sep, "/")


def expanded_commands(
    project: Project, pw: PlacedWorkload
) -> list[tuple[str, tuple[str, Location] | None]]:
    """`Definitions.commands_of` for one workload (BGT024)."""
    schedulers = getattr(project, "processes", None)
    definitions = getattr(getattr(schedulers, "model", None), "definitions", None)
    if definitions is None:
        definitions = getattr(project, "_command_definitions", None)
        if definitions is None:
            definitions = Definitions(ProjectIndex(project))
            project._command_definitions = definitions  # type: ignore[attr-defined]
    return definitions.commands_of(pw)
