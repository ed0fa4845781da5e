"""One object of a kustomize build, its identities, and how patches select it.

kustomize knows an object by group, version, kind, namespace and name, and remembers the
names it had before a ``namePrefix`` or ``namespace`` changed them: a patch written against
the base name still finds the object in an overlay. A ``target`` selector matches the
original or the current name and namespace (anchored regular expressions), the current
group/version/kind, labels and annotations.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ..model import Location
from .located import Map, copy, get

# group, version, kind, namespace, name
ResId = tuple[str, str, str, str, str]
DEFAULT_NAMESPACE = "default"


def split_api_version(api: Any) -> tuple[str, str]:
    if not isinstance(api, str):
        return "", ""
    group, _slash, version = api.rpartition("/")
    return group, version


def text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def id_of(body: Map) -> ResId:
    group, version = split_api_version(body.items.get("apiVersion"))
    return (
        group,
        version,
        text(body.items.get("kind")),
        text(get(body, "metadata", "namespace")),
        text(get(body, "metadata", "name")),
    )


def effective_namespace(namespace: str) -> str:
    return namespace or DEFAULT_NAMESPACE


@dataclass
class Obj:
    """An object being built: its located body, where it starts, what touched it.

    ``unknown``: built from patches alone, since the object they patch comes from a base
    that cannot be read here (remote, missing, a Helm chart): every mapping is open."""

    body: Map
    origin: Location
    ids: list[ResId]  # earlier identities, the original first
    sources: list[str] = field(default_factory=list)
    unknown: bool = False

    @property
    def kind(self) -> str:
        return text(self.body.items.get("kind"))

    @property
    def name(self) -> str:
        return text(get(self.body, "metadata", "name"))

    @property
    def namespace(self) -> str:
        return text(get(self.body, "metadata", "namespace"))

    def current_id(self) -> ResId:
        return id_of(self.body)

    def all_ids(self) -> list[ResId]:
        current = self.current_id()
        return [*self.ids, current] if current not in self.ids else list(self.ids)

    def remember_id(self) -> None:
        """Before a transformer renames it: the name it had stays a way to find it."""
        current = self.current_id()
        if current not in self.ids:
            self.ids.append(current)

    def touched_by(self, file: str) -> None:
        if file not in self.sources:
            self.sources.append(file)

    def copy(self) -> Obj:
        return Obj(copy(self.body), self.origin, list(self.ids), list(self.sources), self.unknown)

    def labels(self) -> dict[str, Any]:
        return _string_map(get(self.body, "metadata", "labels"))

    def annotations(self) -> dict[str, Any]:
        return _string_map(get(self.body, "metadata", "annotations"))


def _string_map(value: Any) -> dict[str, Any]:
    if not isinstance(value, Map):
        return {}
    return {k: v for k, v in value.items.items() if not isinstance(v, Map)}


def same_id(a: ResId, b: ResId) -> bool:
    """kustomize's ResId.Equals: same group, version, kind, name, effective namespace."""
    return (
        a[:3] == b[:3] and a[4] == b[4] and effective_namespace(a[3]) == effective_namespace(b[3])
    )


def find_by_id(objects: list[Obj], wanted: ResId) -> list[Obj]:
    """Objects that have (or had) this identity: a patch's own kind and name."""
    return [obj for obj in objects if any(same_id(i, wanted) for i in obj.all_ids())]


class SelectorError(Exception):
    pass


class Selector:
    """A kustomize ``target``: group, version, kind, name, namespace (regular expressions,
    anchored), labelSelector, annotationSelector."""

    def __init__(self, target: dict[str, Any]) -> None:
        self.raw = target
        try:
            self.patterns = {
                key: re.compile(f"(?:{value})")
                for key in ("group", "version", "kind", "name", "namespace")
                if isinstance(value := target.get(key), str) and value
            }
        except re.error as exc:
            raise SelectorError(f"bad regular expression in target: {exc}") from exc
        self.labels = parse_label_selector(target.get("labelSelector"))
        self.annotations = parse_label_selector(target.get("annotationSelector"))

    def _match(self, key: str, value: str) -> bool:
        pattern = self.patterns.get(key)
        return pattern is None or pattern.fullmatch(value) is not None

    def matches(self, obj: Obj) -> bool:
        original, current = obj.ids[0] if obj.ids else obj.current_id(), obj.current_id()
        if not (
            self._match("namespace", effective_namespace(original[3]))
            or self._match("namespace", effective_namespace(current[3]))
        ):
            return False
        if not (self._match("name", original[4]) or self._match("name", current[4])):
            return False
        group, version, kind = current[:3]
        if not (
            self._match("group", group)
            and self._match("version", version)
            and self._match("kind", kind)
        ):
            return False
        return _satisfies(obj.labels(), self.labels) and _satisfies(
            obj.annotations(), self.annotations
        )

    def literal(self, key: str) -> str | None:
        """The selector's ``key`` when it names one value, not a pattern (a dot counts as
        itself: names hold dots, patterns rarely mean "any character" there)."""
        value = self.raw.get(key)
        if isinstance(value, str) and re.fullmatch(r"[A-Za-z0-9_.\-]+", value):
            return value
        return None

    def select(self, objects: list[Obj]) -> list[Obj]:
        return [obj for obj in objects if self.matches(obj)]


# ------------------------------------------------------------------ label selectors

Requirement = tuple[str, str, tuple[str, ...]]  # key, operator, values


def parse_label_selector(text: Any) -> list[Requirement]:
    """Kubernetes' label selector syntax: ``a=b,c!=d,e in (x,y),f notin (z),g,!h``."""
    if not isinstance(text, str) or not text.strip():
        return []
    out: list[Requirement] = []
    for part in _split_requirements(text):
        part = part.strip()
        if not part:
            continue
        found = re.fullmatch(r"(\S+)\s+(in|notin)\s*\((.*)\)", part)
        if found:
            values = tuple(v.strip() for v in found.group(3).split(",") if v.strip())
            out.append((found.group(1), found.group(2), values))
            continue
        for operator in ("==", "!=", "=", ">", "<"):
            if operator in part:
                key, _op, value = part.partition(operator)
                out.append(
                    (
                        key.strip(),
                        "!=" if operator == "!=" else operator.replace("==", "="),
                        (value.strip(),),
                    )
                )
                break
        else:
            if part.startswith("!"):
                out.append((part[1:].strip(), "!", ()))
            elif re.fullmatch(r"[A-Za-z0-9_./\-]+", part):
                out.append((part, "exists", ()))
            else:
                raise SelectorError(f"bad label selector {text!r}")
    return out


def _split_requirements(text: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for index, char in enumerate(text):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(text[start:index])
            start = index + 1
    parts.append(text[start:])
    return parts


def _satisfies(labels: dict[str, Any], requirements: list[Requirement]) -> bool:
    for key, operator, values in requirements:
        present = key in labels
        value = _label_text(labels.get(key))
        if operator == "exists" and not present:
            return False
        if operator == "!" and present:
            return False
        if operator == "=" and (not present or value != values[0]):
            return False
        if operator == "!=" and present and value == values[0]:
            return False
        if operator == "in" and (not present or value not in values):
            return False
        if operator == "notin" and present and value in values:
            return False
        if operator in (">", "<"):
            try:
                number, bound = int(value or ""), int(values[0])
            except ValueError:
                return False
            if not present or (number <= bound if operator == ">" else number >= bound):
                return False
    return True


def _label_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
