"""``python -m locked_scheduler``: ``jobs`` (list, pause, resume, remove run-time jobs) and
``status`` (every job's latest run across the cluster).

Works on Redis directly (no running scheduler needed); every change is announced, so
running replicas apply it at once.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence

from .backend import BackendError
from .jobspec import StoredJob
from .lock import RedisBackend
from .store import RedisJobStore, set_paused


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m locked_scheduler")
    commands = parser.add_subparsers(dest="command", required=True)
    jobs = commands.add_parser("jobs", help="run-time jobs stored in Redis")
    jobs.add_argument("--redis-url", required=True)
    jobs.add_argument("--namespace", default="locked_scheduler")
    actions = jobs.add_subparsers(dest="action")
    listing = actions.add_parser("list", help="list jobs (the default)")
    listing.add_argument("--json", action="store_true", help="print JSON")
    for action in ("pause", "resume", "remove"):
        actions.add_parser(action, help=f"{action} one job").add_argument("job_id")
    status = commands.add_parser("status", help="every job's latest run across the cluster")
    status.add_argument("--redis-url", required=True)
    status.add_argument("--namespace", default="locked_scheduler")
    status.add_argument("--json", action="store_true", help="print JSON")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "status":
        try:
            return asyncio.run(_status(args))
        except BackendError as error:
            print(f"error: Redis unavailable: {error}", file=sys.stderr)
            return 2
    store = RedisJobStore(args.redis_url, args.namespace)
    try:
        return asyncio.run(_run(args, store))
    except BackendError as error:
        print(f"error: Redis unavailable: {error}", file=sys.stderr)
        return 2


async def _run(args: argparse.Namespace, store: RedisJobStore) -> int:
    try:
        action = args.action or "list"
        if action == "list":
            jobs = await store.all()
            _print_jobs(list(jobs.values()), as_json=getattr(args, "json", False))
            return 0
        if await store.get(args.job_id) is None:
            print(f"error: no run-time job {args.job_id!r}", file=sys.stderr)
            return 1
        if action == "remove":
            await store.change(args.job_id, lambda old: None)
        else:
            await store.change(args.job_id, set_paused(action == "pause"))
        print(f"{action}d {args.job_id}" if action != "remove" else f"removed {args.job_id}")
        return 0
    finally:
        await store.aclose()


async def _status(args: argparse.Namespace) -> int:
    backend = RedisBackend(args.redis_url, args.namespace)
    try:
        states = await backend.job_states()
    finally:
        await backend.aclose()
        backend.close()
    if args.json:
        print(json.dumps(dict(sorted(states.items())), indent=2, sort_keys=True))
        return 0
    header = ("JOB", "LAST TICK", "OUTCOME", "LAST SUCCESS", "FAILURES", "DURATION", "REPLICA")
    rows: list[tuple[str, ...]] = [header]
    for job_id, state in sorted(states.items()):
        duration = state.get("duration_s")
        rows.append(
            (
                job_id,
                str(state.get("last_tick") or "-"),
                str(state.get("last_outcome") or "-"),
                str(state.get("last_success_at") or "never"),
                str(state.get("consecutive_failures", 0)),
                "-" if duration is None else f"{duration:.3f}s",
                str(state.get("replica") or "-"),
            )
        )
    _print_rows(rows)
    for job_id, state in sorted(states.items()):
        if state.get("consecutive_failures") and state.get("last_error"):
            print(f"{job_id}: last error at {state.get('last_error_at')}: {state['last_error']}")
    return 0


def _print_rows(rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )


def _print_jobs(jobs: list[StoredJob], as_json: bool) -> None:
    jobs.sort(key=lambda job: job.id)
    if as_json:
        print(json.dumps([json.loads(job.to_json()) for job in jobs], indent=2))
        return
    rows: list[tuple[str, ...]] = [
        ("ID", "TASK", "TRIGGER", "STATE", "PAUSED", "VERSION", "UPDATED")
    ]
    for job in jobs:
        spec = job.spec
        when = spec.run_at.isoformat() if spec.run_at else _trigger_text(spec.trigger_args)
        rows.append(
            (
                spec.id,
                spec.task,
                f"{spec.trigger}[{when}]",
                job.state,
                "yes" if spec.paused else "no",
                str(job.version),
                job.updated_at.isoformat(timespec="seconds"),
            )
        )
    _print_rows(rows)


def _trigger_text(trigger_args: dict) -> str:
    return ", ".join(f"{key}={value}" for key, value in sorted(trigger_args.items()))
