"""`check-background-tasks report`: write the HTML timeline report."""

from __future__ import annotations

from typing import Any

import click

from ..cli_common import _config, _scan, with_common

DEFAULT_OUTPUT = "background-tasks.html"
# Equal to html.DEFAULT_RULES_URL; not imported from there, so `cli` stays fast to import.
DEFAULT_RULES_URL = "rules/"


@click.command("report")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False),
    default=DEFAULT_OUTPUT,
    show_default=True,
    help="Write the HTML report to FILE (atomically).",
)
@click.option(
    "--rules-url",
    default=DEFAULT_RULES_URL,
    show_default=True,
    help="Base of the rule links: href = BASE + CODE + '.md'.",
)
@with_common
def report_command(
    paths: tuple[str, ...],
    output: str,
    rules_url: str,
    config_file: str | None,
    jobs: int | None,
    **common: Any,  # --no-cache, --cache-dir, --debug: whatever `with_common` adds
) -> None:
    """Write a self-contained HTML timeline of every job in PATHS (what runs when)."""
    from .. import checker
    from ..atomic import write_atomic
    from .html import render

    config = _config(paths, config_file)
    cache = {k: common[k] for k in ("no_cache", "cache_dir") if k in common}
    project = _scan(paths, config, jobs, **cache).project
    findings = checker.run(project, config).findings
    title = " ".join(paths) if paths else "."
    text = render(
        project, findings, threshold=config.pileup_threshold, title=title, rules_url=rules_url
    )
    try:
        write_atomic(output, text)
    except OSError as exc:
        raise click.ClickException(f"cannot write {output}: {exc.strerror or exc}") from exc
    click.echo(f"Wrote {output}: {len(project.jobs)} jobs, {len(findings)} findings.", err=True)
