"""Strategic merge patch, as kustomize (kyaml ``merge2``) applies it to our kinds.

- mappings merge key by key; ``key: null`` deletes the key (and adds nothing);
- a sequence whose Kubernetes schema names a patch merge key (``containers`` by
  ``name``, ``volumeMounts`` by ``mountPath``, ...) merges item by item: the patch's items
  first, in its order (merged with the base item of the same key, or new), then the base
  items the patch does not name; a list keyed by several fields (``ports`` by
  ``containerPort`` and ``protocol``) keeps the base order and puts new items first, and
  drops a patch item that leaves out a key its base item has (kustomize does);
- every other sequence is replaced by the patch's, as written;
- directives: ``$patch: delete`` on a mapping or list item removes it, on the whole
  object removes the object; ``$patch: replace`` replaces a mapping or a keyed list
  instead of merging; a keyed list holding an item ``{$patch: delete}`` is removed.
  Other ``$`` keys (``$setElementOrder/...``) are kept as fields, as kustomize does.

The merge keys are the ones of the OpenAPI schema kustomize ships (Kubernetes 1.21), and
apply only where kustomize finds that schema: an object whose ``apiVersion``/``kind`` it
does not know (a KEDA ScaledObject, ``autoscaling/v2``) has every list replaced.

Each result value keeps the location that wrote it: a value the patch sets points at the
patch, a mapping merged from both keeps the base's key.
"""

from __future__ import annotations

from typing import Any

from .located import Map, Seq, copy

DIRECTIVE = "$patch"

# (group/version, kind) that kustomize's built-in schema knows.
SCHEMA_KINDS = frozenset(
    {
        ("batch/v1", "CronJob"),
        ("batch/v1beta1", "CronJob"),
        ("apps/v1", "Deployment"),
        ("apps/v1", "StatefulSet"),
        ("apps/v1", "DaemonSet"),
        ("autoscaling/v1", "HorizontalPodAutoscaler"),
        ("autoscaling/v2beta1", "HorizontalPodAutoscaler"),
        ("autoscaling/v2beta2", "HorizontalPodAutoscaler"),
    }
)

# Lists of a PodSpec, of a container, of ObjectMeta: their merge keys ("" = a list of
# scalars merged as a set).
POD_SPEC_KEYS: dict[str, tuple[str, ...]] = {
    "containers": ("name",),
    "initContainers": ("name",),
    "ephemeralContainers": ("name",),
    "volumes": ("name",),
    "imagePullSecrets": ("name",),
    "hostAliases": ("ip",),
    "topologySpreadConstraints": ("topologyKey", "whenUnsatisfiable"),
}
CONTAINER_KEYS: dict[str, tuple[str, ...]] = {
    "env": ("name",),
    "volumeMounts": ("mountPath",),
    "volumeDevices": ("devicePath",),
    "ports": ("containerPort", "protocol"),
}
EPHEMERAL_KEYS = {k: v for k, v in CONTAINER_KEYS.items() if k != "ports"}
META_KEYS: dict[str, tuple[str, ...]] = {"finalizers": ("",), "ownerReferences": ("uid",)}
CONTAINER_LISTS = frozenset({"containers", "initContainers", "ephemeralContainers"})


class _Delete:
    """The merge result "remove this key / item / object"."""


DELETE = _Delete()


def merge_keys(path: tuple[Any, ...]) -> tuple[str, ...] | None:
    """The merge keys of the list at ``path`` (keys and item indexes), or None: replace."""
    if not path:
        return None
    field = path[-1]
    parent = path[:-1]
    if field in POD_SPEC_KEYS and _is_pod_spec(parent):
        return POD_SPEC_KEYS[field]
    if len(parent) >= 2 and isinstance(parent[-1], int) and parent[-2] in CONTAINER_LISTS:
        if _is_pod_spec(parent[:-2]):
            table = EPHEMERAL_KEYS if parent[-2] == "ephemeralContainers" else CONTAINER_KEYS
            return table.get(field)
        return None
    if field in META_KEYS and parent and parent[-1] == "metadata":
        return META_KEYS[field]
    return None


def _is_pod_spec(path: tuple[Any, ...]) -> bool:
    """``spec.template.spec`` of a workload, ``spec.jobTemplate.spec.template.spec``."""
    return len(path) >= 2 and path[-2:] == ("template", "spec")


def apply(dest: Map, patch: Map, schema: bool) -> Map | _Delete:
    """The object ``dest`` with ``patch`` merged in (``dest`` is changed in place)."""
    result = _merge(dest, patch, (), schema)
    return result if isinstance(result, Map | _Delete) else dest


def _merge(dest: Any, patch: Any, path: tuple[Any, ...], schema: bool) -> Any:
    """The merged value, or DELETE. ``dest`` is None when the key is absent."""
    if patch is None:
        return DELETE
    if isinstance(patch, Map):
        return _merge_map(dest, patch, path, schema)
    if isinstance(patch, Seq):
        return _merge_seq(dest, patch, path, schema)
    return patch


def _merge_map(dest: Any, patch: Map, path: tuple[Any, ...], schema: bool) -> Any:
    directive = patch.items.get(DIRECTIVE)
    if directive == "delete":
        return DELETE
    if not isinstance(dest, Map) or directive == "replace":
        return added(patch, path, schema)
    for key, value in patch.items.items():
        if key == DIRECTIVE:
            continue
        present = key in dest.items
        old = dest.items.get(key)
        merged = _merge(old, value, (*path, key), schema)
        if merged is DELETE:
            dest.pop(key)
        elif present and merged is old and isinstance(old, Map | Seq):
            continue  # merged into the base's mapping or keyed list: its key still stands
        else:
            dest.set(key, merged, patch.at[key])
    dest.open = dest.open or patch.open
    return dest


def added(patch: Any, path: tuple[Any, ...], schema: bool) -> Any:
    """A patch value with no base counterpart, as kustomize adds it: directives consumed,
    null keys dropped, items marked ``$patch: delete`` left out."""
    if isinstance(patch, Map):
        out = Map(open=patch.open)
        for key, value in patch.items.items():
            if key == DIRECTIVE or value is None:
                continue
            if isinstance(value, Map) and value.items.get(DIRECTIVE) == "delete":
                continue
            out.set(key, added(value, (*path, key), schema), patch.at[key])
        return out
    if isinstance(patch, Seq):
        keys = merge_keys(path) if schema else None
        if keys is None:
            return copy(patch)
        out_seq = Seq()
        for item, where in zip(patch.items, patch.at, strict=True):
            if isinstance(item, Map) and DIRECTIVE in item.items:
                if item.items[DIRECTIVE] == "delete" or len(item.items) == 1:
                    continue
            out_seq.items.append(added(item, (*path, len(out_seq.items)), schema))
            out_seq.at.append(where)
        return out_seq
    return patch


def _merge_seq(dest: Any, patch: Seq, path: tuple[Any, ...], schema: bool) -> Any:
    keys = merge_keys(path) if schema else None
    if keys is None or not isinstance(dest, Seq):
        return added(patch, path, schema)
    directive = _list_directive(patch)
    if directive == "delete":
        return DELETE
    if directive == "replace":
        return added(patch, path, schema)
    merged = (
        _merge_set(dest, patch) if keys == ("",) else _merge_keyed(dest, patch, path, keys, schema)
    )
    dest.items, dest.at = merged.items, merged.at  # in place: the base's key still stands
    return dest


def _list_directive(patch: Seq) -> str | None:
    for item in patch.items:
        if isinstance(item, Map) and len(item.items) == 1 and DIRECTIVE in item.items:
            value = item.items[DIRECTIVE]
            return value if isinstance(value, str) else None
    return None


def _merge_set(dest: Seq, patch: Seq) -> Seq:
    """A list of scalars merged as a set (``finalizers``): the patch's first."""
    out = Seq()
    for source in (patch, dest):
        for item, where in zip(source.items, source.at, strict=True):
            if item not in out.items:
                out.items.append(item)
                out.at.append(where)
    return out


def _key_of(item: Any, keys: tuple[str, ...]) -> tuple[Any, ...] | None:
    if not isinstance(item, Map):
        return None
    values = tuple(item.items.get(k) for k in keys)
    if values[0] is None:
        return None
    return values


def _covers(base: tuple[Any, ...], patch: tuple[Any, ...]) -> bool:
    """The base item's keys match the patch item's once the patch's missing secondary keys
    are taken from the base (a port written without the base's ``protocol``): kustomize
    then looks the patch item up by the base's keys, does not find it, and drops it."""
    return base[0] == patch[0] and all(
        p is None or b == p for b, p in zip(base[1:], patch[1:], strict=True)
    )


def _merge_keyed(
    dest: Seq, patch: Seq, path: tuple[Any, ...], keys: tuple[str, ...], schema: bool
) -> Seq:
    base = [
        (_key_of(item, keys), item, where) for item, where in zip(dest.items, dest.at, strict=True)
    ]
    used: set[int] = set()
    merged_first: list[tuple[Any, Any]] = []  # patch order: merged or new items
    merged_base: dict[int, tuple[Any, Any]] = {}  # base index -> merged item
    unkeyed: list[tuple[Any, Any]] = []
    for item, where in zip(patch.items, patch.at, strict=True):
        if isinstance(item, Map) and len(item.items) == 1 and DIRECTIVE in item.items:
            continue  # a list directive ($patch: merge) or a lone item directive
        key = _key_of(item, keys)
        if key is None:
            unkeyed.append((added(item, path, schema), where))
            continue
        match = next((i for i, (k, _v, _w) in enumerate(base) if k == key and i not in used), None)
        if match is None and any(k is not None and _covers(k, key) for k, _v, _w in base):
            continue
        if match is None:
            if isinstance(item, Map) and item.items.get(DIRECTIVE) == "delete":
                continue
            merged_first.append((added(item, (*path, 0), schema), where))
            continue
        used.add(match)
        _k, old, old_where = base[match]
        result = _merge(old, item, (*path, match), schema)
        if result is DELETE:
            merged_base[match] = (DELETE, old_where)
            continue
        merged_base[match] = (result, old_where)
        if len(keys) == 1:
            merged_first.append((result, old_where))
    out = Seq()
    if len(keys) == 1:
        order = merged_first + [
            (item, where) for i, (_k, item, where) in enumerate(base) if i not in used
        ]
    else:
        order = merged_first + [
            merged_base.get(i, (item, where)) for i, (_k, item, where) in enumerate(base)
        ]
    for item, where in order + unkeyed:
        if item is DELETE:
            continue
        out.items.append(item)
        out.at.append(where)
    return out
