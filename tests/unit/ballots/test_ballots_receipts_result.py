from __future__ import annotations

import json
from typing import Any

import pytest
from bundle_helpers import Bundle

from ballots import (
    KeyRing,
    MerkleTree,
    ReceiptError,
    SigningKey,
    build_checkpoint,
    build_receipt,
    canonical_bytes,
    canonical_sha256,
    log_leaf,
    new_nonce,
    receipt_hash,
    result_digest,
    verify_object,
    verify_receipt,
)


def test_receipt_hash_is_sha256_of_the_canonical_fields() -> None:
    message = (
        b'{"cast_at":"2026-11-21T10:00:00Z","nonce":"'
        + b"0" * 32
        + b'","proposal":"p1","selection":["yes"],"token":"'
        + b"ab" * 32
        + b'"}'
    )
    got = receipt_hash("p1", "ab" * 32, ["yes"], "2026-11-21T10:00:00Z", "0" * 32)
    assert got == canonical_sha256(json.loads(message))
    assert canonical_bytes(json.loads(message)) == message
    nonce = new_nonce()
    assert len(nonce) == 32 and int(nonce, 16) >= 0 and nonce != new_nonce()


def _proof(b: Bundle, seq: int) -> dict[str, Any]:
    tree = MerkleTree.from_leaves(line[:-1] for line in b.ballot_lines)
    return {
        "seq": seq,
        "leaf": json.loads(b.ballot_lines[seq - 1]),
        "index": seq - 1,
        "size": tree.size,
        "path": [p.hex() for p in tree.inclusion_proof(seq - 1)],
    }


def test_receipt_with_inclusion_proof(bundle: Bundle) -> None:
    ring = KeyRing.from_document(bundle.keys_doc)
    root, size = bundle.result["ballots"]["root"], bundle.result["ballots"]["size"]
    receipt = bundle.receipts[2]
    check = verify_receipt(
        receipt, ring, ballots_root=root, proof=_proof(bundle, 3), ballots_size=size
    )
    assert check.included and check.seq == 3 and check.receipt == receipt["receipt"]
    assert not verify_receipt(receipt, ring).included

    def fails(reason: str, proof: Any, rcpt: Any = receipt, **kw: Any) -> None:
        with pytest.raises(ReceiptError) as exc:
            verify_receipt(
                rcpt,
                ring,
                ballots_root=kw.get("root", root),
                proof=proof,
                ballots_size=kw.get("size", size),
            )
        assert exc.value.reason == reason, str(exc.value)

    good = _proof(bundle, 3)
    fails("leaf", _proof(bundle, 4))  # someone else's ballot
    fails("proof", {**good, "index": 3})
    fails("proof", {**good, "size": 4})
    fails("inclusion", {**good, "path": good["path"][:-1]})
    fails("inclusion", {**good, "path": list(reversed(good["path"]))})
    fails("inclusion", good, root="00" * 32)
    fails("leaf", {**good, "leaf": {**good["leaf"], "selection": ["yes"]}})
    fails("proof", {k: v for k, v in good.items() if k != "path"})
    fails("signature", good, rcpt={**receipt, "weight": receipt["weight"] + 1})
    fails("malformed", good, rcpt={**receipt, "nonce": "short"})
    forged = bundle.key.sign_object({**receipt, "nonce": "f" * 32})
    fails("hash", good, rcpt=forged)


def test_receipt_builder_validates() -> None:
    with pytest.raises(ValueError):
        build_receipt("p1", "ab" * 32, ["yes"], 1, "2026-11-21T10:00:00Z", "0" * 31)
    with pytest.raises(ValueError):
        build_receipt("p 1", "ab" * 32, ["yes"], 1, "2026-11-21T10:00:00Z", "0" * 32)


def test_result_shape_and_digest(bundle: Bundle) -> None:
    result = bundle.result
    assert list(result) == [
        "type",
        "format",
        "trust",
        "charter",
        "proposal",
        "roll",
        "ballots",
        "tally",
        "supersedes",
        "sealed_at",
        "signature",
    ]
    assert result["type"] == "result" and result["format"] == 1 and result["supersedes"] is None
    assert result_digest(result) == canonical_sha256(result)
    with pytest.raises(ValueError):
        result_digest({k: v for k, v in result.items() if k != "signature"})


def test_log_leaf_and_checkpoint(signing_key: SigningKey) -> None:
    leaf = log_leaf(0, "result.sealed", "2026-11-23T11:05:00Z", "charter-2026", "ab" * 32)
    assert canonical_bytes(leaf) == (
        b'{"at":"2026-11-23T11:05:00Z","index":0,"sha256":"'
        + b"ab" * 32
        + b'","subject":"charter-2026","type":"result.sealed"}'
    )
    tree = MerkleTree()
    tree.append(canonical_bytes(leaf))
    cp = signing_key.sign_object(
        build_checkpoint("T", tree.size, tree.root().hex(), "2026-11-23T11:06:00Z")
    )
    assert set(cp) == {"type", "trust", "size", "root", "at", "signature"}
    verify_object(cp, KeyRing([signing_key.public_entry("2026-01-01T00:00:00Z")]))
    with pytest.raises(ValueError):
        log_leaf(-1, "x", "2026-11-23T11:05:00Z", "s", "ab" * 32)
    with pytest.raises(ValueError):
        build_checkpoint("T", 1, "zz", "2026-11-23T11:06:00Z")
