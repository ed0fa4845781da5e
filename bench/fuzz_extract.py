"""Coverage-guided fuzzing of the per-file extractor with atheris (libFuzzer for Python).

The invariant is the one issue 5 sets for every file: `extract(path, source)` returns a
`FileFacts` (bad input becomes a problem with a message, a BGT900 finding), whatever the
bytes, and it never raises. Any exception is a crash; libFuzzer saves the input as
`crash-<sha1>` in the current directory, and `-timeout=N` turns a slow input into a saved
`timeout-<sha1>`.

atheris is an optional dependency, not in pyproject.toml:

    pip install atheris

Usage (arguments other than --target and --allow are libFuzzer's):

    python bench/fuzz_extract.py --target=py -max_total_time=180 -timeout=20
    python bench/fuzz_extract.py --target=yaml -max_total_time=180 -timeout=20
    python bench/fuzz_extract.py --target=procfile -atheris_runs=200000
    python bench/fuzz_extract.py --target=py crash-0123abcd   # replay one input
    python bench/fuzz_extract.py --target=py --allow=RecursionError   # past a known bug

Targets: py (the ast collector, and libcst's rewrite of grammar newer than this Python),
yaml (Kubernetes, compose), json (app.json), procfile. The first input byte
picks a prefix that gets the bytes past the cheap checks ("import asyncio..." for Python,
"kind: CronJob" for YAML ...) and, from 0x40 up, how many times the rest is repeated;
byte 0 means no prefix and no repeat, so a real file prefixed with b"\\x00" is replayed
verbatim. Without a corpus directory on the command line the script uses
$FUZZ_CORPUS/<target> (default /tmp/check-background-tasks-fuzz/<target>), seeded from
fixtures/ on first use.
"""

from __future__ import annotations

import builtins
import contextlib
import importlib
import os
import pkgutil
import sys
from pathlib import Path

try:
    import atheris
except ImportError:  # replaying inputs (tests/robustness/test_fuzz_regressions.py) needs none
    atheris = None

if atheris is not None and __name__ == "__main__":
    instrumented = atheris.instrument_imports(include=["check_background_tasks", "yaml"])
else:
    instrumented = contextlib.nullcontext()
with instrumented:
    import check_background_tasks.extract as extract_package
    from check_background_tasks.extract import extract
    from check_background_tasks.model import FileFacts

    # The package imports its extractors lazily; load them now so they are instrumented.
    for _module in pkgutil.iter_modules(extract_package.__path__):
        importlib.import_module(f"{extract_package.__name__}.{_module.name}")

ROOT = Path(__file__).resolve().parent.parent

PY_PREFIXES = (
    b"",
    b"import asyncio\nasyncio.create_task(x)\n",
    b"from apscheduler.schedulers.background import BackgroundScheduler\n"
    b"scheduler = BackgroundScheduler()\nscheduler.add_job(job, 'cron', minute='*/5')\n",
    b"from celery import Celery\napp = Celery()\napp.conf.beat_schedule = {\n",
    b"@app.task\ndef t():\n    ",
)
YAML_PREFIXES = (
    b"",
    b"kind: CronJob\n",
    b"apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: x}\nspec:\n  ",
    b"apiVersion: apps/v1\nkind: Deployment\nspec:\n  replicas: 3\n  ",
    b"services:\n  beat:\n    command: celery -A app beat\n    ",
    b"apiVersion: v1\nkind: List\nitems:\n- ",
)
JSON_PREFIXES = (b"", b'{"formation": {"clock": {"quantity": 2}}, "scripts": ')
PROCFILE_PREFIXES = (b"", b"web: gunicorn app:app\n", b"beat: celery -A app beat\n")

# target -> (file name given to extract, prefixes)
TARGETS = {
    "py": ("pkg/mod.py", PY_PREFIXES),
    "yaml": ("deploy/cron.yaml", YAML_PREFIXES),
    "json": ("app.json", JSON_PREFIXES),
    "procfile": ("Procfile", PROCFILE_PREFIXES),
}
SEED_SUFFIXES = {
    "py": (".py",),
    "yaml": (".yaml", ".yml"),
    "json": (".json",),
    "procfile": ("Procfile",),
}


def make_input(target: str, data: bytes) -> tuple[str, bytes]:
    """(path, source) that one fuzz input stands for: the first byte picks the prefix
    (its low 3 bits) and, from 0x40 up, repeats the rest 8 to 1536 times (deep nesting and
    long chains — `'a' 'a' ...`, `1 + 1 + ...` — that mutations alone rarely reach)."""
    path, prefixes = TARGETS[target]
    if not data:
        return path, b""
    head, body = data[0], data[1:]
    repeat = 1 if head < 0x40 else (head - 0x3F) * 8
    return path, prefixes[(head & 7) % len(prefixes)] + body * repeat


def check_one(target: str, data: bytes, allowed: tuple[type[BaseException], ...] = ()) -> None:
    path, source = make_input(target, data)
    try:
        facts = extract(path, source, "pkg.mod", False)
    except allowed:  # a known bug, while it waits for its fix: look for others
        return
    if not isinstance(facts, FileFacts):
        raise AssertionError(f"extract returned {type(facts).__name__}, not FileFacts")
    for problem in facts.problems:
        if not problem.message:
            raise AssertionError("a problem without a message")


def seed_corpus(target: str, directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    if any(directory.iterdir()):
        return
    suffixes = SEED_SUFFIXES[target]
    for number, path in enumerate(sorted((ROOT / "fixtures").rglob("*"))):
        if path.is_file() and path.name.endswith(suffixes):
            data = path.read_bytes()
            if len(data) <= 64 * 1024:
                (directory / f"seed-{number}").write_bytes(b"\x00" + data)
    (directory / "seed-empty").write_bytes(b"\x01")


def main(argv: list[str]) -> None:
    target = "py"
    allowed: list[type[BaseException]] = []
    rest = [argv[0]]
    for arg in argv[1:]:
        if arg.startswith("--target="):
            target = arg.split("=", 1)[1]
        elif arg.startswith("--allow="):  # e.g. --allow=RecursionError
            allowed.append(getattr(builtins, arg.split("=", 1)[1]))
        else:
            rest.append(arg)
    if atheris is None:
        sys.exit("atheris is not installed: pip install atheris")
    if target not in TARGETS:
        sys.exit(f"unknown --target {target!r}; one of {', '.join(TARGETS)}")
    if not any(not arg.startswith("-") for arg in rest[1:]):  # no corpus dir or input given
        base = Path(os.environ.get("FUZZ_CORPUS", "/tmp/check-background-tasks-fuzz"))
        corpus = base / target
        seed_corpus(target, corpus)
        rest.append(str(corpus))
    atheris.Setup(rest, lambda data: check_one(target, data, tuple(allowed)))
    atheris.Fuzz()


if __name__ == "__main__":
    main(sys.argv)
