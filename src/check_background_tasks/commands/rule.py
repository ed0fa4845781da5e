"""`check-background-tasks rule`: explain a rule, or list them all."""

from __future__ import annotations

import sys

import click

from ..cli_common import _echo, _fail, config_option, format_option

FORMATS = ["text", "markdown", "json"]


@click.command("rule", short_help="Explain rule CODE, or list every rule.")
@click.argument("code", metavar="[CODE]", required=False)
@format_option(
    FORMATS,
    "text",
    "text: the page (rendered on a terminal); markdown: the page as written; json: for tools.",
)
@config_option
def command(code: str | None, fmt: str, config_file: str | None) -> None:
    """Explain rule CODE, or list every rule."""
    from ..rule_docs import described, list_rules, page_body
    from ..settings import resolve

    docs_url = resolve((), config_file).root.docs_url
    if code is None:
        if fmt == "json":
            import json

            _echo(json.dumps(described(None, docs_url), indent=2) + "\n")
        else:
            _echo(list_rules())
        return
    code = code.upper()
    body = page_body(code, docs_url)
    if body is None:
        _fail(f"unknown rule code '{code}' (run `check-background-tasks rule` for the list)")
        return
    if fmt == "json":
        import json

        _echo(json.dumps(described(code, docs_url), indent=2) + "\n")
    elif fmt == "text" and _colour_terminal():
        from rich.console import Console
        from rich.markdown import Markdown

        Console().print(Markdown(body))
    else:
        _echo(body)


def _colour_terminal() -> bool:
    return sys.stdout.isatty() and not _no_color()


def _no_color() -> bool:
    import os

    return bool(os.environ.get("NO_COLOR")) or os.environ.get("TERM") == "dumb"
