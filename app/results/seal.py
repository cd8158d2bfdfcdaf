"""Sealing a closed vote into a signed, published, logged result."""

from __future__ import annotations

import hashlib
import json
import struct
import sys
from array import array
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import insert, select, update

from app.charter.models import CharterVersion
from app.core.db_types import utcnow
from app.core.extensions import db
from app.keys import service as keys
from app.proposals import lifecycle
from app.proposals.models import Proposal
from app.proposals.spec import vote_spec
from app.results import rows as result_rows
from app.results import seal_checks
from app.results.models import SealedBallotBlock, SealedResult
from app.results.reads import current_result
from app.translog import service as translog
from app.voting.roll import read_roll, roll_root_of
from ballots.canonical import canonical_bytes
from ballots.merkle import HASH_SIZE, levels_root, parent_level
from ballots.records import ballot_record, format_time
from ballots.result import build_result, result_digest
from ballots.tally import Tally, VoteSpec

ID_BLOCK = 512  # ballot ids per SealedBallotBlock row (4 KB)


class SealError(RuntimeError):
    pass


def _checked_leaf(tally: Tally, seq: int, rest: bytes) -> bytes:
    """The plain path for a row the quick check declined: count it or say why not."""
    token, selection, weight, cast_at, receipt = result_rows.ballot_fields(rest)
    record = ballot_record(
        seq,
        token.decode(),
        json.loads(selection),
        int(weight),
        cast_at.decode(),
        receipt.decode(),
    )
    tally.add(record)
    return canonical_bytes(record)


def _read_ballots(proposal_id: str, tally: Tally) -> tuple[bytearray, array[int]]:
    """Count every ballot in acceptance order, numbering them 1, 2, 3, ... as seq.

    Returns the packed ballots tree with only level 0 filled in (an 8-byte length, then the
    leaf hashes in seq order) and the ballot ids in seq order. The database writes each leaf
    from the row's fields; Tally.add_line accepts it only if it is the canonical record of a
    ballot Tally.add would count (so never one holding an escape), and counts it. Anything
    else takes the plain path from the raw fields.
    """
    tree = bytearray(8)
    ids = array("q")
    sha = hashlib.sha256
    add_line = tally.add_line
    seq = 0
    for block in result_rows.ballot_blocks(proposal_id):
        lines = block.split(b"\n")
        lines.pop()
        hashes = []
        id_texts = []
        for line in lines:
            ballot_id, _, rest = line.partition(b"\t")
            leaf, _, rest = rest.partition(b"\t")
            seq += 1
            if b'", "' in leaf:  # json.dumps' spacing in a selection; ids hold no quotes
                leaf = leaf.replace(b'", "', b'","')
            if not add_line(leaf):
                leaf = _checked_leaf(tally, seq, rest)
            hashes.append(sha(b"\x00" + leaf).digest())
            id_texts.append(ballot_id)
        tree += b"".join(hashes)
        ids.extend(map(int, id_texts))
    struct.pack_into(">Q", tree, 0, len(tree) - 8)
    return tree, ids


def _grow_levels(tree: bytearray) -> bytes:
    """Append the levels above level 0 to a packed tree; return the root."""
    size = (len(tree) - 8) // HASH_SIZE
    start, length = 8, size * HASH_SIZE
    for _ in range(1, max(1, size.bit_length())):
        view = memoryview(tree)
        below = view[start : start + length]
        parent = parent_level(below)
        below.release()
        view.release()
        start, length = len(tree) + 8, len(parent)
        tree += struct.pack(">Q", length)
        tree += parent
        del parent
    with memoryview(tree) as view:
        levels = [view[a : a + n] for a, n in result_rows.level_spans(size)]
        root = levels_root(levels)
        for level in levels:
            level.release()
    return root


def id_blocks(result_id: int, ids: array[int]) -> list[dict[str, Any]]:
    blocks = []
    for first in range(0, len(ids), ID_BLOCK):
        part = ids[first : first + ID_BLOCK]
        if sys.byteorder == "little":
            part.byteswap()
        blocks.append(
            {
                "result_id": result_id,
                "first_id": ids[first],
                "first_seq": first + 1,
                "ballot_ids": part.tobytes(),
            }
        )
    return blocks


@dataclass
class Count:
    """What counting a vote's stored roll and ballots gives, before anything is signed."""

    roll_root: bytes
    roll_size: int
    roll_weight: int
    tally: dict[str, Any]
    ballots_size: int
    ballots_root: bytes
    tree: bytearray  # the packed ballots tree, every level (what the seal stores)
    ids: array[int]  # ballot ids in seq order


def count_stored(
    proposal_id: str, spec: VoteSpec, roll_leaves_done: Callable[[bytearray], None]
) -> Count:
    """Read, check and count the stored roll and ballots, as the seal and the audit both do.

    The roll's leaf hashes go to `roll_leaves_done` as soon as they are complete (the seal
    streams them into the database, the audit compares them) and are dropped before the
    ballots are read, which keeps the peak memory of a million-ballot count near 230 MB.
    """
    roll, roll_leaves = read_roll(proposal_id)
    roll_root = roll_root_of(roll_leaves)
    roll_leaves_done(roll_leaves)
    del roll_leaves
    tally = Tally(spec, roll)
    tree, ids = _read_ballots(proposal_id, tally)
    tally_json = tally.result(roll.total_weight)
    roll_size, roll_weight = len(roll), roll.total_weight
    # Peak memory is here: drop the roll and the tally's arrays before the upper levels.
    del tally, roll
    ballots_size = (len(tree) - 8) // HASH_SIZE
    ballots_root = _grow_levels(tree)
    return Count(roll_root, roll_size, roll_weight, tally_json, ballots_size, ballots_root, tree,
                 ids)


def _refuse_unvouched(proposal_id: str, count: Count) -> None:
    """Refuse a roll or ballots the log does not vouch for (app/results/seal_checks.py)."""
    roll = (count.roll_root, count.roll_size, count.roll_weight)
    problems = seal_checks.refusals(proposal_id, roll, count.tree, count.ids)
    if problems:
        raise SealError(f"refusing to seal {proposal_id}: " + "; ".join(problems))


def seal(proposal_id: str, *, correction: bool = False, reason: str = "",
         now: datetime | None = None) -> SealedResult:
    """Tally a closed vote with `ballots`, sign the result, store it and append it to the log.

    A sealed result is never edited. With `correction`, a sealed vote is sealed again from the
    stored roll and ballots, the new result naming the old one in `supersedes`. The state
    change goes through the proposal lifecycle. What the result sets in motion is not run
    here: app code seals through app.decisions.votes.close_and_seal, which does both.
    A correction needs `reason`, logged beside it (result.corrected): never silent.
    `now` is the moment of sealing (the cron's tick; the demo's close), by default the clock's.
    """
    proposal = db.session.get(Proposal, proposal_id, with_for_update=True)
    if proposal is None:
        raise SealError(f"no proposal {proposal_id}")
    previous = current_result(proposal_id)
    if correction:
        if previous is None:
            raise SealError(f"{proposal_id} has no sealed result to correct")
        if not reason.strip():
            raise SealError("say why the result is corrected: the reason is published in the log")
    elif proposal.state != "closed":
        raise SealError(f"{proposal_id} is {proposal.state}; only a closed vote can be sealed")

    spec = vote_spec(proposal)
    stage = result_rows.BlobStage()
    count = count_stored(proposal_id, spec, lambda leaves: stage.put("roll", leaves))
    _refuse_unvouched(proposal_id, count)
    stage.put("tree", count.tree)
    count.tree = bytearray()  # ~64 MB at a million ballots, now in the database
    ballot_ids = count.ids

    charter = db.session.scalar(
        select(CharterVersion).where(CharterVersion.version == proposal.charter_version)
    )
    if charter is None:
        raise SealError(f"charter version {proposal.charter_version} is not installed")
    sealed_at = now or utcnow()
    unsigned = build_result(
        current_app.config["TRUST_NAME"],
        charter.version,
        charter.sha256,
        spec,
        count.roll_size,
        count.roll_weight,
        count.roll_root.hex(),
        count.ballots_size,
        count.ballots_root.hex(),
        count.tally,
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
    )
    db.session.add(row)
    db.session.flush()
    stage.move_into(row.id)
    db.session.expire(row, ["roll_leaves", "ballots_tree"])
    if ballot_ids:
        db.session.execute(insert(SealedBallotBlock), id_blocks(row.id, ballot_ids))
    translog.append("result.sealed", proposal_id, signed, at=sealed_at)
    if correction:
        translog.append("result.corrected", proposal_id, {
            "type": "result.corrected", "proposal": proposal_id, "digest": digest,
            "supersedes": unsigned["supersedes"], "reason": reason.strip(),
        }, at=sealed_at)
    if not correction:
        lifecycle.move(proposal, "seal", None, now=sealed_at)
    return row
