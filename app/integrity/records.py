"""`flask trust audit`, records part: sealed results, the log and its checkpoints.

Anyone who can edit the database directly (a compromised server, a careless administrator)
cannot also forge the trust's signatures or the roots they cover. This check recomputes every
sealed result, the transparency log and its checkpoints from the stored rows, and names exactly
which row no longer matches what was signed.
"""

from __future__ import annotations

import json
from array import array
from collections.abc import Iterator
from typing import Any

from sqlalchemy import func, select

from app.core.extensions import db
from app.integrity.findings import Finding
from app.results import rows as result_rows
from app.results import seal as results_seal
from app.results import service as results
from app.results.models import SealedBallotBlock, SealedResult
from app.translog import notes as translog_notes
from app.translog import service as translog
from app.translog.models import Checkpoint, LogLeaf
from ballots.canonical import canonical_bytes, canonical_sha256
from ballots.keys import KeyRing, SignatureError, verify_object
from ballots.merkle import MerkleTree, leaf_hash
from ballots.result import result_digest
from ballots.roll import Roll, RollError
from ballots.tally import Tally, TallyError, VoteSpec

_PIECE = 1 << 20


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
    if signed.get("format") == 2:
        from app.secret.audit import audit_secret_result

        yield from audit_secret_result(row, where, signed)
        return
    spec = VoteSpec.from_json(signed["proposal"])
    ids = _resealed_ids(row, signed, spec)
    if ids is not None:
        yield from _audit_id_blocks(row, where, ids)
        return
    yield from _locate_changes(row, where, signed, spec)


def _resealed_ids(row: SealedResult, signed: dict[str, Any], spec: VoteSpec) -> array[int] | None:
    """Count the stored rows as the seal does (`results.count_stored`, seconds at 1M) and
    compare every byte the seal stored and every figure it signed. The ballot ids in seq order
    if all agree; None if anything differs, for the row-by-row pass to name it."""
    roll_same: list[bool] = []
    try:
        count = results.count_stored(
            row.proposal_id,
            spec,
            lambda leaves: roll_same.append(_same_as_stored(row, SealedResult.roll_leaves, leaves)),
        )
    except (RollError, TallyError, ValueError):
        return None
    agrees = (
        roll_same == [True]
        and count.roll_root.hex() == signed["roll"]["root"]
        and count.tally == signed["tally"]
        and count.ballots_size == signed["ballots"]["size"]
        and count.ballots_root.hex() == signed["ballots"]["root"]
        and _same_as_stored(row, SealedResult.ballots_tree, count.tree)
    )
    return count.ids if agrees else None


def _same_as_stored(row: SealedResult, column: Any, data: bytes | bytearray) -> bool:
    """Whether one of the row's blobs holds exactly `data`, read a megabyte at a time: a
    whole 64 MB blob through the driver would cost several times its size at once."""
    where = SealedResult.id == row.id
    if db.session.scalar(select(func.length(column)).where(where)) != len(data):
        return False
    with memoryview(data) as view:
        for start in range(0, len(data), _PIECE):
            stored = db.session.scalar(select(func.substr(column, start + 1, _PIECE)).where(where))
            if stored is None or view[start : start + _PIECE] != stored:
                return False
    return True


def _audit_id_blocks(row: SealedResult, where: str, ids: array[int]) -> Iterator[Finding]:
    """The blocks that proofs find a ballot's seq in must name the ballots in seq order."""
    stored = db.session.execute(
        select(
            SealedBallotBlock.first_id, SealedBallotBlock.first_seq, SealedBallotBlock.ballot_ids
        )
        .where(SealedBallotBlock.result_id == row.id)
        .order_by(SealedBallotBlock.first_seq)
    ).all()
    if not stored:
        return  # sealed before migration 0008: proofs read the seq stored on each ballot
    expected = results_seal.id_blocks(row.id, ids)
    found = [(b["first_id"], b["first_seq"], b["ballot_ids"]) for b in expected]
    if [(f, s, bytes(i)) for f, s, i in stored] != found:
        yield Finding(where, "ballot positions for proofs (sealed_ballot_blocks) were changed")


def _locate_changes(
    row: SealedResult, where: str, signed: dict[str, Any], spec: VoteSpec
) -> Iterator[Finding]:
    """Row by row against what the seal stored and signed, naming each row that differs."""
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
    levels = result_rows.unpack_levels(row.ballots_tree or b"")
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
    last_logged = None
    for row in db.session.scalars(select(LogLeaf).order_by(LogLeaf.index)):
        where = f"log leaf {row.index}"
        if row.index != expected:
            yield Finding(where, f"index gap: expected {expected}")
            expected = row.index
        leaf = translog.leaf_object(row)
        if row.logged_at is None and last_logged is not None:
            yield Finding(where, "leaf has no logged_at after leaves that have one")
        if row.logged_at is not None:
            if last_logged is not None and row.logged_at < last_logged:
                yield Finding(where, "logged before the leaf before it: the log is out of order")
            last_logged = row.logged_at
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
        yield from (Finding(where, problem) for problem in translog_notes.note_problems(checkpoint))


def audit_sealed_log_records() -> Iterator[Finding]:
    """Every sealed result is in the log under its digest."""
    logged = set(db.session.scalars(select(LogLeaf.sha256).where(LogLeaf.type == "result.sealed")))
    for row in db.session.scalars(select(SealedResult)):
        if row.digest not in logged:
            yield Finding(f"result {row.proposal_id} ({row.digest[:12]})", "missing from the log")
