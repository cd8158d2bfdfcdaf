"""Voter receipts: built and signed at casting, checked by the voter later."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ballots.canonical import CanonicalError, canonical_bytes, canonical_sha256
from ballots.keys import KeyRing, SignatureError, verify_object
from ballots.merkle import leaf_hash, verify_inclusion
from ballots.records import is_hex64, is_id, parse_time

NONCE_BYTES = 16
RECEIPT_KEYS = frozenset(
    {"type", "proposal", "token", "selection", "weight", "cast_at", "nonce", "receipt", "signature"}
)
PROOF_KEYS = frozenset({"seq", "leaf", "index", "size", "path"})
_NONCE_HEX = frozenset("0123456789abcdef")


class ReceiptError(ValueError):
    """A receipt or its inclusion proof does not check out. ``reason`` is a short code."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def new_nonce() -> str:
    return secrets.token_hex(NONCE_BYTES)


def _is_nonce(value: Any) -> bool:
    return type(value) is str and len(value) == 2 * NONCE_BYTES and set(value) <= _NONCE_HEX


def receipt_hash(
    proposal_id: str, token: str, selection: Iterable[str], cast_at: str, nonce: str
) -> str:
    return canonical_sha256(
        {
            "proposal": proposal_id,
            "token": token,
            "selection": list(selection),
            "cast_at": cast_at,
            "nonce": nonce,
        }
    )


def build_receipt(
    proposal_id: str,
    token: str,
    selection: Iterable[str],
    weight: int,
    cast_at: str,
    nonce: str,
) -> dict[str, Any]:
    """The unsigned receipt; sign it with ``SigningKey.sign_object`` before handing it out."""
    sel = list(selection)
    if not is_id(proposal_id):
        raise ValueError(f"bad proposal id {proposal_id!r}")
    if not is_hex64(token):
        raise ValueError("token must be 64 lowercase hex characters")
    if not _is_nonce(nonce):
        raise ValueError("nonce must be 32 lowercase hex characters")
    if type(weight) is not int or weight <= 0:
        raise ValueError("weight must be an integer > 0")
    parse_time(cast_at)
    return {
        "type": "ballot-receipt",
        "proposal": proposal_id,
        "token": token,
        "selection": sel,
        "weight": weight,
        "cast_at": cast_at,
        "nonce": nonce,
        "receipt": receipt_hash(proposal_id, token, sel, cast_at, nonce),
    }


@dataclass(frozen=True)
class ReceiptCheck:
    receipt: str
    proposal: str
    key_id: str
    included: bool  # an inclusion proof was checked against a sealed ballots root
    seq: int | None = None


def check_receipt_fields(obj: Any) -> None:
    if type(obj) is not dict or obj.keys() != RECEIPT_KEYS:
        raise ReceiptError("malformed", f"a receipt has exactly the members {sorted(RECEIPT_KEYS)}")
    if obj["type"] != "ballot-receipt":
        raise ReceiptError("malformed", "receipt type is not 'ballot-receipt'")
    if not (is_id(obj["proposal"]) and is_hex64(obj["token"]) and _is_nonce(obj["nonce"])):
        raise ReceiptError("malformed", "receipt proposal, token or nonce is malformed")
    if type(obj["selection"]) is not list or not all(type(s) is str for s in obj["selection"]):
        raise ReceiptError("malformed", "receipt selection is not a list of option ids")
    if type(obj["weight"]) is not int or obj["weight"] <= 0 or not is_hex64(obj["receipt"]):
        raise ReceiptError("malformed", "receipt weight or receipt hash is malformed")
    try:
        parse_time(obj["cast_at"])
    except ValueError as exc:
        raise ReceiptError("malformed", str(exc)) from None


def _leaf_matches(receipt: Mapping[str, Any], leaf: Mapping[str, Any]) -> str | None:
    for field in ("receipt", "token", "selection", "weight", "cast_at"):
        if leaf.get(field) != receipt[field] or type(leaf.get(field)) is not type(receipt[field]):
            return field
    return None


def verify_receipt(
    receipt_obj: Any,
    keyring: KeyRing,
    *,
    ballots_root: str | bytes | None = None,
    proof: Any = None,
    ballots_size: int | None = None,
) -> ReceiptCheck:
    """Check signature, recomputed receipt hash and, if given, inclusion under a sealed root.

    ``ballots_root`` is the result's ``ballots.root`` (hex or bytes); ``proof`` is the object
    served at ``/results/<id>/proof/<receipt>``; ``ballots_size`` if given must equal its size.
    Raises ReceiptError naming what failed.
    """
    check_receipt_fields(receipt_obj)
    try:
        verify_object(receipt_obj, keyring)
    except SignatureError as exc:
        raise ReceiptError("signature", f"receipt signature: {exc}") from None
    r = receipt_obj
    want = receipt_hash(r["proposal"], r["token"], r["selection"], r["cast_at"], r["nonce"])
    if want != r["receipt"]:
        raise ReceiptError("hash", f"receipt hash is {r['receipt']} but the fields give {want}")
    key_id = r["signature"]["key_id"]
    if proof is None and ballots_root is None:
        return ReceiptCheck(r["receipt"], r["proposal"], key_id, included=False)
    if proof is None or ballots_root is None:
        raise ReceiptError("proof", "an inclusion check needs both the proof and the root")
    root = bytes.fromhex(ballots_root) if isinstance(ballots_root, str) else ballots_root
    parts = proof_parts(proof, PROOF_KEYS)
    if ballots_size is not None and parts.size != ballots_size:
        raise ReceiptError("proof",
                           f"proof is for size {parts.size}, the result has {ballots_size}")
    if type(parts.leaf) is not dict or parts.leaf.get("seq") != parts.seq:
        raise ReceiptError("proof", "proof leaf is not the ballot with that seq")
    mismatch = _leaf_matches(r, parts.leaf)
    if mismatch is not None:
        raise ReceiptError("leaf", f"the ballot leaf's {mismatch} differs from the receipt's")
    check_leaf_included(parts, root)
    return ReceiptCheck(r["receipt"], r["proposal"], key_id, included=True, seq=parts.seq)


@dataclass(frozen=True)
class ProofParts:
    """A ballot's inclusion proof (format 1 or 2) whose members have their types."""

    seq: int
    index: int
    size: int
    path: Any
    leaf: Any


def proof_parts(proof: Any, keys: frozenset[str]) -> ProofParts:
    """Exactly ``keys`` as members, integer seq/index/size, and index = seq - 1."""
    if type(proof) is not dict or proof.keys() != keys:
        raise ReceiptError("proof", f"a proof has exactly the members {sorted(keys)}")
    seq, index, size = proof["seq"], proof["index"], proof["size"]
    if not all(type(v) is int for v in (seq, index, size)) or index != seq - 1:
        raise ReceiptError("proof", "proof index must equal seq - 1")
    return ProofParts(seq, index, size, proof["path"], proof["leaf"])


def check_leaf_included(parts: ProofParts, root: bytes) -> None:
    """The proof's leaf, as canonical bytes, sits at its index under ``root`` (RFC 9162)."""
    if type(parts.path) is not list or not all(is_hex64(p) for p in parts.path):
        raise ReceiptError("proof", "proof path must be a list of 64-hex hashes")
    try:
        leaf_bytes = canonical_bytes(parts.leaf)
    except CanonicalError as exc:
        raise ReceiptError("proof", f"proof leaf: {exc}") from None
    hashes = [bytes.fromhex(p) for p in parts.path]
    if not verify_inclusion(leaf_hash(leaf_bytes), parts.index, parts.size, hashes, root):
        raise ReceiptError("inclusion", "the ballot is not included under the ballots root")
