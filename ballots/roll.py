"""A compact, sorted voter roll: token -> (index, weight) for up to millions of tokens.

Tokens are kept as one bytearray of 32-byte values plus an array of their first 8 bytes, so a
1M-token roll costs about 48 MB instead of the ~250 MB of a dict of hex strings. Lookup narrows
to a bucket by the top 16 bits of the prefix (tokens are HMAC outputs, so buckets are small),
bisects the prefixes in C, then compares the full token (prefixes may collide).
"""

from __future__ import annotations

import binascii
import operator
import re
import sys
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Mapping, Sequence

from ballots.records import is_hex64

_MAX_BUCKET_BITS = 16  # at most 2**16 buckets, by the top bits of a token
_HEX_RUN = re.compile(rb"(?:[0-9a-f]{64})*")


class RollError(ValueError):
    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class Roll:
    __slots__ = ("_prefixes", "_tokens", "_weights", "total_weight", "_last", "_starts", "_shift")

    def __init__(self) -> None:
        self._prefixes = array("Q")
        self._tokens = bytearray()
        self._weights = array("q")
        self.total_weight = 0
        self._last = b""
        self._starts: array[int] | None = None  # bucket -> first index, built on first lookup
        self._shift = 64

    def append(self, token: str, weight: int) -> int:
        """Add the next roll entry; tokens must come strictly ascending. Returns its index."""
        if not is_hex64(token):
            raise RollError("record", f"roll token {token!r} is not 64 lowercase hex")
        if type(weight) is not int or weight <= 0:
            raise RollError("record", f"roll weight {weight!r} for {token} is not an integer > 0")
        raw = bytes.fromhex(token)
        if raw <= self._last:
            if raw == self._last:
                raise RollError("duplicate", f"roll token {token} appears twice")
            raise RollError("order", f"roll token {token} is out of ascending order")
        self._last = raw
        self._prefixes.append(int.from_bytes(raw[:8], "big"))
        self._tokens += raw
        self._weights.append(weight)
        self.total_weight += weight
        self._starts = None
        return len(self._weights) - 1

    def extend_hex(self, tokens: Sequence[bytes], weights: Sequence[int]) -> None:
        """Add many entries at once: tokens as 64 lowercase hex ASCII bytes, strictly ascending.

        The same rules as ``append``, checked in bulk at C speed; on any break nothing is added
        (callers that need the precise reason replay the entries through ``append``).
        """
        if not tokens:
            return
        joined = b"".join(tokens)
        if (
            len(tokens) != len(weights)
            or len(joined) != 64 * len(tokens)
            or _HEX_RUN.fullmatch(joined) is None
            or not all(type(w) is int for w in weights)
            or min(weights) <= 0
        ):
            raise RollError("record", "roll entries are not 64-hex tokens with weights > 0")
        raw = binascii.unhexlify(joined)
        # Fixed-width lowercase hex sorts like the raw bytes; strictly ascending means sorted
        # with no repeats, and the first above the last entry already held.
        if raw[:32] <= self._last or not all(map(operator.lt, tokens, tokens[1:])):
            raise RollError("order", "roll tokens are not strictly ascending")
        words = array("Q")
        words.frombytes(raw)
        prefixes = words[::4]  # the first 8 bytes of each token
        if sys.byteorder == "little":
            prefixes.byteswap()  # big-endian, so prefix order is token order
        weights_array = array("q", weights)
        self._prefixes.extend(prefixes)
        self._tokens += raw
        self._weights.extend(weights_array)
        self.total_weight += sum(weights)
        self._last = raw[-32:]
        self._starts = None

    @classmethod
    def from_mapping(cls, weights: Mapping[str, int]) -> Roll:
        roll = cls()
        for token in sorted(weights):
            roll.append(token, weights[token])
        return roll

    def __len__(self) -> int:
        return len(self._weights)

    @property
    def last_hex(self) -> bytes:
        """The last token added, as hex ASCII bytes (b"" when empty)."""
        return binascii.hexlify(self._last)

    def _bucket_starts(self) -> array[int]:
        # About eight tokens per bucket: a few bisect steps per lookup, a small table.
        prefixes = self._prefixes
        bits = min(_MAX_BUCKET_BITS, max(0, len(prefixes).bit_length() - 3))
        self._shift = 64 - bits
        starts = array("q", [0] * ((1 << bits) + 1))
        for b in range(1, 1 << bits):
            starts[b] = bisect_left(prefixes, b << self._shift)
        starts[1 << bits] = len(prefixes)
        self._starts = starts
        return starts

    def _find(self, raw: bytes) -> int:
        prefix = int.from_bytes(raw[:8], "big")
        starts = self._starts if self._starts is not None else self._bucket_starts()
        bucket = prefix >> self._shift
        prefixes, tokens = self._prefixes, self._tokens
        hi = starts[bucket + 1]
        i = bisect_left(prefixes, prefix, starts[bucket], hi)
        if i == hi or prefixes[i] != prefix:
            return -1
        if tokens[32 * i : 32 * i + 32] == raw:
            return i
        # A shared prefix (rare, or a hostile bundle): the tokens sharing it are sorted too,
        # so bisect them on the whole token rather than scan, which could be quadratic.
        lo, hi = i + 1, bisect_right(prefixes, prefix, i, hi)
        while lo < hi:
            mid = (lo + hi) // 2
            here = tokens[32 * mid : 32 * mid + 32]
            if here == raw:
                return mid
            if here < raw:
                lo = mid + 1
            else:
                hi = mid
        return -1

    def index_of(self, token: str) -> int:
        """Roll index of ``token``, or -1 when it is not on the roll."""
        if not is_hex64(token):
            return -1
        return self._find(bytes.fromhex(token))

    def index_of_hex(self, token: bytes) -> int:
        """``index_of`` for a token already known to be 64 lowercase hex ASCII bytes."""
        return self._find(binascii.unhexlify(token))

    def weight_at(self, index: int) -> int:
        return self._weights[index]

    def token_at(self, index: int) -> str:
        return self._tokens[32 * index : 32 * index + 32].hex()

    def weight_of(self, token: str) -> int | None:
        i = self.index_of(token)
        return None if i < 0 else self._weights[i]
