"""Encrypted ballots: one exponential-ElGamal ciphertext per option, proofs, tracker, audit.

A ballot as the voter's device submits it (the "cast object", docs/verification.md):

    {"proposal": ID, "token": HEX64, "ciphertexts": [[a, b], ...],
     "proofs": [[[c, z], [c, z]], ...], "sum_proof": [[c, z], ...]}

Its tracker is the SHA-256 of its canonical bytes. The tracker, not the choice, is what the
signed receipt carries.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ballots.canonical import canonical_sha256, sha256_hex
from ballots.records import is_hex64
from ballots.secret.group import (
    GENERATOR,
    GroupError,
    Rng,
    add,
    base_mul,
    mul,
    point_from_hex,
    scalar_from_hex,
    scalar_hex,
    sum_points,
)
from ballots.secret.proofs import (
    Proof,
    ProofError,
    parse_pairs,
    prove_membership,
    verify_membership,
)
from ballots.tally import SelectionError, VoteSpec, validate_selection

CAST_KEYS = frozenset({"proposal", "token", "ciphertexts", "proofs", "sum_proof"})
OPTION_LABEL = "ballot-option"
SUM_LABEL = "ballot-sum"
ZERO_ONE = (0, 1)
Ciphertext = tuple[bytes, bytes]


class BallotError(ValueError):
    """A ballot is malformed or one of its proofs fails. ``reason`` is a short stable code."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def sum_values(spec: VoteSpec) -> tuple[int, ...]:
    """How many 1s a ballot may hold: exactly one, or 1..seats for approval."""
    if spec.method == "approval":
        return tuple(range(1, spec.seats + 1))
    return (1,)


def ciphertexts_json(cts: Sequence[Ciphertext]) -> list[list[str]]:
    return [[a.hex(), b.hex()] for a, b in cts]


def tracker_of(cast: Mapping[str, Any]) -> str:
    return canonical_sha256(dict(cast))


@dataclass(frozen=True)
class EncryptedBallot:
    """What the device holds after encrypting: the cast object and its secrets.

    ``randomness`` and ``selection`` never leave the device unless the voter audits (and
    then discards) this ballot.
    """

    cast: dict[str, Any]
    tracker: str
    selection: tuple[str, ...]
    randomness: tuple[int, ...]

    def audit_record(self) -> dict[str, Any]:
        """The Benaloh challenge: everything needed to check this ballot's content."""
        return {
            "ballot": self.cast,
            "tracker": self.tracker,
            "selection": list(self.selection),
            "randomness": [scalar_hex(r) for r in self.randomness],
        }


def encrypt_ballot(
    spec: VoteSpec,
    key: bytes,
    token: str,
    selection: Sequence[str],
    rng: Rng | None = None,
) -> EncryptedBallot:
    """Encrypt a selection for ``token`` under the election key, with all proofs."""
    rng = rng or Rng()
    chosen = validate_selection(spec, list(selection))
    if not is_hex64(token):
        raise ValueError("token must be 64 lowercase hex characters")
    bits = [1 if o in chosen else 0 for o in spec.option_ids]
    rs = [rng.nonzero_scalar() for _ in bits]
    cts = [(base_mul(r), add(base_mul(m), mul(r, key))) for m, r in zip(bits, rs, strict=True)]
    cts_json = ciphertexts_json(cts)
    context: list[Any] = [spec.id, token, key.hex(), cts_json]
    proofs: list[Proof] = []
    for i, ((a, b), m, r) in enumerate(zip(cts, bits, rs, strict=True)):
        proofs.append(
            prove_membership(OPTION_LABEL, [*context, i], key, a, b, ZERO_ONE, m, r, rng)
        )
    big_a = sum_points([a for a, _ in cts])
    big_b = sum_points([b for _, b in cts])
    sum_proof = prove_membership(
        SUM_LABEL, context, key, big_a, big_b, sum_values(spec), sum(bits), sum(rs), rng
    )
    cast = {
        "proposal": spec.id,
        "token": token,
        "ciphertexts": cts_json,
        "proofs": proofs,
        "sum_proof": sum_proof,
    }
    return EncryptedBallot(cast, tracker_of(cast), tuple(chosen), tuple(rs))


class BallotChecker:
    """Checks cast objects for one vote; caches what is the same for every ballot."""

    def __init__(self, spec: VoteSpec, key: bytes) -> None:
        self.spec = spec
        self.key = key
        self.key_hex = key.hex()
        self.options = len(spec.option_ids)
        self.sums = sum_values(spec)
        self._value_points = {v: base_mul(v) for v in {1, *self.sums}}
        self._value_points[1] = GENERATOR

    def parse_ciphertexts(self, value: Any) -> list[Ciphertext]:
        if type(value) is not list or len(value) != self.options:
            raise BallotError("ciphertexts", f"need one ciphertext per option ({self.options})")
        out: list[Ciphertext] = []
        for i, pair in enumerate(value):
            if type(pair) is not list or len(pair) != 2:
                raise BallotError("ciphertexts", f"ciphertext {i} is not [a, b]")
            try:
                out.append((point_from_hex(pair[0]), point_from_hex(pair[1])))
            except GroupError as exc:
                raise BallotError("point", f"ciphertext {i}: {exc}") from None
        return out

    def check(self, token: str, cts_json: Any, proofs: Any, sum_proof: Any) -> list[Ciphertext]:
        """Every proof of one ballot; returns its ciphertexts. BallotError names the fault."""
        cts = self.parse_ciphertexts(cts_json)
        if type(proofs) is not list or len(proofs) != self.options:
            raise BallotError("proofs", f"need one proof per option ({self.options})")
        try:
            option_pairs = [parse_pairs(p, 2, f"proof of option {i}") for i, p in
                            enumerate(proofs)]
            sum_pairs = parse_pairs(sum_proof, len(self.sums), "sum proof")
        except ProofError as exc:
            raise BallotError("proof_format", str(exc)) from None
        context: list[Any] = [self.spec.id, token, self.key_hex, cts_json]
        vp = self._value_points
        for i, ((a, b), pairs) in enumerate(zip(cts, option_pairs, strict=True)):
            if not verify_membership(
                OPTION_LABEL, [*context, i], self.key, a, b, ZERO_ONE, pairs, vp
            ):
                raise BallotError(
                    "option_proof", f"option {self.spec.option_ids[i]}: proof of 0 or 1 fails"
                )
        big_a = sum_points([a for a, _ in cts])
        big_b = sum_points([b for _, b in cts])
        if not verify_membership(SUM_LABEL, context, self.key, big_a, big_b, self.sums,
                                 sum_pairs, vp):
            raise BallotError("sum_proof", "proof of the number of chosen options fails")
        return cts

    def check_cast(self, cast: Any) -> list[Ciphertext]:
        """A whole cast object as submitted (the server's check before accepting it)."""
        if type(cast) is not dict or cast.keys() != CAST_KEYS:
            raise BallotError("record", f"a ballot has exactly the members {sorted(CAST_KEYS)}")
        if cast["proposal"] != self.spec.id:
            raise BallotError("proposal", f"ballot is for proposal {cast['proposal']!r}")
        if not is_hex64(cast["token"]):
            raise BallotError("token", "token is not 64 lowercase hex characters")
        return self.check(cast["token"], cast["ciphertexts"], cast["proofs"], cast["sum_proof"])

    def accept(self, cast: Any) -> CheckedCast:
        """``check_cast``, then the cast object's canonical bytes and tracker, made once."""
        cts = self.check_cast(cast)
        # check_cast has just pinned every member's type and text: a dict of exactly
        # CAST_KEYS, the spec's id, and lists of 64-character lowercase hex strings. For such a
        # value the C encoder's output is its RFC 8785 form (ballots.canonical), so the
        # per-value walk of canonical_bytes (a third of the serialisation) is not repeated.
        data = json.dumps(cast, sort_keys=True, separators=(",", ":"),
                          ensure_ascii=False).encode()
        return CheckedCast(cts, data, sha256_hex(data))


@dataclass(frozen=True)
class CheckedCast:
    """A cast object whose every proof holds: its ciphertexts, canonical bytes and tracker."""

    ciphertexts: list[Ciphertext]
    canonical: bytes
    tracker: str


def audit_ballot(spec: VoteSpec, key: bytes, record: Any) -> tuple[str, ...]:
    """Check a Benaloh audit record; return the selection it provably encrypts.

    Anyone can run this: the revealed randomness shows each ciphertext is exactly
    (r*G, m*G + r*key) for the bits of the selection shown.
    """
    if type(record) is not dict or record.keys() != {
        "ballot", "tracker", "selection", "randomness"
    }:
        raise BallotError("audit", "audit record needs ballot, tracker, selection, randomness")
    cast = record["ballot"]
    checker = BallotChecker(spec, key)
    cts = checker.check_cast(cast)
    if record["tracker"] != tracker_of(cast):
        raise BallotError("tracker", "tracker is not the SHA-256 of the ballot")
    try:
        chosen = validate_selection(spec, record["selection"])
    except SelectionError as exc:
        raise BallotError("selection", str(exc)) from None
    rand = record["randomness"]
    if type(rand) is not list or len(rand) != len(cts):
        raise BallotError("audit", "one randomness value per option is needed")
    for i, (option, (a, b), r_hex) in enumerate(zip(spec.option_ids, cts, rand, strict=True)):
        try:
            r = scalar_from_hex(r_hex, f"randomness {i}")
        except GroupError as exc:
            raise BallotError("audit", str(exc)) from None
        m = 1 if option in chosen else 0
        if base_mul(r) != a or add(base_mul(m), mul(r, key)) != b:
            raise BallotError(
                "audit", f"option {option}: the ciphertext does not encrypt {m} as shown"
            )
    return chosen
