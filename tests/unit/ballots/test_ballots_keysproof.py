"""trust-keys.proof.json: each key's log record proved under a checkpoint a quorum cosigned."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from ballots.canonical import canonical_bytes, canonical_sha256
from ballots.checkpoint import Checkpoint, parse_witness_policy
from ballots.keys import SigningKey, keys_document
from ballots.keysnote import KeysNoteError, SignedKeys, endorsement_statement, open_keys_note
from ballots.keysproof import check_keys_proof, keys_proof_document
from ballots.merkle import MerkleTree, leaf_hash
from ballots.note import Note
from tests.unit.ballots.log_helpers import ORIGIN, QUORUM, WITNESSES, policy

TIMES = ["2026-01-01T00:00:00Z", "2026-03-01T00:00:00Z", "2026-06-01T00:00:00Z"]


class Log:
    """Three keys, each created or rotated as the app logs it, among other leaves."""

    def __init__(self) -> None:
        self.signers = [SigningKey.from_private_bytes(bytes([i + 1]) * 32) for i in range(3)]
        self.keys = [
            s.public_entry(TIMES[i], TIMES[i + 1] if i < 2 else None)
            for i, s in enumerate(self.signers)
        ]
        self.doc = keys_document("Trust", self.keys)
        self.endorsements: list[Any] = [None] + [
            self.signers[i].sign_object(endorsement_statement("Trust", self.keys[i + 1]))
            for i in range(2)
        ]
        self.leaves: list[dict[str, Any]] = []
        self.records: dict[str, tuple[int, dict[str, Any]]] = {}
        for i, key in enumerate(self.keys):
            self._other(2)
            kind = "key.rotated" if i else "key.created"
            record = {
                "type": kind, "key_id": key.key_id, "public_key": key.public_key_b64,
                "valid_from": key.valid_from,
                "previous": self.keys[i - 1].key_id if i else None,
                "endorsement": self.endorsements[i],
            }
            self.records[key.key_id] = (len(self.leaves), record)
            self.leaves.append({
                "index": len(self.leaves), "type": kind, "at": key.valid_from,
                "subject": key.key_id, "sha256": canonical_sha256(record),
                "logged_at": key.valid_from,
            })
        self._other(1)

    def _other(self, n: int) -> None:
        for _ in range(n):
            i = len(self.leaves)
            self.leaves.append({"index": i, "type": "income.recorded", "at": TIMES[0],
                                "subject": f"income:{i}", "sha256": canonical_sha256({"n": i})})

    def signed(self) -> SignedKeys:
        from ballots.keysnote import sign_keys_note

        note = sign_keys_note(self.doc, self.endorsements, self.signers[-1], ORIGIN)
        return open_keys_note(note, served=self.doc, origin=ORIGIN)

    def proof(self, size: int | None = None, cosigners: int = QUORUM) -> dict[str, Any]:
        size = len(self.leaves) if size is None else size
        tree = MerkleTree.from_leaf_hashes(
            leaf_hash(canonical_bytes(x)) for x in self.leaves[:size]
        )
        text = Checkpoint(ORIGIN, size, tree.root()).text()
        note = Note(text, (self.signers[-1].note_signer(ORIGIN).sign(text),)).with_signatures(
            w.sign(text, 1_795_000_000) for w in WITNESSES[:cosigners]
        )
        entries = []
        for key in self.keys:
            index, record = self.records[key.key_id]
            inclusion = (
                {"index": index, "size": size,
                 "path": [h.hex() for h in tree.inclusion_proof(index)]}
                if index < size else None
            )
            entries.append((self.leaves[index], record, inclusion))
        return keys_proof_document(note.to_bytes().decode(), entries)


def check(log: Log, doc: Any, pending: list[str] | None = None) -> str:
    return check_keys_proof(doc, log.signed(), *parse_witness_policy(policy()), pending)


def code(log: Log, doc: Any) -> str:
    with pytest.raises(KeysNoteError) as info:
        check(log, doc)
    return info.value.code


def test_good_proof_accepted() -> None:
    log = Log()
    line = check(log, log.proof())
    assert line.startswith("keys witnessed: all 3 key records in the log (leaves 2, 5, 8)")
    assert f"cosigned by {QUORUM} witnesses" in line


def test_tampering_refused() -> None:
    log = Log()
    good = log.proof()

    def changed(edit: Any) -> dict[str, Any]:
        doc = copy.deepcopy(good)
        edit(doc)
        return doc

    def other_key(d: Any) -> None:
        # A record (and its leaf, recomputed) naming another public key: the proof fails.
        d["keys"][1]["record"]["valid_from"] = TIMES[0]
        d["keys"][1]["leaf"]["sha256"] = canonical_sha256(d["keys"][1]["record"])

    assert code(log, changed(other_key)) == "keys.log_record"
    assert code(log, changed(lambda d: d["keys"][2]["record"].update(previous=None))) == (
        "keys.log_record"
    )
    assert code(log, changed(lambda d: d["keys"][1]["record"].update(endorsement=None))) == (
        "keys.log_record"
    )
    assert code(log, changed(lambda d: d["keys"][0]["leaf"].update(subject="x"))) == (
        "keys.log_record"
    )
    assert code(log, changed(lambda d: d["keys"][0]["inclusion"].update(index=3))) == (
        "keys.log_inclusion"
    )
    assert code(log, changed(lambda d: d["keys"][2]["inclusion"]["path"].reverse())) == (
        "keys.log_inclusion"
    )
    assert code(log, changed(lambda d: d["keys"].reverse())) == "keys.log_record"
    assert code(log, changed(lambda d: d["keys"].pop())) == "keys.log_format"
    assert code(log, changed(lambda d: d.update(type="other"))) == "keys.log_format"
    assert code(log, changed(lambda d: d["keys"][2].update(leaf=None))) == "keys.unlogged"
    text = good["checkpoint"].replace("\n", "\n\n", 1)
    assert code(log, {**good, "checkpoint": text}).startswith("keys.log_")


def test_quorum_required() -> None:
    log = Log()
    assert code(log, log.proof(cosigners=QUORUM - 1)) == "keys.log_quorum"


def test_key_after_the_cosigned_checkpoint() -> None:
    log = Log()
    doc = log.proof(size=8)  # the last key's leaf (8) is not under the checkpoint yet
    assert doc["keys"][2]["inclusion"] is None
    assert code(log, doc) == "keys.unwitnessed"
    pending: list[str] = []
    assert check(log, doc, pending).startswith("PENDING")
    assert pending == [log.keys[2].key_id]
    # A leaf the checkpoint covers must be proved, even for a monitor.
    early = copy.deepcopy(log.proof())
    early["keys"][0]["inclusion"] = None
    with pytest.raises(KeysNoteError):
        check(log, early, [])
