"""`check-background-tasks report`: write the HTML timeline report."""

from __future__ import annotations

import click

from ..cli_common import (
    _check_codes,
    _note,
    _progress,
    _scan,
    _settings,
    _start_discovery,
    _write_file,
    exclude_options,
    file_option,
    paths_argument,
    scan_options,
)

DEFAULT_OUTPUT = "background-tasks.html"
# Equal to html.DEFAULT_RULES_URL; not imported from there, so the command stays cheap to load.
DEFAULT_RULES_URL = "rules/"


@click.command("report", short_help="Write a self-contained HTML timeline of every job in PATHS.")
@paths_argument
@file_option(
    "--output",
    "-o",
    default=DEFAULT_OUTPUT,
    show_default=True,
    help="Write the HTML report to FILE (atomically).",
)
@click.option(
    "--rules-url",
    metavar="BASE",
    help="Base of the rule links: href = BASE + CODE + '.md' (default: the docs-url "
    f"setting, else {DEFAULT_RULES_URL}).",
)
@exclude_options
@scan_options
def command(
    paths: tuple[str, ...],
    output: str,
    rules_url: str | None,
    exclude: tuple[str, ...],
    extend_exclude: tuple[str, ...],
    force_exclude: bool,
    config_file: str | None,
    jobs: int | None,
    no_cache: bool,
    cache_dir: str | None,
    debug: bool,
) -> None:
    """Write a self-contained HTML timeline of every job in PATHS (what runs when)."""
    settings = _settings(
        paths,
        config_file,
        force_exclude,
        exclude=list(exclude),
        extend_exclude=list(extend_exclude),
    )
    discovery = _start_discovery(paths)  # before the imports below, which it overlaps
    from .. import checker
    from ..report.html import render

    with _progress(paths) as progress:
        project = _scan(paths, settings, jobs, no_cache, cache_dir, discovery, progress).project
        _check_codes(settings)
        if progress is not None:
            progress.phase("running the rules")
        findings = settings.judge(checker.run(project, settings.rules_config())).findings
    config = settings.root
    title = " ".join(paths) if paths else "."
    text = render(
        project,
        findings,
        threshold=config.pileup_threshold,
        title=title,
        rules_url=rules_url or config.docs_url,
    )
    _write_file(output, text)
    _note(f"Wrote {output}: {len(project.jobs)} jobs, {len(findings)} findings.\n")
