"""A secret ballot's receipt (format 2): a signed tracker, and its inclusion proof after sealing.

The checks are those of docs/verification.md, "Format 2", steps 2 and 8: exactly the receipt's
members, ``format`` 2, the trust's signature under a published key (in its validity window),
then, with a proof, the ballot leaf carrying the tracker with the receipt's token and cast_at,
under the signed ballots root. The receipt holds no choice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ballots.keys import KeyRing, SignatureError, verify_object
from ballots.receipts import ReceiptError, check_leaf_included, proof_parts
from ballots.records import is_hex64, is_id, parse_time
from ballots.secret.bundle import BALLOT2_KEYS, RECEIPT2_KEYS

TRACKER_PROOF_KEYS = frozenset({"seq", "leaf", "index", "counted", "size", "root", "path"})


@dataclass(frozen=True)
class TrackerInclusion:
    seq: int
    counted: bool


def is_tracker_receipt(obj: Any) -> bool:
    """Whether ``obj`` claims to be a format 2 receipt (it may still be forged)."""
    return type(obj) is dict and obj.get("type") == "receipt" and obj.get("format") == 2


def check_tracker_receipt(obj: Any, keyring: KeyRing) -> str:
    """Members, format and signature of a tracker receipt; returns the tracker."""
    if type(obj) is not dict or obj.keys() != RECEIPT2_KEYS:
        raise ReceiptError("malformed",
                           f"a tracker receipt has exactly the members {sorted(RECEIPT2_KEYS)}")
    if obj["type"] != "receipt" or obj["format"] != 2 or type(obj["format"]) is not int:
        raise ReceiptError("malformed", "a tracker receipt has type 'receipt' and format 2")
    if not (is_id(obj["proposal"]) and is_hex64(obj["token"]) and is_hex64(obj["tracker"])):
        raise ReceiptError("malformed", "receipt proposal, token or tracker is malformed")
    if type(obj["cast_at"]) is not str:
        raise ReceiptError("malformed", "receipt cast_at is not a time")
    try:
        parse_time(obj["cast_at"])
    except ValueError as exc:
        raise ReceiptError("malformed", str(exc)) from None
    try:
        verify_object(obj, keyring)
    except SignatureError as exc:
        raise ReceiptError("signature", f"receipt signature: {exc}") from None
    return str(obj["tracker"])


def check_tracker_inclusion(
    receipt: Mapping[str, Any], proof: Any, ballots_root: str, ballots_size: int
) -> TrackerInclusion:
    """The proof served at ``/results/<id>/proof/<tracker>`` against the sealed result's
    ``ballots`` root and size. Whether the ballot counts is read from the proof: the bundle's
    ballots.jsonl (which ``ballots.verify`` checks whole) shows any later ballot of the token."""
    parts = proof_parts(proof, TRACKER_PROOF_KEYS)
    if parts.size != ballots_size or proof["root"] != ballots_root:
        raise ReceiptError("proof", "the proof is not for the sealed result's ballots")
    leaf = parts.leaf
    if type(leaf) is not dict or leaf.keys() != BALLOT2_KEYS or leaf.get("seq") != parts.seq:
        raise ReceiptError("proof", "proof leaf is not the ballot with that seq")
    for field in ("tracker", "token", "cast_at"):
        if leaf[field] != receipt[field]:
            raise ReceiptError("leaf", f"the ballot leaf's {field} differs from the receipt's")
    check_leaf_included(parts, bytes.fromhex(ballots_root))
    if type(proof["counted"]) is not bool:
        raise ReceiptError("proof", "proof counted is not true or false")
    return TrackerInclusion(parts.seq, proof["counted"])
