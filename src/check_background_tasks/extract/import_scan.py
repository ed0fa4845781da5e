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
    if b"import" not in source:
        return []
    out: dict[str, None] = {}
    for match in _IMPORT.finditer(source):
        base_raw, names_raw, plain_raw = match.groups()
        if plain_raw is not None:
            for part in plain_raw.decode("utf-8", "replace").split(","):
                name = _first_name(part)
                if name:
                    out.setdefault(name)
            continue
        base = base_raw.decode("utf-8", "replace")
        level = len(base) - len(base.lstrip("."))
        base = base[level:]
        if level:
            base = module_from_relative(module, is_package, level, base)
        if not base:
            continue
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
