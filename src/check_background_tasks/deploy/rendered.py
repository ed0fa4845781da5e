"""What a renderer (kustomize, Helm) hands to the deploy stage: objects as deployed.

A renderer reads only ``FileFacts`` (above all ``FileFacts.manifests``), never the disk,
and returns a :class:`RenderResult`. The deploy stage then reads each rendered object as
one CronJob or workload (``extract/manifest_objects.py``), labelled with its environment,
in place of the standalone reading of every file the renderer *owns*.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..model import Location, Problem

Path = tuple[Any, ...]


@dataclass
class Rendered:
    """One object as a cluster would receive it.

    ``doc`` follows the plain-data conventions of ``extract/yaml_plain.py`` (``OPEN`` marks
    a mapping whose other keys are unknown; a ``str`` holding ``{{`` or ``TEMPLATED`` is an
    unknown value). ``positions`` maps a path (``("spec", "concurrencyPolicy")``) to where
    the value that ends up there was written: the base, the patch that set it, the template
    line, the values entry. ``origin`` is where the object is reported: the resource
    document it starts from (a base's CronJob), the template, or the values entry that
    makes this instance of a ``range``. ``environment`` names where it is deployed: the
    root kustomization's directory, a Helm release. ``sources`` lists every file that
    contributed, in the order applied.
    """

    kind: str
    doc: dict[str, Any]
    positions: dict[Path, Location]
    origin: Location
    environment: str
    sources: tuple[str, ...] = ()


@dataclass
class RenderResult:
    objects: list[Rendered] = field(default_factory=list)
    # Files whose objects the renders stand for: a base, a patch, a template. Their
    # standalone reading is dropped (a patch is not a CronJob of its own).
    owned: set[str] = field(default_factory=set)
    # (file, problem): what could not be rendered, reported as BGT900 at `info` at most
    # ("not analysed: ...") and only when the file could hold a job.
    notes: list[tuple[str, Problem]] = field(default_factory=list)

    def extend(self, other: RenderResult) -> None:
        self.objects.extend(other.objects)
        self.owned |= other.owned
        self.notes.extend(other.notes)
