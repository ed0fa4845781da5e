"""A container's command line → the programs it leaves running, and how many processes each.

Pure text work: no file is looked up here (deploy/processes.py resolves scripts, config
files and modules against the project). Recognised:

- wrappers skipped over: ``exec``, ``env VAR=x``, ``dumb-init``, ``tini``, ``gosu user``,
  ``poetry run``, ``uv run``, ``ddtrace-run``, ``VAR=x cmd`` ...;
- ``sh -c "..."`` scripts: ``a && b`` leaves ``b`` running (``a`` ran to completion),
  ``a & b`` leaves both;
- app servers: gunicorn (``-w``/``--workers``, ``-c``, ``--preload``, ``WEB_CONCURRENCY``,
  ``GUNICORN_CMD_ARGS``), uvicorn (``--workers``, ``WEB_CONCURRENCY``, ``--reload``,
  ``--lifespan off``), hypercorn (``-w``), daphne, granian (``--workers``), uWSGI
  (``--processes``), waitress-serve, ``fastapi run``, ``flask run``, ``manage.py
  runserver``; ``python -m <server>`` alike;
- ``python path/script.py`` and ``python -m pkg`` (the module runs as ``__main__``);
- task workers (celery, rq, dramatiq, arq, taskiq, huey) and Django management commands;
- supervisord (its programs are read by the caller) and programs known not to be Python.

Anything else is "unknown": a process the model cannot rule out.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, replace

MAX_DEPTH = 4
MAX_WORDS = 2000


@dataclass(frozen=True)
class Count:
    """How many processes: at least `low`, at most `high` (None: no bound known)."""

    low: int
    high: int | None
    evidence: tuple[tuple[str, str], ...] = ()  # (what, where): ("3 replicas", "k8s/web.yaml:9")

    @property
    def exact(self) -> int | None:
        return self.low if self.high == self.low else None

    def times(self, other: Count) -> Count:
        high = None if self.high is None or other.high is None else self.high * other.high
        # a factor of exactly one explains nothing next to one that is more
        if self.exact == 1 and other.exact != 1 and other.evidence:
            evidence = other.evidence
        elif other.exact == 1 and self.exact != 1 and self.evidence:
            evidence = self.evidence
        else:
            evidence = self.evidence + other.evidence
        return Count(self.low * other.low, high, evidence)

    def plus(self, other: Count) -> Count:
        high = None if self.high is None or other.high is None else self.high + other.high
        return Count(self.low + other.low, high, self.evidence + other.evidence)

    def number(self) -> str:
        if self.exact is not None:
            return str(self.exact)
        if self.high is None:
            return f"at least {self.low}" if self.low > 1 else "an unknown number of"
        return f"{self.low} to {self.high}"

    def why(self) -> str:
        """`3 replicas (k8s/web.yaml:9) x 4 gunicorn workers (gunicorn.conf.py:2)`, with a
        multiplication sign."""
        parts = [f"{what} ({where})" if where else what for what, where in self.evidence]
        return " \u00d7 ".join(parts)


ONE = Count(1, 1)
UNBOUNDED = Count(1, None)


@dataclass(frozen=True)
class Program:
    """One long-running program a command leaves behind."""

    kind: str  # server | script | worker | supervisord | script-file | other | unknown
    name: str  # gunicorn, uvicorn, python, celery, ... or the word as written
    app: str | None = None  # app spec (`pkg.main:app`), celery -A, a script path for fastapi
    script: str | None = None  # python <path> / a script file to follow
    module: str | None = None  # python -m <module>
    workers: Count | None = None  # from the command line; None: the server's default
    config: str | None = None  # gunicorn -c / supervisord -c / uwsgi --ini
    preload: bool = False  # the app is imported once before the workers fork
    serves: bool = True  # runs the app's start-up hooks (lifespan)
    dynamic: bool = False  # imports modules nobody names (Django apps, Celery autodiscovery)
    passthrough: bool = False  # `exec "$@"`: whatever the container's CMD is
    args: tuple[str, ...] = ()  # a script file's arguments (its "$@"), a Python script's
    env: tuple[tuple[str, str], ...] = ()  # VAR=x set on this command line
    text: str = ""  # the command as written, shortened


NOT_PYTHON = frozenset(
    {
        "nginx",
        "node",
        "npm",
        "npx",
        "yarn",
        "pnpm",
        "bun",
        "deno",
        "java",
        "caddy",
        "traefik",
        "envoy",
        "haproxy",
        "redis-server",
        "redis-sentinel",
        "postgres",
        "pg_ctl",
        "mysqld",
        "mongod",
        "memcached",
        "rabbitmq-server",
        "minio",
        "sleep",
        "tail",
        "true",
        "cat",
        "echo",
        "httpd",
        "apache2",
        "apache2ctl",
        "php-fpm",
        "dotnet",
        "ruby",
        "rails",
        "bundle",
        "go",
        "vault",
        "consul",
        "etcd",
        "grafana-server",
        "prometheus",
        "jupyter",
        "mlflow",
        "streamlit",
        "code-server",
        "chown",
        "chmod",
        "mkdir",
        "cp",
        "mv",
        "rm",
        "ls",
        "touch",
        "ln",
        "printf",
        "crond",
        "cron",
        "Xvfb",
        "x11vnc",
    }
)
WORKERS = {
    "celery": "celery",
    "celeryd": "celery",
    "celerybeat": "celery",
    "rq": "rq",
    "rqworker": "rq",
    "dramatiq": "dramatiq",
    "arq": "arq",
    "taskiq": "taskiq",
    "huey_consumer": "huey",
    "huey_consumer.py": "huey",
    "faust": "faust",
}
SERVERS = ("gunicorn", "uvicorn", "hypercorn", "daphne", "granian", "uwsgi", "waitress-serve")
SHELLS = frozenset({"sh", "bash", "ash", "dash", "zsh"})
PYTHON = re.compile(r"^python(\d+(\.\d+)?)?$|^pypy\d*$")

# Wrappers: name -> options that take a value. The wrapped command follows.
WRAPPERS: dict[str, frozenset[str]] = {
    "exec": frozenset(),
    "nice": frozenset({"-n", "--adjustment"}),
    "nohup": frozenset(),
    "dumb-init": frozenset({"-r", "--rewrite"}),
    "tini": frozenset({"-p", "-e"}),
    "catatonit": frozenset(),
    "time": frozenset(),
    "stdbuf": frozenset(),
    "ddtrace-run": frozenset(),
    "opentelemetry-instrument": frozenset(
        {
            "--traces_exporter",
            "--metrics_exporter",
            "--logs_exporter",
            "--service_name",
            "--exporter_otlp_endpoint",
        }
    ),
    "xvfb-run": frozenset({"-n", "-s", "-f", "-e"}),
    "timeout": frozenset({"-s", "-k", "--signal", "--kill-after"}),
    "chpst": frozenset({"-u", "-U", "-e", "-/", "-n", "-l", "-L", "-m", "-d", "-o", "-p"}),
}
# Wrappers followed by one positional argument before the command (a user, a duration).
WRAPPERS_WITH_ARGUMENT = frozenset(
    {"gosu", "su-exec", "setuidgid", "s6-setuidgid", "timeout", "chroot"}
)
# `<tool> run [options] <command>`
RUNNERS: dict[str, frozenset[str]] = {
    "poetry": frozenset({"-C", "--directory", "-P", "--project"}),
    "uv": frozenset(
        {
            "--with",
            "--with-requirements",
            "--project",
            "--directory",
            "--env-file",
            "--python",
            "-p",
            "--extra",
            "--group",
            "--package",
            "--index",
        }
    ),
    "pipenv": frozenset(),
    "pdm": frozenset(),
    "hatch": frozenset(),
    "rye": frozenset(),
    "pixi": frozenset({"-e", "--environment"}),
    "doppler": frozenset({"-p", "--project", "-c", "--config"}),
    "newrelic-admin": frozenset(),
    "infisical": frozenset({"--env", "--projectId"}),
}

_SEPARATORS = frozenset({";", "&&", "||", "&", "|", "\n", "(", ")"})
_VAR = re.compile(r"\$\{(\w+)(?:(:?[-=?+])([^}]*))?\}|\$(\w+)")
_SPEC = re.compile(r"^[\w.]+(?::[\w.]+(?:\(.*\))?)?$")


def short(text: str, limit: int = 70) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def expand(word: str, env: dict[str, str]) -> str:
    """`$VAR`, `${VAR}`, `${VAR:-default}` with what is known; unknown stays as written."""

    def repl(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(4)
        operator, default = match.group(2), match.group(3)
        if name in env:
            return env[name]
        if operator in (":-", "-", ":=", "="):
            return default or ""
        return match.group(0)

    for _ in range(3):  # a default may itself name a variable
        expanded = _VAR.sub(repl, word)
        if expanded == word:
            break
        word = expanded
    return word


def words_of(text: str) -> list[str]:
    """Shell words of `text`, operators (`&&`, `;`, `|`) as words of their own."""
    return list(_words(text))


@functools.lru_cache(maxsize=4096)
def _words(text: str) -> tuple[str, ...]:
    # the same command lines are read again for each round of the engine and for BGT024
    return tuple(_split(text))


_TOKEN = re.compile(
    r"""\s*(?:(&&|\|\||[;&|()])|((?:[^\s;&|()'"\\]|\\.|"(?:[^"\\]|\\.)*"|'[^']*')+))""",
    re.DOTALL,
)
_PIECE = re.compile(r"""\\(.)|"((?:[^"\\]|\\.)*)"|'([^']*)'|([^\\"']+)""", re.DOTALL)
_ESCAPED = re.compile(r"\\(.)", re.DOTALL)


def _split(text: str) -> list[str]:
    """POSIX shell words (quotes removed, as shlex in posix mode) with `;`, `&&`, `||`,
    `&`, `|` and parentheses as words; a regular expression, ten times cheaper than shlex.
    Unbalanced quotes (the shell would refuse the line) give a rough whitespace split."""
    out: list[str] = []
    position, end = 0, len(text)
    while position < end:
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            if text[position:].strip():
                return text.split()[:MAX_WORDS]  # unbalanced quotes
            break
        position = match.end()
        operator, word = match.group(1), match.group(2)
        if operator:
            out.append(operator)
        elif word:
            out.append("".join(_unquote(piece) for piece in _PIECE.finditer(word)))
        if len(out) >= MAX_WORDS:
            break
    return out


def _unquote(piece: re.Match[str]) -> str:
    escaped, double, single, plain = piece.groups()
    if escaped is not None:
        return escaped
    if double is not None:
        return _ESCAPED.sub(r"\1", double)
    return single if single is not None else plain


def programs(argv: list[str], env: dict[str, str], depth: int = 0) -> list[Program]:
    """The programs `argv` leaves running (a shell script may leave several)."""
    if not argv or depth > MAX_DEPTH:
        return []
    return list(_programs(tuple(argv), tuple(sorted(env.items())), depth))


@functools.lru_cache(maxsize=4096)
def _programs(
    argv: tuple[str, ...], env: tuple[tuple[str, str], ...], depth: int
) -> tuple[Program, ...]:
    # Pure: the same command is read for each round of the engine, the model and BGT024.
    return tuple(_program(list(argv), dict(env), depth))


def _shell(argv: list[str], env: dict[str, str], depth: int) -> list[Program] | None:
    """`sh -c "script"` (its last command and background ones) or `bash start.sh args` (the
    script file, with its arguments); None when `argv` is no shell."""
    if argv[0].rsplit("/", 1)[-1] not in SHELLS:
        return None
    for i in range(1, len(argv) - 1):
        if re.fullmatch(r"-\w*c\w*", argv[i]):
            return script_programs(argv[i + 1], env, depth + 1)
    index = _skip_options(argv[1:], frozenset({"-o", "+o"})) + 1
    if index < len(argv) and not argv[index].startswith("-"):
        script = argv[index]
        text = short(" ".join(argv))
        program = Program(
            "script-file",
            script.rsplit("/", 1)[-1],
            script=script,
            args=tuple(argv[index + 1 :]),
            text=text,
        )
        return [program]
    return [Program("unknown", argv[0], text=short(" ".join(argv)))]


def script_programs(script: str, env: dict[str, str], depth: int = 0) -> list[Program]:
    """`a && b; c & d`: the last command of the sequence and every backgrounded one."""
    return list(_script_programs(script, tuple(sorted(env.items())), depth))


@functools.lru_cache(maxsize=4096)
def _script_programs(
    script: str, env_items: tuple[tuple[str, str], ...], depth: int
) -> tuple[Program, ...]:
    return tuple(_script_programs_uncached(script, dict(env_items), depth))


def _script_programs_uncached(script: str, env: dict[str, str], depth: int) -> list[Program]:
    """`a && b; c & d`: the last command of the sequence and every backgrounded one."""
    commands: list[tuple[list[str], bool]] = []  # (argv, backgrounded)
    current: list[str] = []
    for word in words_of(script.replace("\n", " ; ")):
        if word in _SEPARATORS or (set(word) <= set(";&|()") and word):
            if current:
                commands.append((current, word == "&"))
            current = []
        else:
            current.append(word)
    if current:
        commands.append((current, False))
    running = [argv for argv, background in commands if background]
    sequential = [argv for argv, background in commands if not background]
    # A one-shot before the last command (migrate, wait-for-db) has exited by then.
    running += sequential[-1:]
    out: list[Program] = []
    for argv in running:
        out.extend(programs(argv, env, depth))
    return out


def _skip_options(args: list[str], value_options: frozenset[str]) -> int:
    i = 0
    while i < len(args):
        word = args[i]
        if word == "--":
            return i + 1
        if word in value_options:
            i += 2
        elif word.startswith("-"):
            i += 1
        else:
            return i
    return i


def _program(argv: list[str], env: dict[str, str], depth: int = 0) -> list[Program]:
    env = dict(env)
    set_here: list[tuple[str, str]] = []
    i = 0
    while i < len(argv):
        word = argv[i]
        base = word.rsplit("/", 1)[-1]
        if re.fullmatch(r"[A-Za-z_]\w*=.*", word):
            key, _, value = word.partition("=")
            env[key] = expand(value, env)
            set_here.append((key, env[key]))
            i += 1
            continue
        if base == "env":
            i += 1
            while i < len(argv) and (argv[i].startswith("-") or "=" in argv[i]):
                if argv[i] in ("-u", "--unset", "-C", "--chdir"):
                    i += 1
                elif "=" in argv[i] and not argv[i].startswith("-"):
                    key, _, value = argv[i].partition("=")
                    env[key] = expand(value, env)
                    set_here.append((key, env[key]))
                i += 1
            continue
        if base in WRAPPERS:
            i += 1 + _skip_options(argv[i + 1 :], WRAPPERS[base])
            if base == "timeout" and i < len(argv) and re.fullmatch(r"[\d.]+[smhd]?", argv[i]):
                i += 1
            continue
        if base in WRAPPERS_WITH_ARGUMENT:
            i += 2 + _skip_options(argv[i + 1 :], frozenset())
            continue
        if base in ("runuser", "sudo", "su"):
            rest = argv[i + 1 :]
            if base == "su" and "-c" in rest:
                script = rest[rest.index("-c") + 1] if rest.index("-c") + 1 < len(rest) else ""
                found = script_programs(script, env, depth + 1)
                return found or [Program("unknown", base, text=short(" ".join(argv)))]
            i += 1 + _skip_options(rest, frozenset({"-u", "-g", "--user", "--group"}))
            continue
        if base in RUNNERS and i + 1 < len(argv) and argv[i + 1] in ("run", "run-program"):
            i += 2 + _skip_options(argv[i + 2 :], RUNNERS[base])
            continue
        if base in ("wait-for-it", "wait-for-it.sh", "dockerize", "watchmedo"):
            if "--" in argv[i:]:
                i = argv.index("--", i) + 1
                continue
            return [Program("other", base, text=short(" ".join(argv)))]
        break
    rest = [expand(w, env) for w in argv[i:]]
    if rest:
        shell = _shell(rest, env, depth)
        if shell is not None:
            return [replace(p, env=(*set_here, *p.env)) for p in shell]
    program = _classify(rest, env)
    return [replace(program, env=tuple(set_here), text=short(" ".join(argv)))]


def _classify(argv: list[str], env: dict[str, str]) -> Program:
    if not argv:
        return Program("unknown", "")
    word = argv[0]
    base = word.rsplit("/", 1)[-1]
    args = argv[1:]
    if word == "$@" or word == "${@}":
        return Program("unknown", word, passthrough=True)
    if PYTHON.match(base):
        return _python(args, env)
    if base in SERVERS:
        return _server(base, args, env)
    if base == "fastapi" and args and args[0] in ("run", "dev"):
        return _fastapi(args, env)
    if base == "flask" and "run" in args:
        return Program(
            "server",
            "flask",
            app=_option(args, ("--app", "-A")) or env.get("FLASK_APP"),
            workers=ONE,
        )
    if base in ("manage.py", "django-admin"):
        return _django(args)
    if base in WORKERS:
        return _worker(WORKERS[base], args)
    if base in ("supervisord",):
        return Program("supervisord", base, config=_option(args, ("-c", "--configuration")))
    if base in ("honcho", "foreman"):
        return Program("unknown", base)
    if base in NOT_PYTHON:
        return Program("other", base)
    if word.startswith(("/", "./", "../")) or word.endswith(".sh") or "/" in word:
        return Program("script-file", base, script=word, args=tuple(args))
    return Program("unknown", base)


def _option(args: list[str], names: tuple[str, ...]) -> str | None:
    return _option_as_written(args, names)[0]


def _option_as_written(args: list[str], names: tuple[str, ...]) -> tuple[str | None, str]:
    """(value, option as written: `-w`, `--workers`) of the first of `names` given."""
    for i, word in enumerate(args):
        for name in names:
            if word == name and i + 1 < len(args):
                return args[i + 1], name
            if name.startswith("--") and word.startswith(name + "="):
                return word[len(name) + 1 :], name
            if not name.startswith("--") and len(name) == 2 and word.startswith(name):
                if len(word) > 2 and not word.startswith("--"):
                    return word[2:], name
    return None, names[0]


def _count_option(args: list[str], program: str, names: tuple[str, ...]) -> Count | None:
    value, name = _option_as_written(args, names)
    return _int_count(value, f"{program} {name}")


def _int_count(value: str | None, option: str) -> Count | None:
    """`--workers 4` -> 4 processes; `--workers $N` (unknown here) -> at least one."""
    if value is None:
        return None
    value = value.strip().strip("\"'")
    if value.isdigit():
        n = int(value)
        return Count(n, n, ((f"{option} {n}", ""),))
    return Count(1, None, ((f"{option} {value}", ""),))


PYTHON_VALUE_OPTIONS = frozenset({"-X", "-W", "--check-hash-based-pycs"})


def _python(args: list[str], env: dict[str, str]) -> Program:
    i = _skip_options_python(args)
    if i >= len(args):
        return Program("unknown", "python")
    word = args[i]
    if word == "-m" and i + 1 < len(args):
        module = args[i + 1]
        rest = args[i + 2 :]
        top = module.split(".")[0]
        if top in SERVERS or top in ("gunicorn", "uvicorn", "hypercorn", "daphne", "granian"):
            return _server(top, rest, env)
        if top in WORKERS:
            return _worker(WORKERS[top], rest)
        if top == "flask" and "run" in rest:
            return Program("server", "flask", app=_option(rest, ("--app", "-A")), workers=ONE)
        if top == "fastapi" and rest and rest[0] in ("run", "dev"):
            return _fastapi(rest, env)
        if top == "django":
            return _django(rest)
        return Program("script", "python", module=module, workers=ONE, args=tuple(rest))
    if word == "-c":
        return Program("unknown", "python -c")
    if word.endswith("manage.py"):
        return _django(args[i + 1 :])
    return Program("script", "python", script=word, workers=ONE, args=tuple(args[i + 1 :]))


def _skip_options_python(args: list[str]) -> int:
    i = 0
    while i < len(args):
        word = args[i]
        if word in ("-m", "-c"):
            return i
        if word in PYTHON_VALUE_OPTIONS:
            i += 2
        elif word.startswith("-"):
            i += 1
        else:
            return i
    return i


GUNICORN_VALUE_OPTIONS = frozenset(
    {
        "-b",
        "--bind",
        "-w",
        "--workers",
        "-k",
        "--worker-class",
        "-c",
        "--config",
        "--threads",
        "-t",
        "--timeout",
        "--graceful-timeout",
        "--keep-alive",
        "--log-level",
        "--access-logfile",
        "--error-logfile",
        "--log-file",
        "--log-config",
        "-e",
        "--env",
        "--chdir",
        "--pythonpath",
        "-u",
        "--user",
        "-g",
        "--group",
        "--max-requests",
        "--max-requests-jitter",
        "--worker-connections",
        "--forwarded-allow-ips",
        "-n",
        "--name",
        "-p",
        "--pid",
        "--certfile",
        "--keyfile",
        "--worker-tmp-dir",
        "--access-logformat",
        "--statsd-host",
        "-m",
        "--umask",
        "--backlog",
        "--reload-engine",
        "--limit-request-line",
        "--limit-request-fields",
        "--limit-request-field_size",
        "--log-syslog-to",
        "--paste",
        "--ssl-version",
        "--ciphers",
        "--ca-certs",
    }
)
UVICORN_VALUE_OPTIONS = frozenset(
    {
        "--host",
        "--port",
        "--uds",
        "--fd",
        "--loop",
        "--http",
        "--ws",
        "--ws-max-size",
        "--ws-max-queue",
        "--ws-ping-interval",
        "--ws-ping-timeout",
        "--ws-per-message-deflate",
        "--lifespan",
        "--interface",
        "--env-file",
        "--log-config",
        "--log-level",
        "--root-path",
        "--limit-concurrency",
        "--limit-max-requests",
        "--backlog",
        "--timeout-keep-alive",
        "--timeout-graceful-shutdown",
        "--ssl-keyfile",
        "--ssl-certfile",
        "--ssl-keyfile-password",
        "--ssl-version",
        "--ssl-cert-reqs",
        "--ssl-ca-certs",
        "--ssl-ciphers",
        "--header",
        "--app-dir",
        "--workers",
        "--reload-dir",
        "--reload-include",
        "--reload-exclude",
        "--reload-delay",
        "--forwarded-allow-ips",
        "--h11-max-incomplete-event-size",
    }
)
HYPERCORN_VALUE_OPTIONS = frozenset(
    {
        "-b",
        "--bind",
        "-c",
        "--config",
        "-k",
        "--worker-class",
        "-w",
        "--workers",
        "--access-logfile",
        "--error-logfile",
        "--log-level",
        "--root-path",
        "-g",
        "--group",
        "-u",
        "--user",
        "--keep-alive",
        "--graceful-timeout",
        "--certfile",
        "--keyfile",
        "--insecure-bind",
        "--quic-bind",
        "-m",
        "--umask",
        "-p",
        "--pid",
        "--backlog",
        "--statsd-host",
    }
)
DAPHNE_VALUE_OPTIONS = frozenset(
    {
        "-b",
        "--bind",
        "-p",
        "--port",
        "-u",
        "--unix-socket",
        "--fd",
        "-e",
        "--endpoint",
        "--access-log",
        "--log-fmt",
        "-v",
        "--verbosity",
        "--root-path",
        "--ping-interval",
        "--ping-timeout",
        "--application-close-timeout",
        "--websocket_timeout",
        "--websocket_connect_timeout",
        "--proxy-headers-host",
        "--proxy-headers-port",
        "-t",
        "--http-timeout",
    }
)
GRANIAN_VALUE_OPTIONS = frozenset(
    {
        "--host",
        "--port",
        "--interface",
        "--http",
        "--ws",
        "--workers",
        "--threads",
        "--blocking-threads",
        "--runtime-threads",
        "--runtime-mode",
        "--loop",
        "--task-impl",
        "--backlog",
        "--backpressure",
        "--log-level",
        "--log-config",
        "--ssl-keyfile",
        "--ssl-certificate",
        "--url-path-prefix",
        "--respawn-interval",
        "--workers-lifetime",
        "--workers-kill-timeout",
        "--pid-file",
        "--process-name",
        "--reload-paths",
        "--reload-ignore-dirs",
        "--reload-ignore-patterns",
        "--reload-ignore-paths",
        "--working-dir",
        "--env-files",
    }
)
WAITRESS_VALUE_OPTIONS = frozenset(
    {
        "--host",
        "--port",
        "--listen",
        "--threads",
        "--url-scheme",
        "--ident",
        "--unix-socket",
        "--unix-socket-perms",
        "--backlog",
        "--recv-bytes",
        "--send-bytes",
        "--connection-limit",
        "--cleanup-interval",
        "--channel-timeout",
        "--url-prefix",
    }
)


def _positional(args: list[str], value_options: frozenset[str]) -> str | None:
    """The server's app argument: the last word that is not an option or its value."""
    found = None
    i = 0
    while i < len(args):
        word = args[i]
        if word in value_options:
            i += 2
            continue
        if word.startswith("-"):
            i += 1
            continue
        found = word
        i += 1
    return found


def _server(name: str, args: list[str], env: dict[str, str]) -> Program:
    if name == "gunicorn":
        cli = _count_option(args, "gunicorn", ("-w", "--workers"))
        extra_args = env.get("GUNICORN_CMD_ARGS")
        if cli is None and extra_args:
            cli = _int_count(
                _option(words_of(extra_args), ("-w", "--workers")), "GUNICORN_CMD_ARGS --workers"
            )
        return Program(
            "server",
            "gunicorn",
            app=_positional(args, GUNICORN_VALUE_OPTIONS),
            workers=cli,
            config=_option(args, ("-c", "--config")),
            preload="--preload" in args,
        )
    if name == "uvicorn":
        lifespan = _option(args, ("--lifespan",))
        if "--reload" in args:
            workers: Count | None = Count(1, 1, (("uvicorn --reload (one worker)", ""),))
        else:
            workers = _count_option(args, "uvicorn", ("--workers",))
        return Program(
            "server",
            "uvicorn",
            app=_positional(args, UVICORN_VALUE_OPTIONS),
            workers=workers,
            serves=lifespan != "off",
        )
    if name == "hypercorn":
        return Program(
            "server",
            "hypercorn",
            app=_positional(args, HYPERCORN_VALUE_OPTIONS),
            workers=_count_option(args, "hypercorn", ("-w", "--workers")) or ONE,
            config=_option(args, ("-c", "--config")),
        )
    if name == "daphne":
        return Program("server", "daphne", app=_positional(args, DAPHNE_VALUE_OPTIONS), workers=ONE)
    if name == "granian":
        return Program(
            "server",
            "granian",
            app=_positional(args, GRANIAN_VALUE_OPTIONS),
            workers=_count_option(args, "granian", ("--workers",)) or ONE,
        )
    if name == "waitress-serve":
        return Program(
            "server", "waitress", app=_positional(args, WAITRESS_VALUE_OPTIONS), workers=ONE
        )
    # uwsgi: `-w` is the module here, `-p`/`--processes`/`--workers` the count
    return Program(
        "server",
        "uwsgi",
        app=_option(args, ("--module", "-w", "--wsgi")) or _option(args, ("--wsgi-file",)),
        workers=_count_option(args, "uwsgi", ("--processes", "--workers", "-p")),
        config=_option(args, ("--ini",)),
        preload="--lazy-apps" not in args,
    )


def _fastapi(args: list[str], env: dict[str, str]) -> Program:
    if args[0] == "dev":
        return Program(
            "server", "fastapi", app=_positional(args[1:], UVICORN_VALUE_OPTIONS), workers=ONE
        )
    workers = _count_option(args, "fastapi run", ("--workers",))
    return Program(
        "server",
        "fastapi",
        app=_positional(args[1:], UVICORN_VALUE_OPTIONS),
        workers=workers,
    )


def _django(args: list[str]) -> Program:
    index = _skip_options(args, frozenset({"--settings", "--pythonpath"}))
    sub = args[index] if index < len(args) else ""
    if sub == "runserver":
        threads = Count(1, 1, (("manage.py runserver", ""),))
        return Program("server", "django", workers=threads, dynamic=True)
    if sub in ("celery", "celeryd", "celerybeat", "run_huey", "rqworker", "qcluster"):
        return Program("worker", sub, dynamic=True)
    return Program("worker", f"manage.py {sub}".strip(), dynamic=True)


def _worker(family: str, args: list[str]) -> Program:
    app = _option(args, ("-A", "--app")) if family == "celery" else None
    if family in ("arq", "dramatiq", "huey", "rq"):
        index = _skip_options(
            args,
            frozenset(
                {
                    "-p",
                    "--processes",
                    "-t",
                    "--threads",
                    "-w",
                    "-k",
                    "-c",
                    "-u",
                    "--url",
                    "-q",
                    "--queues",
                }
            ),
        )
        app = args[index] if index < len(args) else None
        if family == "rq":
            app = None
    return Program("worker", family, app=app, dynamic=family == "celery")
