"""Build small projects in a temporary directory and run the real pipeline on them."""

from __future__ import annotations

import textwrap
from pathlib import Path

from check_background_tasks import checker
from check_background_tasks.config import Config
from check_background_tasks.engine import scan
from check_background_tasks.link import Project
from check_background_tasks.model import Finding


def write_tree(root: Path, files: dict[str, str | bytes]) -> Path:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content), encoding="utf-8")
    return root


def project_of(root: Path, files: dict[str, str | bytes], config: Config | None = None) -> Project:
    write_tree(root, files)
    return scan([str(root)], config or Config(), jobs=1).project


def records(root: Path, files: dict[str, str | bytes]) -> list[dict]:
    return [lj.job.record() for lj in project_of(root, files).jobs]


def findings(
    root: Path, files: dict[str, str | bytes], config: Config | None = None, code: str | None = None
) -> list[Finding]:
    config = config or Config(select=["ALL"])
    found = checker.run(project_of(root, files, config), config).findings
    return [f for f in found if code is None or f.code == code]


# A two-file service: one unlocked job (BGT020) and one guarded by a lock decorator.
SMALL_SERVICE = {
    "svc/__init__.py": "",
    "svc/jobs.py": """
        def cleanup():
            return 0

        @single_instance
        def refresh():
            return 1
        """,
    "svc/scheduler.py": """
        from apscheduler.schedulers.background import BackgroundScheduler
        from svc.jobs import cleanup, refresh

        scheduler = BackgroundScheduler()
        scheduler.add_job(cleanup, "interval", minutes=5, id="cleanup")
        scheduler.add_job(refresh, "cron", hour=3, id="refresh")
        """,
}
