"""`check-background-tasks report`: write the HTML timeline report."""

from __future__ import annotations

import argparse

from ..cli_common import (
    _config,
    _echo,
    _fail,
    _scan,
    _start_discovery,
    add_common,
    add_paths,
    not_a_directory,
    parser,
)

DEFAULT_OUTPUT = "background-tasks.html"
# Equal to html.DEFAULT_RULES_URL; not imported from there, so `cli` stays fast to import.
DEFAULT_RULES_URL = "rules/"


def report_parser() -> argparse.ArgumentParser:
    command = parser(
        "report", "Write a self-contained HTML timeline of every job in PATHS (what runs when)."
    )
    add_paths(command, "Files or directories to read (default: .).")
    command.add_argument(
        "--output",
        "-o",
        type=not_a_directory,
        default=DEFAULT_OUTPUT,
        metavar="FILE",
        help=f"Write the HTML report to FILE (atomically; default: {DEFAULT_OUTPUT}).",
    )
    command.add_argument(
        "--rules-url",
        default=DEFAULT_RULES_URL,
        metavar="BASE",
        help=f"Base of the rule links: href = BASE + CODE + '.md' (default: {DEFAULT_RULES_URL}).",
    )
    add_common(command)
    return command


def report(args: argparse.Namespace) -> None:
    paths: tuple[str, ...] = tuple(args.paths)
    output: str = args.output
    config = _config(paths, args.config_file)
    discovery = _start_discovery(paths)  # before the imports below, which it overlaps
    from .. import checker
    from ..atomic import write_atomic
    from .html import render

    project = _scan(paths, config, args.jobs, args.no_cache, args.cache_dir, discovery).project
    findings = checker.run(project, config).findings
    title = " ".join(paths) if paths else "."
    text = render(
        project, findings, threshold=config.pileup_threshold, title=title, rules_url=args.rules_url
    )
    try:
        write_atomic(output, text)
    except OSError as exc:
        _fail(f"cannot write {output}: {exc.strerror or exc}")
    _echo(f"Wrote {output}: {len(project.jobs)} jobs, {len(findings)} findings.\n", err=True)
