"""Fix (or silence) every finding of one file, all at once, and check the result."""

from __future__ import annotations

from collections.abc import Callable

import libcst as cst
import yaml

from ..model import Finding
from . import cronjob_policy, dangling_tasks, job_ids, lifespan_start, noqa
from .jobs import JobIndex
from .model import Skip
from .python_file import PythonFile, compiles
from .text_file import TextFile

PYTHON_SUFFIXES = (".py", ".pyi", ".pyw")
YAML_SUFFIXES = (".yaml", ".yml")

Outcome = tuple[bytes, list[Finding], list[Skip]]  # new bytes, findings fixed, skipped


def _skips(file: str, findings: list[Finding], reason: str) -> list[Skip]:
    return [Skip(file, f.location.line, f.code, reason) for f in findings]


def fix_file(file: str, source: bytes, findings: list[Finding], jobs: JobIndex) -> Outcome:
    if file.endswith(PYTHON_SUFFIXES):
        return _fix_python(file, source, findings, jobs)
    if file.endswith(YAML_SUFFIXES):
        return _fix_yaml(file, source, findings)
    return source, [], _skips(file, findings, "no fix for this kind of file")


def _fix_python(file: str, source: bytes, findings: list[Finding], jobs: JobIndex) -> Outcome:
    try:
        parsed = PythonFile(file, source)
    except (cst.ParserSyntaxError, RecursionError, MemoryError, UnicodeDecodeError, LookupError):
        return source, [], _skips(file, findings, "libcst cannot parse the file")
    planners: dict[str, Callable[[PythonFile, Finding], str | None]] = {
        "BGT025": lambda f, x: job_ids.plan_replace_existing(f, x, jobs),
        "BGT031": lambda f, x: job_ids.plan_job_id(f, x, jobs),
        "BGT021": dangling_tasks.plan,
        "BGT023": lifespan_start.plan,
    }
    done: list[Finding] = []
    skipped: list[Skip] = []
    for finding in sorted(findings, key=Finding.sort_key):
        planner = planners.get(finding.code)
        try:
            why = planner(parsed, finding) if planner else "no fix for this rule in Python"
        except Exception as err:  # a fixer's bug must not stop the run: the finding stays
            why = f"the fix failed ({type(err).__name__}: {err})"
        if why is None:
            done.append(finding)
        else:
            skipped.append(Skip(file, finding.location.line, finding.code, why))
    if not done:
        return source, [], skipped
    try:
        after = parsed.result()
        cst.parse_module(after)
    except Exception as err:  # a fix that libcst cannot render or read back: leave the file
        return source, [], skipped + _skips(file, done, f"the fix did not render ({err})")
    if compiles(source) and not compiles(after):
        return source, [], skipped + _skips(file, done, "the fixed file would not compile")
    return after, done, skipped


def _fix_yaml(file: str, source: bytes, findings: list[Finding]) -> Outcome:
    text = TextFile(source)
    done: list[Finding] = []
    skipped: list[Skip] = []
    # bottom-up: an inserted line never moves a later finding's line
    lines_done: set[int] = set()
    for finding in sorted(findings, key=lambda f: -f.location.line):
        if finding.location.line in lines_done:
            done.append(finding)  # the same CronJob reported twice (a copy): fixed once
            continue
        if finding.code != "BGT011":
            why: str | None = "no fix for this rule in YAML"
        else:
            why = cronjob_policy.fix(text, finding)
        if why is None:
            done.append(finding)
            lines_done.add(finding.location.line)
        else:
            skipped.append(Skip(file, finding.location.line, finding.code, why))
    after = text.encoded()
    if done and "{{" not in text.text and not _same_shape(source, after):
        return source, [], skipped + _skips(file, done, "the edited file would not read as YAML")
    return after, done, skipped


def _same_shape(before: bytes, after: bytes) -> bool:
    """The edited file still reads as YAML (when the original did)."""
    try:
        list(yaml.safe_load_all(TextFile(before).text))
    except yaml.YAMLError:
        return True  # nothing to compare with
    try:
        list(yaml.safe_load_all(TextFile(after).text))
    except yaml.YAMLError:
        return False
    return True


def noqa_file(file: str, source: bytes, findings: list[Finding]) -> Outcome:
    lines: dict[int, set[str]] = {}
    for finding in findings:
        lines.setdefault(finding.location.line, set()).add(finding.code)
    text = TextFile(source)
    if file.endswith(PYTHON_SUFFIXES):
        try:
            cst.parse_module(source)
        except (cst.ParserSyntaxError, RecursionError, MemoryError, UnicodeDecodeError):
            return source, [], _skips(file, findings, "libcst cannot parse the file")
        refused = noqa.add_python(text, lines, source)
    elif file.endswith(YAML_SUFFIXES):
        refused = noqa.add_yaml(text, lines)
    else:
        return source, [], _skips(file, findings, "no noqa comment for this kind of file")
    after = text.encoded()
    if file.endswith(PYTHON_SUFFIXES) and compiles(source) and not compiles(after):
        return source, [], _skips(file, findings, "the file would not compile with the comment")
    done = [f for f in findings if f.location.line not in refused]
    skipped = [
        Skip(file, f.location.line, f.code, refused[f.location.line])
        for f in findings
        if f.location.line in refused
    ]
    return after, done, skipped
