"""Settings a scheduler gives all its jobs: time zone and job stores.

A job inherits what its scheduler is configured with, and that configuration is usually
written somewhere else than the job: in the scheduler's constructor, a later
`configure(...)` / `add_jobstore(...)`, a Celery config module or Django settings. Each is
recorded as one `(owner, key, value, line)` row of `FileFacts.scheduler_settings`; the
project pass (`scheduler_config.py`) joins them to the jobs.

owner is the receiver as written (`scheduler`, `self.sched`) for APScheduler and huey, or
one of CELERY / DJANGO / FLASK for settings that name no object. A value this reading
cannot know is UNKNOWN_VALUE (never a guess).

| owner | key | value |
|---|---|---|
| receiver | `class` | dotted class of the scheduler built here |
| receiver | `timezone` | zone name |
| receiver | `jobstore` | (alias, state, class name); state persistent, memory or unknown |
| receiver | `jobstores` | UNKNOWN_VALUE: stores configured in a way not read here |
| receiver | `utc` | huey's `utc=` flag |
| CELERY | `timezone`, `enable_utc` | Celery's settings (any spelling) |
| CELERY | `django_settings` | True: the app reads Django's settings |
| DJANGO | `TIME_ZONE` | Django's zone, which Celery uses when it reads Django settings |
| DJANGO | `celery_keys` | True: this settings file also holds CELERY_* settings |
| FLASK | `timezone`, `jobstore` | Flask-APScheduler's SCHEDULER_TIMEZONE / SCHEDULER_JOBSTORES |
"""

from __future__ import annotations

import ast
from typing import Any

from ..scheduler_config import CELERY, DJANGO, FLASK, UNKNOWN_VALUE
from .context import CallSite, FileContext, arg_value, kwarg, named_args, positional
from .names import CallValue, DeferredNode, last_part, resolves_into, strip_env

CALL_NAMES = frozenset({"configure", "add_jobstore", "config_from_object", "update"})

APSCHEDULER_KINDS = ("apscheduler", "apscheduler4", "locked_scheduler")

# APScheduler's job store plugins (entry points) and classes; django_apscheduler's store.
PERSISTENT_ALIASES = frozenset({"sqlalchemy", "redis", "mongodb", "rethinkdb", "zookeeper", "etcd"})
PERSISTENT_CLASSES = frozenset(
    {
        "SQLAlchemyJobStore",
        "RedisJobStore",
        "MongoDBJobStore",
        "RethinkDBJobStore",
        "ZooKeeperJobStore",
        "EtcdJobStore",
        "DjangoJobStore",
    }
)
UTC_NAMES = frozenset({"utc", "UTC"})

# Celery settings by every spelling: new lower-case, old upper-case, Django namespace.
CELERY_TIMEZONE_NAMES = frozenset({"CELERY_TIMEZONE"})
CELERY_UTC_NAMES = frozenset({"CELERY_ENABLE_UTC"})
# Module-level names that make a bare `timezone = ...` a Celery config module's setting.
CELERY_CONFIG_NAMES = frozenset(
    {"beat_schedule", "broker_url", "result_backend", "task_serializer", "enable_utc", "imports"}
)

Row = tuple[str, str, Any, int]


def collect(ctx: FileContext) -> None:
    rows: list[Row] = []
    for text, call in ctx.receiver_calls.items():
        kind = ctx.receivers.get(text)
        if kind in APSCHEDULER_KINDS:
            rows.append((text, "class", ctx.receiver_classes.get(text, ""), _line(ctx, call)))
            _scheduler_options(ctx, text, call, rows)
        elif kind == "huey":
            utc = ctx.evaluator.value(kwarg(call, "utc") or ast.Constant(True))
            if kwarg(call, "utc") is not None:
                value = utc if isinstance(utc, bool) else UNKNOWN_VALUE
                rows.append((text, "utc", value, _line(ctx, call)))
        elif kind == "celery_app":
            _celery_options(ctx, call, rows)
    for site in ctx.calls:
        _call(ctx, site, rows)
    _assignments(ctx, rows)
    ctx.scheduler_settings.extend(rows)


def _line(ctx: FileContext, node: ast.AST) -> int:
    return ctx.position(node)[0]


def _is_scheduler(ctx: FileContext, text: str | None) -> bool:
    if not text:
        return False
    kind = ctx.receiver_kind(text)
    if kind is not None:
        return kind in APSCHEDULER_KINDS
    return "sched" in last_part(text).lower()


def _call(ctx: FileContext, site: CallSite, rows: list[Row]) -> None:
    receiver = site.receiver_text
    method = site.method
    call = site.node
    if method == "configure" and _is_scheduler(ctx, receiver):
        assert receiver is not None
        _scheduler_options(ctx, receiver, call, rows)
    elif method == "add_jobstore" and _is_scheduler(ctx, receiver):
        assert receiver is not None
        store = arg_value(call, 0, "jobstore")
        alias_node = arg_value(call, 1, "alias")
        alias = ctx.evaluator.value(alias_node) if alias_node is not None else "default"
        if store is not None:
            value = ctx.evaluator.value(store)
            state, name = _store_state(ctx, value)
            alias_text = alias if isinstance(alias, str) else UNKNOWN_VALUE
            rows.append((receiver, "jobstore", (alias_text, state, name), _line(ctx, call)))
    elif method == "config_from_object":
        source = ctx.evaluator.value(arg_value(call, 0, "obj") or ast.Constant(None))
        if isinstance(source, str) and source.startswith("django.conf"):
            rows.append((CELERY, "django_settings", True, _line(ctx, call)))
    elif method == "update" and last_part(receiver) == "conf":
        options: dict[str, Any] = {arg.name: arg.value for arg in named_args(call)}
        first = positional(call, 0)
        if first is not None:
            mapping = ctx.evaluator.value(first)
            if isinstance(mapping, dict):
                options.update(
                    {k: v.node for k, v in mapping.items() if isinstance(v, DeferredNode)}
                )
        for key, node in options.items():
            _celery_setting(ctx, key, node, rows)


def _scheduler_options(ctx: FileContext, owner: str, call: ast.Call, rows: list[Row]) -> None:
    line = _line(ctx, call)
    unpacked = any(kw.arg is None for kw in call.keywords) or any(
        isinstance(a, ast.Starred) for a in call.args
    )
    options: dict[str, Any] = {}
    gconfig = arg_value(call, 0, "gconfig")
    if gconfig is not None:
        mapping = ctx.evaluator.value(gconfig)
        if isinstance(mapping, dict):
            options.update(_from_gconfig(ctx, mapping))
        else:
            unpacked = True
    for arg in named_args(call):
        if arg.name != "gconfig":
            options[arg.name] = arg.value  # a node: read below
    if "timezone" in options:
        rows.append((owner, "timezone", _zone_of(ctx, options["timezone"]), line))
    elif unpacked:
        rows.append((owner, "timezone", UNKNOWN_VALUE, line))
    if "jobstores" in options:
        stores = options["jobstores"]
        if isinstance(stores, ast.AST):
            stores = ctx.evaluator.value(stores)
        _stores(ctx, owner, stores, line, rows)
    elif unpacked:
        rows.append((owner, "jobstores", UNKNOWN_VALUE, line))


def _zone_of(ctx: FileContext, value: Any) -> str:
    return _zone_of_node(ctx, value) if isinstance(value, ast.expr) else zone_name(ctx, value)


def _from_gconfig(ctx: FileContext, mapping: dict[Any, Any]) -> dict[str, Any]:
    """{'apscheduler.timezone': ..., 'apscheduler.jobstores.default': {...}} as options."""
    options: dict[str, Any] = {}
    stores: dict[str, Any] = {}
    for key, value in mapping.items():
        if not isinstance(key, str) or not key.startswith("apscheduler."):
            continue
        name = key[len("apscheduler.") :]
        resolved = ctx.evaluator.resolved(value)
        if name == "timezone":
            options["timezone"] = resolved
        elif name.startswith("jobstores."):
            alias, _, option = name[len("jobstores.") :].partition(".")
            if option:  # 'apscheduler.jobstores.default.type': 'sqlalchemy'
                entry = stores.setdefault(alias, {})
                if isinstance(entry, dict):
                    entry[option] = resolved
            else:
                stores[alias] = resolved
    if stores:
        options["jobstores"] = stores
    return options


def _stores(ctx: FileContext, owner: str, value: Any, line: int, rows: list[Row]) -> None:
    if not isinstance(value, dict):
        rows.append((owner, "jobstores", UNKNOWN_VALUE, line))
        return
    for alias, store in value.items():
        state, name = _store_state(ctx, ctx.evaluator.resolved(store))
        alias_text = alias if isinstance(alias, str) else UNKNOWN_VALUE
        rows.append((owner, "jobstore", (alias_text, state, name), line))


def _store_state(ctx: FileContext, value: Any) -> tuple[str, str]:
    """(persistent | memory | unknown, the store's class or plugin name)."""
    if isinstance(value, CallValue):
        name = last_part(value.func)
        if name in PERSISTENT_CLASSES:
            return "persistent", name
        if name == "MemoryJobStore":
            return "memory", name
        return "unknown", name
    if isinstance(value, str):
        return _alias_state(value)
    if isinstance(value, dict):
        plugin = ctx.evaluator.resolved(value.get("type"))
        if isinstance(plugin, str):
            return _alias_state(plugin)
        cls = ctx.evaluator.resolved(value.get("class"))
        if isinstance(cls, str):
            name = cls.replace(":", ".").rpartition(".")[2]
            if name in PERSISTENT_CLASSES:
                return "persistent", name
            if name == "MemoryJobStore":
                return "memory", name
            return "unknown", name
    return "unknown", ""


def _alias_state(alias: str) -> tuple[str, str]:
    if alias in PERSISTENT_ALIASES:
        return "persistent", alias
    if alias == "memory":
        return "memory", alias
    return "unknown", alias


def zone_name(ctx: FileContext, value: Any) -> str:
    """A zone's name from `"Europe/Paris"`, `ZoneInfo("...")`, `pytz.timezone("...")`,
    `pytz.utc` / `timezone.utc`; UNKNOWN_VALUE otherwise."""
    value = ctx.evaluator.resolved(value)
    value = strip_env(value)
    if isinstance(value, str) and value.strip():
        return value.strip()
    if isinstance(value, CallValue):
        if value.args and isinstance(strip_env(value.args[0]), str):
            return str(strip_env(value.args[0]))
        if last_part(value.func) in UTC_NAMES or value.func.endswith(("utc", "UTC")):
            return "UTC"  # dateutil.tz.tzutc(), tz.UTC()
    return UNKNOWN_VALUE


def _zone_of_node(ctx: FileContext, node: ast.expr) -> str:
    """As zone_name, plus attribute constants such as `pytz.utc` and `datetime.timezone.utc`."""
    dotted = ctx.imports.resolve(node)
    if dotted and last_part(dotted) in UTC_NAMES and "." in dotted:
        return "UTC"
    return zone_name(ctx, ctx.evaluator.value(node))


def _celery_options(ctx: FileContext, call: ast.Call, rows: list[Row]) -> None:
    """Celery("proj", timezone=..., enable_utc=...): keyword settings of the app."""
    for arg in named_args(call):
        _celery_setting(ctx, arg.name, arg.value, rows)


def _celery_setting(ctx: FileContext, key: str, node: ast.expr, rows: list[Row]) -> None:
    line = _line(ctx, node)
    if key in ("timezone", "CELERY_TIMEZONE"):
        rows.append((CELERY, "timezone", _zone_of_node(ctx, node), line))
    elif key in ("enable_utc", "CELERY_ENABLE_UTC"):
        value = strip_env(ctx.evaluator.value(node))
        rows.append(
            (CELERY, "enable_utc", value if isinstance(value, bool) else UNKNOWN_VALUE, line)
        )


def _assignments(ctx: FileContext, rows: list[Row]) -> None:
    bare = {a.target_text for a in ctx.assigns if a.module_level and a.subscript_key is None}
    celery_config = bool(bare & CELERY_CONFIG_NAMES)
    celery_keys = False
    for assign in ctx.assigns:
        if assign.subscript_key is not None:
            continue
        target = assign.target_text
        name = last_part(target)
        if name.startswith("CELERY"):
            celery_keys = True
        if "." in target:
            if ".conf." in f".{target}" or target.startswith("conf."):
                _celery_setting(ctx, name, assign.value, rows)
            continue
        bare_celery = name in ("timezone", "enable_utc") and assign.module_level and celery_config
        if name in CELERY_TIMEZONE_NAMES or name in CELERY_UTC_NAMES or bare_celery:
            _celery_setting(ctx, name, assign.value, rows)
        elif name == "TIME_ZONE":
            rows.append(
                (DJANGO, "TIME_ZONE", _zone_of_node(ctx, assign.value), _line(ctx, assign.node))
            )
        elif name == "SCHEDULER_TIMEZONE":
            rows.append(
                (FLASK, "timezone", _zone_of_node(ctx, assign.value), _line(ctx, assign.node))
            )
        elif name == "SCHEDULER_JOBSTORES":
            _stores(ctx, FLASK, ctx.evaluator.value(assign.value), _line(ctx, assign.node), rows)
    if celery_keys:
        rows.append((DJANGO, "celery_keys", True, 1))


def is_flask_scheduler(dotted: str | None) -> bool:
    return resolves_into(dotted, "flask_apscheduler")
