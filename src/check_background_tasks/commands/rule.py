"""`check-background-tasks rule`: explain a rule, or list them all."""

from __future__ import annotations

import click

from ..cli_common import _echo, _fail


@click.command("rule", short_help="Explain rule CODE, or list every rule.")
@click.argument("code", metavar="[CODE]", required=False)
def command(code: str | None) -> None:
    """Explain rule CODE, or list every rule."""
    from ..rule_docs import list_rules, page

    if code is None:
        _echo(list_rules())
        return
    text = page(code.upper())
    if text is None:
        _fail(f"unknown rule code '{code}' (run `check-background-tasks rule` for the list)")
    else:
        _echo(text)
