"""The modules a Python file imports, read from its bytes without parsing it.

The process model asks whether an entry module (what a Dockerfile or Procfile runs)
imports, directly or through others, the module that starts a scheduler. Most modules on
that path hold no job and are never parsed; a regular expression over their import lines
costs about a hundredth of a parse. What it cannot see (`importlib.import_module`, Django's
INSTALLED_APPS) is simply absent: a chain that is not seen is unknown, never "not run".
"""

from __future__ import annotations

import re

from .names import module_from_relative

_IMPORT = re.compile(
    rb"^[ \t]*(?:from[ \t]+(\.*[\w.]*)[ \t]+import[ \t]*(\([^)]*\)|[^\n#;]*)"
    rb"|import[ \t]+([^\n#;]+))",
    re.MULTILINE,
)
_NAME = re.compile(r"[A-Za-z_][\w.]*")


def imported_modules(source: bytes, module: str | None, is_package: bool) -> list[str]:
    """Dotted names a file imports: `from a import b` gives `a` and `a.b` (either may be
    a module); relative imports are made absolute. Order kept, no duplicates."""
    out: dict[str, None] = {}
    for _, _, names in import_statements(source, module, is_package):
        for name in names:
            out.setdefault(name)
    return list(out)


def import_statements(
    source: bytes, module: str | None, is_package: bool
) -> list[tuple[int, bool, list[str]]]:
    """(line, indented?, dotted names) per import statement. An indented one sits in a
    function, a class or an `if`/`try` block (extract/import_sites.py says which)."""
    if b"import" not in source:
        return []
    out: list[tuple[int, bool, list[str]]] = []
    line, counted = 1, 0
    for match in _IMPORT.finditer(source):
        start = match.start()
        line += source.count(b"\n", counted, start)
        counted = start
        indented = source[start : start + 1] in (b" ", b"\t")
        names = _names_of(match, module, is_package)
        if names:
            out.append((line, indented, names))
    return out


def _names_of(match: re.Match[bytes], module: str | None, is_package: bool) -> list[str]:
    base_raw, names_raw, plain_raw = match.groups()
    out: dict[str, None] = {}
    if plain_raw is not None:
        for part in plain_raw.decode("utf-8", "replace").split(","):
            name = _first_name(part)
            if name:
                out.setdefault(name)
        return list(out)
    base = base_raw.decode("utf-8", "replace")
    level = len(base) - len(base.lstrip("."))
    base = base[level:]
    if level:
        base = module_from_relative(module, is_package, level, base)
    if not base:
        return []
    out.setdefault(base)
    for part in names_raw.decode("utf-8", "replace").strip("()").split(","):
        name = _first_name(part)
        if name and name != "*" and "." not in name:
            out.setdefault(f"{base}.{name}")
    return list(out)


def _first_name(part: str) -> str | None:
    """`a.b as c` -> `a.b`."""
    match = _NAME.match(part.strip())
    return match.group(0) if match else None
