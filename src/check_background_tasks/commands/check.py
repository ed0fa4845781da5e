"""`check-background-tasks check`: lint PATHS (the default command)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from ..cli_common import (
    EXIT_FINDINGS,
    QUIET,
    _check_codes,
    _codes,
    _echo,
    _emit,
    _fail,
    _note,
    _progress,
    _Reporter,
    _scan,
    _scan_for,
    _settings,
    _start_discovery,
    _write_file,
    exclude_options,
    file_option,
    format_option,
    output_option,
    paths_argument,
    scan_options,
    wants_colour,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from ..discover import Discovery
    from ..fix.model import Mode
    from ..link import Project
    from ..model import Finding
    from ..settings import Settings

FORMATS = ["text", "json", "sarif", "github", "markdown"]


def _report_pointer(paths: tuple[str, ...]) -> str:
    import shlex

    where = f" {shlex.join(paths)}" if paths else ""
    return (
        f"See when every job fires: check-background-tasks report{where} -o background-tasks.html\n"
    )


@click.command(
    "check",
    short_help="Lint PATHS (default: the current directory); the default command.",
)
@paths_argument
@format_option(
    FORMATS,
    "text",
    "github: workflow-command annotations; sarif: SARIF 2.1.0; markdown: a table.",
)
@output_option("Write the report to FILE (atomically).")
@file_option(
    "--baseline",
    "baseline_file",
    help=(
        "Report (and fail on) only findings that are not in this baseline file; with"
        " --fix, --diff or --add-noqa, only those are changed."
    ),
)
@file_option("--write-baseline", help="Record today's findings in FILE (atomically) and exit 0.")
@click.option(
    "--select",
    multiple=True,
    metavar="CODES",
    help="Rule codes or prefixes to enable (comma-separated).",
)
@click.option("--ignore", multiple=True, metavar="CODES", help="Rule codes or prefixes to disable.")
@click.option(
    "--extend-select", multiple=True, metavar="CODES", help="Enable these on top of the selection."
)
@click.option(
    "--fail-on",
    type=click.Choice(["error", "warning", "info"]),
    help="Lowest severity that fails the run (default: from the configuration, warning).",
)
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings.")
@click.option(
    "--statistics",
    is_flag=True,
    help="Show a count per rule code (with --format json: [{code, name, count}]).",
)
@click.option("--show-source", is_flag=True, help="Show the source line under each finding.")
@click.option("--show-suppressed", is_flag=True, help="List findings silenced by noqa/ignores.")
@click.option("--show-files", is_flag=True, help="List the files that would be checked, and exit.")
@click.option(
    "--show-settings",
    metavar="PATH",
    type=click.Path(),
    help="Show the settings that judge PATH and where each comes from, and exit.",
)
@click.option(
    "--fix",
    is_flag=True,
    help="Apply the safe fixes (BGT011, BGT025, BGT031), then report what is left.",
)
@click.option(
    "--diff",
    "show_diff",
    is_flag=True,
    help="Print the fixes as a unified diff and change nothing (exit 1 when there are some).",
)
@click.option(
    "--unsafe-fixes",
    is_flag=True,
    help="With --fix or --diff: also the fixes that change behaviour (BGT021, BGT023).",
)
@click.option(
    "--add-noqa",
    is_flag=True,
    help="Add a `# noqa: CODE` comment to every line with a finding, and exit 0.",
)
@exclude_options
@scan_options
def command(
    paths: tuple[str, ...],
    fmt: str,
    output: str | None,
    baseline_file: str | None,
    write_baseline: str | None,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    extend_select: tuple[str, ...],
    fail_on: str | None,
    exit_zero: bool,
    statistics: bool,
    show_source: bool,
    show_suppressed: bool,
    show_files: bool,
    show_settings: str | None,
    fix: bool,
    show_diff: bool,
    unsafe_fixes: bool,
    add_noqa: bool,
    exclude: tuple[str, ...],
    extend_exclude: tuple[str, ...],
    force_exclude: bool,
    config_file: str | None,
    jobs: int | None,
    no_cache: bool,
    cache_dir: str | None,
    debug: bool,
) -> None:
    """Lint PATHS (files or directories; default: the current directory).

    `check-background-tasks src/` means `check-background-tasks check src/`, as in ruff.
    """
    if baseline_file and write_baseline:
        _fail("--baseline and --write-baseline cannot be combined")
    if add_noqa and (fix or show_diff):
        _fail("--add-noqa cannot be combined with --fix or --diff")
    options = {
        "select": _codes(select),
        "ignore": _codes(ignore),
        "extend_select": _codes(extend_select),
    }
    settings = _settings(
        paths,
        config_file,
        force_exclude,
        **options,
        exclude=list(exclude),
        extend_exclude=list(extend_exclude),
        fail_on=fail_on,
    )
    if show_settings is not None:
        from ..settings import describe

        _check_codes(settings, **options)
        _echo(describe(settings, show_settings))
        return
    if show_files:
        _show_files(paths, settings)
        return
    known = None
    if baseline_file:
        from .. import baseline

        known = baseline.load(baseline_file)  # exit 2 before scanning
    discovery = _start_discovery(paths)  # before the imports below, which it overlaps
    from ..report import findings as report
    from ..severity import failing

    _check_codes(settings, **options)  # before the scan; the nested configurations after
    scan: ScanArgs = (paths, settings, jobs, no_cache, cache_dir)
    if fix or show_diff or add_noqa:
        mode: Mode = "add-noqa" if add_noqa else "diff" if show_diff else "fix"
        findings, suppressed, notes = _fixed(
            mode, unsafe_fixes, scan, discovery, exit_zero, known, baseline_file
        )
    else:
        with _progress(paths) as progress:
            judged = _scan_for("check", _judge(settings, progress), *scan, discovery, progress)
        findings, suppressed, notes = judged
    _check_codes(settings)
    config = settings.root
    for note in notes:
        _note(note)
    prints = None  # the baseline's fingerprints of `findings`, for SARIF
    if write_baseline:
        from .. import baseline

        _write_file(write_baseline, baseline.to_json(findings))
        _note(f"Wrote {len(findings)} findings to baseline {write_baseline}\n")
        exit_zero = True
    elif known is not None:
        from .. import baseline

        findings, old, prints = baseline.split(findings, known)
        if old:
            _note(f"{len(old)} findings are in the baseline {baseline_file}\n")
    text: str | None
    if statistics:
        text = report.statistics(findings, fmt)
    elif fmt == "json":
        text = report.to_json(findings, prints, config.docs_url)
    elif fmt == "sarif":
        from ..baseline import fingerprints
        from ..report.sarif import to_sarif

        prints = fingerprints(findings) if prints is None else prints
        state = "new" if known is not None else None
        text = to_sarif(findings, prints, state, config.docs_url)
    elif fmt == "github":
        from ..report.github import to_github

        text = to_github(findings)
    elif fmt == "markdown":
        from ..report.summary import findings_markdown

        heading = "New findings" if known is not None else "check-background-tasks"
        text = findings_markdown(findings, heading)
    else:
        quiet = QUIET[0]
        pointer = None
        if findings and not quiet and output is None and sys.stdout.isatty():
            # Only for a person at a terminal (not into pre-commit's or CI's log), and
            # for what they checked.
            pointer = _report_pointer(paths)
        if output is None and wants_colour(sys.stdout):
            report.print_coloured(findings, show_source, not quiet, pointer)
            text = None
        else:
            text = report.to_text(findings, show_source, not quiet)
            text += pointer or ""
    if text is not None:
        _emit(text, output)
    if show_suppressed and suppressed:
        _echo(f"Suppressed ({len(suppressed)}):\n", err=True)
        _echo(report.to_text(suppressed).rsplit("\n", 2)[0] + "\n", err=True)
    if not exit_zero and failing(findings, config.fail_on):
        sys.exit(EXIT_FINDINGS)


# (findings, suppressed, notes on noqa comments that silence nothing): what a check
# reports, and what the cache keeps for the next run over the same files.
Judged = tuple[list["Finding"], list["Finding"], list[str]]


def _judge(settings: Settings, progress: _Reporter | None) -> Callable[[Project], Judged]:
    def judged(project: Project) -> Judged:
        from .. import checker
        from ..noqa_hints import misplaced

        if progress is not None:
            progress.phase("running the rules")
        outcome = settings.judge(checker.run(project, settings.rules_config()))
        return outcome.findings, outcome.suppressed, misplaced(project, outcome)

    return judged


# (paths, settings, jobs, no_cache, cache_dir): what every scan of this run is given
ScanArgs = tuple[tuple[str, ...], "Settings", int | None, bool, str | None]


def _fixed(
    mode: Mode,
    unsafe: bool,
    scan: ScanArgs,
    discovery: Discovery,
    exit_zero: bool = False,
    known: set[str] | None = None,
    baseline_file: str | None = None,
) -> Judged:
    """Fix, show or silence what the check finds (ruff's --fix, --diff, --add-noqa); after
    --fix, what is left. --diff and --add-noqa end the run (--diff exits 1 when there is
    something to fix, unless --exit-zero, as ruff). With a baseline, only what the check
    reports is touched: a finding the team has accepted in the baseline is theirs to fix
    (or silence) when they choose, not rewritten by surprise."""
    from pathlib import Path

    from ..fix import apply

    paths, settings = scan[0], scan[1]
    with _progress(paths) as progress:
        project = _scan(*scan, discovery, progress).project
        findings, suppressed, notes = _judge(settings, progress)(project)
    acted_on = findings
    if known is not None:
        from .. import baseline

        acted_on, old, _ = baseline.split(findings, known)
        if old:
            _note(f"{len(old)} findings in the baseline {baseline_file} are left as they are\n")
    run = apply(acted_on, mode=mode, unsafe=unsafe, root=Path.cwd(), project=project)
    for skip in run.skipped:
        _note(skip.text() + "\n")
    if mode == "diff":
        sys.stdout.buffer.write(run.diff_bytes)
        sys.stdout.flush()
        _note(run.summary() + "\n")
        sys.exit(EXIT_FINDINGS if run.changed and not exit_zero else 0)
    _note(run.summary() + "\n")
    if mode == "add-noqa":
        sys.exit(0)
    if not run.written:
        return findings, suppressed, notes
    # what is left, read from the files as they are now
    with _progress(paths) as progress:
        project = _scan(*scan, _start_discovery(paths), progress).project
        return _judge(settings, progress)(project)


def _show_files(paths: tuple[str, ...], settings: Settings) -> None:
    files, errors = _start_discovery(paths)(settings.excluded)
    if errors:
        _fail("; ".join(errors))
    _echo("".join(f"{f.display}\n" for f in files))
