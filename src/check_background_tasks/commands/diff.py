"""`check-background-tasks diff`: background jobs changed between two git revisions."""

from __future__ import annotations

from pathlib import Path

import click

from ..cli_common import (
    _emit,
    _note,
    config_option,
    debug_option,
    format_option,
    output_option,
)

FORMATS = ["text", "markdown", "json"]


@click.command(
    "diff",
    short_help="Jobs added, removed, rescheduled or unlocked between two git revisions.",
)
@click.argument("base", metavar="BASE")
@click.argument("head", metavar="[HEAD]", default="HEAD", required=False)
@format_option(FORMATS, "text", "markdown is ready to post as a pull-request comment.")
@output_option()
@config_option
@debug_option
def command(
    base: str, head: str, fmt: str, output: str | None, config_file: str | None, debug: bool
) -> None:
    """Background jobs added, removed, rescheduled or unlocked between two git revisions.

    BASE and HEAD are commits, branches or tags (HEAD defaults to the HEAD commit; the
    working tree is not read). Each revision is read with `git archive` into a temporary
    directory; your working tree and index are never touched. Exit 0 unless an error.
    """
    from .. import diff as diffing

    if head == "HEAD" and _uncommitted(Path.cwd()):
        _note(
            "note: uncommitted changes are not compared: diff reads commits (HEAD is the last "
            "one); commit them first to include them\n"
        )
    result = diffing.run(base, head, Path.cwd(), config_file)
    _emit(diffing.FORMATS[fmt](result), output)


def _uncommitted(cwd: Path) -> bool:
    """Tracked files changed in the working tree or the index (untracked ones aside)."""
    import subprocess

    try:
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=cwd,
            capture_output=True,
            timeout=60,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return status.returncode == 0 and bool(status.stdout.strip())
