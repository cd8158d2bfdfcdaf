"""How deep a JSON text nests, counted on the raw text before anything parses it.

Python's json module recurses once per nesting level: `[` pasted 9,000 times raised
RecursionError (an anonymous 500) in /verify, the ballot API and the import API. No document
this app accepts nests deeper than a few levels, so callers refuse anything beyond MAX_DEPTH
before parsing. Strings are blanked out and the brackets kept by regular expressions (both in
C), so a 64 MB import body costs well under a second.
"""

from __future__ import annotations

import re
from itertools import accumulate

MAX_DEPTH = 32

_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKET = re.compile(rb"[^\[\]{}]")
_STEP = bytes.maketrans(b"[{]}", b"\x01\x01\x02\x02")


def nesting_depth(data: bytes | str) -> int:
    """How deep the brackets outside strings nest (0 for a scalar). Unbalanced input gives
    the deepest point reached; the parser then names the syntax error."""
    raw = data.encode() if isinstance(data, str) else data
    brackets = _NOT_BRACKET.sub(b"", _STRING.sub(b'""', raw)).translate(_STEP)
    if not brackets:
        return 0
    return max(accumulate(1 if step == 1 else -1 for step in brackets))


def too_deep(data: bytes | str) -> bool:
    raw = data.encode() if isinstance(data, str) else data
    # A text cannot nest deeper than it has opening brackets (those inside strings included):
    # every ballot and form body the app takes has a few dozen, and skips the full count.
    if raw.count(b"[") + raw.count(b"{") <= MAX_DEPTH:
        return False
    return nesting_depth(raw) > MAX_DEPTH
