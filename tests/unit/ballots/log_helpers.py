"""A small cosigned log holding a bundle's result leaf: the bundle's log-proof.json and policy."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from ballots.canonical import canonical_bytes, canonical_sha256, strict_loads
from ballots.checkpoint import Checkpoint
from ballots.keys import SigningKey
from ballots.keysnote import sign_keys_note
from ballots.merkle import MerkleTree, leaf_hash
from ballots.note import SIG_COSIGNATURE_V1, Note, NoteSigner

ORIGIN = "trust.example/log"
WITNESSES = [
    NoteSigner.from_seed(f"w{i}.example/w", hashlib.sha256(b"witness %d" % i).digest(),
                         SIG_COSIGNATURE_V1)
    for i in range(3)
]
QUORUM = 2


def policy() -> dict[str, Any]:
    return {"witnesses": [w.verifier.vkey for w in WITNESSES], "quorum": QUORUM}


def log_proof(
    key: SigningKey, result: dict[str, Any], cosigners: int = QUORUM, before: int = 5
) -> dict[str, Any]:
    """A log of ``before`` other leaves, the result's leaf, two more; cosigned by ``cosigners``."""
    leaves: list[dict[str, Any]] = [
        {"index": i, "type": "income.recorded", "at": "2026-11-01T00:00:00Z",
         "subject": f"income:{i}", "sha256": canonical_sha256({"n": i})}
        for i in range(before)
    ]
    mine = {
        "index": before, "type": "result.sealed", "at": result["sealed_at"],
        "subject": result["proposal"]["id"], "sha256": canonical_sha256(result),
    }
    leaves.append(mine)
    leaves += [{**leaves[0], "index": before + 1 + i} for i in range(2)]
    tree = MerkleTree.from_leaf_hashes(leaf_hash(canonical_bytes(x)) for x in leaves)
    text = Checkpoint(ORIGIN, tree.size, tree.root()).text()
    note = Note(text, (key.note_signer(ORIGIN).sign(text),)).with_signatures(
        w.sign(text, 1_795_000_000) for w in WITNESSES[:cosigners]
    )
    return {
        "leaf": mine,
        "inclusion": {
            "index": before, "size": tree.size,
            "path": [h.hex() for h in tree.inclusion_proof(before)],
        },
        "checkpoint": note.to_bytes().decode(),
    }


def write_log_files(directory: Path, key: SigningKey, result: dict[str, Any]) -> None:
    (directory / "log-proof.json").write_bytes(canonical_bytes(log_proof(key, result)))
    (directory / "trust-witnesses.json").write_bytes(canonical_bytes(policy()))
    keys_doc = strict_loads((directory / "trust-keys.json").read_text("utf-8"))
    if len(keys_doc["keys"]) == 1:  # a chain of keys needs their endorsements (test_keys_note)
        (directory / "trust-keys.note").write_bytes(sign_keys_note(keys_doc, [None], key, ORIGIN))
