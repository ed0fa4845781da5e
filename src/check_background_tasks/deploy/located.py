"""Plain manifest data with the place each value was written, for merging across files.

A kustomize render moves values between files: a base writes ``schedule``, an overlay's
patch writes ``suspend``, a JSON patch moves a list item. To say *where* each value of the
rendered object comes from, values travel in a small tree whose mappings and sequences
carry, per key or item, the :class:`~check_background_tasks.model.Location` that wrote it.
Scalars stay plain Python values (see ``extract/yaml_plain.py`` for the conventions).

Only what the merge needs lives here: conversion from a manifest's plain data and
positions, a deep copy (a base shared by two overlays is copied for each), "unknown"
marking, and the way back to plain data plus a positions table.
"""

from __future__ import annotations

from typing import Any

from ..model import OPEN, Location

Path = tuple[Any, ...]
Positions = dict[Path, tuple[int, int]]


class Map:
    """A mapping: ``items`` in written order, ``at[key]`` where that key was written.

    ``open`` is the plain data's ``OPEN`` key: a key this mapping lacks is unknown (a
    template injects keys, or the object comes from a base nobody can read here)."""

    __slots__ = ("at", "items", "open")

    def __init__(
        self,
        items: dict[str, Any] | None = None,
        at: dict[str, Location] | None = None,
        open: bool = False,
    ) -> None:
        self.items: dict[str, Any] = items if items is not None else {}
        self.at: dict[str, Location] = at if at is not None else {}
        self.open = open

    def set(self, key: str, value: Any, where: Location) -> None:
        self.items[key] = value
        self.at[key] = where

    def pop(self, key: str) -> None:
        self.items.pop(key, None)
        self.at.pop(key, None)

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"Map({self.items!r}{', open' if self.open else ''})"


class Seq:
    """A sequence: ``items`` and, index for index, where each item was written."""

    __slots__ = ("at", "items")

    def __init__(self, items: list[Any] | None = None, at: list[Location] | None = None) -> None:
        self.items: list[Any] = items if items is not None else []
        self.at: list[Location] = at if at is not None else []

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"Seq({self.items!r})"


def locate(value: Any, positions: Positions, file: str, path: Path, fallback: Location) -> Any:
    """Plain data (a manifest's ``doc`` below ``path``) → a located tree.

    ``fallback`` stands for a key or item whose position is not recorded (an inline
    patch written as a quoted string has one position for all its text)."""
    if isinstance(value, dict):
        out = Map(open=bool(value.get(OPEN)))
        for key, item in value.items():
            if key == OPEN:
                continue
            here = (*path, key)
            where = _where(positions, file, here, fallback)
            out.items[key] = locate(item, positions, file, here, where)
            out.at[key] = where
        return out
    if isinstance(value, list):
        seq = Seq()
        for index, item in enumerate(value):
            here = (*path, index)
            where = _where(positions, file, here, fallback)
            seq.items.append(locate(item, positions, file, here, where))
            seq.at.append(where)
        return seq
    return value


def _where(positions: Positions, file: str, path: Path, fallback: Location) -> Location:
    found = positions.get(path)
    if found is None:
        return fallback
    return Location(file, found[0], found[1])


def copy(value: Any) -> Any:
    """A deep copy of a located tree (locations are immutable and shared)."""
    if isinstance(value, Map):
        return Map({k: copy(v) for k, v in value.items.items()}, dict(value.at), value.open)
    if isinstance(value, Seq):
        return Seq([copy(v) for v in value.items], list(value.at))
    return value


def mark_open(value: Any) -> None:
    """Every mapping below ``value`` becomes open: what it lacks is unknown, not missing."""
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, Map):
            node.open = True
            stack.extend(node.items.values())
        elif isinstance(node, Seq):
            stack.extend(node.items)


def plain(value: Any) -> Any:
    """A located tree → plain data (``OPEN`` restored on open mappings)."""
    if isinstance(value, Map):
        out = {k: plain(v) for k, v in value.items.items()}
        if value.open:
            out[OPEN] = True
        return out
    if isinstance(value, Seq):
        return [plain(v) for v in value.items]
    return value


def positions_of(value: Any, path: Path = ()) -> dict[Path, Location]:
    """Path → where the value there was written, for every key and item below ``value``."""
    out: dict[Path, Location] = {}
    stack: list[tuple[Any, Path]] = [(value, path)]
    while stack:
        node, here = stack.pop()
        if isinstance(node, Map):
            for key, item in node.items.items():
                below = (*here, key)
                out[below] = node.at[key]
                stack.append((item, below))
        elif isinstance(node, Seq):
            for index, item in enumerate(node.items):
                below = (*here, index)
                out[below] = node.at[index]
                stack.append((item, below))
    return out


def get(value: Any, *keys: Any) -> Any:
    """The located value at ``keys`` (str for mappings, int for sequences), or None."""
    node = value
    for key in keys:
        if isinstance(node, Map) and isinstance(key, str):
            node = node.items.get(key)
        elif isinstance(node, Seq) and isinstance(key, int) and 0 <= key < len(node.items):
            node = node.items[key]
        else:
            return None
    return node


def equal(left: Any, right: Any) -> bool:
    """Do two located trees hold the same data (JSON patch ``test``)?"""
    return plain(left) == plain(right)
