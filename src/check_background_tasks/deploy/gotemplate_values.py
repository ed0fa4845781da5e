"""Values as the Go-template evaluator sees them, and how Go prints and judges them.

Data is plain Python: ``dict`` (a Go ``map[string]interface{}``), ``list``, ``str``,
``int``, ``float``, ``bool``, ``None`` (nil). Helm reads values files through JSON, so
every number in values is a ``float64``; the renderer converts values numbers to
``float`` and this module prints them as Go does (``1e+06``, see helm/helm#6431).

Three additions:

- :class:`Unknown`: a value only the deployment knows (``.Release.Name``, ``lookup``,
  a values key an unread values source may set). It propagates through functions and is
  printed as a template action, ``{{ ... }}``, so that the YAML reading of the rendered
  text marks the field unknown (never missing).
- :class:`Text`: a ``str`` that remembers, per line, which template line or values entry
  wrote it (included templates, ``toYaml`` of values), so positions map back.
- :class:`GoObject`: Helm's built-in objects (``.Chart``, ``.Capabilities``, ...): fields
  and methods (``.Capabilities.APIVersions.Has``).

A ``dict`` holding the key :data:`~check_background_tasks.model.OPEN` has further keys
nobody here can read (values from ``valuesFrom``, a values file not in the scan): a key
it lacks is unknown, not absent. Iteration skips that key.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any, NamedTuple

from ..model import OPEN, Location


class Unknown:
    """A value that cannot be known here. ``desc`` is what the marker shows; ``indent``
    and ``newline`` record ``indent``/``nindent`` applied to it, so its marker lands on a
    line of its own at that indentation (the YAML reading then treats the mapping around
    it as open)."""

    __slots__ = ("desc", "indent", "newline")

    def __init__(self, desc: str | None = None, indent: int = 0, newline: bool = False) -> None:
        self.desc = desc
        self.indent = indent
        self.newline = newline

    def __repr__(self) -> str:
        return f"Unknown({self.desc!r})"


UNKNOWN = Unknown()


def is_unknown(value: Any) -> bool:
    return isinstance(value, Unknown)


class LineInfo(NamedTuple):
    """Where one line of output came from.

    ``loc`` is where the character at column ``anchor`` (0-based, in this line) was
    written; ``origin`` is the values entry of the innermost ``range`` element that wrote
    the line (None outside such a range); ``value_loc`` is the values entry of a scalar
    printed inline on the line (``schedule: {{ .Values.schedule }}``). (A named tuple:
    renders make one per output line, and tuples are cheap to build.)
    """

    loc: Location
    anchor: int
    origin: Location | None = None
    value_loc: Location | None = None
    # later visible pieces of the line: (output column, file, line, column)
    segments: tuple[tuple[int, str, int, int], ...] = ()

    def shifted(self, by: int) -> LineInfo:
        segments = tuple((s[0] + by, *s[1:]) for s in self.segments) if self.segments else ()
        return LineInfo(self.loc, self.anchor + by, self.origin, self.value_loc, segments)

    def at(self, column: int) -> Location:
        """Where the character at output ``column`` (0-based) of this line was written."""
        for out_col, file, line, src_col in reversed(self.segments):
            if out_col <= column:
                return Location(file, line, max(src_col + column - out_col, 1))
        return Location(
            self.loc.file, self.loc.line, max(self.loc.column + column - self.anchor, 1)
        )

    def from_column(self, column: int) -> LineInfo:
        """The provenance of this line's text from output ``column`` on (its start
        becomes column 0)."""
        loc = self.at(column)
        segments = tuple((s[0] - column, *s[1:]) for s in self.segments if s[0] > column)
        return LineInfo(loc, 0, self.origin, self.value_loc, segments)


class Text(str):
    """A string with one :class:`LineInfo` (or None) per line."""

    lines: tuple[LineInfo | None, ...]

    def __new__(cls, value: str, lines: tuple[LineInfo | None, ...]) -> Text:
        self = super().__new__(cls, value)
        if len(lines) != value.count("\n") + 1:
            lines = (lines + (None,) * (value.count("\n") + 1))[: value.count("\n") + 1]
        self.lines = lines
        return self


def text_slice(value: str, start: int, end: int) -> str:
    """``value[start:end]``, keeping line provenance when ``value`` is a :class:`Text`."""
    out = value[start:end]
    if not isinstance(value, Text):
        return out
    first = value.count("\n", 0, start)
    line_start = value.rfind("\n", 0, start) + 1
    lines = list(value.lines[first : first + out.count("\n") + 1])
    if lines and lines[0] is not None:
        lines[0] = lines[0].shifted(-(start - line_start))
    return Text(out, tuple(lines))


def text_indent(value: str, spaces: int, newline: bool) -> str:
    """sprig ``indent``/``nindent``: pad every line, provenance shifted with it."""
    pad = " " * spaces
    out = pad + value.replace("\n", "\n" + pad)
    if newline:
        out = "\n" + out
    if not isinstance(value, Text):
        return out
    lines = tuple(info.shifted(spaces) if info else None for info in value.lines)
    return Text(out, ((None,) if newline else ()) + lines)


class GoObject:
    """A Go struct value: fields and methods by name; printed as ``text``."""

    def __init__(
        self,
        type_name: str,
        fields: dict[str, Any],
        methods: dict[str, Callable[..., Any]] | None = None,
        text: str | None = None,
    ) -> None:
        self.type_name = type_name
        self.fields = fields
        self.methods = methods or {}
        self.text = text if text is not None else f"{{{type_name}}}"

    def __repr__(self) -> str:
        return f"GoObject({self.type_name})"


def keys_of(mapping: dict[str, Any]) -> list[str]:
    """A map's keys as Go iterates them in templates: sorted, without :data:`OPEN`."""
    return sorted(k for k in mapping if k != OPEN)


def is_open(value: Any) -> bool:
    return isinstance(value, dict) and bool(value.get(OPEN))


# --------------------------------------------------------------------------- printing


def go_float(value: float) -> str:
    """``fmt.Sprint`` of a float64: shortest digits, ``%e`` form when the exponent is
    below -4 or at least 6 (strconv 'g' with shortest precision), ``1e+06``."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if value == 0:
        return "-0" if math.copysign(1, value) < 0 else "0"
    sign, digits_tuple, exponent = Decimal(repr(value)).normalize().as_tuple()
    assert isinstance(exponent, int)
    digits = "".join(map(str, digits_tuple))
    point = len(digits) + exponent  # position of the decimal point from the left
    exp10 = point - 1
    prefix = "-" if sign else ""
    if exp10 < -4 or exp10 >= 6:
        mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return f"{prefix}{mantissa}e{'-' if exp10 < 0 else '+'}{abs(exp10):02d}"
    if point <= 0:
        return f"{prefix}0.{'0' * -point}{digits}"
    if point >= len(digits):
        return prefix + digits + "0" * (point - len(digits))
    return f"{prefix}{digits[:point]}.{digits[point:]}"


def sprint(value: Any, nil: str = "<nil>") -> str:
    """``fmt.Sprint`` (``%v``) of a value; maps print as ``map[k:v ...]``, sorted."""
    if value is None:
        return nil
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return go_float(value)
    if isinstance(value, list):
        return "[" + " ".join(sprint(item) for item in value) + "]"
    if isinstance(value, dict):
        return "map[" + " ".join(f"{k}:{sprint(value[k])}" for k in keys_of(value)) + "]"
    if isinstance(value, GoObject):
        return value.text
    if isinstance(value, Unknown):
        return marker(value.desc)
    return str(value)


_INDENT_WORD_RE = re.compile(r"\|?\s*\bn?indent\s+[0-9]+")


def marker(desc: str | None) -> str:
    """The action text an unknown value is printed as; it never holds ``indent N`` (the
    YAML reading would take that for the indentation) nor a nested delimiter."""
    text = " ".join((desc or "unknown").split())
    text = _INDENT_WORD_RE.sub("", text).replace("{{", "{ {").replace("}}", "} }").strip()
    if len(text) > 60:
        text = text[:57] + "..."
    return "{{ " + (text or "unknown") + " }}"


def has_marker(value: Any) -> bool:
    return isinstance(value, str) and "{{" in value and "}}" in value


# ------------------------------------------------------------------------------ truth


def truth(value: Any) -> bool | None:
    """Go's ``if`` truth (text/template ``IsTrue``); None when unknown. A string that is
    nothing but unknown markers is unknown too (an included helper printing an unknown)."""
    if isinstance(value, Unknown):
        return None
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    if isinstance(value, str):
        if has_marker(value) and not _MARKER_RE.sub("", value).strip():
            return None
        return bool(value)
    if isinstance(value, dict):
        if any(k != OPEN for k in value):
            return True
        return None if value.get(OPEN) else False
    if isinstance(value, list | tuple):
        return bool(value)
    return True


_MARKER_RE = re.compile(r"\{\{.*?\}\}", re.DOTALL)


def empty(value: Any) -> bool | None:
    """sprig ``empty``: nil, zero, false, and length 0 are empty; None when unknown."""
    result = truth(value)
    return None if result is None else not result


def kind_of(value: Any) -> str:
    """sprig ``kindOf`` (reflect.Kind of the value)."""
    if value is None:
        return "invalid"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float64"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "slice"
    if isinstance(value, dict):
        return "map"
    return "ptr"


def type_of(value: Any) -> str:
    """sprig ``typeOf`` (``fmt.Sprintf("%T")``) for the types values and functions make."""
    return {
        "invalid": "<nil>",
        "bool": "bool",
        "int": "int",
        "float64": "float64",
        "string": "string",
        "slice": "[]interface {}",
        "map": "map[string]interface {}",
    }.get(kind_of(value), "*struct {}")
