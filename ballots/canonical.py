"""RFC 8785 (JCS) canonical bytes for the restricted JSON this project publishes.

The spec forbids floats and non-ASCII keys. Under those two rules JCS output is exactly
``json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=False)``: integers print
as plain decimals, ASCII keys sort the same by code point as by UTF-16 unit, and CPython's
string escaping (short escapes for \\b \\t \\n \\f \\r, lowercase ``\\u00xx`` for the other
control characters, everything else verbatim) is the JCS escaping. So we validate first and
then let the C encoder do the work; no third-party dependency is needed.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

# JCS prints numbers as IEEE-754 doubles; beyond 2**53 - 1 two different integers can print
# the same, so such integers are not representable and are refused.
MAX_SAFE_INT = 2**53 - 1


class CanonicalError(ValueError):
    """A value cannot be written as canonical JSON under the project's rules."""


def _fail(path: str, why: str) -> CanonicalError:
    return CanonicalError(f"{why} at {path}")


def _check(value: Any, path: str) -> None:
    # Explicit type checks: bool is a subclass of int, and str/int subclasses could
    # serialise differently from what their repr suggests.
    t = type(value)
    if t is str:
        if not value.isascii():
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raise _fail(path, "string is not valid Unicode (lone surrogate)") from None
    elif t is int:
        if not -MAX_SAFE_INT <= value <= MAX_SAFE_INT:
            raise _fail(path, f"integer {value} outside +/-(2**53-1), not representable in JCS")
    elif t is bool or value is None:
        pass
    elif t is float:
        raise _fail(path, f"float {value!r} not allowed (use integers)")
    elif t is dict:
        for key, item in value.items():
            if type(key) is not str:
                raise _fail(path, f"object key {key!r} is not a string")
            if not key.isascii():
                raise _fail(path, f"object key {key!r} is not ASCII")
            _check(item, f"{path}.{key}")
    elif t is list or t is tuple:
        for i, item in enumerate(value):
            _check(item, f"{path}[{i}]")
    else:
        raise _fail(path, f"value of type {t.__name__} not allowed")


def canonical_bytes(obj: Any) -> bytes:
    """Return the RFC 8785 bytes of ``obj``; raise CanonicalError naming the JSON path."""
    _check(obj, "$")
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def canonical_sha256(obj: Any) -> str:
    return sha256_hex(canonical_bytes(obj))


def _reject_float(text: str) -> Any:
    raise CanonicalError(f"float {text} not allowed")


def _reject_constant(text: str) -> Any:
    raise CanonicalError(f"{text} not allowed")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise CanonicalError(f"duplicate object key {key!r}")
        out[key] = value
    return out


def strict_loads(data: bytes | str) -> Any:
    """Parse JSON refusing floats, NaN/Infinity and duplicate keys.

    Duplicate keys matter: two parsers could otherwise disagree on what a signed object says.
    """
    try:
        return json.loads(
            data,
            parse_float=_reject_float,
            parse_constant=_reject_constant,
            object_pairs_hook=_no_duplicates,
        )
    except CanonicalError:
        raise
    except (ValueError, RecursionError) as exc:
        raise CanonicalError(f"not valid JSON: {exc}") from None
