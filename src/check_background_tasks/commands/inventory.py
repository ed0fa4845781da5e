"""`check-background-tasks inventory`: list every scheduled and background job."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..cli_common import (
    EXIT_FINDINGS,
    _echo,
    _emit,
    _fail,
    _scan,
    _settings,
    _start_discovery,
    exclude_options,
    file_option,
    format_option,
    output_option,
    paths_argument,
    scan_options,
)

# `text` is `table` under the name the other commands give their output for people.
FORMATS = ["csv", "json", "table", "text", "markdown"]


@click.command("inventory", short_help="List every scheduled and background job in PATHS.")
@paths_argument
@format_option(FORMATS, None, "Default: from the suffix of --output or --check, else table.")
@output_option()
@file_option(
    "--check",
    "check_file",
    help="Compare with the committed FILE instead of writing: exit 1 and a diff when stale.",
)
@exclude_options
@scan_options
def command(
    paths: tuple[str, ...],
    fmt: str | None,
    output: str | None,
    check_file: str | None,
    exclude: tuple[str, ...],
    extend_exclude: tuple[str, ...],
    force_exclude: bool,
    config_file: str | None,
    jobs: int | None,
    no_cache: bool,
    cache_dir: str | None,
    debug: bool,
) -> None:
    """List every scheduled and background job in PATHS (default: the current directory)."""
    if check_file and output:
        _fail("--check and --output cannot be combined (use -o FILE to rewrite it)")
    if fmt == "text":
        fmt = "table"
    if fmt is None:
        named = output or check_file
        suffix = Path(named).suffix.lower() if named else ""
        fmt = {".csv": "csv", ".json": "json", ".md": "markdown"}.get(suffix, "table")
    settings = _settings(
        paths,
        config_file,
        force_exclude,
        exclude=list(exclude),
        extend_exclude=list(extend_exclude),
    )
    discovery = _start_discovery(paths)  # before the imports below, which it overlaps
    from ..report.inventory import FORMATS as WRITERS

    project = _scan(paths, settings, jobs, no_cache, cache_dir, discovery).project
    jobs_found = [lj.job for lj in project.jobs]
    if fmt == "markdown":
        from ..report.summary import inventory_markdown

        text = inventory_markdown(jobs_found)
    else:
        text = WRITERS[fmt](jobs_found)
    if check_file:
        _check_inventory(check_file, text, fmt, paths)
        return
    _emit(text, output)


def _check_inventory(check_file: str, expected: str, fmt: str, paths: tuple[str, ...]) -> None:
    """Exit 0 when FILE already holds `expected`; else a short unified diff and exit 1."""
    import difflib

    try:
        with open(check_file, encoding="utf-8", newline="") as handle:
            current = handle.read()
    except FileNotFoundError:
        current = None
    except (OSError, UnicodeDecodeError) as exc:
        _fail(f"cannot read {check_file}: {exc}")
        return
    import shlex

    # With the paths that were checked, so the command rebuilds the same inventory.
    fixed = "check-background-tasks inventory " + shlex.join(
        [*paths, "--format", fmt, "-o", check_file]
    )
    if current is None:
        _echo(f"{check_file} does not exist; create it with: {fixed}\n", err=True)
        sys.exit(EXIT_FINDINGS)
    if current.replace("\r\n", "\n") == expected:
        return
    delta = list(
        difflib.unified_diff(
            current.replace("\r\n", "\n").splitlines(keepends=True),
            expected.splitlines(keepends=True),
            fromfile=f"{check_file} (committed)",
            tofile=f"{check_file} (current code)",
            n=1,
        )
    )
    limit = 60
    shown = "".join(delta[:limit])
    if not shown.endswith("\n"):
        shown += "\n"
    _echo(shown)
    if len(delta) > limit:
        _echo(f"... {len(delta) - limit} more diff lines\n")
    _echo(f"{check_file} is out of date; regenerate it with: {fixed}\n", err=True)
    sys.exit(EXIT_FINDINGS)
