"""Template functions: Go's builtins, the sprig functions charts use, Helm's additions.

Pure functions over the values of :mod:`.gotemplate_values`. Semantics follow Go's
text/template (https://pkg.go.dev/text/template#hdr-Functions), Masterminds/sprig v3
(strings.go, defaults.go, dict.go, list.go, numeric.go) and helm pkg/engine/funcs.go;
where a Go function would fail on a type it cannot convert, these convert leniently
(the chart renders in Helm, so such a case is our own gap, not the chart's error).

The evaluator returns :class:`Unknown` for a call with an unknown argument, except for
the functions in :data:`TOLERANT`, which decide themselves (``default x <unknown>`` is
unknown, ``list 1 <unknown>`` a list holding an unknown, ``indent 4 <unknown>`` an
unknown to be printed on its own line). Functions not implemented here (dates, random
strings, crypto, network) return :class:`Unknown` as well: never an error.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import re
import zlib
from collections.abc import Callable
from typing import Any

from ..model import OPEN
from .gotemplate_values import (
    Unknown,
    empty,
    go_float,
    is_open,
    keys_of,
    kind_of,
    sprint,
    text_indent,
    text_slice,
    truth,
    type_of,
)
from .goyaml import from_json, from_yaml, to_json, to_yaml


class TemplateExecError(Exception):
    """Execution failed as it would in Helm (``fail``, a call on a wrong type)."""


class UnknownArgument(Exception):
    """A function that looks inside a map or list was given an unknown one: its result
    is unknown (raised by the argument readers, turned into Unknown by the evaluator)."""


MAX_STRING = 1 << 20  # a string function's result; beyond it the value is unknown
MAX_LIST = 100_000

# ------------------------------------------------------------------------ conversions


def to_int(value: Any) -> int:
    """spf13/cast ``ToInt64`` as sprig uses it: strings parsed (base prefixes allowed,
    a trailing ``.0`` dropped), floats truncated, bools 0/1, anything else 0."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value == value and abs(value) < 1e19 else 0
    if isinstance(value, str):
        text = value.strip()
        if "." in text and text.rstrip("0").endswith("."):
            text = text.rstrip("0")[:-1]
        try:
            return int(text, 0)
        except ValueError:
            return 0
    return 0


def to_float(value: Any) -> float:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return 0.0
    return 0.0


def strval(value: Any) -> str:
    """sprig ``strval`` / ``toString``: a string as is, anything else ``fmt`` ``%v``."""
    if isinstance(value, str):
        return value
    return sprint(value)


def _str(value: Any) -> str:
    """An argument for a Go ``string`` parameter (nil reads as empty)."""
    if value is None:
        return ""
    return strval(value)


def _cap(text: str) -> str | Unknown:
    return text if len(text) <= MAX_STRING else Unknown("a string too long to follow")


def _go_quote(text: str) -> str:
    """strconv.Quote (``%q``): close enough for re-reading as YAML."""
    return json.dumps(text, ensure_ascii=False)


# ------------------------------------------------------------------------------- fmt

_VERB_RE = re.compile(r"%([-+# 0]*)([0-9]+)?(?:\.([0-9]+))?([a-zA-Z%])")


def _bad_verb(verb: str, value: Any) -> str:
    if value is None:
        return f"%!{verb}(<nil>)"
    return f"%!{verb}({type_of(value)}={sprint(value)})"


def _format_one(flags: str, width: str | None, precision: str | None, verb: str, value: Any) -> str:
    prec = int(precision) if precision is not None else None
    if verb in ("v", "s"):
        if verb == "s" and (value is None or isinstance(value, bool | int | float)):
            return _bad_verb(verb, value)
        text = sprint(value)
        if verb == "s" and prec is not None:
            text = text[:prec]
    elif verb == "q":
        if not isinstance(value, str):
            return _bad_verb(verb, value)
        text = _go_quote(value)
    elif verb == "d":
        if isinstance(value, bool) or not isinstance(value, int):
            return _bad_verb(verb, value)
        text = str(value)
        if "+" in flags and value >= 0:
            text = "+" + text
    elif verb in "xXob":
        if isinstance(value, str) and verb in "xX":
            text = value.encode().hex()
        elif isinstance(value, int) and not isinstance(value, bool):
            text = format(value, {"x": "x", "X": "X", "o": "o", "b": "b"}[verb])
        else:
            return _bad_verb(verb, value)
        if verb == "X":
            text = text.upper()
    elif verb in "feEgG":
        if isinstance(value, bool) or not isinstance(value, int | float):
            return _bad_verb(verb, value)
        if verb == "g" and prec is None:
            text = go_float(float(value))
        else:
            text = format(float(value), f".{6 if prec is None else prec}{verb}")
    elif verb == "t":
        if not isinstance(value, bool):
            return _bad_verb(verb, value)
        text = "true" if value else "false"
    elif verb == "c":
        if isinstance(value, bool) or not isinstance(value, int):
            return _bad_verb(verb, value)
        text = chr(value) if 0 <= value < 0x110000 else "\ufffd"
    else:
        return f"%!{verb}({type_of(value)}={sprint(value)})"
    if width is not None:
        size = int(width)
        if "-" in flags:
            text = text.ljust(size)
        elif "0" in flags and verb not in "sqvt":
            sign = text[0] if text[:1] in "+-" else ""
            text = sign + text[len(sign) :].rjust(size - len(sign), "0")
        else:
            text = text.rjust(size)
    return text


def go_sprintf(form: str, *args: Any) -> str:
    """``fmt.Sprintf`` for the verbs charts use: %s %v %d %q %f %x %t %%, widths,
    precisions; a wrong type prints as ``%!d(string=x)``, as Go does."""
    out: list[str] = []
    index = 0
    position = 0
    for match in _VERB_RE.finditer(form):
        out.append(form[position : match.start()])
        position = match.end()
        flags, width, precision, verb = match.groups()
        if verb == "%":
            out.append("%")
            continue
        if index >= len(args):
            out.append(f"%!{verb}(MISSING)")
            continue
        out.append(_format_one(flags, width, precision, verb, args[index]))
        index += 1
    out.append(form[position:])
    if index < len(args):
        extra = ", ".join(f"{type_of(a)}={sprint(a)}" for a in args[index:])
        out.append(f"%!(EXTRA {extra})")
    return "".join(out)


def go_sprint(*args: Any) -> str:
    """``fmt.Sprint``: a space between operands when neither side is a string."""
    out: list[str] = []
    for i, arg in enumerate(args):
        if i and not isinstance(arg, str) and not isinstance(args[i - 1], str):
            out.append(" ")
        out.append(sprint(arg))
    return "".join(out)


# ------------------------------------------------------------------------ comparison


def _basic(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return float(value)
    return value


def go_eq(first: Any, *others: Any) -> bool:
    """``eq``: first equals any of the others. Go compares basic kinds only; an int
    and a float are compared by value here (Helm's float64 values vs literal ints)."""
    if not others:
        raise TemplateExecError("missing argument for comparison")
    a = _basic(first)
    for other in others:
        b = _basic(other)
        if isinstance(a, bool) != isinstance(b, bool):
            continue
        if (a == b and type(a) is type(b)) or (a is None and b is None):
            return True
    return False


def _ordered(a: Any, b: Any) -> tuple[Any, Any]:
    a, b = _basic(a), _basic(b)
    if type(a) is type(b) and isinstance(a, float | str):
        return a, b
    raise TemplateExecError("incompatible types for comparison")


def go_lt(a: Any, b: Any) -> bool:
    x, y = _ordered(a, b)
    return bool(x < y)


def go_le(a: Any, b: Any) -> bool:
    x, y = _ordered(a, b)
    return bool(x <= y)


# --------------------------------------------------------------------------- strings


def quote(*args: Any) -> str:
    """sprig ``quote``: each non-nil argument as ``%q`` of its string; nil is skipped,
    so ``{{ .Values.missing | quote }}`` writes nothing (strings.go)."""
    return " ".join(_go_quote(strval(a)) for a in args if a is not None)


def squote(*args: Any) -> str:
    return " ".join(f"'{sprint(a)}'" for a in args if a is not None)


def indent(spaces: Any, value: Any) -> Any:
    if isinstance(value, Unknown):
        return Unknown(value.desc, value.indent + to_int(spaces), value.newline)
    return text_indent(_str(value), to_int(spaces), newline=False)


def nindent(spaces: Any, value: Any) -> Any:
    if isinstance(value, Unknown):
        return Unknown(value.desc, value.indent + to_int(spaces), True)
    return text_indent(_str(value), to_int(spaces), newline=True)


def _strip(value: Any, chars: str | None, left: bool = True, right: bool = True) -> str:
    text = _str(value)
    start, end = 0, len(text)
    test = (lambda ch: ch.isspace()) if chars is None else (lambda ch: ch in chars)
    while left and start < end and test(text[start]):
        start += 1
    while right and end > start and test(text[end - 1]):
        end -= 1
    return text_slice(text, start, end)


def trim_suffix(suffix: Any, value: Any) -> str:
    text, suffix = _str(value), _str(suffix)
    return (
        text_slice(text, 0, len(text) - len(suffix)) if suffix and text.endswith(suffix) else text
    )


def trim_prefix(prefix: Any, value: Any) -> str:
    text, prefix = _str(value), _str(prefix)
    return text_slice(text, len(prefix), len(text)) if prefix and text.startswith(prefix) else text


def trunc(count: Any, value: Any) -> str:
    text, c = _str(value), to_int(count)
    if c < 0 and len(text) + c > 0:
        return text_slice(text, len(text) + c, len(text))
    if c >= 0 and len(text) > c:
        return text_slice(text, 0, c)
    return text


def title(value: Any) -> str:
    """strings.Title: upper-case the first letter of each word."""
    return re.sub(r"(^|[^\w'])(\w)", lambda m: m.group(1) + m.group(2).upper(), _str(value))


def substr(start: Any, end: Any, value: Any) -> str:
    text, s, e = _str(value), to_int(start), to_int(end)
    if s < 0:
        return text[:e]
    if e < 0 or e > len(text):
        return text[s:]
    return text[s:e]


def _camel(text: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[_\-\s]+", text) if part)


def _snake(text: str, sep: str) -> str:
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1" + sep + r"\2", text)
    return re.sub(r"[_\-\s]+", sep, text).lower()


def _strings(value: Any) -> list[str]:
    """sprig ``strslice``: a list's non-nil items as strings; a scalar alone."""
    if isinstance(value, list):
        return [strval(v) for v in value if v is not None]
    if value is None:
        return []
    return [strval(value)]


def split(sep: Any, value: Any) -> dict[str, str]:
    parts = _str(value).split(_str(sep)) if _str(sep) else list(_str(value))
    return {f"_{i}": part for i, part in enumerate(parts)}


def split_list(sep: Any, value: Any) -> list[str]:
    return _str(value).split(_str(sep)) if _str(sep) else list(_str(value))


def splitn(sep: Any, count: Any, value: Any) -> dict[str, str]:
    n = to_int(count)
    parts = _str(value).split(_str(sep), n - 1) if n > 0 else []
    return {f"_{i}": part for i, part in enumerate(parts)}


def _safe_regex(pattern: str) -> re.Pattern[str] | None:
    """Go's RE2 is linear; Python's engine backtracks. Nested quantifiers (``(a+)+``)
    can make it exponential, so such patterns are not run (the result is unknown)."""
    if len(pattern) > 500 or re.search(r"[*+}?]\)*[*+{?]|\)[*+{?]", pattern):
        return None
    try:
        return re.compile(pattern)
    except re.error:
        return None


def _regex(fn: Callable[..., Any]) -> Callable[..., Any]:
    def call(pattern: Any, *rest: Any) -> Any:
        compiled = _safe_regex(_str(pattern))
        if compiled is None:
            return Unknown()
        return fn(compiled, *rest)

    return call


def _go_replacement(repl: str) -> str:
    """Go's ``$1``/``${name}`` expansion → Python's ``\\g<1>``."""
    out = repl.replace("\\", "\\\\")
    out = re.sub(r"\$\{(\w+)\}", r"\\g<\1>", out)
    return re.sub(r"\$(\w+)", r"\\g<\1>", out)


# ------------------------------------------------------------------------------ lists


def _list(value: Any) -> list[Any]:
    if isinstance(value, list):
        return value
    if value is None:
        return []
    if isinstance(value, Unknown):
        raise UnknownArgument
    raise TemplateExecError(f"cannot use a {kind_of(value)} as a list")


def first(value: Any) -> Any:
    items = _list(value)
    return items[0] if items else None


def last(value: Any) -> Any:
    items = _list(value)
    return items[-1] if items else None


def has(needle: Any, haystack: Any) -> bool:
    if haystack is None:
        return False
    return any(go_eq(needle, item) for item in _list(haystack) if not isinstance(item, Unknown))


def until(count: Any) -> list[int]:
    n = to_int(count)
    step = 1 if n >= 0 else -1
    if abs(n) > MAX_LIST:
        raise TemplateExecError("until: too many items")
    return list(range(0, n, step))


def until_step(start: Any, stop: Any, step: Any) -> list[int]:
    s, e, st = to_int(start), to_int(stop), to_int(step)
    if st == 0 or (e - s) / st > MAX_LIST:
        return []
    return list(range(s, e, st))


def seq(*args: Any) -> str:
    numbers = [to_int(a) for a in args]
    if len(numbers) == 1:
        start, end, step = 1, numbers[0], 1 if numbers[0] >= 1 else -1
    elif len(numbers) == 2:
        start, end = numbers
        step = 1 if end >= start else -1
    elif len(numbers) == 3:
        start, step, end = numbers
    else:
        return ""
    if step == 0 or abs((end - start) / step) > MAX_LIST:
        return ""
    return " ".join(str(n) for n in range(start, end + (1 if step > 0 else -1), step))


def uniq(value: Any) -> list[Any]:
    out: list[Any] = []
    for item in _list(value):
        if not any(go_eq(item, seen) for seen in out if not isinstance(seen, dict | list)):
            out.append(item)
    return out


def compact(value: Any) -> list[Any]:
    return [item for item in _list(value) if empty(item) is not True]


def sort_alpha(value: Any) -> list[str]:
    return sorted(_strings(value))


def go_slice(value: Any, *indexes: Any) -> Any:
    bounds = [to_int(i) for i in indexes]
    if isinstance(value, str | list):
        if len(bounds) == 0:
            return value
        if len(bounds) == 1:
            return value[bounds[0] :]
        return value[bounds[0] : bounds[1]]
    return Unknown()


def chunk(size: Any, value: Any) -> list[list[Any]]:
    n = to_int(size)
    items = _list(value)
    if n <= 0:
        return []
    return [items[i : i + n] for i in range(0, len(items), n)]


# ------------------------------------------------------------------------------ dicts


def _dict(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    if value is None:
        return {}
    if isinstance(value, Unknown):
        raise UnknownArgument
    raise TemplateExecError(f"cannot use a {kind_of(value)} as a map")


def dict_(*args: Any) -> dict[str, Any]:
    """sprig ``dict``: key/value pairs; an odd last key maps to ``""``."""
    out: dict[str, Any] = {}
    for i in range(0, len(args), 2):
        key = strval(args[i])
        out[key] = args[i + 1] if i + 1 < len(args) else ""
    return out


def get(mapping: Any, key: Any) -> Any:
    d = _dict(mapping)
    k = _str(key)
    if k in d:
        return d[k]
    return Unknown() if is_open(d) else ""


def set_(mapping: Any, key: Any, value: Any) -> Any:
    d = _dict(mapping)
    d[_str(key)] = value
    return d


def unset(mapping: Any, key: Any) -> Any:
    d = _dict(mapping)
    d.pop(_str(key), None)
    return d


def has_key(mapping: Any, key: Any) -> Any:
    d = _dict(mapping)
    k = _str(key)
    if k in d:
        return True
    return Unknown() if is_open(d) else False


def keys(*mappings: Any) -> list[str]:
    out: list[str] = []
    for mapping in mappings:
        out.extend(keys_of(_dict(mapping)))
    return out  # Go's map order is random; sorted is one of the possible orders


def values(mapping: Any) -> list[Any]:
    d = _dict(mapping)
    return [d[k] for k in keys_of(d)]


def pick(mapping: Any, *names: Any) -> dict[str, Any]:
    d = _dict(mapping)
    wanted = {_str(n) for n in names}
    return {k: v for k, v in d.items() if k in wanted}


def omit(mapping: Any, *names: Any) -> dict[str, Any]:
    d = _dict(mapping)
    unwanted = {_str(n) for n in names}
    return {k: v for k, v in d.items() if k not in unwanted}


def pluck(name: Any, *mappings: Any) -> list[Any]:
    key = _str(name)
    return [m[key] for m in mappings if isinstance(m, dict) and key in m]


def dig(*args: Any) -> Any:
    """sprig ``dig "a" "b" default dict``."""
    if len(args) < 3:
        raise TemplateExecError("dig needs at least three arguments")
    *path, default, mapping = args
    node = mapping
    for key in path:
        if isinstance(node, Unknown):
            return node
        if not isinstance(node, dict):
            return default
        k = _str(key)
        if k not in node:
            return Unknown() if is_open(node) else default
        node = node[k]
    return node


def _merge_into(dst: dict[str, Any], src: dict[str, Any], overwrite: bool, depth: int = 0) -> None:
    """mergo.Merge as sprig's merge/mergeOverwrite use it: nested maps merged; without
    overwrite only keys that are missing or empty in ``dst`` are filled."""
    if depth > 64:
        raise TemplateExecError("merge nested too deeply")
    for key, value in src.items():
        if key == OPEN:
            if value:
                dst[OPEN] = True
            continue
        current = dst.get(key)
        if isinstance(current, dict) and isinstance(value, dict):
            _merge_into(current, value, overwrite, depth + 1)
        elif key not in dst or empty(current) is True:
            if not (overwrite and empty(value) is True and key in dst):
                dst[key] = value
        elif overwrite and empty(value) is not True:
            dst[key] = value


def merge(dst: Any, *sources: Any) -> Any:
    target = _dict(dst)
    for source in sources:
        if isinstance(source, dict):
            _merge_into(target, source, overwrite=False)
    return target


def merge_overwrite(dst: Any, *sources: Any) -> Any:
    target = _dict(dst)
    for source in sources:
        if isinstance(source, dict):
            _merge_into(target, source, overwrite=True)
    return target


def deep_copy(value: Any) -> Any:
    try:
        return copy.deepcopy(value)
    except RecursionError as exc:
        raise TemplateExecError("deepCopy nested too deeply") from exc


# --------------------------------------------------------------------------- numbers


def _arith(fn: Callable[[int, int], int]) -> Callable[..., int]:
    def call(a: Any, *rest: Any) -> int:
        total = to_int(a)
        for b in rest:
            total = fn(total, to_int(b))
        return total

    return call


def _div(a: int, b: int) -> int:
    if b == 0:
        raise TemplateExecError("integer divide by zero")
    quotient = abs(a) // abs(b)
    return quotient if (a >= 0) == (b >= 0) else -quotient  # Go truncates toward zero


def _mod(a: int, b: int) -> int:
    if b == 0:
        raise TemplateExecError("integer divide by zero")
    return a - _div(a, b) * b


def _floats(fn: Callable[[float, float], float]) -> Callable[..., float]:
    def call(a: Any, *rest: Any) -> float:
        total = to_float(a)
        for b in rest:
            total = fn(total, to_float(b))
        return total

    return call


def _divf(a: float, b: float) -> float:
    if b == 0:
        raise TemplateExecError("division by zero")
    return a / b


def go_len(value: Any) -> Any:
    if isinstance(value, dict):
        if is_open(value):
            return Unknown()
        return len(keys_of(value))
    if isinstance(value, str | list):
        return len(value)
    if value is None:
        raise TemplateExecError("len of nil pointer")
    raise TemplateExecError(f"len of type {type_of(value)}")


def go_index(item: Any, *indexes: Any) -> Any:
    """``index x 1 2``: map keys and list positions; a missing map key is nil."""
    node = item
    for index in indexes:
        if isinstance(node, Unknown) or isinstance(index, Unknown):
            return Unknown()
        if isinstance(node, dict):
            key = _str(index)
            if key not in node:
                return Unknown() if is_open(node) else None
            node = node[key]
        elif isinstance(node, list | str):
            i = to_int(index)
            if not 0 <= i < len(node):
                raise TemplateExecError(f"index out of range: {i}")
            node = node[i]
        elif node is None:
            raise TemplateExecError("index of untyped nil")
        else:
            raise TemplateExecError(f"can't index item of type {type_of(node)}")
    return node


# ---------------------------------------------------------------------------- semver

_SEMVER_RE = re.compile(
    r"^v?([0-9]+)(?:\.([0-9]+|[xX*]))?(?:\.([0-9]+|[xX*]))?(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$"
)


def _version(text: str) -> tuple[int, int, int] | None:
    match = _SEMVER_RE.match(text.strip())
    if not match:
        return None
    parts = [int(p) if p and p.isdigit() else 0 for p in match.groups()[:3]]
    return parts[0], parts[1], parts[2]


def _satisfies(constraint: str, version: tuple[int, int, int]) -> bool:
    constraint = constraint.strip()
    match = re.match(r"^(>=|=>|<=|=<|!=|>|<|=|~>|~|\^)?\s*(.*)$", constraint)
    assert match is not None
    op, rest = match.group(1) or "=", match.group(2)
    m = _SEMVER_RE.match(rest.strip())
    if rest.strip() in ("*", "x", "X", ""):
        return True
    if not m:
        raise TemplateExecError(f"improper constraint: {constraint}")
    major = int(m.group(1))
    minor_text, patch_text = m.group(2), m.group(3)
    wild_minor = minor_text is None or not minor_text.isdigit()
    wild_patch = patch_text is None or not patch_text.isdigit()
    target = (major, 0 if wild_minor else int(minor_text), 0 if wild_patch else int(patch_text))
    if op in ("=",) and (wild_minor or wild_patch):
        if wild_minor:
            return version[0] == major
        return version[:2] == target[:2]
    if op == "~" or op == "~>":
        upper = (major + 1, 0, 0) if wild_minor else (major, target[1] + 1, 0)
        return target <= version < upper
    if op == "^":
        if major > 0:
            upper = (major + 1, 0, 0)
        elif target[1] > 0 or wild_minor:
            upper = (0, target[1] + 1, 0) if not wild_minor else (1, 0, 0)
        else:
            upper = (0, 0, target[2] + 1)
        return target <= version < upper
    if op in (">=", "=>"):
        return version >= target
    if op in ("<=", "=<"):
        if wild_minor:
            return version < (major + 1, 0, 0)
        if wild_patch:
            return version < (major, target[1] + 1, 0)
        return version <= target
    if op == ">":
        if wild_minor:
            return version >= (major + 1, 0, 0)
        if wild_patch:
            return version >= (major, target[1] + 1, 0)
        return version > target
    if op == "<":
        return version < target
    if op == "!=":
        return version != target
    return version == target


def semver_compare(constraint: Any, version: Any) -> bool:
    """Masterminds/semver constraints: ``>=1.21-0``, ``~1.2``, ``^1``, ``1.2.x``,
    ``a, b`` / ``a b`` (all), ``a || b`` (any), ``1.2 - 1.4``. Pre-release tags on the
    constraint only lower its bound, which for the release versions compared here changes
    nothing."""
    parsed = _version(_str(version))
    if parsed is None:
        raise TemplateExecError(f"invalid semantic version: {version}")
    for alternative in _str(constraint).split("||"):
        text = re.sub(r"-[0-9A-Za-z.]+(?=$|[\s,])", "", alternative.strip())
        hyphen = re.match(r"^\s*(\S+)\s+-\s+(\S+)\s*$", text)
        if hyphen:
            parts = [">=" + hyphen.group(1), "<=" + hyphen.group(2)]
        else:
            text = re.sub(r"(>=|=>|<=|=<|!=|>|<|=|~>|~|\^)\s+", r"\1", text)
            parts = [p for p in re.split(r"[,\s]+", text) if p]
        if all(_satisfies(part, parsed) for part in parts):
            return True
    return False


# ------------------------------------------------------------------------------ misc


def ternary(if_true: Any, if_false: Any, condition: Any) -> Any:
    decided = truth(condition)
    if decided is None:
        return Unknown()
    return if_true if decided else if_false


def default(default_value: Any, *given: Any) -> Any:
    """sprig ``default``: ``given`` unless it is empty (nil, "", 0, false, empty list or
    map), then the default (defaults.go ``dfault``)."""
    if not given:
        return default_value
    value = given[0]
    is_empty = empty(value)
    if is_empty is None:
        return value if isinstance(value, Unknown) else Unknown()
    return default_value if is_empty else value


def coalesce(*args: Any) -> Any:
    for arg in args:
        is_empty = empty(arg)
        if is_empty is None:
            return arg if isinstance(arg, Unknown) else Unknown()
        if not is_empty:
            return arg
    return None


def required(message: Any, value: Any) -> Any:
    """Helm's ``required``: nil or "" fails the render in Helm. Here such a value is
    given at deploy time (``--set``), so it is unknown, not an error."""
    if value is None or value == "":
        return Unknown(f"required: {_str(message)}")
    return value


def fail(message: Any) -> Any:
    raise TemplateExecError(f"fail: {_str(message)}")


def sha256sum(value: Any) -> str:
    return hashlib.sha256(_str(value).encode()).hexdigest()


def sha1sum(value: Any) -> str:
    return hashlib.sha1(_str(value).encode()).hexdigest()


def b64dec(value: Any) -> str:
    try:
        return base64.b64decode(_str(value).encode(), validate=True).decode(errors="replace")
    except ValueError as exc:
        return str(exc)


def _typed(expected: str) -> Callable[[Any, Any], bool]:
    def call(name: Any, value: Any) -> bool:
        return _str(name) == (kind_of(value) if expected == "kind" else type_of(value))

    return call


def to_strings(value: Any) -> list[str]:
    return _strings(value)


def repeat(count: Any, value: Any) -> Any:
    n = to_int(count)
    text = _str(value)
    if n < 0:
        raise TemplateExecError("negative repeat count")
    if n * len(text) > MAX_STRING:
        return Unknown()
    return text * n


def adler32sum(value: Any) -> str:
    return str(zlib.adler32(_str(value).encode()))


def _not_here(name: str) -> Callable[..., Unknown]:
    def call(*_args: Any) -> Unknown:
        return Unknown()  # printed as the action that called it

    return call


# Functions that build a string: an unknown argument becomes its marker in the text, so
# the known rest stays readable (names in messages).
STRING_BUILDERS = frozenset(
    {
        "printf",
        "print",
        "println",
        "cat",
        "trunc",
        "trimSuffix",
        "trimPrefix",
        "trim",
        "trimAll",
        "lower",
        "upper",
        "replace",
        "toString",
        "join",
        "nospace",
    }
)

# Functions that decide something about a string: one holding a marker (partly unknown)
# makes their result unknown.
PREDICATES = frozenset(
    {
        "eq",
        "ne",
        "lt",
        "le",
        "gt",
        "ge",
        "contains",
        "hasPrefix",
        "hasSuffix",
        "has",
        "regexMatch",
        "mustRegexMatch",
        "semverCompare",
        "len",
        "atoi",
        "int",
        "int64",
        "float64",
        "b64enc",
        "sha256sum",
        "sha1sum",
        "fromYaml",
        "fromJson",
    }
)

# Functions that see unknown arguments themselves (the rest: any unknown → unknown).
TOLERANT = frozenset(
    {
        "default",
        "coalesce",
        "ternary",
        "list",
        "tuple",
        "dict",
        "set",
        "append",
        "push",
        "prepend",
        "concat",
        "merge",
        "mergeOverwrite",
        "mustMerge",
        "mustMergeOverwrite",
        "toYaml",
        "toYamlPretty",
        "toJson",
        "mustToJson",
        "toPrettyJson",
        "toRawJson",
        "indent",
        "nindent",
        "get",
        "hasKey",
        "index",
        "dig",
        "pluck",
        "first",
        "last",
        "has",
        "compact",
        "required",
        "len",
        "empty",
        "deepCopy",
        "keys",
        "values",
        "pick",
        "omit",
        "rest",
        "initial",
        "reverse",
        "kindIs",
        "kindOf",
        "typeOf",
        "typeIs",
    }
)


def _concat(*lists: Any) -> list[Any]:
    out: list[Any] = []
    for item in lists:
        if isinstance(item, Unknown):
            out.append(item)
        else:
            out.extend(_list(item))
    return out


def _kind_is(name: Any, value: Any) -> Any:
    if isinstance(value, Unknown):
        return Unknown()
    return _str(name) == kind_of(value)


def _empty(value: Any) -> Any:
    result = empty(value)
    return Unknown() if result is None else result


def _len(value: Any) -> Any:
    return Unknown() if isinstance(value, Unknown) else go_len(value)


def _sprintf(form: Any, *args: Any) -> Any:
    return _cap(go_sprintf(_str(form), *args))


FUNCS: dict[str, Callable[..., Any]] = {
    # Go builtins (and/or/not/include/tpl/template are the evaluator's)
    "eq": go_eq,
    "ne": lambda a, b: not go_eq(a, b),
    "lt": go_lt,
    "le": go_le,
    "gt": lambda a, b: go_lt(b, a),
    "ge": lambda a, b: go_le(b, a),
    "len": _len,
    "index": go_index,
    "slice": go_slice,
    "print": lambda *a: _cap(go_sprint(*a)),
    "printf": _sprintf,
    "println": lambda *a: _cap(" ".join(sprint(x) for x in a) + "\n"),
    "html": lambda v: _str(v).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"),
    "urlquery": lambda *a: re.sub(
        r"[^A-Za-z0-9_.~-]", lambda m: f"%{ord(m.group()):02X}", go_sprint(*a)
    ),
    # defaults and flow
    "default": default,
    "empty": _empty,
    "coalesce": coalesce,
    "all": lambda *a: all(empty(x) is False for x in a),
    "any": lambda *a: any(empty(x) is False for x in a),
    "ternary": ternary,
    "required": required,
    "fail": fail,
    # strings
    "quote": quote,
    "squote": squote,
    "cat": lambda *a: " ".join(sprint(x) for x in a if x is not None),
    "indent": indent,
    "nindent": nindent,
    "trim": lambda v: _strip(v, None),
    "trimAll": lambda chars, v: _strip(v, _str(chars)),
    "trimall": lambda chars, v: _strip(v, _str(chars)),
    "trimSuffix": trim_suffix,
    "trimPrefix": trim_prefix,
    "trunc": trunc,
    "lower": lambda v: _str(v).lower(),
    "upper": lambda v: _str(v).upper(),
    "title": title,
    "untitle": lambda v: _str(v)[:1].lower() + _str(v)[1:],
    "replace": lambda old, new, v: _cap(_str(v).replace(_str(old), _str(new))),
    "repeat": repeat,
    "substr": substr,
    "nospace": lambda v: re.sub(r"\s", "", _str(v)),
    "contains": lambda sub, v: _str(sub) in _str(v),
    "hasPrefix": lambda pre, v: _str(v).startswith(_str(pre)),
    "hasSuffix": lambda suf, v: _str(v).endswith(_str(suf)),
    "camelcase": lambda v: _camel(_str(v)),
    "snakecase": lambda v: _snake(_str(v), "_"),
    "kebabcase": lambda v: _snake(_str(v), "-"),
    "plural": lambda one, many, n: one if to_int(n) == 1 else many,
    "split": split,
    "splitList": split_list,
    "splitn": splitn,
    "join": lambda sep, v: _cap(_str(sep).join(_strings(v))),
    "sortAlpha": sort_alpha,
    "toString": strval,
    "toStrings": to_strings,
    "toDecimal": lambda v: int(_str(v), 8) if re.fullmatch(r"[0-7]+", _str(v)) else 0,
    "b64enc": lambda v: base64.b64encode(_str(v).encode()).decode(),
    "b64dec": b64dec,
    "b32enc": lambda v: base64.b32encode(_str(v).encode()).decode(),
    "sha256sum": sha256sum,
    "sha1sum": sha1sum,
    "adler32sum": adler32sum,
    "regexMatch": _regex(lambda r, v: r.search(_str(v)) is not None),
    "mustRegexMatch": _regex(lambda r, v: r.search(_str(v)) is not None),
    "regexFind": _regex(lambda r, v: (r.search(_str(v)) or [""])[0]),
    "regexFindAll": _regex(
        lambda r, v, n: [m.group(0) for m in r.finditer(_str(v))][
            : to_int(n) if to_int(n) >= 0 else None
        ]
    ),
    "regexReplaceAll": _regex(lambda r, v, repl: r.sub(_go_replacement(_str(repl)), _str(v))),
    "regexReplaceAllLiteral": _regex(lambda r, v, repl: r.sub(lambda _m: _str(repl), _str(v))),
    "regexSplit": _regex(lambda r, v, n: r.split(_str(v), max(to_int(n), 0))),
    "regexQuoteMeta": lambda v: re.escape(_str(v)),
    "base": lambda v: _str(v).rstrip("/").rsplit("/", 1)[-1] or ".",
    "dir": lambda v: _str(v).rsplit("/", 1)[0] if "/" in _str(v) else ".",
    "ext": lambda v: "." + _str(v).rsplit(".", 1)[-1] if "." in _str(v).rsplit("/", 1)[-1] else "",
    # numbers
    "int": to_int,
    "int64": to_int,
    "float64": to_float,
    "atoi": lambda v: to_int(v) if re.fullmatch(r"[+-]?[0-9]+", _str(v).strip()) else 0,
    "add": lambda *a: sum(to_int(x) for x in a),
    "add1": lambda v: to_int(v) + 1,
    "sub": _arith(lambda a, b: a - b),
    "mul": _arith(lambda a, b: a * b),
    "div": _arith(_div),
    "mod": _arith(_mod),
    "max": lambda *a: max(to_int(x) for x in a),
    "biggest": lambda *a: max(to_int(x) for x in a),
    "min": lambda *a: min(to_int(x) for x in a),
    "addf": _floats(lambda a, b: a + b),
    "add1f": lambda v: to_float(v) + 1,
    "subf": _floats(lambda a, b: a - b),
    "mulf": _floats(lambda a, b: a * b),
    "divf": _floats(_divf),
    "maxf": lambda *a: max(to_float(x) for x in a),
    "minf": lambda *a: min(to_float(x) for x in a),
    "floor": lambda v: float(int(to_float(v) // 1)),
    "ceil": lambda v: float(-int(-to_float(v) // 1)),
    "round": lambda v, p=0, r=0.5: round(to_float(v), to_int(p)),
    "until": until,
    "untilStep": until_step,
    "seq": seq,
    # lists
    "list": lambda *a: list(a),
    "tuple": lambda *a: list(a),
    "first": first,
    "mustFirst": first,
    "last": last,
    "mustLast": last,
    "rest": lambda v: _list(v)[1:],
    "initial": lambda v: _list(v)[:-1],
    "append": lambda v, x: [*_list(v), x],
    "push": lambda v, x: [*_list(v), x],
    "mustAppend": lambda v, x: [*_list(v), x],
    "prepend": lambda v, x: [x, *_list(v)],
    "concat": _concat,
    "reverse": lambda v: list(reversed(_list(v))),
    "uniq": uniq,
    "compact": compact,
    "without": lambda v, *x: [i for i in _list(v) if not any(go_eq(i, y) for y in x)],
    "has": has,
    "mustHas": has,
    "chunk": chunk,
    # dicts
    "dict": dict_,
    "get": get,
    "set": set_,
    "unset": unset,
    "hasKey": has_key,
    "keys": keys,
    "values": values,
    "pick": pick,
    "omit": omit,
    "pluck": pluck,
    "dig": dig,
    "merge": merge,
    "mustMerge": merge,
    "mergeOverwrite": merge_overwrite,
    "mustMergeOverwrite": merge_overwrite,
    "deepCopy": deep_copy,
    "mustDeepCopy": deep_copy,
    # types
    "kindIs": _kind_is,
    "kindOf": lambda v: Unknown() if isinstance(v, Unknown) else kind_of(v),
    "typeOf": lambda v: Unknown() if isinstance(v, Unknown) else type_of(v),
    "typeIs": lambda n, v: Unknown() if isinstance(v, Unknown) else _typed("type")(n, v),
    "typeIsLike": _typed("type"),
    "deepEqual": lambda a, b: a == b,
    "semverCompare": semver_compare,
    # encodings (Helm)
    "toYaml": lambda v: to_yaml(v),
    "toYamlPretty": lambda v: to_yaml(v),
    "fromYaml": lambda v: from_yaml(v, dict),
    "fromYamlArray": lambda v: from_yaml(v, list),
    "toJson": lambda v: to_json(v),
    "mustToJson": lambda v: to_json(v),
    "toRawJson": lambda v: to_json(v, escape_html=False),
    "toPrettyJson": lambda v: to_json(v, indent=2),
    "fromJson": lambda v: from_json(v, dict),
    "fromJsonArray": lambda v: from_json(v, list),
}

# Known functions whose result depends on time, randomness, the cluster or the host.
for _name in (
    "now",
    "date",
    "dateInZone",
    "date_in_zone",
    "dateModify",
    "date_modify",
    "mustDateModify",
    "toDate",
    "mustToDate",
    "unixEpoch",
    "htmlDate",
    "htmlDateInZone",
    "ago",
    "duration",
    "durationRound",
    "randAlphaNum",
    "randAlpha",
    "randAscii",
    "randNumeric",
    "randBytes",
    "randInt",
    "shuffle",
    "uuidv4",
    "lookup",
    "getHostByName",
    "genCA",
    "genCAWithKey",
    "genPrivateKey",
    "genSelfSignedCert",
    "genSelfSignedCertWithKey",
    "genSignedCert",
    "genSignedCertWithKey",
    "buildCustomCert",
    "derivePassword",
    "bcrypt",
    "htpasswd",
    "encryptAES",
    "decryptAES",
    "semver",
    "toToml",
    "env",
    "expandenv",
    "urlParse",
    "urlJoin",
    "call",
    "js",
    "wrap",
    "wrapWith",
    "abbrev",
    "abbrevboth",
    "initials",
    "swapcase",
):
    FUNCS.setdefault(_name, _not_here(_name))
