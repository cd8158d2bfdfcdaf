"""Sealing a closed vote into a signed, published, logged result; serving its bundle and proofs."""

from __future__ import annotations

import json
import struct
from collections.abc import Iterator
from typing import Any

from flask import current_app
from sqlalchemy import select, text, update

from app.charter.models import CharterVersion
from app.db_types import utcnow
from app.extensions import db
from app.keys import service as keys
from app.proposals.models import Proposal
from app.proposals.spec import vote_spec
from app.results.models import SealedResult
from app.translog import service as translog
from app.voting.models import Ballot, RollEntry
from ballots.canonical import canonical_bytes
from ballots.merkle import MerkleStream, MerkleTree, leaf_hash
from ballots.records import ballot_record, format_time, jsonl_line, roll_record
from ballots.result import build_result, result_digest
from ballots.roll import Roll
from ballots.tally import Tally

STREAM_CHUNK = 10_000


class SealError(RuntimeError):
    pass


def _number_ballots(proposal_id: str) -> None:
    """seq = 1, 2, 3, ... in acceptance order, in one statement on both databases."""
    db.session.execute(
        text(
            "UPDATE ballots SET seq = numbered.rn FROM ("
            " SELECT id, ROW_NUMBER() OVER (ORDER BY id) AS rn FROM ballots"
            " WHERE proposal_id = :p) AS numbered"
            " WHERE ballots.id = numbered.id AND ballots.seq IS NULL"
        ),
        {"p": proposal_id},
    )


def roll_records(proposal_id: str) -> Iterator[dict[str, Any]]:
    rows = db.session.execute(
        select(RollEntry.token, RollEntry.weight)
        .where(RollEntry.proposal_id == proposal_id)
        .order_by(RollEntry.token)
        .execution_options(yield_per=STREAM_CHUNK)
    )
    for token, weight in rows:
        yield roll_record(token, int(weight))


def ballot_records(proposal_id: str) -> Iterator[dict[str, Any]]:
    rows = db.session.execute(
        select(
            Ballot.seq,
            Ballot.token,
            Ballot.selection_json,
            Ballot.weight,
            Ballot.cast_at,
            Ballot.receipt,
        )
        .where(Ballot.proposal_id == proposal_id, Ballot.seq.is_not(None))
        .order_by(Ballot.seq)
        .execution_options(yield_per=STREAM_CHUNK)
    )
    for seq, token, selection_json, weight, cast_at, receipt in rows:
        yield ballot_record(
            seq, token, json.loads(selection_json), int(weight), format_time(cast_at), receipt
        )


def _pack_levels(levels: list[bytes]) -> bytes:
    return b"".join(struct.pack(">Q", len(level)) + level for level in levels)


def _unpack_levels(blob: bytes) -> list[bytes]:
    levels, offset = [], 0
    while offset < len(blob):
        (length,) = struct.unpack_from(">Q", blob, offset)
        offset += 8
        levels.append(blob[offset : offset + length])
        offset += length
    return levels


def current_result(proposal_id: str) -> SealedResult | None:
    return db.session.scalar(
        select(SealedResult).where(
            SealedResult.proposal_id == proposal_id, SealedResult.current.is_(True)
        )
    )


def seal(proposal_id: str, *, correction: bool = False) -> SealedResult:
    """Tally a closed vote with `ballots`, sign the result, store it and append it to the log.

    A sealed result is never edited. With `correction`, a sealed vote is sealed again from the
    stored roll and ballots, the new result naming the old one in `supersedes`.
    """
    from app.proposals import service as proposals

    proposal = db.session.get(Proposal, proposal_id, with_for_update=True)
    if proposal is None:
        raise SealError(f"no proposal {proposal_id}")
    previous = current_result(proposal_id)
    if correction:
        if previous is None:
            raise SealError(f"{proposal_id} has no sealed result to correct")
    elif proposal.state != "closed":
        raise SealError(f"{proposal_id} is {proposal.state}; only a closed vote can be sealed")

    spec = vote_spec(proposal)
    roll = Roll()
    roll_tree = MerkleStream()
    roll_leaves = bytearray()
    for record in roll_records(proposal_id):
        roll.append(record["token"], record["weight"])
        hashed = leaf_hash(canonical_bytes(record))
        roll_tree.append_leaf_hash(hashed)
        roll_leaves += hashed

    _number_ballots(proposal_id)
    tally = Tally(spec, roll)
    ballots_tree = MerkleTree()
    for record in ballot_records(proposal_id):
        tally.add(record)
        ballots_tree.append(canonical_bytes(record))

    charter = db.session.scalar(
        select(CharterVersion).where(CharterVersion.version == proposal.charter_version)
    )
    if charter is None:
        raise SealError(f"charter version {proposal.charter_version} is not installed")
    sealed_at = utcnow()
    unsigned = build_result(
        current_app.config["TRUST_NAME"],
        charter.version,
        charter.sha256,
        spec,
        len(roll),
        roll.total_weight,
        roll_tree.root().hex(),
        ballots_tree.size,
        ballots_tree.root().hex(),
        tally.result(roll.total_weight),
        result_digest(json.loads(previous.result_json)) if previous else None,
        format_time(sealed_at),
    )
    signed = keys.sign(unsigned)
    digest = result_digest(signed)
    if previous is not None:
        db.session.execute(
            update(SealedResult).where(SealedResult.id == previous.id).values(current=False)
        )
    row = SealedResult(
        proposal_id=proposal_id,
        digest=digest,
        supersedes=unsigned["supersedes"],
        result_json=canonical_bytes(signed).decode(),
        sealed_at=sealed_at,
        key_id=signed["signature"]["key_id"],
        current=True,
        ballots_tree=_pack_levels(ballots_tree.export_levels()),
        roll_leaves=bytes(roll_leaves),
    )
    db.session.add(row)
    translog.append("result.sealed", proposal_id, signed, at=sealed_at)
    if not correction:
        proposals.move(proposal, "seal", None, now=sealed_at)
    return row


def result_bytes(row: SealedResult) -> bytes:
    return row.result_json.encode()


def roll_jsonl(proposal_id: str) -> Iterator[bytes]:
    for record in roll_records(proposal_id):
        yield jsonl_line(record)


def ballots_jsonl(proposal_id: str) -> Iterator[bytes]:
    for record in ballot_records(proposal_id):
        yield jsonl_line(record)


def inclusion_for_receipt(row: SealedResult, receipt: str) -> dict[str, Any] | None:
    ballot = db.session.scalar(
        select(Ballot).where(Ballot.proposal_id == row.proposal_id, Ballot.receipt == receipt)
    )
    if ballot is None or ballot.seq is None:
        return None
    if row.ballots_tree is not None:
        tree = MerkleTree.from_levels(_unpack_levels(row.ballots_tree), check=False)
    else:
        tree = MerkleTree.from_leaf_hashes(
            leaf_hash(canonical_bytes(r)) for r in ballot_records(row.proposal_id)
        )
    index = ballot.seq - 1
    return {
        "seq": ballot.seq,
        "leaf": ballot_record(
            ballot.seq,
            ballot.token,
            json.loads(ballot.selection_json),
            int(ballot.weight),
            format_time(ballot.cast_at),
            ballot.receipt,
        ),
        "index": index,
        "size": tree.size,
        "path": [h.hex() for h in tree.inclusion_proof(index)],
    }
