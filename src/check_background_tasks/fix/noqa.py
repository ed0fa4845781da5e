"""`--add-noqa`: a `# noqa: BGTxxx` comment on every line with a finding, merged into a
`# noqa:` the line has already.

The syntax is the one the suppressions read (extract/python.py `NOQA`, extract/yaml_text.py
`comment_suppressions`): codes after `# noqa:`, separated by commas. A line whose end is
inside a string (a triple-quoted string, a YAML block scalar) or after a backslash
continuation cannot take a comment there and is skipped.
"""

from __future__ import annotations

import io
import re
import tokenize

import yaml

from .text_file import TextFile

# The codes of a noqa comment the line has (Python: comma-separated; YAML: spaces too).
_PY_NOQA = re.compile(r"#\s*noqa\s*:\s*([A-Z]+[0-9]+(?:\s*,\s*[A-Z]+[0-9]+)*)", re.IGNORECASE)
_YAML_NOQA = re.compile(
    r"#[ \t]*noqa[ \t]*:[ \t]*([A-Za-z]{1,10}[0-9]{1,6}(?:[ \t,]+[A-Za-z]{1,10}[0-9]{1,6})*)",
    re.IGNORECASE,
)


def _with_codes(line: str, codes: set[str], pattern: re.Pattern[str]) -> str:
    match = pattern.search(line)
    if match is None:
        body = line.rstrip(" \t")
        return f"{body}  # noqa: {', '.join(sorted(codes))}"
    present = {c.upper() for c in re.findall(r"[A-Za-z]+[0-9]+", match.group(1))}
    missing = sorted(codes - present)
    if not missing:
        return line
    end = match.end(1)
    return line[:end] + "".join(f", {code}" for code in missing) + line[end:]


def python_blocked_lines(source: bytes) -> set[int] | None:
    """Lines whose end cannot take a comment; None when the file does not tokenize."""
    blocked: set[int] = set()
    try:
        for token in tokenize.tokenize(io.BytesIO(source).readline):
            if token.start[0] != token.end[0] and token.type != tokenize.NL:
                blocked.update(range(token.start[0], token.end[0]))
    except (tokenize.TokenError, SyntaxError, UnicodeDecodeError):
        return None
    return blocked


def add_python(text: TextFile, lines: dict[int, set[str]], source: bytes) -> dict[int, str]:
    """Add the directives; {line: why not} for lines left alone."""
    blocked = python_blocked_lines(source)
    if blocked is None:
        return dict.fromkeys(lines, "the file does not tokenize")
    refused: dict[int, str] = {}
    for number, codes in sorted(lines.items()):
        line = text.line(number)
        if not 1 <= number <= len(text.lines):
            refused[number] = "the file has no such line"
        elif number in blocked:
            refused[number] = "the line ends inside a string"
        elif line.rstrip().endswith("\\"):
            refused[number] = "the line continues with a backslash"
        else:
            text.set_line(number, _with_codes(line, codes, _PY_NOQA))
    return refused


def add_yaml(text: TextFile, lines: dict[int, set[str]]) -> dict[int, str]:
    before = _load(text.text)
    refused: dict[int, str] = {}
    for number, codes in sorted(lines.items()):
        line = text.line(number)
        if not 1 <= number <= len(text.lines):
            refused[number] = "the file has no such line"
        elif not line.strip():
            refused[number] = "the line is empty"
        else:
            text.set_line(number, _with_codes(line, codes, _YAML_NOQA))
            if before is not None and _load(text.text) != before:
                # inside a block scalar or a quoted string: the comment would be data
                text.set_line(number, line)
                refused[number] = "a comment there would change the YAML's data"
    return refused


def _load(text: str) -> list[object] | None:
    try:
        return list(yaml.safe_load_all(text))
    except yaml.YAMLError:
        return None
