"""What every command shares: configuration, scanning, writing, the common options.

Its own module so that commands defined elsewhere (report/html_command.py) can use it
without importing cli.py, which imports them.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click

from .config import Config, load

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


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
        click.echo(text, nl=False)


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


def _scan(  # type: ignore[no-untyped-def]
    paths: tuple[str, ...],
    config: Config,
    jobs: int | None,
    no_cache: bool = False,
    cache_dir: str | None = None,
):
    from .engine import scan

    cache = _cache_dir(config, no_cache, cache_dir)
    with _progress() as progress:
        result = scan(list(paths) or ["."], config, jobs=jobs, cache_dir=cache, progress=progress)
    if result.errors:
        _fail("; ".join(result.errors))
    return result


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


common_options = [
    click.option("--config", "config_file", type=click.Path(), help="pyproject.toml to use."),
    click.option("--jobs", "-j", type=click.IntRange(1, 256), help="Worker processes."),
    click.option("--no-cache", is_flag=True, help="Neither read nor write the cache."),
    click.option(
        "--cache-dir",
        type=click.Path(file_okay=False),
        help="Cache directory (default: .check_background_tasks_cache in the project root).",
    ),
    click.option("--debug", is_flag=True, help="Show tracebacks of internal errors."),
]


def with_common(fn: Any) -> Any:
    for option in reversed(common_options):
        fn = option(fn)
    return fn
