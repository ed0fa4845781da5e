"""Which configuration judges which file, as in ruff.

Each file is judged by the nearest configuration file found walking up from it
(`check-background-tasks.toml`, else a `pyproject.toml` with our section); its `exclude`
and `per-file-ignores` patterns are anchored at that file's directory. `--config FILE`
judges every file by FILE. The options of the command line (`--select` ...) apply on top
of every configuration.

The settings that describe the project as a whole (lock decorators, task factories, the
pile-up threshold, file size limits, fail-on, the cache) come from one configuration, the
*root*: `--config`, else the nearest one above the directory that holds every given path,
so that `check a b` and `check b a` read the same.
"""

from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .config import Config, config_in, find_pyproject, load_file, stable_text

if TYPE_CHECKING:
    from collections.abc import Iterable

    from .checker import Outcome
    from .discover import SourceFile


# The settings that describe the project as a whole: taken from the root configuration.
PROJECT_WIDE = frozenset(
    {
        "fail_on",
        "docs_url",
        "lock_decorators",
        "allow_kubernetes_cronjobs",
        "pileup_threshold",
        "max_file_size",
        "max_file_tokens",
        "task_factories",
        "scheduler_wrappers",
    }
)


@dataclass
class Settings:
    root: Config
    overrides: dict[str, Any] = field(default_factory=dict)
    forced: bool = False  # --config: one configuration for every file
    force_exclude: bool = False  # exclude also what was given by name
    # directory -> the configuration that judges the files in it
    _by_directory: dict[str, Config] = field(default_factory=dict)
    _loaded: dict[Path, Config] = field(default_factory=dict)

    def configs(self) -> list[Config]:
        """Every configuration met so far, the root first."""
        seen = [self.root]
        for config in self._by_directory.values():
            if all(config is not other for other in seen):
                seen.append(config)
        return seen

    def for_directory(self, directory: str) -> Config:
        """The configuration of the files in `directory` (absolute, not resolved)."""
        known = self._by_directory.get(directory)
        if known is not None:
            return known
        if self.forced:
            config = self.root
        else:
            found = config_in(Path(directory))
            if found is not None:
                config = self._load(found)
            else:
                parent = os.path.dirname(directory)
                config = self.for_directory(parent) if parent != directory else self._default()
        self._by_directory[directory] = config
        return config

    def for_file(self, path: str) -> Config:
        return self.for_directory(os.path.dirname(os.path.abspath(path)))

    def _default(self) -> Config:
        """No configuration file anywhere above: the defaults, with the options."""
        if self.root.source is None:
            return self.root
        return self._apply(Config())

    def _load(self, path: Path) -> Config:
        key = path.resolve()
        if self.root.source is not None and key == self.root.source.resolve():
            return self.root
        if key not in self._loaded:
            self._loaded[key] = self._apply(load_file(path))
        return self._loaded[key]

    def _apply(self, config: Config) -> Config:
        for key, value in self.overrides.items():
            if not value:
                continue
            if key.startswith("extend_"):  # on top of what the file extends
                value = [*getattr(config, key), *value]
            setattr(config, key, value)
        if config is not self.root:
            # What only the root decides (a nested file setting it gets a note): never
            # judged by a nested file's own value (allow-kubernetes-cronjobs selects BGT010).
            for key in PROJECT_WIDE:
                setattr(config, key, getattr(self.root, key))
        return config

    # --- exclusion -------------------------------------------------------------------

    def excluded(self, path: str, root: str | None) -> bool:
        """Is `path` (absolute) excluded by its configuration? `root` is the directory it
        was found under, None for a file given by name. What was given by name is never
        excluded, unless --force-exclude."""
        if root is None and not self.force_exclude:
            return False
        config = self.for_directory(os.path.dirname(path))  # discovery's paths: absolute
        patterns = config.exclude + config.extend_exclude
        if not patterns:
            return False
        return (
            matching_pattern(path, config, patterns, None if self.force_exclude else root)
            is not None
        )

    def exclusion_note(self, given: str) -> str | None:
        """Why a path given by name matches `exclude` (ruff's semantics: it is still read
        unless --force-exclude)."""
        path = os.path.abspath(given)
        config = self.for_file(path) if not os.path.isdir(path) else self.for_directory(path)
        patterns = config.exclude + config.extend_exclude
        pattern = matching_pattern(path, config, patterns, None) if patterns else None
        if pattern is None:
            return None
        where = _shown(config.source) if config.source is not None else "--exclude"
        if self.force_exclude:
            return f"{given}: skipped, excluded by '{pattern}' ({where})"
        return (
            f"{given} matches exclude '{pattern}' ({where}) but was given by name, so it is "
            "checked; --force-exclude skips it"
        )

    def unused_project_settings(self) -> list[str]:
        """Notes for nested configurations that set what only the root's decides (never
        a silent no-op)."""
        notes = []
        for config in self.configs():
            if config is self.root or config.source is None:
                continue
            keys = sorted(k for k in config.given if k.replace("-", "_") in PROJECT_WIDE)
            if keys:
                notes.append(
                    f"{_shown(config.source)} sets {', '.join(keys)}, which only the "
                    f"project-wide configuration decides ({_shown(self.root.source)} here): "
                    "check from that directory, or pass --config"
                )
        return notes

    def key_for(self, files: Iterable[SourceFile]) -> str:
        """Every configuration that judges one of `files`, with the options on top, as
        stable text: findings remembered from a run with the same text still hold (a
        nested configuration edited, added or removed changes it)."""
        configs: list[Config] = []
        for directory in sorted({os.path.dirname(f.path) for f in files}):
            config = self.for_directory(directory)
            if all(config is not known for known in configs):
                configs.append(config)
        state = [self.root, self.overrides, self.forced, self.force_exclude, configs]
        return stable_text(state)

    # --- judging findings ------------------------------------------------------------

    def rules_config(self) -> Config:
        """The configuration the rules run with: the root's settings, every rule that
        some configuration selects, no severity or per-file changes (judge() applies the
        configuration of each finding's file)."""
        from .checker import selected_rules

        codes = sorted({r.code for c in self.configs() for r in selected_rules(c)})
        return replace(
            self.root,
            select=codes or ["-"],  # "-" matches no code: nothing is selected
            ignore=[],
            extend_select=[],
            severity={},
            per_file_ignores={},
        )

    def judge(self, outcome: Outcome, cwd: str | None = None) -> Outcome:
        """Keep each finding that its own file's configuration selects, with that
        configuration's severity; its per-file-ignores move findings to `suppressed`."""
        from .checker import Outcome, selected_rules

        cwd = cwd or os.getcwd()
        selected: dict[int, set[str]] = {}
        findings, suppressed = [], list(outcome.suppressed)
        for finding in outcome.findings:
            config = self.for_file(os.path.join(cwd, finding.location.file))
            codes = selected.get(id(config))
            if codes is None:
                codes = selected[id(config)] = {r.code for r in selected_rules(config)}
            if finding.code not in codes:
                continue
            severity = config.severity.get(finding.code)
            if severity is not None and severity != finding.severity:
                finding = replace(finding, severity=severity)
            if _per_file_ignored(os.path.join(cwd, finding.location.file), finding.code, config):
                suppressed.append(finding)
            else:
                findings.append(finding)
        suppressed.sort(key=lambda f: f.sort_key())
        return Outcome(findings, suppressed)


def _anchor(config: Config, root: str | None) -> str | None:
    if config.source is not None:
        return str(config.source.parent.absolute())
    return root


def matching_pattern(
    path: str, config: Config, patterns: list[str], root: str | None
) -> str | None:
    """The first pattern that excludes `path`: matched against the path relative to the
    configuration's directory and against each directory or file name on the way, but
    only below `root` (a directory given by name is itself never excluded; None: every
    part counts)."""
    anchor = _anchor(config, root) or os.getcwd()
    rel = _relative(path, anchor)
    parts = rel.split("/")
    first = 1
    if root is not None:
        below = _relative(path, root).split("/")
        first = max(1, len(parts) - len(below) + 1)
    for pattern in patterns:
        pattern = pattern.rstrip("/")
        for end in range(first, len(parts) + 1):
            if fnmatch.fnmatch("/".join(parts[:end]), pattern) or fnmatch.fnmatch(
                parts[end - 1], pattern
            ):
                return pattern
    return None


def _relative(path: str, start: str) -> str:
    try:
        rel = os.path.relpath(path, start)
    except ValueError:  # another drive on Windows
        rel = path
    return rel.replace(os.sep, "/")


def _per_file_ignored(path: str, code: str, config: Config) -> bool:
    if not config.per_file_ignores:
        return False
    anchor = _anchor(config, None) or os.getcwd()
    rel = _relative(path, anchor)
    name = rel.rsplit("/", 1)[-1]
    for glob, codes in config.per_file_ignores.items():
        if (fnmatch.fnmatch(rel, glob) or fnmatch.fnmatch(name, glob)) and any(
            c == "ALL" or code.startswith(c) for c in codes
        ):
            return True
    return False


def resolve(
    paths: tuple[str, ...],
    config_file: str | None,
    force_exclude: bool = False,
    **overrides: Any,
) -> Settings:
    """The settings of one run: the root configuration, and how to find the others."""
    overrides = {k: v for k, v in overrides.items() if v}
    if config_file:
        from .config import load

        root = load([], config_file)
        forced = True
    else:
        found = find_pyproject(_common_directory(paths))
        root = load_file(found) if found is not None else Config()
        forced = False
    settings = Settings(root, overrides, forced, force_exclude)
    settings._apply(root)
    return settings


def _common_directory(paths: tuple[str, ...]) -> Path:
    """The directory that holds every given path (the current one when none is given)."""
    absolute = [os.path.abspath(p) for p in paths] or [os.getcwd()]
    try:
        common = os.path.commonpath(absolute)
    except ValueError:  # different drives on Windows
        return Path(os.getcwd())
    if len(absolute) == 1 and not os.path.isdir(common):
        common = os.path.dirname(common)
    return Path(common)


def describe(settings: Settings, path: str) -> str:
    """`--show-settings PATH`: the settings that judge PATH, and where each came from."""
    from dataclasses import fields

    absolute = os.path.abspath(path)
    config = settings.for_directory(
        absolute if os.path.isdir(absolute) else os.path.dirname(absolute)
    )
    project_wide = PROJECT_WIDE
    lines = [f"Settings for {path}", f"configuration: {_shown(config.source)}"]
    if config is not settings.root:
        lines.append(f"project-wide settings: {_shown(settings.root.source)}")
    for item in fields(config):
        name = item.name
        if name in ("source", "declared", "given"):
            continue
        key = name.replace("_", "-")
        owner = settings.root if name in project_wide else config
        value = getattr(owner, name)
        if name in settings.overrides:
            origin = f"--{key}"
        elif key in owner.given:
            origin = _shown(owner.source)
        else:
            origin = "default"
        lines.append(f"{key} = {_toml(value)}  # {origin}")
    return "\n".join(lines) + "\n"


def _shown(source: Path | None) -> str:
    if source is None:
        return "(none: the defaults)"
    return _relative(str(source.absolute()), os.getcwd())


def _toml(value: Any) -> str:
    import json

    if value is None:
        return "(unset)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        inner = ", ".join(f"{json.dumps(k)} = {_toml(v)}" for k, v in value.items())
        return "{ " + inner + " }" if inner else "{}"
    return json.dumps(value)
