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

# Files past this size are not read at all: Python ones are reported (BGT900, info), YAML
# and JSON ones are data (lock files, fixtures, dumps). `max-file-size` changes it.
DEFAULT_MAX_FILE_SIZE = 2 * 1024 * 1024

# 200,000 tokens keep one parse near 135 MiB (bench/README.md), inside the 150 MiB per
# worker. `max-file-tokens` changes it.
DEFAULT_MAX_FILE_TOKENS = 200_000

# A word, or one character of punctuation. Never fewer than the real tokens, so a file
# under the limit by this count is under it for certain; strings and comments count
# per word, so a Python file over it is counted again by the tokenizer.
_ROUGH_TOKEN = re.compile(rb"\w+|[^\s\w]")


def _rough_count_exceeds(source: bytes, limit: int) -> bool:
    beyond = islice(_ROUGH_TOKEN.finditer(source), limit, None)
    return next(beyond, None) is not None


def _python_count_exceeds(source: bytes, limit: int) -> bool:
    import io
    import tokenize  # only for the rare file the rough count put over the limit

    code_tokens = (tokenize.NAME, tokenize.NUMBER, tokenize.STRING, tokenize.OP)
    count = 0
    try:
        for token in tokenize.tokenize(io.BytesIO(source).readline):
            if token.type in code_tokens:
                count += 1
                if count > limit:
                    return True
    except (tokenize.TokenError, SyntaxError, UnicodeDecodeError):
        # Unterminated at the end: CPython would parse all of it before failing, so the
        # rough count, which was over the limit, stands.
        return True
    return False


def too_many_tokens(name: str, source: bytes, limit: int) -> bool:
    """Whether parsing `source` would take more than `limit` tokens."""
    if len(source) <= limit:  # every token is at least one byte
        return False
    if not _rough_count_exceeds(source, limit):
        return False
    if name.endswith((".py", ".pyi")):
        return _python_count_exceeds(source, limit)
    return True
