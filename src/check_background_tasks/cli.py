"""Command line: `check` (the default), `inventory`, `rule`, `diff`."""

from __future__ import annotations

import signal
import sys
from pathlib import Path

import click

from . import __version__
from .cli_common import (
    EXIT_ERROR,
    EXIT_FINDINGS,
    _codes,
    _config,
    _emit,
    _fail,
    _scan,
    _write_file,
    with_common,
)
from .config import ConfigError
from .report.html_command import report_command

REPORT_POINTER = (
    "See when every job fires: check-background-tasks report -o background-tasks.html\n"
)


class DefaultToCheck(click.Group):
    """`check-background-tasks src/` means `check-background-tasks check src/`, as in ruff."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args or (
            args[0] not in self.commands and args[0] not in ("--help", "-h", "--version")
        ):
            args = ["check", *args]
        return super().parse_args(ctx, args)


@click.group(cls=DefaultToCheck, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="check-background-tasks")
def cli() -> None:
    """Inventory and lint every scheduled and background job of a Python service."""


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "sarif", "github", "markdown"]),
    default="text",
    show_default=True,
    help="github: workflow-command annotations; sarif: SARIF 2.1.0; markdown: a table.",
)
@click.option("--output", "-o", type=click.Path(), help="Write the report to FILE (atomically).")
@click.option(
    "--baseline",
    "baseline_file",
    type=click.Path(dir_okay=False),
    help="Report (and fail on) only findings that are not in this baseline file.",
)
@click.option(
    "--write-baseline",
    type=click.Path(dir_okay=False),
    help="Record today's findings in FILE (atomically) and exit 0.",
)
@click.option("--select", multiple=True, help="Rule codes or prefixes to enable (comma-separated).")
@click.option("--ignore", multiple=True, help="Rule codes or prefixes to disable.")
@click.option("--extend-select", multiple=True, help="Enable these on top of the selection.")
@click.option("--fail-on", type=click.Choice(["error", "warning", "info"]))
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings.")
@click.option("--statistics", is_flag=True, help="Show a count per rule code.")
@click.option("--show-source", is_flag=True, help="Show the source line under each finding.")
@click.option("--show-suppressed", is_flag=True, help="List findings silenced by noqa/ignores.")
@with_common
def check(
    paths: tuple[str, ...],
    fmt: str,
    output: str | None,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    extend_select: tuple[str, ...],
    fail_on: str | None,
    exit_zero: bool,
    statistics: bool,
    show_source: bool,
    show_suppressed: bool,
    baseline_file: str | None,
    write_baseline: str | None,
    config_file: str | None,
    jobs: int | None,
    no_cache: bool,
    cache_dir: str | None,
    debug: bool,
) -> None:
    """Lint PATHS (default: the current directory)."""
    from . import baseline, checker
    from .report import findings as report

    if baseline_file and write_baseline:
        _fail("--baseline and --write-baseline cannot be combined")
    config = _config(
        paths,
        config_file,
        select=_codes(select),
        ignore=_codes(ignore),
        extend_select=_codes(extend_select),
        fail_on=fail_on,
    )
    known = baseline.load(baseline_file) if baseline_file else None  # exit 2 before scanning
    outcome = checker.run(_scan(paths, config, jobs, no_cache, cache_dir).project, config)
    findings = outcome.findings
    prints = baseline.fingerprints(findings)
    if write_baseline:
        _write_file(write_baseline, baseline.to_json(findings))
        click.echo(f"Wrote {len(findings)} findings to baseline {write_baseline}", err=True)
        exit_zero = True
    elif known is not None:
        findings, old, prints = baseline.split(findings, known)
        if old:
            click.echo(f"{len(old)} findings are in the baseline {baseline_file}", err=True)
    if statistics:
        text = report.statistics(findings)
    elif fmt == "json":
        text = report.to_json(findings)
    elif fmt == "sarif":
        from .report.sarif import to_sarif

        text = to_sarif(findings, prints, "new" if known is not None else None)
    elif fmt == "github":
        from .report.github import to_github

        text = to_github(findings)
    elif fmt == "markdown":
        from .report.summary import findings_markdown

        heading = "New findings" if known is not None else "check-background-tasks"
        text = findings_markdown(findings, heading)
    else:
        text = report.to_text(findings, show_source)
        if findings:
            text += REPORT_POINTER
    _emit(text, output)
    if show_suppressed and outcome.suppressed:
        click.echo(f"Suppressed ({len(outcome.suppressed)}):", err=True)
        click.echo(report.to_text(outcome.suppressed).rsplit("\n", 2)[0], err=True)
    if not exit_zero and checker.failing(findings, config.fail_on):
        sys.exit(EXIT_FINDINGS)


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--format", "fmt", type=click.Choice(["csv", "json", "table", "markdown"]))
@click.option("--output", "-o", type=click.Path(), help="Write to FILE (atomically).")
@click.option(
    "--check",
    "check_file",
    type=click.Path(dir_okay=False),
    help="Compare with the committed FILE instead of writing: exit 1 and a diff when stale.",
)
@with_common
def inventory(
    paths: tuple[str, ...],
    fmt: str | None,
    output: str | None,
    check_file: str | None,
    config_file: str | None,
    jobs: int | None,
    no_cache: bool,
    cache_dir: str | None,
    debug: bool,
) -> None:
    """List every scheduled and background job in PATHS."""
    from .report.inventory import FORMATS

    if check_file and output:
        _fail("--check and --output cannot be combined (use -o FILE to rewrite it)")
    if fmt is None:
        named = output or check_file
        suffix = Path(named).suffix.lower() if named else ""
        fmt = {".csv": "csv", ".json": "json", ".md": "markdown"}.get(suffix, "table")
    config = _config(paths, config_file)
    jobs_found = [lj.job for lj in _scan(paths, config, jobs, no_cache, cache_dir).project.jobs]
    if fmt == "markdown":
        from .report.summary import inventory_markdown

        text = inventory_markdown(jobs_found)
    else:
        text = FORMATS[fmt](jobs_found)
    if check_file:
        _check_inventory(check_file, text, fmt)
        return
    _emit(text, output)


def _check_inventory(check_file: str, expected: str, fmt: str) -> None:
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
    fixed = f"check-background-tasks inventory --format {fmt} -o {check_file}"
    if current is None:
        click.echo(f"{check_file} does not exist; create it with: {fixed}", err=True)
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
    click.echo(shown, nl=False)
    if len(delta) > limit:
        click.echo(f"... {len(delta) - limit} more diff lines", err=False)
    click.echo(f"{check_file} is out of date; regenerate it with: {fixed}", err=True)
    sys.exit(EXIT_FINDINGS)


@cli.command()
@click.argument("base")
@click.argument("head", default="HEAD")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "markdown", "json"]),
    default="text",
    show_default=True,
    help="markdown is ready to post as a pull-request comment.",
)
@click.option("--output", "-o", type=click.Path(), help="Write to FILE (atomically).")
@click.option("--config", "config_file", type=click.Path(), help="pyproject.toml to use.")
@click.option("--debug", is_flag=True, help="Show tracebacks of internal errors.")
def diff(
    base: str, head: str, fmt: str, output: str | None, config_file: str | None, debug: bool
) -> None:
    """Background jobs added, removed, rescheduled or unlocked between two git revisions.

    BASE and HEAD are commits, branches or tags (HEAD defaults to the HEAD commit; the
    working tree is not read). Each revision is read with `git archive` into a temporary
    directory; your working tree and index are never touched. Exit 0 unless an error.
    """
    from . import diff as diffing

    result = diffing.run(base, head, Path.cwd(), config_file)
    _emit(diffing.FORMATS[fmt](result), output)


@cli.command()
@click.argument("code", required=False)
def rule(code: str | None) -> None:
    """Explain rule CODE, or list every rule."""
    from .rule_docs import list_rules, page

    if code is None:
        click.echo(list_rules(), nl=False)
        return
    text = page(code.upper())
    if text is None:
        _fail(f"unknown rule code '{code}' (run `check-background-tasks rule` for the list)")
    click.echo(text, nl=False)


def _terminated(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> None:
    debug = "--debug" in (argv if argv is not None else sys.argv)
    signal.signal(signal.SIGTERM, _terminated)
    try:
        cli.main(args=argv, prog_name="check-background-tasks", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("interrupted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(EXIT_ERROR)
    except ConfigError as exc:
        _fail(str(exc))
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
    except SystemExit as exc:
        if exc.code == 128 + signal.SIGTERM:
            click.echo("terminated", err=True)
        raise
    except Exception as exc:
        if debug:
            raise
        _fail(f"internal error: {type(exc).__name__}: {exc} (rerun with --debug and report it)")


cli.add_command(report_command)
