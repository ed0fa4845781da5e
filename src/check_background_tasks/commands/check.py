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
    _scan,
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
    help="Report (and fail on) only findings that are not in this baseline file.",
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
# The autofix options (--fix, --diff, --unsafe-fixes, --add-noqa) go here, as parameters of
# command() below too; they are applied where the body says "Autofix goes here".
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
    from .. import checker
    from ..report import findings as report

    _check_codes(settings, **options)  # before the scan; the nested configurations after
    with _progress(paths) as progress:
        project = _scan(paths, settings, jobs, no_cache, cache_dir, discovery, progress).project
        _check_codes(settings)
        if progress is not None:
            progress.phase("running the rules")
        outcome = settings.judge(checker.run(project, settings.rules_config()))
    # Autofix goes here: with --fix/--diff/--unsafe-fixes/--add-noqa (options declared at
    # the marked place above), apply or show fixes for `outcome.findings`, then re-run the
    # scan and the rules on the edited files before reporting what is left.
    findings = outcome.findings
    config = settings.root
    from ..noqa_hints import misplaced

    for note in misplaced(project, outcome):
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
    if show_suppressed and outcome.suppressed:
        _echo(f"Suppressed ({len(outcome.suppressed)}):\n", err=True)
        _echo(report.to_text(outcome.suppressed).rsplit("\n", 2)[0] + "\n", err=True)
    if not exit_zero and checker.failing(findings, config.fail_on):
        sys.exit(EXIT_FINDINGS)


def _show_files(paths: tuple[str, ...], settings: Settings) -> None:
    files, errors = _start_discovery(paths)(settings.excluded)
    if errors:
        _fail("; ".join(errors))
    _echo("".join(f"{f.display}\n" for f in files))
