"""`flask trust audit`: re-verify everything signed or logged against the rows behind it.

Anyone who can edit the database directly (a compromised server, a careless administrator)
cannot also forge the trust's signatures or the roots they cover. This check recomputes every
sealed result, the transparency log and its checkpoints from the stored rows, and names exactly
which row no longer matches what was signed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import select

from app.extensions import db
from app.keys import service as keys
from app.results import service as results
from app.results.models import SealedResult
from app.translog.models import Checkpoint, LogLeaf
from ballots.canonical import canonical_bytes, canonical_sha256
from ballots.keys import KeyRing, SignatureError, verify_object
from ballots.log import log_leaf
from ballots.merkle import MerkleTree, leaf_hash
from ballots.records import format_time
from ballots.result import result_digest
from ballots.roll import Roll
from ballots.tally import Tally, TallyError, VoteSpec


@dataclass(frozen=True)
class Finding:
    where: str
    problem: str

    def __str__(self) -> str:
        return f"{self.where}: {self.problem}"


def _split32(blob: bytes) -> list[bytes]:
    return [blob[i : i + 32] for i in range(0, len(blob), 32)]


def audit_result(row: SealedResult, keyring: KeyRing) -> Iterator[Finding]:
    where = f"result {row.proposal_id} ({row.digest[:12]})"
    signed = json.loads(row.result_json)
    try:
        verify_object(signed, keyring)
    except SignatureError as exc:
        yield Finding(where, f"signature does not verify: {exc}")
        return
    if result_digest(signed) != row.digest:
        yield Finding(where, "stored digest does not match the signed result")
    spec = VoteSpec.from_json(signed["proposal"])

    # Roll: rows against the leaf hashes recorded at sealing, then against the signed root.
    reference = _split32(row.roll_leaves or b"")
    roll = Roll()
    roll_tree = MerkleTree()
    for index, record in enumerate(results.roll_records(row.proposal_id)):
        hashed = leaf_hash(canonical_bytes(record))
        if index < len(reference) and hashed != reference[index]:
            yield Finding(
                where, f"roll row {index + 1} (token {record['token'][:12]}…) was changed"
            )
        if index >= len(reference):
            yield Finding(where, f"roll row {index + 1} (token {record['token'][:12]}…) was added")
        roll.append(record["token"], record["weight"])
        roll_tree.append_leaf_hash(hashed)
    if roll_tree.size < len(reference):
        yield Finding(where, f"{len(reference) - roll_tree.size} roll rows were deleted")
    if roll_tree.root().hex() != signed["roll"]["root"]:
        yield Finding(where, "roll root differs from the signed roll root")

    # Ballots: rows against the stored tree's leaves, then the signed root and the tally.
    levels = results._unpack_levels(row.ballots_tree or b"")
    stored = MerkleTree.from_levels(levels, check=False) if levels else MerkleTree()
    if stored.root().hex() != signed["ballots"]["root"]:
        yield Finding(where, "stored ballots tree does not match the signed ballots root")
    tally = Tally(spec, roll)
    ballots_tree = MerkleTree()
    for record in results.ballot_records(row.proposal_id):
        hashed = leaf_hash(canonical_bytes(record))
        seq = record["seq"]
        if seq <= stored.size and hashed != stored.leaf_hash_at(seq - 1):
            yield Finding(
                where, f"ballot seq {seq} (receipt {record['receipt'][:12]}…) was changed"
            )
        try:
            tally.add(record)
        except TallyError as exc:
            yield Finding(where, f"ballot seq {seq} cannot be counted: {exc}")
        ballots_tree.append_leaf_hash(hashed)
    if ballots_tree.size != signed["ballots"]["size"]:
        yield Finding(
            where, f"{ballots_tree.size} ballots stored, {signed['ballots']['size']} signed"
        )
    if ballots_tree.root().hex() != signed["ballots"]["root"]:
        yield Finding(where, "ballots root differs from the signed ballots root")
    if tally.result(roll.total_weight) != signed["tally"]:
        yield Finding(where, "recounting the stored ballots gives a different tally")


def audit_log(keyring: KeyRing) -> Iterator[Finding]:
    tree = MerkleTree()
    expected = 0
    for row in db.session.scalars(select(LogLeaf).order_by(LogLeaf.index)):
        where = f"log leaf {row.index}"
        if row.index != expected:
            yield Finding(where, f"index gap: expected {expected}")
            expected = row.index
        leaf = log_leaf(row.index, row.type, format_time(row.at), row.subject, row.sha256)
        hashed = leaf_hash(canonical_bytes(leaf))
        if hashed != bytes(row.leaf_hash):
            yield Finding(where, "leaf fields were changed after it was appended")
        if canonical_sha256(json.loads(row.record_json)) != row.sha256:
            yield Finding(where, f"the {row.type} record no longer matches its sha256")
        tree.append_leaf_hash(bytes(row.leaf_hash))
        expected += 1
    for checkpoint in db.session.scalars(select(Checkpoint).order_by(Checkpoint.size)):
        where = f"checkpoint at size {checkpoint.size}"
        signed = json.loads(checkpoint.signed_json)
        try:
            verify_object(signed, keyring)
        except SignatureError as exc:
            yield Finding(where, f"signature does not verify: {exc}")
            continue
        if checkpoint.size > tree.size:
            yield Finding(where, f"log has only {tree.size} leaves")
        elif tree.root(checkpoint.size).hex() != signed["root"]:
            yield Finding(where, "the log no longer has the signed root: history was rewritten")


def audit_sealed_log_records() -> Iterator[Finding]:
    """Every sealed result is in the log under its digest."""
    logged = set(db.session.scalars(select(LogLeaf.sha256).where(LogLeaf.type == "result.sealed")))
    for row in db.session.scalars(select(SealedResult)):
        if row.digest not in logged:
            yield Finding(f"result {row.proposal_id} ({row.digest[:12]})", "missing from the log")


def run_audit() -> list[Finding]:
    keyring = KeyRing.from_document(keys.published_keys())
    findings: list[Finding] = []
    for row in db.session.scalars(select(SealedResult).order_by(SealedResult.id)):
        findings.extend(audit_result(row, keyring))
    findings.extend(audit_log(keyring))
    findings.extend(audit_sealed_log_records())
    from app.treasury.integrity import audit_treasury

    findings.extend(audit_treasury())
    return findings
