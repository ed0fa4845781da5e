"""BGT025 (`replace_existing=True`) and BGT031 (`id="<module>.<function>"`) on an APScheduler
`add_job(...)` call or `@scheduled_job(...)` decorator."""

from __future__ import annotations

import re
from collections.abc import Callable

import libcst as cst

from ..model import Finding
from . import call_args
from .jobs import JobIndex
from .python_file import PythonFile

Change = Callable[[cst.Call], cst.Call]
JOB_METHODS = frozenset({"add_job", "scheduled_job"})
# APScheduler 3: add_job(func, trigger, args, kwargs, id, ...), scheduled_job(trigger, args,
# kwargs, id, ...): this many positional arguments and the id is one of them.
ID_POSITION = {"add_job": 5, "scheduled_job": 4}
REPLACE_POSITION = {"add_job": 14, "scheduled_job": 13}
DOTTED = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")


def _method(call: cst.Call) -> str | None:
    func = call.func
    name = func.attr.value if isinstance(func, cst.Attribute) else None
    return name if name in JOB_METHODS else None


def job_call(file: PythonFile, finding: Finding) -> tuple[cst.Call | None, str]:
    """The add_job / scheduled_job call a finding is about, or (None, why not)."""
    line, column = finding.location.line, finding.location.column - 1
    calls = [c for c in file.nodes_at(cst.Call, line) if _method(c)]
    if not calls:
        # `@scheduler.scheduled_job(...)` is reported at its decorator or its `def`.
        for node in file.nodes_at(cst.Decorator, line) + file.nodes_at(cst.FunctionDef, line):
            if isinstance(node, (cst.FunctionDef, cst.Decorator)):
                decorators = node.decorators if isinstance(node, cst.FunctionDef) else [node]
                calls += [
                    d.decorator
                    for d in decorators
                    if isinstance(d.decorator, cst.Call) and _method(d.decorator)
                ]
                break
    if len(calls) > 1:
        calls = [c for c in calls if file.position(c).start.column == column] or calls
    if len(calls) != 1:
        return None, "no single add_job/scheduled_job call at this line"
    call = calls[0]
    if call_args.has_double_star(call):
        return None, "the call passes **options, which may hold the argument already"
    if call_args.comment_after_last(call):
        return None, "a comment after the last argument leaves no place for a new one"
    return call, ""


def plan_replace_existing(file: PythonFile, finding: Finding, jobs: JobIndex) -> str | None:
    """BGT025. Also gives the job an id when it has none (the finding asks for both)."""
    call, why = job_call(file, finding)
    if call is None:
        return why
    method = _method(call) or "add_job"
    if call_args.positional_count(call) >= REPLACE_POSITION[method]:
        return "replace_existing is passed by position"
    changes: list[Change] = []
    if call_args.keyword(call, "id") is None and call not in file.plan.ids_given:
        made, why = _id_change(file, call, finding, jobs)
        if made is None:
            return why
        changes.append(made)

    def replace_existing(node: cst.Call) -> cst.Call:
        return call_args.set_keyword(node, "replace_existing", "True")

    changes.append(replace_existing)
    file.plan.calls.setdefault(call, []).extend(changes)
    return None


def plan_job_id(file: PythonFile, finding: Finding, jobs: JobIndex) -> str | None:
    """BGT031."""
    call, why = job_call(file, finding)
    if call is None:
        return why
    if call in file.plan.ids_given:
        return None
    if call_args.keyword(call, "id") is not None:
        return "the call has an id already"
    made, why = _id_change(file, call, finding, jobs)
    if made is None:
        return why
    file.plan.calls.setdefault(call, []).append(made)
    return None


def _id_change(
    file: PythonFile, call: cst.Call, finding: Finding, jobs: JobIndex
) -> tuple[Change | None, str]:
    method = _method(call) or "add_job"
    if call_args.positional_count(call) >= ID_POSITION[method]:
        return None, "the id is passed by position"
    if not jobs.known:
        return None, "an id needs the scanned project (apply(..., project=...))"
    target = jobs.target(finding.location)
    if not target or not DOTTED.fullmatch(target):
        return None, "the job's function is not a plain module.function to name it after"
    quote = call_args.quote_of(call)
    literal = f"{quote}{jobs.new_id(target)}{quote}"
    file.plan.ids_given.add(call)

    def give_id(node: cst.Call) -> cst.Call:
        return call_args.set_keyword(node, "id", literal)

    return give_id, ""
