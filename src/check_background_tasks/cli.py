"""Command line: `check` (the default), `inventory`, `report`, `rule`, `diff`."""

from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

from . import __version__
from .cli_common import (
    EXIT_FINDINGS,
    EXIT_OK,
    _check_findings,
    _codes,
    _config,
    _echo,
    _emit,
    _fail,
    _scan,
    _start_discovery,
    _write_file,
    add_common,
    add_paths,
    not_a_directory,
    parser,
)
from .config import ConfigError
from .report import html_command

REPORT_POINTER = (
    "See when every job fires: check-background-tasks report -o background-tasks.html\n"
)
HELP = """\
usage: check-background-tasks [COMMAND] [OPTIONS] [PATH]...

Inventory and lint every scheduled and background job of a Python service.

commands:
  check      Lint PATHS (default: the current directory); the default command.
  inventory  List every scheduled and background job in PATHS.
  report     Write a self-contained HTML timeline of every job in PATHS.
  diff       Background jobs added, removed, rescheduled or unlocked between two revisions.
  rule       Explain rule CODE, or list every rule.

`check-background-tasks COMMAND --help` describes a command's options;
`check-background-tasks src/` means `check-background-tasks check src/`, as in ruff.
"""


def _check_parser() -> argparse.ArgumentParser:
    command = parser("check", "Lint PATHS (default: the current directory).")
    add_paths(command, "Files or directories to lint (default: .).")
    command.add_argument(
        "--format",
        dest="fmt",
        choices=["text", "json", "sarif", "github", "markdown"],
        default="text",
        help="github: workflow-command annotations; sarif: SARIF 2.1.0; markdown: a table "
        "(default: text).",
    )
    command.add_argument(
        "--output", "-o", metavar="FILE", help="Write the report to FILE (atomically)."
    )
    command.add_argument(
        "--baseline",
        dest="baseline_file",
        type=not_a_directory,
        metavar="FILE",
        help="Report (and fail on) only findings that are not in this baseline file.",
    )
    command.add_argument(
        "--write-baseline",
        type=not_a_directory,
        metavar="FILE",
        help="Record today's findings in FILE (atomically) and exit 0.",
    )
    command.add_argument(
        "--select",
        action="append",
        default=[],
        metavar="CODES",
        help="Rule codes or prefixes to enable (comma-separated).",
    )
    command.add_argument(
        "--ignore",
        action="append",
        default=[],
        metavar="CODES",
        help="Rule codes or prefixes to disable.",
    )
    command.add_argument(
        "--extend-select",
        action="append",
        default=[],
        metavar="CODES",
        help="Enable these on top of the selection.",
    )
    command.add_argument(
        "--fail-on",
        choices=["error", "warning", "info"],
        help="Lowest severity that fails the run (default: from the configuration, warning).",
    )
    command.add_argument(
        "--exit-zero", action="store_true", help="Exit 0 even when there are findings."
    )
    command.add_argument("--statistics", action="store_true", help="Show a count per rule code.")
    command.add_argument(
        "--show-source", action="store_true", help="Show the source line under each finding."
    )
    command.add_argument(
        "--show-suppressed", action="store_true", help="List findings silenced by noqa/ignores."
    )
    add_common(command)
    return command


def check(args: argparse.Namespace) -> None:
    paths: tuple[str, ...] = tuple(args.paths)
    baseline_file: str | None = args.baseline_file
    write_baseline: str | None = args.write_baseline
    exit_zero: bool = args.exit_zero
    if baseline_file and write_baseline:
        _fail("--baseline and --write-baseline cannot be combined")
    config = _config(
        paths,
        args.config_file,
        select=_codes(args.select),
        ignore=_codes(args.ignore),
        extend_select=_codes(args.extend_select),
        fail_on=args.fail_on,
    )
    known = None
    if baseline_file:
        from . import baseline

        known = baseline.load(baseline_file)  # exit 2 before scanning
    discovery = _start_discovery(paths)  # before the imports below, which it overlaps
    from .report import findings as report
    from .severity import failing

    findings, suppressed = _check_findings(
        paths, config, args.jobs, args.no_cache, args.cache_dir, discovery
    )
    prints = None  # the baseline's fingerprints of `findings`, for SARIF
    if write_baseline:
        from . import baseline

        _write_file(write_baseline, baseline.to_json(findings))
        _echo(f"Wrote {len(findings)} findings to baseline {write_baseline}\n", err=True)
        exit_zero = True
    elif known is not None:
        from . import baseline

        findings, old, prints = baseline.split(findings, known)
        if old:
            _echo(f"{len(old)} findings are in the baseline {baseline_file}\n", err=True)
    fmt: str = args.fmt
    if args.statistics:
        text = report.statistics(findings)
    elif fmt == "json":
        text = report.to_json(findings)
    elif fmt == "sarif":
        from .baseline import fingerprints
        from .report.sarif import to_sarif

        prints = fingerprints(findings) if prints is None else prints
        text = to_sarif(findings, prints, "new" if known is not None else None)
    elif fmt == "github":
        from .report.github import to_github

        text = to_github(findings)
    elif fmt == "markdown":
        from .report.summary import findings_markdown

        heading = "New findings" if known is not None else "check-background-tasks"
        text = findings_markdown(findings, heading)
    else:
        text = report.to_text(findings, args.show_source)
        if findings:
            text += REPORT_POINTER
    _emit(text, args.output)
    if args.show_suppressed and suppressed:
        _echo(f"Suppressed ({len(suppressed)}):\n", err=True)
        _echo(report.to_text(suppressed).rsplit("\n", 2)[0] + "\n", err=True)
    if not exit_zero and failing(findings, config.fail_on):
        sys.exit(EXIT_FINDINGS)


def _inventory_parser() -> argparse.ArgumentParser:
    command = parser("inventory", "List every scheduled and background job in PATHS.")
    add_paths(command, "Files or directories to read (default: .).")
    command.add_argument(
        "--format",
        dest="fmt",
        choices=["csv", "json", "table", "markdown"],
        help="Default: from the suffix of --output or --check, else table.",
    )
    command.add_argument("--output", "-o", metavar="FILE", help="Write to FILE (atomically).")
    command.add_argument(
        "--check",
        dest="check_file",
        type=not_a_directory,
        metavar="FILE",
        help="Compare with the committed FILE instead of writing: exit 1 and a diff when stale.",
    )
    add_common(command)
    return command


def inventory(args: argparse.Namespace) -> None:
    paths: tuple[str, ...] = tuple(args.paths)
    output: str | None = args.output
    check_file: str | None = args.check_file
    if check_file and output:
        _fail("--check and --output cannot be combined (use -o FILE to rewrite it)")
    fmt: str | None = args.fmt
    if fmt is None:
        named = output or check_file
        suffix = Path(named).suffix.lower() if named else ""
        fmt = {".csv": "csv", ".json": "json", ".md": "markdown"}.get(suffix, "table")
    config = _config(paths, args.config_file)
    discovery = _start_discovery(paths)  # before the imports below, which it overlaps
    from .report.inventory import FORMATS

    project = _scan(paths, config, args.jobs, args.no_cache, args.cache_dir, discovery).project
    jobs_found = [lj.job for lj in project.jobs]
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


def _diff_parser() -> argparse.ArgumentParser:
    command = parser(
        "diff",
        "Background jobs added, removed, rescheduled or unlocked between two git revisions. "
        "BASE and HEAD are commits, branches or tags (HEAD defaults to the HEAD commit; the "
        "working tree is not read). Each revision is read with `git archive` into a "
        "temporary directory; your working tree and index are never touched. Exit 0 unless "
        "an error.",
    )
    command.add_argument("base", metavar="BASE")
    command.add_argument("head", metavar="HEAD", nargs="?", default="HEAD")
    command.add_argument(
        "--format",
        dest="fmt",
        choices=["text", "markdown", "json"],
        default="text",
        help="markdown is ready to post as a pull-request comment (default: text).",
    )
    command.add_argument("--output", "-o", metavar="FILE", help="Write to FILE (atomically).")
    command.add_argument(
        "--config", dest="config_file", metavar="FILE", help="pyproject.toml to use."
    )
    command.add_argument("--debug", action="store_true", help="Show tracebacks of internal errors.")
    return command


def diff(args: argparse.Namespace) -> None:
    from . import diff as diffing

    result = diffing.run(args.base, args.head, Path.cwd(), args.config_file)
    _emit(diffing.FORMATS[args.fmt](result), args.output)


def _rule_parser() -> argparse.ArgumentParser:
    command = parser("rule", "Explain rule CODE, or list every rule.")
    command.add_argument("code", metavar="CODE", nargs="?")
    return command


def rule(args: argparse.Namespace) -> None:
    from .rule_docs import list_rules, page

    code: str | None = args.code
    if code is None:
        _echo(list_rules())
        return
    text = page(code.upper())
    if text is None:
        _fail(f"unknown rule code '{code}' (run `check-background-tasks rule` for the list)")
    else:
        _echo(text)


COMMANDS: dict[
    str, tuple[Callable[[], argparse.ArgumentParser], Callable[[argparse.Namespace], None]]
] = {
    "check": (_check_parser, check),
    "inventory": (_inventory_parser, inventory),
    "report": (html_command.report_parser, html_command.report),
    "diff": (_diff_parser, diff),
    "rule": (_rule_parser, rule),
}


def _run(argv: list[str]) -> None:
    if argv and argv[0] in ("-h", "--help"):
        _echo(HELP)
        return
    if argv and argv[0] == "--version":
        _echo(f"check-background-tasks, version {__version__}\n")
        return
    if not argv or argv[0] not in COMMANDS:
        # `check-background-tasks src/` means `check-background-tasks check src/`, as in ruff.
        argv = ["check", *argv]
    make_parser, command = COMMANDS[argv[0]]
    command(_parse(make_parser(), argv[1:]))


def _parse(command: argparse.ArgumentParser, args: list[str]) -> argparse.Namespace:
    """Options before, between or after the paths; after `--`, only paths (`-- -odd.py`).

    argparse's intermixed parsing does not honour `--` before Python 3.12, so the paths
    after it are added here."""
    if "--" not in args:
        return command.parse_intermixed_args(args)
    cut = args.index("--")
    if command.get_default("paths") is None:  # diff, rule: fixed positionals
        return command.parse_args(args)
    parsed = command.parse_intermixed_args(args[:cut])
    parsed.paths = [*parsed.paths, *args[cut + 1 :]]
    return parsed


_MAIN_PID = os.getpid()
# What a shell reports for a process that SIGPIPE ended (Python ignores the signal).
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, spelled out: Windows has no SIGPIPE


def _terminated(signum: int, frame: object) -> None:
    if os.getpid() != _MAIN_PID:
        # A forked pool worker inherits this handler. The pool sends SIGTERM to its
        # workers when one of them dies; a worker that unwinds instead of leaving can
        # hang in multiprocessing's locks, and the whole run with it.
        os._exit(128 + signum)
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else list(argv)
    debug = "--debug" in args
    global _MAIN_PID
    _MAIN_PID = os.getpid()
    signal.signal(signal.SIGTERM, _terminated)
    try:
        _run(args)
    except ConfigError as exc:
        _fail(str(exc))
    except KeyboardInterrupt:
        _echo("interrupted\n", err=True)
        sys.exit(130)
    except BrokenPipeError:
        if debug:
            raise
        # The reader left early (`| head`): nothing more to say, and no one to say it to.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(EXIT_BROKEN_PIPE)
    except SystemExit as exc:
        if exc.code == 128 + signal.SIGTERM:
            _echo("terminated\n", err=True)
        raise
    except Exception as exc:
        if debug:
            raise
        _fail(f"internal error: {type(exc).__name__}: {exc} (rerun with --debug and report it)")


# CPython's own status when flushing standard output fails at exit.
EXIT_FLUSH_FAILED = 120


def console_main() -> NoReturn:
    """The `check-background-tasks` script and `python -m check_background_tasks`.

    After main() the process leaves without tearing the interpreter down, as mypy's
    `hard_exit` does: freeing every module, cached fact and parsed tree cost a warm run
    of hummingbot about 20 ms of its 0.2 s. Every file main() writes is closed before
    it returns (atomic.py); what is left is the two standard streams, flushed here.
    """
    try:
        main()
        code = EXIT_OK
    except SystemExit as exc:
        code = _exit_status(exc.code)
    _leave(code)


def _exit_status(code: object) -> int:
    """What the interpreter would have made of `sys.exit(code)`."""
    if code is None:
        return EXIT_OK
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)  # sys.exit("message"), printed as the interpreter does
    return 1


def _leave(code: int) -> NoReturn:
    for stream in (sys.stdout, sys.stderr):
        if stream is None:  # started with that descriptor closed (`>&-`)
            continue
        try:
            stream.flush()
        except (OSError, ValueError):  # a reader that left early (`| head`), a closed stream
            code = code or EXIT_FLUSH_FAILED
    os._exit(code)
