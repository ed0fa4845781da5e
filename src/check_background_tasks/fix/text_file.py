"""A text file edited line by line and written back byte for byte as it was, but for the
edit: same encoding, same byte order mark, same line endings."""

from __future__ import annotations

import codecs
import re

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE: it starts with the same bytes
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# A line ends at LF (a CRLF line keeps its CR as part of its text's end).
_LINE = re.compile(r"[^\n]*\n|[^\n]+")


class TextFile:
    def __init__(self, source: bytes) -> None:
        self.source = source
        self.bom, self.encoding = b"", "utf-8"
        for bom, encoding in _BOMS:
            if source.startswith(bom):
                self.bom, self.encoding = bom, encoding
                break
        body = source[len(self.bom) :]
        try:
            text = body.decode(self.encoding)
        except UnicodeDecodeError:
            # Not UTF-8: latin-1 maps every byte to one character and back.
            self.encoding = "latin-1"
            text = body.decode(self.encoding)
        self.newline = "\r\n" if "\r\n" in text else "\n"
        self.lines: list[str] = _LINE.findall(text)

    @property
    def text(self) -> str:
        return "".join(self.lines)

    def line(self, number: int) -> str:
        """Line `number` (1-based) without its line end; "" past the end."""
        if 1 <= number <= len(self.lines):
            return self.lines[number - 1].rstrip("\r\n")
        return ""

    def ending(self, number: int) -> str:
        raw = self.lines[number - 1]
        return raw[len(raw.rstrip("\r\n")) :]

    def set_line(self, number: int, content: str) -> None:
        self.lines[number - 1] = content + self.ending(number)

    def insert_after(self, number: int, content: str) -> None:
        """A new line after line `number` (0: at the top), with the file's line ending."""
        if number >= 1 and not self.ending(number):
            # after a last line without a line end: the new line is the last one
            self.lines[number - 1] += self.newline
            self.lines.insert(number, content)
            return
        self.lines.insert(number, content + self.newline)

    def encoded(self) -> bytes:
        return self.bom + self.text.encode(self.encoding)
