"""Sealing a closed vote into a signed, published, logged result; serving its bundle and proofs."""

from __future__ import annotations

import hashlib
import json
import re
import struct
import sys
from array import array
from bisect import bisect_left
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, NamedTuple

from flask import current_app
from sqlalchemy import bindparam, func, insert, select, text, update
from sqlalchemy.orm import defer

from app.charter.models import CharterVersion
from app.core.db_types import utcnow
from app.core.extensions import db
from app.keys import service as keys
from app.proposals.models import Proposal
from app.proposals.spec import vote_spec
from app.results import rows as result_rows
from app.results.models import SealedBallotBlock, SealedResult
from app.translog import service as translog
from app.voting.models import Ballot, RollEntry
from ballots.canonical import canonical_bytes
from ballots.merkle import HASH_SIZE, MerkleTree, all_levels, leaf_hash, levels_root, parent_level
from ballots.records import ballot_record, format_time, jsonl_line, roll_record
from ballots.result import build_result, result_digest
from ballots.roll import Roll, RollError
from ballots.tally import Tally, VoteSpec

STREAM_CHUNK = 10_000
SELECTION_CACHE = 4096
ID_BLOCK = 512  # ballot ids per SealedBallotBlock row (4 KB)


class SealError(RuntimeError):
    pass


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
    """The sealed ballots in seq order: seq numbers the vote's ballots in acceptance order (id).

    A sealed vote accepts no more ballots, so these are exactly the ballots its seal numbered.
    """
    rows = db.session.execute(
        select(*result_rows.BALLOT_FIELDS)
        .where(Ballot.proposal_id == proposal_id)
        .order_by(Ballot.id)
        .execution_options(yield_per=STREAM_CHUNK)
    )
    # A vote has few distinct selections; parse each once (ballot_record copies the list).
    parsed: dict[str, list[str]] = {}
    for seq, (token, selection_json, weight, cast_at, receipt) in enumerate(rows, start=1):
        selection = parsed.get(selection_json)
        if selection is None:
            selection = json.loads(selection_json)
            if len(parsed) < SELECTION_CACHE:
                parsed[selection_json] = selection
        yield ballot_record(seq, token, selection, int(weight), format_time(cast_at), receipt)


# A block of roll lines that are all plainly well formed: a 64-hex token and a weight of at
# most 15 digits without a leading zero (so below 2**53, as JCS requires). Their leaves are
# then exactly canonical_bytes(roll_record(token, weight)) and can be glued from the lines.
_PLAIN_ROLL = re.compile(rb"(?:[0-9a-f]{64}\t[1-9][0-9]{0,14}\n)*")


def _read_roll(proposal_id: str) -> tuple[Roll, bytearray]:
    """The frozen roll, checked entry by entry, and its leaf hashes in roll order."""
    roll = Roll()
    hashes = bytearray()
    sha = hashlib.sha256
    for block in result_rows.roll_blocks(proposal_id):
        if _PLAIN_ROLL.fullmatch(block) is None:
            hashes += _checked_roll_leaves(roll, block)
            continue
        lines = block.split(b"\n")
        lines.pop()
        tokens = [line[:64] for line in lines]
        weights = [int(line[65:]) for line in lines]
        try:
            roll.extend_hex(tokens, weights)  # order and duplicates, in bulk
        except RollError:
            for token, weight in zip(tokens, weights, strict=True):
                roll.append(token.decode(), weight)  # names the entry that breaks a rule
        glued = block.replace(b"\t", b'","weight":').split(b"\n")
        glued.pop()
        hashes += b"".join([sha(b'\x00{"token":"' + line + b"}").digest() for line in glued])
    return roll, hashes


def _checked_roll_leaves(roll: Roll, block: bytes) -> bytes:
    """The plain path for roll rows the pattern declined: add them or say why not."""
    out = bytearray()
    for token, weight in result_rows.roll_fields(block):
        roll.append(token.decode(), int(weight))
        out += leaf_hash(canonical_bytes(roll_record(token.decode(), int(weight))))
    return bytes(out)


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
        levels = [view[a : a + n] for a, n in _level_spans(size)]
        root = levels_root(levels)
        for level in levels:
            level.release()
    return root


def _level_spans(size: int) -> list[tuple[int, int]]:
    """(offset, length) of each level in a packed tree of `size` leaves."""
    spans, offset = [], 0
    for k in range(max(1, size.bit_length())):
        length = (size >> k) * HASH_SIZE
        spans.append((offset + 8, length))
        offset += 8 + length
    return spans


def _roll_root(hashes: bytes | bytearray) -> bytes:
    return levels_root(all_levels(hashes))


def roll_root(proposal_id: str) -> bytes:
    """The Merkle root of the frozen roll, as published when voting opens."""
    return _roll_root(_read_roll(proposal_id)[1])


def _unpack_levels(blob: bytes) -> list[bytes]:
    levels, offset = [], 0
    while offset < len(blob):
        (length,) = struct.unpack_from(">Q", blob, offset)
        offset += 8
        levels.append(blob[offset : offset + length])
        offset += length
    return levels


def _id_blocks(result_id: int, ids: array[int]) -> list[dict[str, Any]]:
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


def current_result(proposal_id: str) -> SealedResult | None:
    # The two blobs are ~100 MB at a million ballots; pages and proofs never need them whole,
    # so they load only when an audit touches them.
    return db.session.scalar(
        select(SealedResult)
        .where(SealedResult.proposal_id == proposal_id, SealedResult.current.is_(True))
        .options(defer(SealedResult.ballots_tree), defer(SealedResult.roll_leaves))
    )


class ResultHead(NamedTuple):
    """What a proof needs of the current seal, without an ORM object (a hot read)."""

    id: int
    proposal_id: str
    result_json: str


_CURRENT_HEAD = select(SealedResult.id, SealedResult.proposal_id, SealedResult.result_json).where(
    SealedResult.proposal_id == bindparam("p"), SealedResult.current.is_(True)
)


def current_head(proposal_id: str) -> ResultHead | None:
    found = db.session.connection().execute(_CURRENT_HEAD, {"p": proposal_id}).first()
    return None if found is None else ResultHead(*found)


_CURRENT_JSON = select(SealedResult.result_json).where(
    SealedResult.proposal_id == bindparam("p"), SealedResult.current.is_(True)
)


def current_result_bytes(proposal_id: str) -> bytes | None:
    """result.json of the current seal: one prebuilt statement, no ORM object (a hot read)."""
    found = db.session.connection().scalar(_CURRENT_JSON, {"p": proposal_id})
    return None if found is None else str(found).encode()


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
    roll, roll_leaves = _read_roll(proposal_id)
    roll_root = _roll_root(roll_leaves)
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


def seal(proposal_id: str, *, correction: bool = False, reason: str = "") -> SealedResult:
    """Tally a closed vote with `ballots`, sign the result, store it and append it to the log.

    A sealed result is never edited. With `correction`, a sealed vote is sealed again from the
    stored roll and ballots, the new result naming the old one in `supersedes`, and `reason`
    (required) is logged beside it: a correction is never silent.
    """
    from app.proposals import service as proposals

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
    stage.put("tree", count.tree)
    count.tree = bytearray()  # ~64 MB at a million ballots, now in the database
    ballot_ids = count.ids

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
        db.session.execute(insert(SealedBallotBlock), _id_blocks(row.id, ballot_ids))
    translog.append("result.sealed", proposal_id, signed, at=sealed_at)
    if correction:
        translog.append("result.corrected", proposal_id, {
            "type": "result.corrected", "proposal": proposal_id, "digest": digest,
            "supersedes": unsigned["supersedes"], "reason": reason.strip(),
        }, at=sealed_at)
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


class _StoredTree(MerkleTree):
    """A tree whose nodes are read on demand from the packed levels of a sealed result.

    Asked for a node it has not been given, it records the address and answers zeros, so a
    first dry run of a proof names exactly the nodes the real run needs.
    """

    def __init__(self, size: int, nodes: dict[tuple[int, int], bytes]) -> None:
        super().__init__()
        self._size = size
        self.nodes = nodes
        self.missing: set[tuple[int, int]] = set()

    def _node(self, level: int, index: int) -> bytes:
        found = self.nodes.get((level, index))
        if found is None:
            self.missing.add((level, index))
            return bytes(HASH_SIZE)
        return found


def _stored_path(row: SealedResult | ResultHead, size: int, index: int) -> list[bytes] | None:
    """The inclusion path from the stored tree, reading only the ~log2(n) nodes it needs.

    The blob is level 0 upward, each level an 8-byte length and its hashes; a level's offset
    follows from the tree size alone, so the nodes are cut out in the database with substr
    (the blob is stored uncompressed, so only the chunks holding them are read).
    """
    spans = _level_spans(size)
    dry = _StoredTree(size, {})
    dry.inclusion_proof(index)
    wanted = sorted(dry.missing)
    if not wanted:
        return []
    # Plain SQL with the offsets written in: they are integers computed here, and building
    # ~25 expression objects per proof cost more than the database's work.
    cuts = ", ".join(
        f"substr(ballots_tree, {spans[k][0] + i * HASH_SIZE + 1:d}, {HASH_SIZE:d})"
        for k, i in wanted
    )
    sql = f"SELECT {cuts} FROM sealed_results WHERE id = :r"  # noqa: S608 (integers only)
    values = db.session.connection().execute(text(sql), {"r": row.id}).one()
    if any(value is None or len(value) != HASH_SIZE for value in values):
        return None
    nodes = {key: bytes(value) for key, value in zip(wanted, values, strict=True)}
    return _StoredTree(size, nodes).inclusion_proof(index)


_BLOCK = SealedBallotBlock.__table__
_EARLIER = SealedBallotBlock.__table__.alias("earlier")
_RECEIPT_BALLOT = (
    select(
        Ballot.id,
        *result_rows.BALLOT_FIELDS,
        Ballot.seq,
        _BLOCK.c.first_seq,
        _BLOCK.c.ballot_ids,
    )
    .outerjoin(
        _BLOCK,
        (_BLOCK.c.result_id == bindparam("r"))
        & (
            _BLOCK.c.first_id
            == select(func.max(_EARLIER.c.first_id))
            .where(_EARLIER.c.result_id == bindparam("r"), _EARLIER.c.first_id <= Ballot.id)
            .scalar_subquery()
        ),
    )
    .where(Ballot.proposal_id == bindparam("p"), Ballot.receipt == bindparam("receipt"))
)


def _seq_in_block(ballot_id: int, first_seq: int, packed: bytes) -> int | None:
    ids = array("q")
    ids.frombytes(packed)
    if sys.byteorder == "little":
        ids.byteswap()
    at = bisect_left(ids, ballot_id)
    return first_seq + at if at < len(ids) and ids[at] == ballot_id else None


def inclusion_for_receipt(
    row: SealedResult | ResultHead, receipt: str
) -> dict[str, Any] | None:
    """The ballot with this receipt, its seq and its inclusion proof under the sealed root."""
    # Core statements on the connection: the ORM's execute path cost more than the queries.
    found = db.session.connection().execute(
        _RECEIPT_BALLOT, {"r": row.id, "p": row.proposal_id, "receipt": receipt}
    ).first()
    if found is None:
        return None
    ballot_id, token, selection_json, weight, cast_at, receipt, old_seq, first_seq, ids = found
    # Results sealed before the blocks existed numbered the ballot rows themselves.
    seq = old_seq if ids is None else _seq_in_block(ballot_id, first_seq, bytes(ids))
    size = json.loads(row.result_json)["ballots"]["size"]
    if seq is None or not 1 <= seq <= size:
        return None
    index = seq - 1
    path = _stored_path(row, size, index)
    if path is None:
        tree = MerkleTree.from_leaf_hashes(
            leaf_hash(canonical_bytes(r)) for r in ballot_records(row.proposal_id)
        )
        path = tree.inclusion_proof(index, size)
    return {
        "seq": seq,
        "leaf": ballot_record(
            seq,
            token,
            json.loads(selection_json),
            int(weight),
            format_time(cast_at),
            receipt,
        ),
        "index": index,
        "size": size,
        "path": [h.hex() for h in path],
    }
