"""The encrypted tally: weighted homomorphic product, decryption and the discrete log.

Counting is done on ciphertexts only: for each option o, (A_o, B_o) = sum over counted ballots
of weight * (a_o, b_o) (written additively). Anyone can recompute it from the board. After the
trustees' shares are combined, B_o - x*A_o = total_o * G, and total_o (at most the counted
weight) is found by baby-step giant-step.
"""

from __future__ import annotations

from collections.abc import Sequence
from math import isqrt

from ballots.secret.group import GENERATOR, IDENTITY, add, base_mul, mul, sub

Ciphertext = tuple[bytes, bytes]
MAX_TABLE = 1 << 22  # baby steps kept in memory (about 0.5 GB at most); totals up to 2**44


class DiscreteLogError(ValueError):
    pass


class WeightedSum:
    """Running sum of weight * ciphertext, per option."""

    def __init__(self, options: int) -> None:
        self.a = [IDENTITY] * options
        self.b = [IDENTITY] * options

    def add(self, cts: Sequence[Ciphertext], weight: int) -> None:
        for o, (a, b) in enumerate(cts):
            self.a[o] = add(self.a[o], mul(weight, a))
            self.b[o] = add(self.b[o], mul(weight, b))

    def merge(self, other: WeightedSum) -> None:
        for o in range(len(self.a)):
            self.a[o] = add(self.a[o], other.a[o])
            self.b[o] = add(self.b[o], other.b[o])

    def ciphertexts(self) -> list[Ciphertext]:
        return list(zip(self.a, self.b, strict=True))

    def to_json(self) -> list[list[str]]:
        return [[a.hex(), b.hex()] for a, b in self.ciphertexts()]

    @classmethod
    def from_points(cls, cts: Sequence[Ciphertext]) -> WeightedSum:
        out = cls(len(cts))
        out.a = [a for a, _ in cts]
        out.b = [b for _, b in cts]
        return out


class DiscreteLog:
    """Baby-step giant-step for m*G with 0 <= m <= bound; one table serves many lookups."""

    def __init__(self, bound: int) -> None:
        if bound < 0:
            raise ValueError("bound must be >= 0")
        self.bound = bound
        self.step = min(isqrt(bound) + 1, MAX_TABLE)
        table: dict[bytes, int] = {}
        point = IDENTITY
        for j in range(self.step):
            # An 8-byte prefix keeps the table small; a hit is confirmed by a multiplication.
            table.setdefault(point[:8], j)
            point = add(point, GENERATOR)
        self._table = table
        self._giant = base_mul(self.step)

    def find(self, target: bytes) -> int:
        point = target
        for i in range(self.bound // self.step + 1):
            j = self._table.get(point[:8])
            if j is not None:
                m = i * self.step + j
                if m <= self.bound and base_mul(m) == target:
                    return m
            point = sub(point, self._giant)
        raise DiscreteLogError(f"no total in 0..{self.bound} decrypts to this point")


def decrypt_totals(plain_points: Sequence[bytes], bound: int) -> list[int]:
    """total_o from total_o * G, each at most ``bound`` (the counted weight)."""
    solver = DiscreteLog(bound)
    return [solver.find(p) for p in plain_points]
