"""Trustees: a k-of-n election key from a distributed key generation, and decryption shares.

Joint-Feldman DKG (Pedersen 1991; the scheme ElectionGuard uses). Each trustee i draws a
polynomial f_i of degree k-1, publishes Feldman commitments C_i,l = a_i,l * G with a Schnorr
proof of knowledge for each, and hands trustee j the share f_i(j) privately. Trustee j checks
every share it receives against the sender's commitments and keeps x_j = sum_i f_i(j). The
election key is sum_i C_i,0; trustee j's public share X_j = x_j * G is computable by anyone
from the commitments. No party, server or trustee, ever holds the secret sum_i a_i,0: it
exists only as k-of-n shares. (Gennaro et al. showed joint-Feldman lets a trustee bias the
key's distribution; this does not weaken ElGamal's secrecy, which is what the key is for.)

Only transport is left to the caller (part 2): the shares f_i(j) must travel encrypted to j.
A share that fails goes to the complaint round (ballots.secret.complaints): the key and the
public shares are then summed over QUAL, the dealers left standing.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ballots.canonical import CanonicalError, canonical_bytes, strict_loads
from ballots.records import is_id
from ballots.secret.complaints import (
    Complaint,
    ComplaintError,
    complaints_json,
    key_over,
    parse_complaints,
    parse_qualified,
    public_shares,
    qualified,
    require_threshold,
    share_holds,
)
from ballots.secret.group import (
    IDENTITY,
    GroupError,
    Rng,
    add,
    base_mul,
    mul,
    point_from_hex,
    scalar_from_hex,
    scalar_hex,
    sub,
)
from ballots.secret.group import L as ORDER
from ballots.secret.proofs import (
    ProofError,
    parse_pairs,
    prove_equality,
    prove_knowledge,
    verify_equality,
    verify_knowledge,
)

COMMITMENT_LABEL = "trustee-commitment"
SHARE_LABEL = "decryption-share"
ELECTION_KEYS = frozenset({"type", "format", "proposal", "threshold", "trustees", "key"})
# Present together, and only when at least one complaint was filed: a ceremony without
# complaints has exactly the members above, byte for byte as before the complaint round.
COMPLAINT_MEMBERS = frozenset({"complaints", "qualified"})
TRUSTEE_KEYS = frozenset({"index", "name", "commitments", "proofs"})
MAX_TRUSTEES = 64


class TrusteeError(ValueError):
    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def _poly_at(coefficients: Sequence[int], x: int) -> int:
    acc = 0
    for a in reversed(coefficients):
        acc = (acc * x + a) % ORDER
    return acc


@dataclass(frozen=True)
class TrusteeDealer:
    """One trustee's DKG round: its secret polynomial. Discard after the shares are sent."""

    index: int
    threshold: int
    coefficients: tuple[int, ...] = field(repr=False)

    @classmethod
    def generate(cls, index: int, threshold: int, rng: Rng | None = None) -> TrusteeDealer:
        if not 1 <= index <= MAX_TRUSTEES or not 1 <= threshold <= MAX_TRUSTEES:
            raise TrusteeError("index", f"trustee index and threshold are 1..{MAX_TRUSTEES}")
        rng = rng or Rng()
        return cls(index, threshold, tuple(rng.nonzero_scalar() for _ in range(threshold)))

    def public(self, proposal_id: str, name: str, rng: Rng | None = None) -> dict[str, Any]:
        """The trustee's entry in election.json: commitments, each with proof of knowledge."""
        rng = rng or Rng()
        return {
            "index": self.index,
            "name": name,
            "commitments": [base_mul(a).hex() for a in self.coefficients],
            "proofs": [
                prove_knowledge(COMMITMENT_LABEL, [proposal_id, self.index, ell], a, rng)[0]
                for ell, a in enumerate(self.coefficients)
            ],
        }

    def share_for(self, j: int) -> int:
        """f_i(j): to be sent, encrypted, to trustee j only."""
        if not 1 <= j <= MAX_TRUSTEES:
            raise TrusteeError("index", "trustee index out of range")
        return _poly_at(self.coefficients, j)


def check_received_share(public: Mapping[str, Any], j: int, share: int) -> bool:
    """Trustee j's check of f_i(j) against trustee i's published commitments."""
    return share_holds([point_from_hex(c) for c in public["commitments"]], j, share)


@dataclass(frozen=True)
class TrusteeShare:
    """Trustee j's secret x_j (sum of the shares it received) for one proposal."""

    proposal: str
    index: int
    secret: int = field(repr=False)

    @classmethod
    def combine(cls, proposal: str, index: int, received: Sequence[int]) -> TrusteeShare:
        return cls(proposal, index, sum(received) % ORDER)

    def to_file(self, passphrase: bytes) -> bytes:
        """Passphrase-protected file: Argon2id-derived key, AES-256-GCM, JSON header as AAD."""
        if not passphrase:
            raise TrusteeError("passphrase", "an empty passphrase is refused")
        salt, nonce = os.urandom(16), os.urandom(12)
        header = {"type": "trustee-share", "format": 2, "proposal": self.proposal,
                  "index": self.index, "kdf": "argon2id-t3-m65536-p1", "salt": salt.hex(),
                  "nonce": nonce.hex()}
        aad = canonical_bytes(header)
        box = AESGCM(_derive(passphrase, salt)).encrypt(nonce, scalar_hex(self.secret).encode(),
                                                        aad)
        return canonical_bytes({**header, "ciphertext": box.hex()}) + b"\n"

    @classmethod
    def from_file(cls, data: bytes, passphrase: bytes) -> TrusteeShare:
        try:
            doc = strict_loads(data)
            header = {k: doc[k] for k in ("type", "format", "proposal", "index", "kdf", "salt",
                                          "nonce")}
            if header["type"] != "trustee-share" or header["kdf"] != "argon2id-t3-m65536-p1":
                raise TrusteeError("file", "not a trustee share file")
            key = _derive(passphrase, bytes.fromhex(doc["salt"]))
            plain = AESGCM(key).decrypt(bytes.fromhex(doc["nonce"]),
                                        bytes.fromhex(doc["ciphertext"]), canonical_bytes(header))
            return cls(doc["proposal"], doc["index"], scalar_from_hex(plain.decode()))
        except InvalidTag:
            raise TrusteeError("passphrase", "wrong passphrase or altered file") from None
        except (CanonicalError, KeyError, TypeError, ValueError) as exc:
            if isinstance(exc, TrusteeError):
                raise
            raise TrusteeError("file", f"not a trustee share file: {exc}") from None


def _derive(passphrase: bytes, salt: bytes) -> bytes:
    return hash_secret_raw(passphrase, salt, time_cost=3, memory_cost=65536, parallelism=1,
                           hash_len=32, type=Type.ID)


def election_document(
    proposal_id: str,
    threshold: int,
    publics: Sequence[Mapping[str, Any]],
    complaints: Sequence[Complaint] = (),
) -> dict[str, Any]:
    """election.json; with complaints, also the complaints and QUAL, and the key over QUAL.
    Raises TrusteeError("qualified") when fewer than k dealers stand."""
    ordered = sorted(publics, key=lambda p: int(p["index"]))
    commitments = {int(p["index"]): [point_from_hex(c) for c in p["commitments"]]
                   for p in ordered}
    qual = qualified(len(ordered), complaints, commitments)
    try:
        require_threshold(qual, len(ordered), threshold)
    except ComplaintError as exc:
        raise TrusteeError(exc.reason, str(exc)) from None
    doc: dict[str, Any] = {
        "type": "election",
        "format": 2,
        "proposal": proposal_id,
        "threshold": threshold,
        "trustees": [dict(p) for p in ordered],
        "key": key_over(qual, commitments).hex(),
    }
    if complaints:
        doc["complaints"] = complaints_json(complaints)
        doc["qualified"] = qual
    return doc


@dataclass(frozen=True)
class Election:
    proposal: str
    threshold: int
    key: bytes
    public_shares: dict[int, bytes]  # trustee index -> X_j
    qualified: tuple[int, ...] = ()  # QUAL: the dealers whose polynomials make the key
    complaints: tuple[Complaint, ...] = ()


def verify_election(doc: Any, proposal_id: str) -> Election:
    """Every commitment proof, the complaints and QUAL, the key, each trustee's X_j."""
    if type(doc) is not dict or not (
        doc.keys() == ELECTION_KEYS or doc.keys() == ELECTION_KEYS | COMPLAINT_MEMBERS
    ):
        raise TrusteeError("record", f"election.json needs exactly {sorted(ELECTION_KEYS)}, "
                                     f"and {sorted(COMPLAINT_MEMBERS)} only together")
    if doc["type"] != "election" or doc["format"] != 2 or type(doc["format"]) is not int:
        raise TrusteeError("record", "election.json is not type 'election', format 2")
    if doc["proposal"] != proposal_id or not is_id(proposal_id):
        raise TrusteeError("proposal", f"election.json is for proposal {doc['proposal']!r}")
    trustees, k = doc["trustees"], doc["threshold"]
    if type(trustees) is not list or not 1 <= len(trustees) <= MAX_TRUSTEES:
        raise TrusteeError("record", f"trustees must be a list of 1..{MAX_TRUSTEES}")
    if type(k) is not int or not 1 <= k <= len(trustees):
        raise TrusteeError("threshold", "threshold must be an integer in 1..trustees")
    commitments: dict[int, list[bytes]] = {}
    for position, t in enumerate(trustees, start=1):
        if type(t) is not dict or t.keys() != TRUSTEE_KEYS or type(t["name"]) is not str:
            raise TrusteeError("record", f"trustee entry {position} needs {sorted(TRUSTEE_KEYS)}")
        if t["index"] != position or type(t["index"]) is not int:
            raise TrusteeError("index", "trustee entries must be numbered 1..n in order")
        if type(t["commitments"]) is not list or len(t["commitments"]) != k:
            raise TrusteeError("commitments", f"trustee {position} needs {k} commitments")
        try:
            cs = [point_from_hex(c, f"trustee {position} commitment") for c in t["commitments"]]
            pairs = parse_pairs(t["proofs"], k, f"trustee {position} proofs")
        except (GroupError, ProofError) as exc:
            raise TrusteeError("commitments", str(exc)) from None
        for ell, (c, pair) in enumerate(zip(cs, pairs, strict=True)):
            if not verify_knowledge(COMMITMENT_LABEL, [proposal_id, position, ell], c, pair):
                raise TrusteeError(
                    "commitment_proof", f"trustee {position} commitment {ell}: proof fails"
                )
        commitments[position] = cs
    n = len(trustees)
    complaints: list[Complaint] = []
    claimed: list[int] = []
    try:
        if "complaints" in doc:
            complaints = parse_complaints(doc["complaints"], n)
            claimed = parse_qualified(doc["qualified"], n)
        qual = qualified(n, complaints, commitments)
        if complaints and claimed != qual:
            raise ComplaintError(
                "qualified", f"qualified is {claimed}, but the complaints and answers leave {qual}")
        require_threshold(qual, n, k)
    except ComplaintError as exc:
        raise TrusteeError(exc.reason, str(exc)) from None
    key = key_over(qual, commitments)
    if point_from_hex(doc["key"], "election key") != key:
        raise TrusteeError("key", "election key is not the sum of the qualified trustees' "
                                  "commitments")
    if key == IDENTITY:
        # Commitments that cancel out would make every ballot readable by anyone.
        raise TrusteeError("key", "election key is the identity element")
    return Election(proposal_id, k, key, public_shares(n, qual, commitments), tuple(qual),
                    tuple(complaints))


def decryption_share(
    share: TrusteeShare, ciphertexts: Sequence[tuple[bytes, bytes]], rng: Rng | None = None
) -> dict[str, Any]:
    """Trustee j's partial decryptions D = x_j * A of the tally, each with its proof."""
    rng = rng or Rng()
    shares: list[str] = []
    proofs: list[list[str]] = []
    for o, (a, _) in enumerate(ciphertexts):
        d, proof = prove_equality(SHARE_LABEL, [share.proposal, share.index, o], share.secret, a,
                                  rng)
        shares.append(d.hex())
        proofs.append(proof[0])
    return {"trustee": share.index, "shares": shares, "proofs": proofs}


def check_decryption_share(
    election: Election, entry: Any, ciphertexts: Sequence[tuple[bytes, bytes]]
) -> tuple[int, list[bytes]]:
    """One trustee's shares with their proofs; returns (trustee index, D per option)."""
    if type(entry) is not dict or entry.keys() != {"trustee", "shares", "proofs"}:
        raise TrusteeError("share_record", "a share entry has exactly trustee, shares, proofs")
    j = entry["trustee"]
    if type(j) is not int or j not in election.public_shares:
        raise TrusteeError("share_record", f"share from unknown trustee {j!r}")
    n = len(ciphertexts)
    if type(entry["shares"]) is not list or len(entry["shares"]) != n:
        raise TrusteeError("share_record", f"trustee {j}: need {n} shares")
    if type(entry["proofs"]) is not list or len(entry["proofs"]) != n:
        raise TrusteeError("share_record", f"trustee {j}: need {n} proofs")
    out: list[bytes] = []
    for o, (a, _) in enumerate(ciphertexts):
        try:
            d = point_from_hex(entry["shares"][o], f"trustee {j} share {o}")
            (pair,) = parse_pairs([entry["proofs"][o]], 1, f"trustee {j} proof {o}")
        except (GroupError, ProofError) as exc:
            raise TrusteeError("share_record", str(exc)) from None
        if not verify_equality(SHARE_LABEL, [election.proposal, j, o],
                               election.public_shares[j], a, d, pair):
            raise TrusteeError("share_proof", f"trustee {j}: decryption proof {o} fails")
        out.append(d)
    return j, out


def lagrange_at_zero(indices: Sequence[int]) -> dict[int, int]:
    out: dict[int, int] = {}
    for j in indices:
        num, den = 1, 1
        for m in indices:
            if m != j:
                num = num * m % ORDER
                den = den * (m - j) % ORDER
        out[j] = num * pow(den, -1, ORDER) % ORDER
    return out


def combine_shares(
    threshold: int,
    shares: Mapping[int, Sequence[bytes]],
    ciphertexts: Sequence[tuple[bytes, bytes]],
) -> list[bytes]:
    """M_o = B_o - sum_j lambda_j D_j,o over the k lowest-numbered trustees: total_o * G."""
    if len(shares) < threshold:
        raise TrusteeError(
            "threshold", f"{len(shares)} decryption shares, {threshold} are needed"
        )
    chosen = sorted(shares)[:threshold]
    lambdas = lagrange_at_zero(chosen)
    out: list[bytes] = []
    for o, (_, b) in enumerate(ciphertexts):
        acc = IDENTITY
        for j in chosen:
            acc = add(acc, mul(lambdas[j], shares[j][o]))
        out.append(sub(b, acc))
    return out
