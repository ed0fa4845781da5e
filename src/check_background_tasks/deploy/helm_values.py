"""Helm values as one environment sees them: layers merged as Helm merges them, and for
every key the values entry (file:line) that set it.

Helm reads values through JSON (sigs.k8s.io/yaml), so every number becomes a float64:
values numbers are loaded as ``float``. Layers are applied lowest first: the chart's
``values.yaml``, then (for a subchart) its parent's section, then release values files in
order, inline values, ``--set``-style parameters. A later layer wins key by key; maps are
merged deeply; a ``null`` removes the key (helm pkg/chartutil/coalesce.go).

A layer nobody can read here (Flux ``valuesFrom``, a values file outside the scan, a
templated file name) makes every map *open* (:data:`~check_background_tasks.model.OPEN`):
a key it lacks is unknown, not absent.
"""

from __future__ import annotations

import re
from typing import Any

from ..model import OPEN, TEMPLATED, Location
from .gotemplate_values import Unknown

Positions = dict[tuple[Any, ...], tuple[int, int]]
MAX_DEPTH = 64


class ValueTree:
    """Builds value containers and remembers where each key or item was written."""

    def __init__(self) -> None:
        self.locs: dict[tuple[int, Any], Location] = {}
        self._locations: dict[tuple[Any, ...], Location] | None = None
        self._keep: list[Any] = []  # containers whose ids are keys of `locs`

    def loc_of(self, container: Any, key: Any) -> Location | None:
        return self.locs.get((id(container), key))

    # loading ------------------------------------------------------------------------

    def load(
        self,
        doc: Any,
        positions: Positions | None,
        file: str | None,
        templated: bool = False,
        locations: dict[tuple[Any, ...], Location] | None = None,
    ) -> Any:
        """Plain data → fresh containers, numbers as floats, each key's location kept.
        ``templated``: strings holding ``{{`` are unknown (a helmfile's own actions).
        ``locations``: each key's location, given whole (instead of file + positions)."""
        self._locations = locations
        try:
            return self._load(doc, (), positions or {}, file, templated, 0)
        finally:
            self._locations = None

    def _load(
        self,
        value: Any,
        path: tuple[Any, ...],
        positions: Positions,
        file: str | None,
        templated: bool,
        depth: int,
    ) -> Any:
        if depth > MAX_DEPTH:
            return Unknown("values nested too deeply")
        if isinstance(value, dict):
            out: dict[str, Any] = {}
            self._keep.append(out)
            for key, item in value.items():
                if key == OPEN:
                    if item:
                        out[OPEN] = True
                    continue
                out[key] = self._load(item, (*path, key), positions, file, templated, depth + 1)
                self._record(out, key, (*path, key), positions, file)
            return out
        if isinstance(value, list):
            items: list[Any] = []
            self._keep.append(items)
            for index, item in enumerate(value):
                items.append(
                    self._load(item, (*path, index), positions, file, templated, depth + 1)
                )
                self._record(items, index, (*path, index), positions, file)
            return items
        if isinstance(value, bool) or value is None:
            return value
        if isinstance(value, int | float):
            return float(value)
        if isinstance(value, str):
            if value == TEMPLATED or (templated and "{{" in value):
                return Unknown(value if value != TEMPLATED else None)
            return value
        return value

    def _record(
        self,
        container: Any,
        key: Any,
        path: tuple[Any, ...],
        positions: Positions,
        file: str | None,
    ) -> None:
        if self._locations is not None:
            found = self._locations.get(path)
            if found is not None:
                self.locs[(id(container), key)] = found
            return
        position = positions.get(path)
        if position is not None and file is not None:
            self.locs[(id(container), key)] = Location(file, position[0], position[1])

    # merging ------------------------------------------------------------------------

    def merge(self, base: Any, override: Any, depth: int = 0) -> Any:
        """``override`` over ``base`` (both loaded by this tree); returns the result, which
        is ``base`` updated in place when both are maps."""
        if not isinstance(base, dict) or not isinstance(override, dict) or depth > MAX_DEPTH:
            return override
        for key, value in override.items():
            if key == OPEN:
                if value:
                    base[OPEN] = True
                continue
            if value is None:
                base.pop(key, None)  # Helm: null removes the default
                continue
            current = base.get(key)
            if isinstance(current, dict) and isinstance(value, dict):
                self.merge(current, value, depth + 1)
            else:
                base[key] = value
            loc = self.loc_of(override, key)
            if loc is not None:
                self.locs[(id(base), key)] = loc
        return base

    def under(self, defaults: Any, values: Any) -> Any:
        """``values`` with ``defaults`` filling the keys it lacks (a subchart's own
        values under its parent's section)."""
        if not isinstance(defaults, dict):
            return values if values is not None else defaults
        if not isinstance(values, dict):
            return defaults if values is None else values
        return self.merge(defaults, values)

    def open_all(self, value: Any, depth: int = 0) -> None:
        """An unreadable layer: every map may have more keys."""
        if depth > MAX_DEPTH:
            return
        if isinstance(value, dict):
            value[OPEN] = True
            for key, item in value.items():
                if key != OPEN:
                    self.open_all(item, depth + 1)
        elif isinstance(value, list):
            for item in value:
                self.open_all(item, depth + 1)


# ---------------------------------------------------------------------------- --set

_SET_PART_RE = re.compile(r"((?:\\.|[^.\[])+)((?:\[[0-9]+\])*)")


def set_path(name: str) -> list[Any] | None:
    """``a.b[0].c`` → ``["a", "b", 0, "c"]`` (Helm strvals; ``\\.`` escapes a dot)."""
    out: list[Any] = []
    position = 0
    while position < len(name):
        match = _SET_PART_RE.match(name, position)
        if not match:
            return None
        out.append(match.group(1).replace("\\.", ".").replace("\\", ""))
        out.extend(int(i) for i in re.findall(r"\[([0-9]+)\]", match.group(2)))
        position = match.end()
        if position < len(name):
            if name[position] != ".":
                return None
            position += 1
    return out or None


def typed_set_value(value: Any, force_string: bool) -> Any:
    """``--set`` typing: ``true``/``false``, ``null`` and integers are typed (as floats,
    like every values number); other text stays a string (``--set-string``: all)."""
    if not isinstance(value, str) or force_string:
        return value
    if value in ("true", "false"):
        return value == "true"
    if value == "null":
        return None
    if re.fullmatch(r"[-+]?[0-9]+", value) and not re.fullmatch(r"0[0-9]+", value):
        return float(int(value))
    return value


def set_layer(entries: list[tuple[str, Any]]) -> dict[str, Any]:
    """``--set`` pairs as one plain values layer."""
    out: dict[str, Any] = {}
    for name, value in entries:
        path = set_path(name)
        if not path or not isinstance(path[0], str):
            continue
        node: Any = out
        for index, key in enumerate(path):
            last = index == len(path) - 1
            following: Any = None if last else ([] if isinstance(path[index + 1], int) else {})
            if isinstance(key, int):
                if not isinstance(node, list) or key > 10_000:
                    break
                while len(node) <= key:
                    node.append(None)
                if last:
                    node[key] = value
                elif not isinstance(node[key], dict | list):
                    node[key] = following
                node = node[key]
            else:
                if not isinstance(node, dict):
                    break
                if last:
                    node[key] = value
                elif not isinstance(node.get(key), dict | list):
                    node[key] = following
                node = node[key]
    return out
