"""Non-interactive zero-knowledge proofs (Fiat-Shamir over SHA-512, see group.challenge).

Every proof is a list of [c, z] pairs of scalars (lowercase hex). The statement's public
values and a caller-supplied context (proposal id, voter token, election key, the ballot's
ciphertexts...) go into the challenge, so a proof cannot be moved to another statement.

- membership: an ElGamal ciphertext (a, b) under key H encrypts one of the listed values
  (Cramer-Damgard-Schoenmakers disjunction of Chaum-Pedersen proofs). With the values [0, 1]
  it is the per-option proof; with [1] or [1..seats] the ballot's sum proof.
- knowledge: Schnorr proof of knowing x with X = x*G (trustee commitments).
- equality: Chaum-Pedersen proof that log_G X = log_A D (decryption shares).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ballots.secret.group import (
    GroupError,
    Rng,
    base_mul,
    challenge,
    mul,
    scalar_from_hex,
    scalar_hex,
    sub,
)
from ballots.secret.group import L as ORDER

Proof = list[list[str]]


class ProofError(ValueError):
    """A proof is malformed or does not verify."""


def parse_pairs(proof: Any, count: int, what: str) -> list[tuple[int, int]]:
    """``count`` [c, z] pairs of canonical scalars, or ProofError."""
    if type(proof) is not list or len(proof) != count:
        raise ProofError(f"{what} must be a list of {count} [c, z] pairs")
    out: list[tuple[int, int]] = []
    for pair in proof:
        if type(pair) is not list or len(pair) != 2:
            raise ProofError(f"{what} must be a list of {count} [c, z] pairs")
        try:
            out.append((scalar_from_hex(pair[0], what), scalar_from_hex(pair[1], what)))
        except GroupError as exc:
            raise ProofError(str(exc)) from None
    return out


def _shifted(b: bytes, value: int, value_points: dict[int, bytes] | None) -> bytes:
    if value == 0:
        return b
    vg = value_points.get(value) if value_points is not None else None
    return sub(b, vg if vg is not None else base_mul(value))


def prove_membership(
    label: str,
    context: Sequence[Any],
    key: bytes,
    a: bytes,
    b: bytes,
    values: Sequence[int],
    value: int,
    r: int,
    rng: Rng,
) -> Proof:
    """Prove (a, b) = (r*G, value*G + r*key) with value among ``values``."""
    real = values.index(value)
    cs = [0] * len(values)
    zs = [0] * len(values)
    commitments: list[list[str]] = []
    w = rng.scalar()
    for j, v in enumerate(values):
        if j == real:
            commitments.append([base_mul(w).hex(), mul(w, key).hex()])
            continue
        cs[j], zs[j] = rng.scalar(), rng.scalar()
        big_a = sub(base_mul(zs[j]), mul(cs[j], a))
        big_b = sub(mul(zs[j], key), mul(cs[j], _shifted(b, v, None)))
        commitments.append([big_a.hex(), big_b.hex()])
    c = challenge(label, *context, commitments)
    cs[real] = (c - sum(cs)) % ORDER
    zs[real] = (w + cs[real] * r) % ORDER
    return [[scalar_hex(cj), scalar_hex(zj)] for cj, zj in zip(cs, zs, strict=True)]


def verify_membership(
    label: str,
    context: Sequence[Any],
    key: bytes,
    a: bytes,
    b: bytes,
    values: Sequence[int],
    pairs: Sequence[tuple[int, int]],
    value_points: dict[int, bytes] | None = None,
) -> bool:
    """Check a parsed membership proof. ``value_points`` may cache v*G for the values."""
    commitments: list[list[str]] = []
    total = 0
    for v, (cj, zj) in zip(values, pairs, strict=True):
        big_a = sub(base_mul(zj), mul(cj, a))
        big_b = sub(mul(zj, key), mul(cj, _shifted(b, v, value_points)))
        commitments.append([big_a.hex(), big_b.hex()])
        total += cj
    return total % ORDER == challenge(label, *context, commitments)


def prove_knowledge(label: str, context: Sequence[Any], x: int, rng: Rng) -> Proof:
    """Schnorr: knowledge of x for X = x*G."""
    big_x = base_mul(x)
    w = rng.scalar()
    c = challenge(label, *context, big_x.hex(), base_mul(w).hex())
    return [[scalar_hex(c), scalar_hex((w + c * x) % ORDER)]]


def verify_knowledge(
    label: str, context: Sequence[Any], big_x: bytes, pair: tuple[int, int]
) -> bool:
    c, z = pair
    t = sub(base_mul(z), mul(c, big_x))
    return c == challenge(label, *context, big_x.hex(), t.hex())


def prove_equality(
    label: str, context: Sequence[Any], x: int, a: bytes, rng: Rng
) -> tuple[bytes, Proof]:
    """D = x*A together with a proof that log_G(x*G) = log_A(D)."""
    big_x, d = base_mul(x), mul(x, a)
    w = rng.scalar()
    t1, t2 = base_mul(w), mul(w, a)
    c = challenge(label, *context, big_x.hex(), a.hex(), d.hex(), t1.hex(), t2.hex())
    return d, [[scalar_hex(c), scalar_hex((w + c * x) % ORDER)]]


def verify_equality(
    label: str,
    context: Sequence[Any],
    big_x: bytes,
    a: bytes,
    d: bytes,
    pair: tuple[int, int],
) -> bool:
    c, z = pair
    t1 = sub(base_mul(z), mul(c, big_x))
    t2 = sub(mul(z, a), mul(c, d))
    return c == challenge(label, *context, big_x.hex(), a.hex(), d.hex(), t1.hex(), t2.hex())
