"""A compact, sorted voter roll: token -> (index, weight) for up to millions of tokens.

Tokens are kept as one bytearray of 32-byte values plus an array of their first 8 bytes, so a
1M-token roll costs about 48 MB instead of the ~250 MB of a dict of hex strings. Lookup is a
C-level bisect on the prefixes, then a full compare (prefixes may collide).
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Mapping

from ballots.records import is_hex64


class RollError(ValueError):
    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class Roll:
    __slots__ = ("_prefixes", "_tokens", "_weights", "total_weight", "_last")

    def __init__(self) -> None:
        self._prefixes = array("Q")
        self._tokens = bytearray()
        self._weights = array("q")
        self.total_weight = 0
        self._last = b""

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
        return len(self._weights) - 1

    @classmethod
    def from_mapping(cls, weights: Mapping[str, int]) -> Roll:
        roll = cls()
        for token in sorted(weights):
            roll.append(token, weights[token])
        return roll

    def __len__(self) -> int:
        return len(self._weights)

    def index_of(self, token: str) -> int:
        """Roll index of ``token``, or -1 when it is not on the roll."""
        if not is_hex64(token):
            return -1
        raw = bytes.fromhex(token)
        prefix = int.from_bytes(raw[:8], "big")
        i = bisect_left(self._prefixes, prefix)
        n = len(self._prefixes)
        while i < n and self._prefixes[i] == prefix:
            if self._tokens[32 * i : 32 * i + 32] == raw:
                return i
            i += 1
        return -1

    def weight_at(self, index: int) -> int:
        return self._weights[index]

    def token_at(self, index: int) -> str:
        return self._tokens[32 * index : 32 * index + 32].hex()

    def weight_of(self, token: str) -> int | None:
        i = self.index_of(token)
        return None if i < 0 else self._weights[i]
