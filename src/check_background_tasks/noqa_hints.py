"""A `# noqa` that misses its finding: put on the closing line of a multi-line call, it
silences nothing, since a noqa applies to the line a finding is reported on (its first
line, as in ruff). Said as a note, so the user moves it instead of wondering."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .checker import Outcome
    from .link import Project

# How far below a finding a noqa can sit and still be taken for one meant for it.
WINDOW_LINES = 20


def misplaced(project: Project, outcome: Outcome) -> list[str]:
    """One note per noqa (silencing nothing at its own line) that names the code of a
    finding reported a few lines above it."""
    from .rules import RULES

    by_file = {ff.path: ff.suppressions for ff in project.facts if ff.suppressions}
    if not by_file:
        return []
    used = {(f.location.file, f.location.line) for f in outcome.suppressed}
    notes: dict[tuple[str, int], str] = {}
    for finding in outcome.findings:
        where = finding.location
        rule = RULES.get(finding.code)
        names = {finding.code, *(rule.aliases if rule else ())}
        for suppression in by_file.get(where.file, ()):
            key = (where.file, suppression.line)
            if (
                where.line < suppression.line <= where.line + WINDOW_LINES
                and suppression.codes & names
                and key not in used
                and key not in notes
            ):
                notes[key] = (
                    f"note: {where.file}:{suppression.line}: this noqa does not silence "
                    f"{finding.code} reported at line {where.line}: a noqa applies to the "
                    "line a finding is reported on (the first line of a multi-line call); "
                    f"move it to line {where.line}\n"
                )
                break
    return [notes[key] for key in sorted(notes)]
