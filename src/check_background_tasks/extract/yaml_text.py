"""Text helpers shared by the YAML and Procfile extractors.

- :func:`decode_text`: bytes → str with BOM detection and a non-failing fallback.
- :func:`comment_suppressions`: ``# noqa: BGT011`` / ``# bgt: ignore[BGT011,BGT012]``.
- :func:`preprocess_helm`: make a Helm/Go template parseable as YAML while keeping every
  line number: lines that only hold template actions are blanked, inline actions become
  ``__tplN__`` placeholders (see :func:`restore` / :func:`is_templated`).
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field

from ..model import Suppression

# --------------------------------------------------------------------------- decoding

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE: it starts with the same bytes
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def decode_text(source: bytes) -> str:
    """Decode a text file: BOMs (UTF-8/16/32), else UTF-8, else cp1252, else latin-1.

    Never raises; the last fallback maps every byte.
    """
    for bom, encoding in _BOMS:
        if source.startswith(bom):
            return source[len(bom) :].decode(encoding, errors="replace")
    try:
        return source.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return source.decode("cp1252")
    except UnicodeDecodeError:
        return source.decode("latin-1")


def has_wide_bom(source: bytes) -> bool:
    """UTF-16/32 text: byte-level keyword tests do not work on it."""
    return source[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE) or source[:4] in (
        codecs.BOM_UTF32_LE,
        codecs.BOM_UTF32_BE,
    )


# ----------------------------------------------------------------------- suppressions

# Linear-time patterns only (hostile input): every match starts at a ``#`` and stops at
# the next ``#`` or line end, so no line can make them backtrack quadratically.
_NOQA_RE = re.compile(r"#[ \t]*noqa[ \t]*:([^#\n]*)", re.IGNORECASE)
_BGT_RE = re.compile(r"#[ \t]*bgt[ \t]*:[ \t]*ignore[ \t]*\[([^\]#\n]*)\]", re.IGNORECASE)
_CODE_RE = re.compile(r"[A-Za-z]+[0-9]+")
_CODE_FULL_RE = re.compile(r"[A-Za-z]{1,10}[0-9]{1,6}")


def parse_codes(text: str) -> frozenset[str]:
    """``"BGT011, bgt012"`` → ``{"BGT011", "BGT012"}``."""
    return frozenset(code.upper() for code in _CODE_RE.findall(text))


def _noqa_codes(rest: str) -> set[str]:
    """Codes after ``# noqa:``, up to the first word that is not a code (flake8-style)."""
    codes: set[str] = set()
    for word in rest.replace(",", " ").split():
        if not _CODE_FULL_RE.fullmatch(word):
            break
        codes.add(word.upper())
    return codes


def comment_suppressions(text: str) -> list[Suppression]:
    """Line suppressions from ``#`` comments; a bare ``# noqa`` silences nothing."""
    lowered = text.lower()
    if "noqa" not in lowered and "bgt" not in lowered:
        return []
    out: list[Suppression] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if "#" not in line:
            continue
        codes: set[str] = set()
        for match in _NOQA_RE.finditer(line):
            codes |= _noqa_codes(match.group(1))
        for match in _BGT_RE.finditer(line):
            codes |= parse_codes(match.group(1))
        if codes:
            out.append(Suppression(line=number, codes=frozenset(codes)))
    return out


# -------------------------------------------------------------------- Helm templates

_TOKEN_RE = re.compile("\x00([0-9]+)\x01")
_PLACEHOLDER_RE = re.compile(r"__tpl([0-9]+)__")
_INDENT_ARG_RE = re.compile(r"\bn?indent\s+([0-9]+)")
_CONTROL_WORDS = frozenset(
    {"if", "else", "end", "range", "with", "define", "block", "break", "continue"}
)
_ASSIGN_RE = re.compile(r"^\$[A-Za-z0-9_]*\s*:?=")


@dataclass
class HelmText:
    """Template-free YAML text with the same line numbers as the original."""

    text: str
    originals: list[str] = field(default_factory=list)  # placeholder index → action text
    # 0-based line → indentation a value-producing action on its own line injects at
    # (``nindent N`` / ``indent N`` when given, else the line's own indentation)
    injected: dict[int, int] = field(default_factory=dict)


def _is_control(action: str) -> bool:
    body = action[2:-2].strip()
    if body.startswith("-"):
        body = body[1:]
    if body.endswith("-"):
        body = body[:-1]
    body = body.strip()
    if not body or body.startswith("/*"):
        return True
    if _ASSIGN_RE.match(body):
        return True
    word = body.split(None, 1)[0]
    return word in _CONTROL_WORDS


def preprocess_helm(text: str) -> HelmText:
    """Blank pure-template lines and replace inline actions with ``__tplN__``.

    ``{{- if .Values.x }}`` / ``{{- end }}`` lines vanish (both branches of an
    ``if``/``else`` stay, so duplicate keys may appear: readers take the first);
    ``{{ toYaml .Values.resources | nindent 12 }}`` on its own line vanishes too but is
    remembered in :attr:`HelmText.injected`, so a key that is absent near it is
    *unknown* rather than *missing*; ``schedule: {{ .Values.schedule | quote }}`` becomes
    ``schedule: __tpl0__``.
    """
    if "{{" not in text:
        return HelmText(text)
    originals: list[str] = []
    pieces: list[str] = []
    position = search = 0
    end = -1
    while True:  # linear scan (a regex would go quadratic on "{{{{..." without "}}")
        begin = text.find("{{", search)
        if begin < 0:
            break
        if end < begin + 2:
            end = text.find("}}", begin + 2)
            if end < 0:
                break
        following = text.find("{{", begin + 2, end)
        if following >= 0:  # actions do not nest: this "{{" is literal text
            search = following
            continue
        action = text[begin : end + 2]
        originals.append(action)
        # keep the action's own line breaks after the token so later lines keep their number
        pieces.append(text[position:begin])
        pieces.append(f"\x00{len(originals) - 1}\x01" + "\n" * action.count("\n"))
        position = search = end + 2
    pieces.append(text[position:])
    tokenized = "".join(pieces)
    injected: dict[int, int] = {}
    out_lines: list[str] = []
    for number, line in enumerate(tokenized.split("\n")):
        if "\x00" not in line:
            out_lines.append(line)
            continue
        tokens = [int(index) for index in _TOKEN_RE.findall(line)]
        if not _TOKEN_RE.sub("", line).strip():
            value_actions = [originals[i] for i in tokens if not _is_control(originals[i])]
            if value_actions:
                found = _INDENT_ARG_RE.search(value_actions[0])
                indent = int(found.group(1)) if found else len(line) - len(line.lstrip())
                injected[number] = indent
            out_lines.append("")
            continue
        out_lines.append(_TOKEN_RE.sub(lambda m: _inline(m, originals), line))
    return HelmText("\n".join(out_lines), originals, injected)


def _inline(match: re.Match[str], originals: list[str]) -> str:
    """An action inside a line: a value becomes a placeholder; a control action
    (``{{ if .x }}timeZone: ...{{ end }}``) writes nothing, so the line stays YAML."""
    index = int(match.group(1))
    return "" if _is_control(originals[index]) else f"__tpl{index}__"


def is_templated(value: str) -> bool:
    return "__tpl" in value and _PLACEHOLDER_RE.search(value) is not None


def restore(value: str, originals: list[str]) -> str:
    """Put the original template actions back into a value that holds placeholders."""
    if "__tpl" not in value or not originals:
        return value

    def back(match: re.Match[str]) -> str:
        index = int(match.group(1))
        return originals[index] if index < len(originals) else match.group(0)

    return _PLACEHOLDER_RE.sub(back, value)
