"""The Redis key locked_scheduler claims a tick under, as the inventory's `lock_key`."""

from __future__ import annotations

from .context import FileContext, kwarg, positional


def claim_key(ctx: FileContext, receiver: str | None, job_id: object) -> str | None:
    """The Redis key a tick is claimed under, `{namespace}:claim:{job_id}:{tick}`."""
    if not isinstance(job_id, str):
        return None
    namespace = "locked_scheduler"  # LockedScheduler's default
    factory = ctx.receiver_calls.get(receiver or "")
    if factory is not None:
        given = kwarg(factory, "namespace") or positional(factory, 1)
        value = ctx.evaluator.value(given) if given is not None else None
        namespace = value if isinstance(value, str) else "{namespace}"
    return f"{namespace}:claim:{job_id}:{{tick}}"
