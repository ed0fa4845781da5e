"""Kustomization files of a project and what each uses: entries, directories, roots.

A kustomization is a file named ``kustomization.yaml``, ``kustomization.yml`` or
``Kustomization``; its directory is what other kustomizations name in ``resources``,
``bases`` or ``components``. A *root* is a kustomization no other one uses: what a
``kubectl apply -k`` (or an Argo CD application) deploys, and so an environment.

Paths are the project's (``FileFacts.path``: relative, forward slashes); an entry is
resolved against its kustomization's directory. An entry that names a remote base (a URL,
``github.com/...``, ``git::...``, ``?ref=``) or leaves the scanned tree cannot be read here.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ..model import FileFacts, Location, Manifest

KUSTOMIZATION_NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
KUSTOMIZATION_KINDS = ("Kustomization", "Component")
# Flux's `Kustomization` custom resource is another thing with the same kind.
_FLUX_API = "kustomize.toolkit.fluxcd.io"
_REMOTE_PREFIXES = (
    "git::",
    "git@",
    "ssh:",
    "http:",
    "https:",
    "github.com/",
    "gitlab.com/",
    "bitbucket.org/",
)
_FILE_SUFFIXES = (".yaml", ".yml", ".json")


def is_remote(entry: str) -> bool:
    """A remote base or resource: a URL, a git repository, a pinned ``?ref=``."""
    text = entry.strip()
    return "://" in text or text.startswith(_REMOTE_PREFIXES) or "?ref=" in text


def looks_like_file(entry: str) -> bool:
    return entry.strip().endswith(_FILE_SUFFIXES)


_JOINED: dict[tuple[str, str], str] = {}


def join(directory: str, entry: str) -> str:
    """``entry`` resolved against ``directory`` ("" is the project's top)."""
    key = (directory, entry)
    found = _JOINED.get(key)
    if found is None:
        if len(_JOINED) > 100_000:
            _JOINED.clear()
        path = posixpath.normpath(posixpath.join(directory, entry.strip()))
        found = _JOINED[key] = "" if path == "." else path
    return found


def directory_of(path: str) -> str:
    return path.rpartition("/")[0]


@dataclass
class Kustomization:
    """One kustomization file; ``manifest`` is None when it could not be read."""

    directory: str
    file: str
    manifest: Manifest | None
    duplicate: str | None = None  # a second kustomization file in the same directory

    def __post_init__(self) -> None:
        doc = self.manifest.doc if self.manifest is not None else None
        self.doc: dict[str, Any] = doc if isinstance(doc, dict) else {}

    @property
    def is_component(self) -> bool:
        return self.manifest is not None and self.manifest.kind == "Component"

    def location(self, *path: Any) -> Location:
        """Where the key at ``path`` is written (the file's first key when unknown)."""
        manifest = self.manifest
        if manifest is None:
            return Location(self.file, 1, 1)
        found = manifest.positions.get(path)
        if found is None:
            return Location(self.file, manifest.line, manifest.column)
        return Location(self.file, found[0], found[1])

    def strings(self, key: str) -> Iterator[tuple[int, str]]:
        """(index, text) of each string entry of a list field (``resources``, ...)."""
        value = self.doc.get(key)
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            return
        for index, item in enumerate(value):
            if isinstance(item, str) and item.strip():
                yield index, item

    def entries(self, key: str) -> Iterator[tuple[int, Any]]:
        value = self.doc.get(key)
        if isinstance(value, list):
            yield from enumerate(value)

    def text(self, key: str) -> str | None:
        value = self.doc.get(key)
        return value if isinstance(value, str) and value else None


class KustomizeProject:
    """Every kustomization of the scanned files, by directory, and the files by path."""

    def __init__(self, facts: list[FileFacts]) -> None:
        self.files: dict[str, FileFacts] = {}
        self.kustomizations: dict[str, Kustomization] = {}
        for ff in facts:
            self.files[ff.path] = ff
        for ff in facts:
            name = ff.path.rpartition("/")[2]
            if name not in KUSTOMIZATION_NAMES:
                continue
            manifest = next(
                (m for m in ff.manifests if m.kind in KUSTOMIZATION_KINDS and _is_kustomize(m)),
                None,
            )
            if manifest is None and (ff.manifests or not ff.problems):
                continue  # a Flux Kustomization, or a file with nothing of kustomize's
            directory = directory_of(ff.path)
            known = self.kustomizations.get(directory)
            found = Kustomization(directory, ff.path, manifest)
            if known is None:
                self.kustomizations[directory] = found
            elif KUSTOMIZATION_NAMES.index(name) < KUSTOMIZATION_NAMES.index(_name(known.file)):
                found.duplicate = known.file
                self.kustomizations[directory] = found
            else:
                known.duplicate = ff.path

    def used_directories(self, kustomization: Kustomization) -> Iterator[str]:
        """The kustomization directories it names (resources, bases, components)."""
        for key in ("resources", "bases", "components"):
            for _index, entry in kustomization.strings(key):
                if is_remote(entry):
                    continue
                path = join(kustomization.directory, entry)
                if path in self.kustomizations and path != kustomization.directory:
                    yield path

    def use_counts(self) -> dict[str, int]:
        """How many times each kustomization directory is named as a resource or base."""
        counts: dict[str, int] = {}
        for kustomization in self.kustomizations.values():
            for key in ("resources", "bases"):
                for _index, entry in kustomization.strings(key):
                    if not is_remote(entry):
                        path = join(kustomization.directory, entry)
                        if path in self.kustomizations:
                            counts[path] = counts.get(path, 0) + 1
        return counts

    def roots(self) -> list[str]:
        """Kustomization directories no other kustomization uses, then (sorted) those
        that only a cycle reaches, each once. Components are never roots: alone they
        deploy nothing."""
        used: dict[str, set[str]] = {}
        for directory, kustomization in self.kustomizations.items():
            used[directory] = set(self.used_directories(kustomization))
        named = set().union(*used.values()) if used else set()
        roots = sorted(d for d in self.kustomizations if d not in named)
        reached: set[str] = set()
        for root in roots:
            _reach(root, used, reached)
        for directory in sorted(self.kustomizations):
            if directory not in reached:
                roots.append(directory)
                _reach(directory, used, reached)
        return [d for d in roots if not self.kustomizations[d].is_component]

    def owned(self) -> set[str]:
        """Every file a kustomization uses: itself, its resources, its patches."""
        out: set[str] = set()
        for kustomization in self.kustomizations.values():
            out.add(kustomization.file)
            if kustomization.duplicate:
                out.add(kustomization.duplicate)
            out.update(self.local_files(kustomization))
        return out

    def local_files(self, kustomization: Kustomization) -> Iterator[str]:
        directory = kustomization.directory
        for key in ("resources", "bases", "components", "patchesStrategicMerge"):
            for _index, entry in kustomization.strings(key):
                if "\n" in entry or is_remote(entry):
                    continue
                path = join(directory, entry)
                if path not in self.kustomizations:
                    yield path
        for key in ("patches", "patchesJson6902"):
            for _index, entry in kustomization.entries(key):
                if isinstance(entry, dict) and isinstance(entry.get("path"), str):
                    yield join(directory, entry["path"])
                elif isinstance(entry, str) and "\n" not in entry:
                    yield join(directory, entry)  # kustomize v3's `patches: [file.yaml]`


def _reach(start: str, used: dict[str, set[str]], reached: set[str]) -> None:
    """Add ``start`` and every directory it uses, transitively, to ``reached``."""
    todo = [start]
    reached.add(start)
    while todo:
        for child in used[todo.pop()]:
            if child not in reached:
                reached.add(child)
                todo.append(child)


def _is_kustomize(manifest: Manifest) -> bool:
    doc = manifest.doc
    if not isinstance(doc, dict):
        return False
    api = doc.get("apiVersion")
    return not (isinstance(api, str) and api.startswith(_FLUX_API))


def _name(path: str) -> str:
    return path.rpartition("/")[2]
