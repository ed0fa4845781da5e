"""Start-up of a cached `check` run: two source trees alternately, wall and CPU time.

    python bench/bench_startup.py N OLD_SRC NEW_SRC [check arguments...]

OLD_SRC/NEW_SRC are `src` directories (e.g. `git archive <rev> src | tar -x -C /tmp/old`;
run `python -m compileall -q` on both first: this sandbox sets PYTHONDONTWRITEBYTECODE,
and a user's install has its bytecode). CPU time (user + system of the process) is the
steadier figure on a shared machine; wall time is what a person waits.
"""

import os
import statistics
import subprocess
import sys
import time

DEFAULT = ["check", "fixtures/sample-service"]


def main() -> None:
    runs, sources, args = int(sys.argv[1]), sys.argv[2:4], sys.argv[4:] or DEFAULT
    os.chdir(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    # One cache directory per tree: a shared one would be rebuilt at every run, each tree's
    # index replacing the other's, and neither run would be a cached one.
    commands = {
        source: [
            sys.executable,
            "-m",
            "check_background_tasks",
            *args,
            "--cache-dir",
            f"/tmp/bench-startup-cache-{number}",
        ]
        for number, source in enumerate(sources)
    }
    wall: dict[str, list[float]] = {s: [] for s in sources}
    cpu: dict[str, list[float]] = {s: [] for s in sources}
    for source in sources:  # fill the cache
        subprocess.run(
            commands[source], env={**os.environ, "PYTHONPATH": source}, capture_output=True
        )
    for _ in range(runs):
        for source in sources:
            started = time.perf_counter()
            process = subprocess.Popen(
                commands[source],
                env={**os.environ, "PYTHONPATH": source},
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            _, _, usage = os.wait4(process.pid, 0)
            wall[source].append(time.perf_counter() - started)
            cpu[source].append(usage.ru_utime + usage.ru_stime)
    for source in sources:
        print(
            f"{source}: wall median {statistics.median(wall[source]) * 1000:.1f} ms, "
            f"CPU median {statistics.median(cpu[source]) * 1000:.1f} ms "
            f"(min {min(cpu[source]) * 1000:.1f}), {runs} runs"
        )


if __name__ == "__main__":
    main()
