"""Environments read from where plain manifests live (``clusters/c1``, ``clusters/c2`` ...).

A repository that deploys one CronJob to several clusters or environments without kustomize
or Helm keeps a copy per target directory: ``clusters/c1/kanary.yaml``,
``clusters/c2/kanary.yaml``. Two objects with the same name and namespace cannot both exist
in one cluster (the second apply replaces the first), so copies in different directories are
evidence that those directories are deployed to different places. The path segment where the
copies' directories first differ marks the environment roots (``clusters/c1``,
``clusters/c2``), and every manifest under a root belongs to it.

Pure functions of plain data (paths with forward slashes, names, namespaces), so the deploy
stage can call them for whatever objects no kustomize or Helm render has labelled.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["environment_of", "environment_roots", "infer_environments"]

# (path of the file that declares the object, metadata.name, metadata.namespace)
Placed = tuple[str, str | None, str | None]


def _directory(path: str) -> tuple[str, ...]:
    return tuple(part for part in path.split("/")[:-1] if part and part != ".")


def _templated(name: str) -> bool:
    # A Helm name such as "{{ .Release.Name }}-cleanup" is the same text in every chart:
    # it says nothing about where the copies go.
    return "{{" in name or "${" in name


def environment_roots(objects: Iterable[Placed]) -> frozenset[str]:
    """Directories that hold one copy each of an object found in several directories.

    Only a clean split counts: every copy's directory has a segment where they first differ
    (a copy that sits in the common parent itself is a base, not an environment).
    """
    dirs_by_key: dict[tuple[str, str], set[tuple[str, ...]]] = {}
    for path, name, namespace in objects:
        if not name or _templated(name):
            continue
        dirs_by_key.setdefault((name, namespace or ""), set()).add(_directory(path))
    roots: set[str] = set()
    for dirs in dirs_by_key.values():
        if len(dirs) < 2:
            continue
        depth = min(len(d) for d in dirs)
        split = next((i for i in range(depth) if len({d[i] for d in dirs}) > 1), None)
        if split is None:
            continue  # one directory is the parent of the others
        roots.update("/".join(d[: split + 1]) for d in dirs)
    return frozenset(roots)


def environment_of(path: str, roots: Iterable[str]) -> str | None:
    """The innermost root that holds `path`, or None."""
    best: str | None = None
    for root in roots:
        if path.startswith(root + "/") and (best is None or len(root) > len(best)):
            best = root
    return best


def infer_environments(objects: Iterable[Placed]) -> dict[str, str]:
    """Path -> environment root, for each given path that lies under a root."""
    placed = list(objects)
    roots = environment_roots(placed)
    if not roots:
        return {}
    out: dict[str, str] = {}
    for path, _name, _namespace in placed:
        env = environment_of(path, roots)
        if env is not None:
            out[path] = env
    return out
