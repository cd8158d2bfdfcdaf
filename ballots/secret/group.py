"""ristretto255 (RFC 9496) through libsodium, as bundled by the ``rbcl`` wheel.

Why this binding: every group operation below is libsodium's own constant-time code
(``crypto_scalarmult_ristretto255*``, ``crypto_core_ristretto255_*``); rbcl only passes bytes
through ctypes. PyNaCl, which the project could otherwise use, ships a minimal libsodium build
without ristretto255, and its Ed25519 group needs an explicit subgroup check on every received
point (measured here: 97 us per multiplication plus 46 us per check, against 53 us and 5 us for
ristretto255). ristretto255 has prime order, and its decoding refuses every non-canonical
encoding, so "a point off the group" and "a non-canonical point" are both refused at decoding.

Points travel as 32-byte encodings (lowercase hex in JSON); scalars are Python ints in
[0, L) and travel as 32-byte little-endian (lowercase hex in JSON). Only canonical forms are
accepted: a scalar encoding >= L, upper-case hex or a wrong length is refused.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import re
import sys
from collections.abc import Sequence
from typing import Any, cast

import rbcl

# rbcl writes its bundled libsodium to a temporary file at import and loads it from there, but
# never removes it: a few MB left in the temp directory by every process. Once loaded, the
# library stays mapped, so the file can go.
with contextlib.suppress(AttributeError, KeyError, OSError):
    os.unlink(sys.modules["rbcl._sodium"].lib_path)

L = 2**252 + 27742317777372353535851937790883648493  # the group order
IDENTITY = bytes(32)
DOMAIN = "owners-trust/2"
_HEX64 = re.compile(r"[0-9a-f]{64}")

_base = rbcl.crypto_scalarmult_ristretto255_base
_mul = rbcl.crypto_scalarmult_ristretto255
# The plain call refuses a zero scalar and an identity result; this variant returns the
# identity instead (and re-checks the point, which is why it is only the fallback).
_mul0 = rbcl.crypto_scalarmult_ristretto255_allow_scalar_zero
_add = rbcl.crypto_core_ristretto255_add
_sub = rbcl.crypto_core_ristretto255_sub
_valid = rbcl.crypto_core_ristretto255_is_valid_point


class GroupError(ValueError):
    """An encoding is not a canonical group element or scalar."""


def _le(s: int) -> bytes:
    return s.to_bytes(32, "little")


def base_mul(s: int) -> bytes:
    """s * G (G the ristretto255 generator)."""
    s %= L
    if not s:
        return IDENTITY
    return cast(bytes, _base(_le(s)))


def mul(s: int, p: bytes) -> bytes:
    """s * P; P must already be a checked point."""
    try:
        return cast(bytes, _mul(_le(s % L), p))
    except RuntimeError:
        return cast(bytes, _mul0(_le(s % L), p))


def add(p: bytes, q: bytes) -> bytes:
    return cast(bytes, _add(p, q))


def sub(p: bytes, q: bytes) -> bytes:
    return cast(bytes, _sub(p, q))


def neg(p: bytes) -> bytes:
    return sub(IDENTITY, p)


def sum_points(points: Sequence[bytes]) -> bytes:
    if not points:
        return IDENTITY
    acc = points[0]
    for p in points[1:]:
        acc = add(acc, p)
    return acc


def double_mul(s: int, t: int, p: bytes) -> bytes:
    """s*G + t*P: the shape of every proof check."""
    return add(base_mul(s), mul(t, p))


GENERATOR = base_mul(1)


def is_point(data: Any) -> bool:
    return type(data) is bytes and len(data) == 32 and bool(_valid(data))


def point_from_hex(text: Any, what: str = "point") -> bytes:
    """A canonical ristretto255 encoding given as 64 lowercase hex characters."""
    if type(text) is not str or _HEX64.fullmatch(text) is None:
        raise GroupError(f"{what} is not 64 lowercase hex characters")
    raw = bytes.fromhex(text)
    if not _valid(raw):
        raise GroupError(f"{what} is not a canonical ristretto255 encoding")
    return raw


def scalar_from_hex(text: Any, what: str = "scalar") -> int:
    """A canonical scalar: 32 bytes little-endian, less than L, as lowercase hex."""
    if type(text) is not str or _HEX64.fullmatch(text) is None:
        raise GroupError(f"{what} is not 64 lowercase hex characters")
    value = int.from_bytes(bytes.fromhex(text), "little")
    if value >= L:
        raise GroupError(f"{what} is not reduced modulo the group order")
    return value


def scalar_hex(s: int) -> str:
    if not 0 <= s < L:
        raise GroupError("scalar out of range")
    return _le(s).hex()


def challenge(label: str, *parts: Any) -> int:
    """Fiat-Shamir: SHA-512 of the canonical JSON ["owners-trust/2", label, *parts], mod L.

    Parts are ASCII strings (ids, hex) already checked by their parsers, small integers and
    lists of those; for such values ``json.dumps`` with these separators is exactly RFC 8785,
    so the per-value validation of ``canonical_bytes`` (a sixth of a ballot check) is skipped.
    """
    data = json.dumps([DOMAIN, label, *parts], separators=(",", ":"), ensure_ascii=False)
    return int.from_bytes(hashlib.sha512(data.encode()).digest(), "little") % L


class Rng:
    """Scalars for encryption and proofs: from the OS, or deterministic for test vectors.

    Deterministic mode (``Rng(seed=...)``) draws HMAC-SHA512(seed, counter) mod L; it exists
    only to produce known-answer vectors and must never be used for a real ballot.
    """

    def __init__(self, seed: bytes | None = None) -> None:
        self._seed = seed
        self._counter = 0

    @property
    def deterministic(self) -> bool:
        return self._seed is not None

    def scalar(self) -> int:
        if self._seed is None:
            # 64 bytes reduced mod L: the bias is below 2**-250.
            return int.from_bytes(os.urandom(64), "little") % L
        self._counter += 1
        block = hmac.new(self._seed, self._counter.to_bytes(8, "big"), hashlib.sha512)
        return int.from_bytes(block.digest(), "little") % L

    def nonzero_scalar(self) -> int:
        while True:
            s = self.scalar()
            if s:
                return s
