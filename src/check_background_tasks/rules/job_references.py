"""A job referred to by an id that no scanned code gives a job (BGT036)."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator

from ..config import Config
from ..link import Project, symbol_table
from ..model import Finding, Location
from ..scheduler_config import owner_key
from .registry import Rule, rule

CONSEQUENCE = {
    "get_job": "returns None, so the code after it never sees the job",
}
RAISES = "raises JobLookupError at run time"
SCHEDULER_JOB_KINDS = frozenset({"apscheduler", "locked_scheduler"})


@rule(
    "BGT036",
    "unknown-job-reference",
    "warning",
    "`modify_job`/`reschedule_job`/`pause_job`/`resume_job`/`remove_job`/`get_job` with a "
    "literal id no job has",
)
def unknown_job_reference(self: Rule, project: Project, config: Config) -> Iterator[Finding]:
    references = [
        (ff, row) for ff in project.facts for row in ff.job_calls if row[0] == "reference"
    ]
    if not references:
        return
    follow = symbol_table(project.facts).follow
    declared: set[str] = set()
    patterns: set[str] = set()
    open_ended: set[str] = set()  # schedulers that get ids built at run time
    for ff in project.facts:
        for what, receiver, value, _line, _column in ff.job_calls:
            if what == "declared":
                declared.add(value)
            elif what == "pattern":
                patterns.add(value)
            elif what == "dynamic":
                open_ended.add(owner_key(ff, receiver, follow) if receiver else "")
    for linked in project.jobs:
        job = linked.job
        if job.kind not in SCHEDULER_JOB_KINDS:
            continue
        if job.name:
            declared.add(job.name)
        elif job.kind == "locked_scheduler" and job.target:
            declared.add(job.target)  # its id is derived from module.qualname
    for ff, (_what, receiver, (method, job_id), line, column) in references:
        if job_id in declared or any(fnmatch.fnmatchcase(job_id, p) for p in patterns):
            continue
        if owner_key(ff, receiver, follow) in open_ended or "" in open_ended:
            continue
        import difflib  # only here: most runs have no unknown reference

        close = difflib.get_close_matches(job_id, sorted(declared), n=1, cutoff=0.7)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        yield self.finding(
            f"`{receiver}.{method}('{job_id}')` names a job id that no scanned code adds a job "
            f"with: it {CONSEQUENCE.get(method, RAISES)}; use the id the job is added "
            f"with{hint}, or add the job",
            Location(ff.path, line, column),
            basis=f"{ff.module or ff.path}|{method}|{job_id}",
        )
