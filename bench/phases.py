"""Where one cold scan of the current directory spends its time: extraction (discovery,
prefilter, the first reading), then the later reading rounds with link and deploy; with the
files parsed and the CPU of this process and of its workers.

    cd TREE && PYTHONPATH=SRC python /path/to/bench/phases.py

Run it alternately with two source trees (both byte-compiled) to compare them on one tree.
"""

from __future__ import annotations

import resource
import time

from check_background_tasks import engine
from check_background_tasks.config import load


def main() -> None:
    config = load(["."], None)
    start = time.perf_counter()
    run = engine._Run(["."], config, None, None, None, None, None)
    extracted = time.perf_counter()
    first = run.planner.tasks
    megabytes = sum(len(task.source or b"") for task in first) / 1e6
    project = run.project()
    done = time.perf_counter()
    own = resource.getrusage(resource.RUSAGE_SELF)
    workers = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(
        f"first reading {len(first)} files ({megabytes:.2f} MB), {len(project.facts)} in all"
        f" | extraction {extracted - start:.3f} s, rounds+link+deploy {done - extracted:.3f} s"
        f" | CPU {own.ru_utime + own.ru_stime:.2f} s here,"
        f" {workers.ru_utime + workers.ru_stime:.2f} s in workers"
    )


if __name__ == "__main__":
    main()
