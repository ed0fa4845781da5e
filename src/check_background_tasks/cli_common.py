"""What every command shares: configuration, scanning, writing, the common options.

Each command lives in its own module under `commands/` and is imported only when it runs
(cli.py's lazy group), so a run pays for click and one command, not for all of them.
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from .config import Config

if TYPE_CHECKING:
    from .discover import Discovery
    from .settings import Settings

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
PROG = "check-background-tasks"

F = TypeVar("F", bound=Callable[..., Any])


def _fail(message: str) -> None:
    _echo(f"error: {message}\n", err=True)
    sys.exit(EXIT_ERROR)


# --quiet: findings (and errors) only; no notes, warnings, summaries or hints.
QUIET = [False]


def _note(text: str) -> None:
    """A note, warning or hint for a person, on stderr; silent with --quiet."""
    if not QUIET[0]:
        _echo(text, err=True)


def _set_quiet(ctx: click.Context, param: click.Parameter, value: bool) -> bool:
    QUIET[0] = value
    return value


def wants_colour(stream: Any) -> bool:
    """Colour for a person: NO_COLOR (any value) turns it off, FORCE_COLOR on; else only
    on a terminal that is not TERM=dumb (never into a pipe or a file)."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty()) and os.environ.get("TERM") != "dumb"


def _echo(text: str, err: bool = False) -> None:
    stream = sys.stderr if err else sys.stdout
    stream.write(text)
    stream.flush()


def _settings(
    paths: tuple[str, ...],
    config_file: str | None,
    force_exclude: bool = False,
    **overrides: Any,
) -> Settings:
    """The configuration of every file of this run (settings.py), notes on stderr."""
    from .settings import resolve

    settings = resolve(paths, config_file, force_exclude, **overrides)
    if config_file and settings.root.source is not None and not settings.root.declared:
        _note(
            f"warning: {config_file} has no [tool.check-background-tasks] section; "
            "the defaults apply\n"
        )
    for given in paths:
        note = settings.exclusion_note(given)
        if note is not None:
            _note(f"note: {note}\n")
    return settings


def _check_codes(settings: Settings, **options: list[str]) -> None:
    """Exit 2 for a rule code that names no rule: on the command line, in any configuration
    met so far."""
    from .rule_codes import check_config, check_options

    check_options({f"--{name.replace('_', '-')}": codes for name, codes in options.items()})
    for config in settings.configs():
        check_config(config)
    if not options:  # after the scan: every configuration has been met
        for note in settings.unused_project_settings():
            _note(f"note: {note}\n")


def _codes(values: tuple[str, ...]) -> list[str]:
    return [c.strip().upper() for v in values for c in v.split(",") if c.strip()]


def _write_file(output: str, text: str) -> None:
    from .atomic import write_atomic

    try:
        mode = os.stat(output).st_mode
    except OSError:
        mode = None
    if mode is not None and stat.S_ISREG(mode) and not mode & stat.S_IWUSR:
        # Replacing it would succeed (a rename needs only the directory): refuse, as an
        # editor would, whoever runs the command.
        _fail(f"cannot write {output}: the file is read-only")

    try:
        write_atomic(output, text)
    except IsADirectoryError:
        _fail(f"{output} is a directory")
    except OSError as exc:
        _fail(f"cannot write {output}: {exc.strerror or exc}")


def _emit(text: str, output: str | None) -> None:
    if output:
        _write_file(output, text)
    else:
        _echo(text)


def _cache_dir(config: Config, no_cache: bool, cache_dir: str | None) -> Path | None:
    """`--cache-dir`, else $CHECK_BACKGROUND_TASKS_CACHE_DIR, else <project root>/.check_…_cache.

    The project root is the directory of the pyproject.toml in use, else the current
    directory (as ruff does)."""
    if no_cache or os.environ.get("CHECK_BACKGROUND_TASKS_NO_CACHE"):
        return None
    if cache_dir:
        return Path(cache_dir)
    from .cache import default_cache_dir

    root = config.source.parent if config.source is not None else Path.cwd()
    return default_cache_dir(root)


def _start_discovery(paths: tuple[str, ...]) -> Discovery:
    """Start listing PATHS now: git walks the tree while the scan's modules are imported
    (up to 40 ms on prefect's tree, against about 30 ms of imports)."""
    from . import discover

    return discover.start_discovery(list(paths) or ["."])


def _scan(  # type: ignore[no-untyped-def]
    paths: tuple[str, ...],
    settings: Settings,
    jobs: int | None,
    no_cache: bool = False,
    cache_dir: str | None = None,
    discovery: Discovery | None = None,
    progress: _Reporter | None = None,
):
    from .engine import scan

    cache = _cache_dir(settings.root, no_cache, cache_dir)
    with contextlib.nullcontext(progress) if progress is not None else _progress(paths) as shown:
        result = scan(
            list(paths) or ["."],
            settings.root,
            jobs=jobs,
            cache_dir=cache,
            progress=shown,
            discovery=discovery,
            exclude=settings.excluded,
        )
    _after_scan(paths, result.errors, result.files)
    return result


def _scan_for(  # type: ignore[no-untyped-def]
    name: str,
    compute,
    paths: tuple[str, ...],
    settings: Settings,
    jobs: int | None,
    no_cache: bool = False,
    cache_dir: str | None = None,
    discovery: Discovery | None = None,
    progress: _Reporter | None = None,
):
    """`compute(project)` for a scan of PATHS, from the cache when no file and no setting
    changed since the run that computed it (engine.scan_for)."""
    from .engine import scan_for

    cache = _cache_dir(settings.root, no_cache, cache_dir)
    with contextlib.nullcontext(progress) if progress is not None else _progress(paths) as shown:
        value, errors, files = scan_for(
            name,
            compute,
            list(paths) or ["."],
            settings.root,
            jobs=jobs,
            cache_dir=cache,
            progress=shown,
            discovery=discovery,
            exclude=settings.excluded,
            settings_of=settings.key_for,
        )
    _after_scan(paths, errors, files)
    return value


def _after_scan(paths: tuple[str, ...], errors: list[str], files: int) -> None:
    if errors:
        _fail("; ".join(errors))
    _say_unreadable()
    if not files:  # never a silent pass; exit 0 all the same, as ruff
        _note(
            f"warning: no files to check in {' '.join(paths) or '.'}: nothing there can hold "
            "a job (Python, YAML, JSON, Procfile, Dockerfile, scripts), or git ignores or "
            "`exclude` leaves out all of it\n"
        )


def _say_unreadable() -> None:
    from .discover import UNREADABLE, display_path

    cwd = os.getcwd()
    for directory in sorted(set(UNREADABLE)):
        _note(
            f"warning: cannot read directory {display_path(directory, cwd)} (permission "
            "denied): its files are not checked\n"
        )
    UNREADABLE.clear()


# A run that ends sooner shows no progress at all (no flicker on a cached run).
PROGRESS_DELAY_SECONDS = 0.3


class _Reporter:
    """What the scan calls with (files parsed, files to parse); `phase` names the stage."""

    def __init__(self, bar: Any, task: Any) -> None:
        self.bar, self.task = bar, task

    def __call__(self, done: int, total: int) -> None:
        stage = "parsing" if done < total else "linking the project"
        self.bar.update(self.task, description=stage, completed=done, total=total)

    def phase(self, description: str) -> None:
        self.bar.update(self.task, description=description, completed=0, total=None)


@contextlib.contextmanager
def _progress(paths: tuple[str, ...] = ()) -> Iterator[_Reporter | None]:
    """Progress on stderr from discovery to the last rule, only when a person is watching
    (a terminal, not CI, not --quiet), and only for a run that lasts."""
    if QUIET[0] or not sys.stderr.isatty() or os.environ.get("CI"):
        yield None
        return
    import threading

    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn

    bar = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    where = " ".join(paths) or "."
    task = bar.add_task(f"finding files in {where}", total=None)
    timer = threading.Timer(PROGRESS_DELAY_SECONDS, bar.start)
    timer.daemon = True
    timer.start()
    try:
        yield _Reporter(bar, task)
    finally:
        timer.cancel()
        timer.join()
        bar.stop()


# --- the options every command spells the same way -------------------------------------


def _not_a_directory(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None and os.path.isdir(value):
        raise click.BadParameter(f"{value} is a directory", ctx, param)
    return value


def _not_a_file(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None and os.path.exists(value) and not os.path.isdir(value):
        raise click.BadParameter(f"{value} is not a directory", ctx, param)
    return value


def file_option(*names: str, help: str, **kwargs: Any) -> Callable[[F], F]:
    """An option naming a file to read or write (never a directory)."""
    kwargs.setdefault("metavar", "FILE")
    return click.option(
        *names,
        type=click.Path(),  # for shell completion; checked by the callback
        callback=_not_a_directory,
        help=help,
        **kwargs,
    )


def paths_argument(f: F) -> F:
    # No `exists=True`: a missing path is the scan's one-line error, and paths after `--`
    # may start with a dash.
    return click.argument("paths", nargs=-1, type=click.Path(), metavar="[PATH]...")(f)


def format_option(choices: list[str], default: str | None, help: str) -> Callable[[F], F]:
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(choices),
        default=default,
        show_default=default is not None,
        help=help,
    )


def output_option(help: str = "Write to FILE (atomically).") -> Callable[[F], F]:
    return click.option("--output", "-o", metavar="FILE", help=help)


def config_option(f: F) -> F:
    return click.option(
        "--config",
        "config_file",
        type=click.Path(),
        metavar="FILE",
        help="pyproject.toml (or check-background-tasks.toml) to use for every file.",
    )(f)


def debug_option(f: F) -> F:
    # Read by cli.main before parsing (it decides how errors end); declared so it is valid.
    return click.option("--debug", is_flag=True, help="Show tracebacks of internal errors.")(f)


def scan_options(f: F) -> F:
    """--config, --jobs, --no-cache, --cache-dir, --debug: every command that scans."""
    decorators = [
        config_option,
        click.option(
            "--jobs",
            "-j",
            type=click.IntRange(1, 256),
            metavar="N",
            help="Worker processes (1 to 256).",
        ),
        click.option("--no-cache", is_flag=True, help="Neither read nor write the cache."),
        click.option(
            "--cache-dir",
            type=click.Path(),
            callback=_not_a_file,
            metavar="DIR",
            help="Cache directory (default: .check_background_tasks_cache in the project root).",
        ),
        click.option(
            "--quiet",
            "-q",
            is_flag=True,
            expose_value=False,
            callback=_set_quiet,
            help="Print findings (and errors) only: no summary, notes or hints.",
        ),
        debug_option,
    ]
    for decorator in reversed(decorators):
        f = decorator(f)
    return f


def exclude_options(f: F) -> F:
    """--exclude, --extend-exclude, --force-exclude: what discovery leaves out."""
    decorators = [
        click.option(
            "--exclude",
            multiple=True,
            metavar="PATTERN",
            help="Replace the configuration's exclude patterns (repeatable).",
        ),
        click.option(
            "--extend-exclude",
            multiple=True,
            metavar="PATTERN",
            help="Exclude these patterns too (repeatable).",
        ),
        click.option(
            "--force-exclude",
            is_flag=True,
            help="Exclude matching paths even when given by name.",
        ),
    ]
    for decorator in reversed(decorators):
        f = decorator(f)
    return f
