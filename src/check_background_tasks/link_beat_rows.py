"""django-celery-beat rows (extract/django_beat.py) are keyed by name in one table: two
rows of one name made in two places are one row, and under DatabaseScheduler a
`beat_schedule` entry is written into the table under its key at every beat start (it
replaces a row of that name). Such a row is listed once, as the entry or its first
creation."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .link import LinkedJob

SOURCE = "django_celery_beat"


def _row_name(linked: LinkedJob) -> str | None:
    job = linked.job
    if job.kind != "celery_beat" or ("source", SOURCE) not in job.extra:
        return None
    if dict(job.extra).get("id_is_expression"):
        return None  # one row per object, each named at run time: none is known to meet
    return job.name


def merge_beat_rows(jobs: list[LinkedJob]) -> list[LinkedJob]:
    if not any(_row_name(lj) for lj in jobs):
        return jobs
    entries = {
        lj.job.name
        for lj in jobs
        if lj.job.kind == "celery_beat" and lj.job.name and _row_name(lj) is None
    }
    seen: set[str] = set()
    out = []
    for linked in jobs:
        name = _row_name(linked)
        if name:
            if name in entries or name in seen:
                continue
            seen.add(name)
        out.append(linked)
    return out
