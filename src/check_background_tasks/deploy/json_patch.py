"""JSON patch (RFC 6902) on a located tree, as kustomize's ``patchesJson6902`` applies it.

``add``, ``remove``, ``replace``, ``move``, ``copy`` and ``test``, with RFC 6901 pointers
(``~1`` is ``/``, ``~0`` is ``~``, ``-`` appends to a list). A value the patch writes
points at the patch (its ``value:`` key); a moved or copied value keeps where it was
first written.

Strict on an object read in full: a path that does not exist is an error, as kustomize
makes it (the caller then treats the object as unknown). Lenient on an object built from
patches alone (its base is unknown): missing mappings are created open, a ``remove`` or
``test`` of what nobody knows does nothing.
"""

from __future__ import annotations

from typing import Any

from ..model import TEMPLATED, Location
from .located import Map, Seq, copy, equal


class PatchError(Exception):
    """The operation cannot apply (kustomize would stop the build)."""


def pointer(text: Any) -> list[str]:
    """An RFC 6901 pointer's reference tokens."""
    if not isinstance(text, str) or (text and not text.startswith("/")):
        raise PatchError(f"bad JSON pointer {text!r}")
    if not text:
        return []
    return [token.replace("~1", "/").replace("~0", "~") for token in text[1:].split("/")]


def apply_operation(root: Map, op: Map, where: Location, lenient: bool) -> None:
    """Apply one operation (a located ``{op, path, value, from}`` mapping) to ``root``."""
    name = op.items.get("op")
    path = pointer(op.items.get("path"))
    if not path:
        raise PatchError("an operation on the whole object")
    value_at = op.at.get("value", where)
    if name == "add":
        _put(root, path, copy(_value(op)), value_at, lenient, insert=True)
    elif name == "replace":
        if not lenient:
            _find(root, path)  # must exist
        _put(root, path, copy(_value(op)), value_at, lenient, insert=False)
    elif name == "remove":
        _remove(root, path, lenient)
    elif name in ("move", "copy"):
        source = pointer(op.items.get("from"))
        found = _find_or_none(root, source) if lenient else _find(root, source)
        if found is None:
            return  # lenient: what moves is not known
        value, value_where = found
        if name == "move":
            _remove(root, source, lenient)
        else:
            value = copy(value)
        _put(root, path, value, value_where, lenient, insert=True)
    elif name == "test":
        found = _find_or_none(root, path)
        if found is None:
            if lenient:
                return
            raise PatchError(f"test: {op.items.get('path')} does not exist")
        if not equal(found[0], _value(op)):
            raise PatchError(f"test failed at {op.items.get('path')}")
    else:
        raise PatchError(f"unknown operation {name!r}")


def _value(op: Map) -> Any:
    if "value" not in op.items:
        raise PatchError(f"{op.items.get('op')}: no value")
    return op.items["value"]


def _index(token: str, size: int, insert: bool) -> int:
    """A list index; a negative one counts from the end, as kustomize's JSON patch
    library allows: from the list grown by one for ``add`` (``/env/-1`` appends), from
    the list itself otherwise (``/env/-1`` is the last item)."""
    if token == "-" and insert:
        return size
    negative = token.startswith("-")
    digits = token[1:] if negative else token
    if not digits.isdigit():
        raise PatchError(f"bad list index {token!r}")
    index = size + (1 if insert else 0) - int(digits) if negative else int(digits)
    if index < 0 or index > size or (index == size and not insert):
        raise PatchError(f"list index {token} out of range")
    return index


def _parent(root: Map, path: list[str], lenient: bool) -> Any:
    """The container of the last token (created open along the way when lenient)."""
    node: Any = root
    for position, token in enumerate(path[:-1]):
        if isinstance(node, Map):
            child = node.items.get(token)
            if child is None:
                if not lenient or (token not in node.items and not node.open):
                    raise PatchError(f"missing path at {token!r}")
                following = path[position + 1]
                where = _first_location(node)
                if following == "-" or following.isdigit():
                    # a list nobody can read here (`/containers/0/...` on a remote base):
                    # its items are unknown, but for those the patch writes
                    child = Seq([TEMPLATED], [where])
                else:
                    child = Map(open=True)
                node.set(token, child, where)
            node = child
        elif isinstance(node, Seq):
            node = _lenient_item(node, token) if lenient else _item(node, token)
        else:
            raise PatchError(f"cannot descend into a scalar at {token!r}")
    return node


def _item(node: Seq, token: str) -> Any:
    return node.items[_index(token, len(node.items), insert=False)]


def _lenient_item(node: Seq, token: str) -> Any:
    """An item of a partly known list (`[..., TEMPLATED]`: its last item stands for every
    item nobody can read here). Items keep their real positions: an unknown item the patch
    writes into becomes an open mapping, the gaps before it unknown items."""
    items = node.items
    if not items or items[-1] != TEMPLATED:
        return _item(node, token)
    where = node.at[0] if node.at else Location("", 0, 0)
    rest = len(items) - 1  # the index the "every other item" marker stands at
    index = int(token) if token.isdigit() else rest
    while index > rest:  # unknown items up to the one written
        items.insert(rest, TEMPLATED)
        node.at.insert(rest, where)
        rest += 1
    if index < rest:
        if items[index] != TEMPLATED:
            return items[index]
        child = Map(open=True)
        items[index] = child
        return child
    child = Map(open=True)  # index == rest: a new item before the marker
    items.insert(rest, child)
    node.at.insert(rest, where)
    return child


def _first_location(node: Map) -> Location:
    for where in node.at.values():
        return where
    return Location("", 0, 0)


def _put(
    root: Map, path: list[str], value: Any, where: Location, lenient: bool, insert: bool
) -> None:
    parent = _parent(root, path, lenient)
    token = path[-1]
    if isinstance(parent, Map):
        if not insert and token not in parent.items and not lenient:
            raise PatchError(f"replace: {token!r} does not exist")
        parent.set(token, value, where)
    elif isinstance(parent, Seq):
        if lenient and parent.items and parent.items[-1] == TEMPLATED and token.isdigit():
            # a list only partly known: the item goes to its real position, and the marker
            # of the unread items stays last (a `replace` never makes the list look whole)
            _lenient_item(parent, token)
            parent.items[int(token)] = value
            parent.at[int(token)] = where
            return
        size = len(parent.items)
        if lenient and token != "-" and token.isdigit() and int(token) > size:
            token = "-"  # the list is only partly known: put the item last
        index = _index(token, size, insert)
        if insert:
            parent.items.insert(index, value)
            parent.at.insert(index, where)
        else:
            parent.items[index] = value
            parent.at[index] = where
    else:
        raise PatchError("cannot set a field of a scalar")


def _remove(root: Map, path: list[str], lenient: bool) -> None:
    try:
        parent = _parent(root, path, lenient=False)
    except PatchError:
        if lenient:
            return
        raise
    token = path[-1]
    if isinstance(parent, Map) and token in parent.items:
        parent.pop(token)
    elif isinstance(parent, Seq) and _has_index(token, len(parent.items)):
        index = _index(token, len(parent.items), insert=False)
        del parent.items[index]
        del parent.at[index]
    elif not lenient:
        raise PatchError(f"remove: {token!r} does not exist")


def _find(root: Map, path: list[str]) -> tuple[Any, Location]:
    found = _find_or_none(root, path)
    if found is None:
        raise PatchError(f"/{'/'.join(path)} does not exist")
    return found


def _find_or_none(root: Map, path: list[str]) -> tuple[Any, Location] | None:
    node: Any = root
    where = Location("", 0, 0)
    for token in path:
        if isinstance(node, Map) and token in node.items:
            node, where = node.items[token], node.at[token]
        elif isinstance(node, Seq) and _has_index(token, len(node.items)):
            index = _index(token, len(node.items), insert=False)
            node, where = node.items[index], node.at[index]
        else:
            return None
    return node, where


def _has_index(token: str, size: int) -> bool:
    try:
        _index(token, size, insert=False)
    except PatchError:
        return False
    return True
