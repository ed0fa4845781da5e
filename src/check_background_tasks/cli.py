"""Command line (click): `check` (the default), `inventory`, `report`, `diff`, `rule`.

Each command is a module of `commands/`, imported only when that command runs: a cached
`check` run pays for click and `commands/check.py`, never for the other commands.
Shell completion is click's: `eval "$(_CHECK_BACKGROUND_TASKS_COMPLETE=bash_source
check-background-tasks)"` (zsh_source, fish_source for the other shells).
"""

from __future__ import annotations

import importlib
import os
import signal
import sys
from typing import NoReturn

import click

from . import __version__
from .cli_common import EXIT_OK, PROG, QUIET, _echo, _fail
from .config import ConfigError

COMPLETE_VAR = "_CHECK_BACKGROUND_TASKS_COMPLETE"

# name -> the one-line help of `--help`; the module is commands/<name>.py. Kept here so
# that `check-background-tasks --help` imports no command.
COMMANDS = {
    "check": "Lint PATHS (default: the current directory); the default command.",
    "inventory": "List every scheduled and background job in PATHS.",
    "report": "Write a self-contained HTML timeline of every job in PATHS.",
    "diff": "Jobs added, removed, rescheduled or unlocked between two git revisions.",
    "rule": "Explain rule CODE, or list every rule.",
}
GROUP_OPTIONS = ("-h", "--help", "--version")
EPILOG = f"""
`{PROG} COMMAND --help` describes a command's options;
`{PROG} src/` means `{PROG} check src/`, as in ruff.

Shell completion (bash; zsh_source and fish_source for the others):
  eval "$({COMPLETE_VAR}=bash_source {PROG})"
"""


class LazyCommands(click.Group):
    """The commands of COMMANDS, loaded on use; bare paths or options mean `check`."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module = importlib.import_module(f"{__package__}.commands.{cmd_name}")
        command: click.Command = module.command
        return command

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args and ctx.resilient_parsing:
            pass  # shell completion of the first word: offer the commands
        elif not args or (args[0] not in COMMANDS and args[0] not in GROUP_OPTIONS):
            # `check-background-tasks src/` means `check-background-tasks check src/`, as in ruff.
            if args and not args[0].startswith("-"):
                _not_a_mistyped_command(args[0])
            args = ["check", *args]
        return super().parse_args(ctx, args)

    def format_usage(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        formatter.write_usage(PROG, "[COMMAND] [OPTIONS] [PATH]...")

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl(list(COMMANDS.items()))

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        formatter.write(EPILOG)


def _not_a_mistyped_command(word: str) -> None:
    """`chekc`, which is no file either, is a command mistyped, not a missing path."""
    if os.path.lexists(word):
        return
    import difflib

    close = difflib.get_close_matches(word, COMMANDS, n=1, cutoff=0.6)
    if close:
        raise click.UsageError(
            f"'{word}' is neither a command nor a file or directory; did you mean '{close[0]}'?"
        )


def _version(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if value:
        _echo(f"{PROG}, version {__version__}\n")
        ctx.exit(EXIT_OK)


@click.group(
    cls=LazyCommands,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    add_help_option=True,
)
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_version,
    help="Show the version and exit.",
)
def cli() -> None:
    """Inventory and lint every scheduled and background job of a Python service."""


def _run(argv: list[str]) -> None:
    QUIET[0] = False  # set by --quiet; main() may run more than once in one process
    instruction = os.environ.get(COMPLETE_VAR)
    if instruction:
        from click.shell_completion import shell_complete

        sys.exit(shell_complete(cli, {}, PROG, COMPLETE_VAR, instruction))
    try:
        with cli.make_context(PROG, argv) as ctx:
            cli.invoke(ctx)
    except click.exceptions.Exit as exc:  # --help, --version
        sys.exit(exc.exit_code)
    except click.UsageError as exc:
        where = exc.ctx.command_path if exc.ctx is not None else PROG
        _fail(f"{_one_line(exc.format_message())} (see `{where} --help`)")
    except click.ClickException as exc:
        _fail(_one_line(exc.format_message()))
    except click.Abort:
        raise KeyboardInterrupt from None


def _one_line(message: str) -> str:
    return " ".join(message.split())


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
