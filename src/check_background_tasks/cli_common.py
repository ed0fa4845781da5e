"""What every command shares: configuration, scanning, writing, the common options.

Its own module so that commands defined elsewhere (report/html_command.py) can use it
without importing cli.py, which imports them.

The command line is argparse, not click: it is parsed on every pre-commit run, and
importing click cost about 20 ms of a run that takes 0.1 to 0.2 s in all.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from .config import Config, load

if TYPE_CHECKING:
    from .discover import Discovery

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def _fail(message: str) -> None:
    _echo(f"error: {message}\n", err=True)
    sys.exit(EXIT_ERROR)


def _echo(text: str, err: bool = False) -> None:
    stream = sys.stderr if err else sys.stdout
    stream.write(text)
    stream.flush()


def _config(paths: tuple[str, ...], config_file: str | None, **overrides: Any) -> Config:
    config = load(list(paths), config_file)
    for key, value in overrides.items():
        if value:
            setattr(config, key, value)
    return config


def _codes(values: tuple[str, ...]) -> list[str]:
    return [c.strip().upper() for v in values for c in v.split(",") if c.strip()]


def _write_file(output: str, text: str) -> None:
    from .atomic import write_atomic

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
    config: Config,
    jobs: int | None,
    no_cache: bool = False,
    cache_dir: str | None = None,
    discovery: Discovery | None = None,
):
    from .engine import scan

    cache = _cache_dir(config, no_cache, cache_dir)
    with _progress() as progress:
        result = scan(
            list(paths) or ["."],
            config,
            jobs=jobs,
            cache_dir=cache,
            progress=progress,
            discovery=discovery,
        )
    if result.errors:
        _fail("; ".join(result.errors))
    return result


def _check_findings(  # type: ignore[no-untyped-def]
    paths: tuple[str, ...],
    config: Config,
    jobs: int | None,
    no_cache: bool = False,
    cache_dir: str | None = None,
    discovery: Discovery | None = None,
):
    """(findings, suppressed) of `check`: from the cache when no file and no setting
    changed since the run that found them (engine.scan_for)."""
    from .engine import scan_for

    def outcome(project):  # type: ignore[no-untyped-def]
        from . import checker

        found = checker.run(project, config)
        return found.findings, found.suppressed

    cache = _cache_dir(config, no_cache, cache_dir)
    with _progress() as progress:
        (findings, suppressed), errors = scan_for(
            "check",
            outcome,
            list(paths) or ["."],
            config,
            jobs=jobs,
            cache_dir=cache,
            progress=progress,
            discovery=discovery,
        )
    if errors:
        _fail("; ".join(errors))
    return findings, suppressed


@contextlib.contextmanager
def _progress() -> Iterator[Callable[[int, int], None] | None]:
    """A progress bar on stderr for long scans, only when a person is watching."""
    if not sys.stderr.isatty() or os.environ.get("CI"):
        yield None
        return
    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("parsing", total=None, visible=False)

        def update(done: int, total: int) -> None:
            # Only scans with many files to parse are worth a bar.
            bar.update(task, completed=done, total=total, visible=total >= 200)

        yield update


class Parser(argparse.ArgumentParser):
    """Usage errors as one line on stderr and exit 2, like every other error of ours."""

    def error(self, message: str) -> NoReturn:
        _fail(f"{message} (see `{self.prog} --help`)")
        raise AssertionError("unreachable")


def parser(command: str, description: str) -> Parser:
    # No abbreviated options (`--form`): a later option must never change what one meant.
    return Parser(
        prog=f"check-background-tasks {command}", description=description, allow_abbrev=False
    )


def not_a_directory(value: str) -> str:
    if os.path.isdir(value):
        raise argparse.ArgumentTypeError(f"{value} is a directory")
    return value


def not_a_file(value: str) -> str:
    if os.path.exists(value) and not os.path.isdir(value):
        raise argparse.ArgumentTypeError(f"{value} is not a directory")
    return value


def worker_count(value: str) -> int:
    try:
        count = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if not 1 <= count <= 256:
        raise argparse.ArgumentTypeError(f"{count} is not between 1 and 256")
    return count


def add_paths(command: argparse.ArgumentParser, help_text: str) -> None:
    command.add_argument("paths", nargs="*", default=[], metavar="PATH", help=help_text)


def add_common(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--config", dest="config_file", metavar="FILE", help="pyproject.toml to use."
    )
    command.add_argument(
        "--jobs", "-j", type=worker_count, metavar="N", help="Worker processes (1 to 256)."
    )
    command.add_argument(
        "--no-cache", action="store_true", help="Neither read nor write the cache."
    )
    command.add_argument(
        "--cache-dir",
        type=not_a_file,
        metavar="DIR",
        help="Cache directory (default: .check_background_tasks_cache in the project root).",
    )
    command.add_argument("--debug", action="store_true", help="Show tracebacks of internal errors.")
