"""How much of a file the extractors may take on: bytes read, and tokens parsed.

A parse's memory follows the file's tokens, not its bytes: CPython's `compile()` holds
about 0.6 KiB per token at its peak, so a dense generated file of 510 KB (205,000 tokens)
peaked at 138 MiB, while a hand-written 535 KB module with long docstrings (51,000 tokens)
peaked at 46 MiB. A byte cap low enough for the first skipped the second, and with it
real findings. So bytes only bound what is read; tokens bound what is parsed.
"""

from __future__ import annotations

import re
from itertools import islice

# Python files past this size are reported (BGT900, info), not analysed; YAML and JSON
# have their own lower default (engine.DEFAULT_DATA_LIMIT). `max-file-size` changes both.
DEFAULT_MAX_FILE_SIZE = 2 * 1024 * 1024

# 200,000 tokens keep one parse near 135 MiB (bench/README.md), inside the 150 MiB per
# worker. `max-file-tokens` changes it.
DEFAULT_MAX_FILE_TOKENS = 200_000

# A word, or one character of punctuation. Never fewer than the real tokens, so a file
# under the limit by this count is under it for certain; strings and comments count
# per word, so a Python file over it is counted again by the tokenizer.
_ROUGH_TOKEN = re.compile(rb"\w+|[^\s\w]")
_LONG_LINE = 64 * 1024


def _rough_count_exceeds(source: bytes, limit: int) -> bool:
    beyond = islice(_ROUGH_TOKEN.finditer(source), limit, None)
    return next(beyond, None) is not None


def _python_count_exceeds(source: bytes, limit: int) -> bool:
    import io
    import tokenize  # only for the rare file the rough count put over the limit

    # On 3.12+ f-strings are tokenized in parts, each a node for the parser.
    names = ("NAME", "NUMBER", "STRING", "OP", "FSTRING_START", "FSTRING_MIDDLE", "FSTRING_END")
    code_tokens = {getattr(tokenize, name) for name in names if hasattr(tokenize, name)}
    count = 0
    try:
        for token in tokenize.tokenize(io.BytesIO(source).readline):
            if token.type in code_tokens:
                count += 1
                if count > limit:
                    return True
    except (SyntaxError, UnicodeDecodeError, LookupError, ValueError, tokenize.TokenError):
        # The parse stops where the tokenizer did, under the limit so far: the extractor
        # reports the real error (a syntax error, undecodable bytes), not the size.
        return False
    return False


def too_many_tokens(name: str, source: bytes, limit: int) -> bool:
    """Whether parsing `source` would take more than `limit` tokens."""
    if len(source) <= limit:  # every token is at least one byte
        return False
    if not _rough_count_exceeds(source, limit):
        return False
    if name.endswith((".py", ".pyi")):
        if any(len(line) > _LONG_LINE for line in source.splitlines()):
            # The tokenizer is slow on very long lines on some versions (3.12.1: 45 s for
            # one 2 MiB line); such a file is generated, and the rough count stands.
            return True
        return _python_count_exceeds(source, limit)
    return True
