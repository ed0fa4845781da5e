"""Forever-loops that must run in every process: not a home-made scheduler (BGT022).

A liveness heartbeat, a watchdog keepalive, a flush of this process's metrics: one copy
per process is the point, and a lock would break it. Only clear evidence counts, since a
false "per process" hides a real replica loop (`cleanup_expired_sessions` stays reported):

- the function's name says so: heartbeat, liveness, keepalive, watchdog, health check;
  a metrics word with a flushing verb (`flush_metrics`, `push_stats`); a local cache
  (`refresh_local_cache`, `reload_memory_cache`);
- its docstring says so: one of the words above, or "every process", "per worker",
  "this process", "in-memory", "local cache" ...;
- it writes a file with its own process id (`path.write_text(str(os.getpid()))`).

Asked only of functions that loop forever with a sleep: a handful per project.
"""

from __future__ import annotations

import ast
import re

from .names import ImportTable, last_part

NAME_WORDS = ("heartbeat", "liveness", "keepalive", "watchdog", "healthcheck")
NAME_TOKENS = frozenset({"alive", "liveness", "heartbeat", "watchdog"})
# `health` alone may be a domain word (`update_health_scores`): with one of these only.
HEALTH_TOKENS = frozenset({"check", "checks", "probe", "ping", "loop", "monitor", "beat"})
METRIC_TOKENS = frozenset({"metric", "metrics", "stats", "statsd", "telemetry", "gauge", "gauges"})
FLUSH_TOKENS = frozenset({"flush", "flusher", "push", "pusher", "export", "exporter", "emit"})
LOCAL_TOKENS = frozenset({"local", "memory", "inmemory", "process"})
DOC_PHRASE = re.compile(
    r"heart-?beat|liveness|keep-?alive|watchdog|health[- ]?check"
    r"|(every|each|per|this)[- ]process|per[- ](worker|replica|pod)"
    r"|(in|on) (every|each) (worker|replica|pod)"
    r"|in-process|in-memory|local cache|process-local",
    re.IGNORECASE,
)
OWN_PROCESS = frozenset({"os.getpid", "socket.gethostname", "platform.node"})
WRITES = frozenset({"write_text", "write_bytes", "write"})


def _tokens(name: str) -> set[str]:
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()
    return {t for t in spaced.split("_") if t}


def per_process_reason(
    node: ast.FunctionDef | ast.AsyncFunctionDef, imports: ImportTable
) -> str | None:
    """Why the loop in `node` must run in every process, or None when nothing says so."""
    name = node.name
    compact = name.lower().replace("_", "")
    tokens = _tokens(name)
    health = "health" in tokens and tokens & HEALTH_TOKENS
    if any(word in compact for word in NAME_WORDS) or tokens & NAME_TOKENS or health:
        return f"its name `{name}` says it is per process"
    if tokens & METRIC_TOKENS and tokens & FLUSH_TOKENS:
        return f"its name `{name}` says it flushes this process's metrics"
    if "cache" in tokens and tokens & LOCAL_TOKENS:
        return f"its name `{name}` says it refreshes this process's cache"
    doc = ast.get_docstring(node, clean=False)
    if doc:
        found = DOC_PHRASE.search(doc.split("\n\n", 1)[0])
        if found:
            return f"its docstring says '{found.group(0)}'"
    own_id = writes = False
    for inner in ast.walk(node):
        if isinstance(inner, ast.Call):
            resolved = imports.resolve(inner.func)
            if resolved in OWN_PROCESS:
                own_id = True
            elif isinstance(inner.func, ast.Attribute) and last_part(inner.func.attr) in WRITES:
                writes = True
    if own_id and writes:
        return "it writes a file of its own process"
    return None
