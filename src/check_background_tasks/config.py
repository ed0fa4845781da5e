"""`[tool.check-background-tasks]` in pyproject.toml (or check-background-tasks.toml):
defaults, where the file is, validation."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field, fields, is_dataclass
from pathlib import Path
from typing import Any

SECTION = "check-background-tasks"
SEVERITIES = ("error", "warning", "info")

DEFAULT_LOCK_DECORATORS = (
    "*lock*",
    "single_instance",
    "singleton",
    "only_one",
    "run_once",
    "distributed_*",
)


# Where the rule pages are: a finding's `url` is this + CODE + ".md" (or, when it holds
# "{code}", this with the code in place). The rule pages of the repository until the
# project has a documentation site; `docs-url` changes it.
DEFAULT_DOCS_URL = "rules/"


class ConfigError(Exception):
    """A usage or configuration error: exit code 2 with this one-line message."""


@dataclass
class Config:
    """The settings of a run (a docstring also spares dataclass a signature at import)."""

    select: list[str] = field(default_factory=list)  # empty: every default-on rule
    ignore: list[str] = field(default_factory=list)
    extend_select: list[str] = field(default_factory=list)
    per_file_ignores: dict[str, list[str]] = field(default_factory=dict)
    exclude: list[str] = field(default_factory=list)
    extend_exclude: list[str] = field(default_factory=list)
    severity: dict[str, str] = field(default_factory=dict)
    fail_on: str = "warning"
    docs_url: str = DEFAULT_DOCS_URL  # the rule pages (JSON `url`, SARIF helpUri, report, rule)
    lock_decorators: list[str] = field(default_factory=lambda: list(DEFAULT_LOCK_DECORATORS))
    allow_kubernetes_cronjobs: bool = True
    pileup_threshold: int = 5
    # bytes; larger files are not read. None: 2 MiB for Python, 512 KiB for YAML and JSON
    # (larger ones are fixtures and dumps, whose reading a cold run would pay for nothing)
    max_file_size: int | None = None
    max_file_tokens: int = 200_000  # files with more are reported, not parsed
    # dotted paths of the project's own task factories no analysis can see (a factory
    # reached through a registry, a C extension, a decorator): each call starts a task
    # nothing keeps, and the files that call them are read (link_factories.py)
    task_factories: list[str] = field(default_factory=list)
    # dotted paths of the project's own scheduler wrappers no analysis can see: each call
    # declares a job running its first function argument (link_wrappers.py)
    scheduler_wrappers: list[str] = field(default_factory=list)
    source: Path | None = None  # the file it came from
    declared: bool = True  # False: that file has no section of ours (--config names any)
    given: frozenset[str] = frozenset()  # the keys its file sets (--show-settings)

    def fingerprint(self) -> str:
        """What of the config changes per-file extraction (for cache keys)."""
        base = f"max-file-size={self.max_file_size} max-file-tokens={self.max_file_tokens}"
        if self.task_factories:  # which files the prefilter reads
            base += " task-factories=" + ",".join(sorted(self.task_factories))
        if self.scheduler_wrappers:
            base += " scheduler-wrappers=" + ",".join(sorted(self.scheduler_wrappers))
        return base

    def rule_url(self, code: str) -> str:
        return rule_url(self.docs_url, code)

    def factory_calls(self) -> tuple[bytes, ...]:
        """`name(` of each configured task factory and scheduler wrapper, for the prefilter."""
        named = self.task_factories + self.scheduler_wrappers
        return tuple(f"{dotted.rpartition('.')[2]}(".encode() for dotted in named)


def stable_text(value: Any) -> str:
    """`value` (configurations, options) as text that is the same in every process: a
    key for what a later run may reuse (repr would order a frozenset by hash seed)."""
    import json

    def plain(item: Any) -> Any:
        if is_dataclass(item) and not isinstance(item, type):
            return {f.name: plain(getattr(item, f.name)) for f in fields(item)}
        if isinstance(item, dict):
            return {str(k): plain(v) for k, v in sorted(item.items(), key=lambda kv: str(kv[0]))}
        if isinstance(item, set | frozenset):
            return sorted((plain(v) for v in item), key=repr)
        if isinstance(item, list | tuple):
            return [plain(v) for v in item]
        if isinstance(item, str | int | float | bool) or item is None:
            return item
        return str(item)

    return json.dumps(plain(value), sort_keys=True)


def _as_list(key: str, value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    raise ConfigError(f"'{key}' must be a list of strings")


def _codes(key: str, value: Any) -> list[str]:
    codes = [c.strip().upper() for c in _as_list(key, value)]
    for code in codes:
        if not code or not code[:3].isalpha() or not code.isalnum():
            raise ConfigError(f"'{key}' has an invalid rule code or prefix: {code!r}")
    return codes


def _per_file_ignores(key: str, value: Any) -> dict[str, list[str]]:
    if not isinstance(value, dict):
        raise ConfigError(f"'{key}' must be a table of glob = [codes]")
    return {str(glob): _codes(f"{key}.{glob}", codes) for glob, codes in value.items()}


def _severity(key: str, value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        raise ConfigError(f"'{key}' must be a table of CODE = \"error|warning|info\"")
    out = {}
    for code, level in value.items():
        if level not in SEVERITIES:
            raise ConfigError(f"'{key}.{code}' must be one of error, warning, info")
        out[str(code).upper()] = level
    return out


def _fail_on(key: str, value: Any) -> str:
    if value not in SEVERITIES:
        raise ConfigError(f"'{key}' must be one of error, warning, info")
    return str(value)


def _string(key: str, value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise ConfigError(f"'{key}' must be a non-empty string")
    return value


def rule_url(base: str, code: str) -> str:
    """The page of rule `code` under `base` (see DEFAULT_DOCS_URL)."""
    return base.replace("{code}", code) if "{code}" in base else f"{base}{code}.md"


def _bool(key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"'{key}' must be true or false")
    return value


def _positive_int(key: str, value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ConfigError(f"'{key}' must be a positive integer")
    return value


PARSERS = {
    "select": _codes,
    "ignore": _codes,
    "extend-select": _codes,
    "per-file-ignores": _per_file_ignores,
    "exclude": _as_list,
    "extend-exclude": _as_list,
    "severity": _severity,
    "fail-on": _fail_on,
    "docs-url": _string,
    "lock-decorators": _as_list,
    "allow-kubernetes-cronjobs": _bool,
    "pileup-threshold": _positive_int,
    "max-file-size": _positive_int,
    "max-file-tokens": _positive_int,
    "task-factories": _as_list,
    "scheduler-wrappers": _as_list,
}


def from_table(table: dict[str, Any], source: Path | None = None) -> Config:
    """A Config from our section; errors name the file and the key."""
    config = Config(source=source, given=frozenset(table))
    where = f"{source}: " if source is not None else ""
    for key, value in table.items():
        parser = PARSERS.get(key)
        if parser is None:
            from difflib import get_close_matches

            close = get_close_matches(key, PARSERS, n=1)
            hint = (
                f"did you mean '{close[0]}'?" if close else f"known: {', '.join(sorted(PARSERS))}"
            )
            if key == "tool" and source is not None and source.name == OWN_FILE:
                hint = f"{OWN_FILE} holds the settings at its top level, without [tool...]"
            raise ConfigError(f"{where}unknown configuration key '{key}' ({hint})")
        try:
            setattr(config, key.replace("-", "_"), parser(key, value))
        except ConfigError as exc:
            raise ConfigError(f"{where}{exc}") from None
    return config


# The files a configuration can live in, in the order they are looked for in a directory
# (as ruff prefers ruff.toml to pyproject.toml): our own file holds the settings at its
# top level; a pyproject.toml only counts with a [tool.check-background-tasks] section.
OWN_FILE = "check-background-tasks.toml"
CONFIG_FILES = (OWN_FILE, "pyproject.toml")


def config_in(directory: Path) -> Path | None:
    """The configuration file of `directory` itself, if it has one."""
    own = directory / OWN_FILE
    if own.is_file():
        return own
    candidate = directory / "pyproject.toml"
    if candidate.is_file() and _section(candidate, found_by_search=True) is not None:
        return candidate
    return None


def load_file(path: Path) -> Config:
    """The configuration in `path` (ours or a pyproject.toml), validated."""
    section = _section(path)
    config = from_table(section or {}, path)
    config.declared = section is not None
    return config


def find_pyproject(start: Path) -> Path | None:
    """The nearest configuration file, walking up from `start` (a file or directory)."""
    here = start.resolve()
    if here.is_file():
        here = here.parent
    for directory in (here, *here.parents):
        found = config_in(directory)
        if found is not None:
            return found
    return None


def _section(path: Path, found_by_search: bool = False) -> dict[str, Any] | None:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from exc
    if found_by_search and SECTION.encode() not in raw:
        # Most pyproject.toml files found on the way up belong to other tools: without our
        # name they hold no section of ours (a file given by --config is always parsed).
        return None
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on Python 3.10 only
        import tomli as tomllib
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from exc
    if path.name == OWN_FILE:
        return data
    tool = data.get("tool", {})
    section = tool.get(SECTION) if isinstance(tool, dict) else None
    return section if isinstance(section, dict) else None


def load(paths: list[str], config_file: str | None = None) -> Config:
    if config_file:
        path = Path(config_file)
        if not path.is_file():
            raise ConfigError(f"config file not found: {config_file}")
        return load_file(path)
    found = find_pyproject(Path(paths[0] if paths else "."))
    if found is None:
        return Config()
    return load_file(found)
