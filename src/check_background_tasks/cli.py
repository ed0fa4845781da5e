"""Command line: `check` (the default), `inventory`, `rule`."""

from __future__ import annotations

import signal
import sys
from pathlib import Path
from typing import Any

import click

from . import __version__
from .config import Config, ConfigError, load

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


class DefaultToCheck(click.Group):
    """`check-background-tasks src/` means `check-background-tasks check src/`, as in ruff."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args or (
            args[0] not in self.commands and args[0] not in ("--help", "-h", "--version")
        ):
            args = ["check", *args]
        return super().parse_args(ctx, args)


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(EXIT_ERROR)


def _config(paths: tuple[str, ...], config_file: str | None, **overrides: Any) -> Config:
    config = load(list(paths), config_file)
    for key, value in overrides.items():
        if value:
            setattr(config, key, value)
    return config


def _codes(values: tuple[str, ...]) -> list[str]:
    return [c.strip().upper() for v in values for c in v.split(",") if c.strip()]


def _emit(text: str, output: str | None) -> None:
    if output:
        from .atomic import write_atomic

        write_atomic(output, text)
    else:
        click.echo(text, nl=False)


def _scan(paths: tuple[str, ...], config: Config, jobs: int | None):  # type: ignore[no-untyped-def]
    from .engine import scan

    result = scan(list(paths) or ["."], config, jobs=jobs)
    if result.errors:
        _fail("; ".join(result.errors))
    return result


@click.group(cls=DefaultToCheck, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="check-background-tasks")
def cli() -> None:
    """Inventory and lint every scheduled and background job of a Python service."""


common_options = [
    click.option("--config", "config_file", type=click.Path(), help="pyproject.toml to use."),
    click.option("--jobs", "-j", type=click.IntRange(1, 256), help="Worker processes."),
    click.option("--debug", is_flag=True, help="Show tracebacks of internal errors."),
]


def with_common(fn: Any) -> Any:
    for option in reversed(common_options):
        fn = option(fn)
    return fn


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.option("--output", "-o", type=click.Path(), help="Write the report to FILE (atomically).")
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
    config_file: str | None,
    jobs: int | None,
    debug: bool,
) -> None:
    """Lint PATHS (default: the current directory)."""
    from . import checker
    from .report import findings as report

    config = _config(
        paths,
        config_file,
        select=_codes(select),
        ignore=_codes(ignore),
        extend_select=_codes(extend_select),
        fail_on=fail_on,
    )
    outcome = checker.run(_scan(paths, config, jobs).project, config)
    if statistics:
        text = report.statistics(outcome.findings)
    elif fmt == "json":
        text = report.to_json(outcome.findings)
    else:
        text = report.to_text(outcome.findings, show_source)
    _emit(text, output)
    if show_suppressed and outcome.suppressed:
        click.echo(f"Suppressed ({len(outcome.suppressed)}):", err=True)
        click.echo(report.to_text(outcome.suppressed).rsplit("\n", 2)[0], err=True)
    if not exit_zero and checker.failing(outcome.findings, config.fail_on):
        sys.exit(EXIT_FINDINGS)


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--format", "fmt", type=click.Choice(["csv", "json", "table"]))
@click.option("--output", "-o", type=click.Path(), help="Write to FILE (atomically).")
@with_common
def inventory(
    paths: tuple[str, ...],
    fmt: str | None,
    output: str | None,
    config_file: str | None,
    jobs: int | None,
    debug: bool,
) -> None:
    """List every scheduled and background job in PATHS."""
    from .report.inventory import FORMATS

    if fmt is None:
        suffix = Path(output).suffix.lower() if output else ""
        fmt = {".csv": "csv", ".json": "json"}.get(suffix, "table")
    config = _config(paths, config_file)
    project = _scan(paths, config, jobs).project
    _emit(FORMATS[fmt]([lj.job for lj in project.jobs]), output)


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
