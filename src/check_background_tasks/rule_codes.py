"""Every rule code or prefix a user wrote must name a rule: a mistyped code would
otherwise select nothing and turn the linter off ("All checks passed!")."""

from __future__ import annotations

from collections.abc import Iterable

from .config import Config, ConfigError


def check_options(options: dict[str, list[str]]) -> None:
    """`--select` and friends: {option name: codes}."""
    for option, codes in options.items():
        for code in codes:
            _check(code, option, full_code=False)


def check_config(config: Config) -> None:
    """select, ignore, extend-select, per-file-ignores (prefixes) and severity (codes)."""
    where = f"{config.source}: " if config.source is not None else ""
    for key in ("select", "ignore", "extend-select"):
        for code in getattr(config, key.replace("-", "_")):
            _check(code, f"{where}'{key}'", full_code=False)
    for glob, codes in config.per_file_ignores.items():
        for code in codes:
            _check(code, f"{where}'per-file-ignores.\"{glob}\"'", full_code=False)
    for code in config.severity:
        _check(code, f"{where}'severity'", full_code=True)


def _known() -> tuple[list[str], dict[str, str]]:
    from .rules import RULES

    aliases = {alias.upper(): code for code, rule in RULES.items() for alias in rule.aliases}
    return sorted(RULES), aliases


def _check(code: str, source: str, full_code: bool) -> None:
    if code == "ALL" and not full_code:
        return  # every rule (and no need to import them to know it)
    known, aliases = _known()
    if code in known or (not full_code and (code == "ALL" or _is_prefix(code, known))):
        return
    raise ConfigError(f"unknown rule code '{code}' in {source} ({_hint(code, known, aliases)})")


def _is_prefix(code: str, known: Iterable[str]) -> bool:
    return any(k.startswith(code) for k in known)


def _hint(code: str, known: list[str], aliases: dict[str, str]) -> str:
    if code in aliases:
        return (
            f"{code} is an alias of {aliases[code]}, which only `# noqa` reads: use {aliases[code]}"
        )
    words = code.replace(",", " ").split()
    if len(words) > 1 and all(w in known or _is_prefix(w, known) for w in words):
        return f"separate codes with commas: {','.join(words)}"
    from difflib import get_close_matches

    close = get_close_matches(code, known, n=1, cutoff=0.6)
    if close:
        return f"did you mean {close[0]}?"
    return "run `check-background-tasks rule` for the list"
