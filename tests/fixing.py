"""Run the real pipeline on a small project, then the fix engine on its findings, the way
`check --fix/--diff/--add-noqa` does (the same scan and checker calls as the CLI)."""

from __future__ import annotations

import os
from pathlib import Path

from helpers import write_tree

from check_background_tasks import checker
from check_background_tasks.config import Config
from check_background_tasks.engine import scan
from check_background_tasks.fix import FixRun, Mode, apply
from check_background_tasks.model import Finding


def analyse(root: Path, config: Config | None = None) -> tuple[list[Finding], object]:
    config = config or Config(select=["ALL"])
    here = os.getcwd()
    os.chdir(root)
    try:
        project = scan(["."], config, jobs=1).project
        return checker.run(project, config).findings, project
    finally:
        os.chdir(here)


def fix(
    root: Path,
    files: dict[str, str | bytes] | None = None,
    mode: Mode = "fix",
    unsafe: bool = False,
    codes: tuple[str, ...] = (),
    config: Config | None = None,
) -> FixRun:
    if files:
        write_tree(root, files)
    found, project = analyse(root, config)
    if codes:
        found = [f for f in found if f.code in codes]
    return apply(found, mode=mode, unsafe=unsafe, root=root, project=project)  # type: ignore[arg-type]


def codes_left(root: Path, config: Config | None = None) -> list[str]:
    return sorted(f.code for f in analyse(root, config)[0])
