"""Sealing a closed vote into a signed, published, logged result; serving its bundle and proofs."""

from __future__ import annotations

import json
import struct
from collections.abc import Iterator, Sequence
from typing import Any

from flask import current_app
from sqlalchemy import bindparam, func, select, text, update
from sqlalchemy.orm import defer

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
from ballots.merkle import HASH_SIZE, MerkleStream, MerkleTree, leaf_hash
from ballots.records import ballot_record, format_time, jsonl_line, roll_record
from ballots.result import build_result, result_digest
from ballots.roll import Roll
from ballots.tally import Tally

STREAM_CHUNK = 10_000
SELECTION_CACHE = 4096


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
    # A vote has few distinct selections; parse each once (ballot_record copies the list).
    parsed: dict[str, list[str]] = {}
    for seq, token, selection_json, weight, cast_at, receipt in rows:
        selection = parsed.get(selection_json)
        if selection is None:
            selection = json.loads(selection_json)
            if len(parsed) < SELECTION_CACHE:
                parsed[selection_json] = selection
        yield ballot_record(seq, token, selection, int(weight), format_time(cast_at), receipt)


def roll_leaf(token: str, weight: int) -> bytes:
    """canonical_bytes(roll_record(token, weight)), written out for speed.

    Exact only for what a roll row holds (checked by roll_record or Roll.append first): a
    64-hex token and an integer weight; keys in code-point order, no spaces.
    """
    return b'{"token":"%s","weight":%d}' % (token.encode(), weight)


def ballot_leaf(record: dict[str, Any]) -> bytes:
    """canonical_bytes(record) for a ballot record that Tally.add has accepted.

    Tally.add has checked every member's form (hex token and receipt, integer seq and weight,
    the time format, option ids from the vote), so none needs escaping.
    """
    return b'{"cast_at":"%s","receipt":"%s","selection":[%s],"seq":%d,"token":"%s","weight":%d}' % (
        record["cast_at"].encode(),
        record["receipt"].encode(),
        b",".join(b'"%s"' % option.encode() for option in record["selection"]),
        record["seq"],
        record["token"].encode(),
        record["weight"],
    )


def _roll_rows(proposal_id: str) -> Iterator[tuple[str, int]]:
    rows = db.session.execute(
        select(RollEntry.token, RollEntry.weight)
        .where(RollEntry.proposal_id == proposal_id)
        .order_by(RollEntry.token)
        .execution_options(yield_per=STREAM_CHUNK)
    )
    for token, weight in rows:
        yield token, int(weight)


def roll_root(proposal_id: str) -> bytes:
    """The Merkle root of the frozen roll, as published when voting opens."""
    tree = MerkleStream()
    for token, weight in _roll_rows(proposal_id):
        roll_record(token, weight)  # the checks; roll_leaf writes the same bytes faster
        tree.append_leaf_hash(leaf_hash(roll_leaf(token, weight)))
    return tree.root()


def _pack_levels(levels: Sequence[bytes | memoryview]) -> bytes:
    # One join over headers and levels: the only copy of the tree made here is the result.
    parts: list[bytes | memoryview] = []
    for level in levels:
        parts += (struct.pack(">Q", len(level)), level)
    return b"".join(parts)


def _unpack_levels(blob: bytes) -> list[bytes]:
    levels, offset = [], 0
    while offset < len(blob):
        (length,) = struct.unpack_from(">Q", blob, offset)
        offset += 8
        levels.append(blob[offset : offset + length])
        offset += length
    return levels


def current_result(proposal_id: str) -> SealedResult | None:
    # The two blobs are ~100 MB at a million ballots; pages and proofs never need them whole,
    # so they load only when an audit touches them.
    return db.session.scalar(
        select(SealedResult)
        .where(SealedResult.proposal_id == proposal_id, SealedResult.current.is_(True))
        .options(defer(SealedResult.ballots_tree), defer(SealedResult.roll_leaves))
    )


_CURRENT_JSON = select(SealedResult.result_json).where(
    SealedResult.proposal_id == bindparam("p"), SealedResult.current.is_(True)
)


def current_result_bytes(proposal_id: str) -> bytes | None:
    """result.json of the current seal: one prebuilt statement, no ORM object (a hot read)."""
    found = db.session.connection().scalar(_CURRENT_JSON, {"p": proposal_id})
    return None if found is None else str(found).encode()


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
    for token, weight in _roll_rows(proposal_id):
        roll.append(token, weight)  # the checks; roll_leaf writes the canonical bytes
        hashed = leaf_hash(roll_leaf(token, weight))
        roll_tree.append_leaf_hash(hashed)
        roll_leaves += hashed

    _number_ballots(proposal_id)
    tally = Tally(spec, roll)
    ballots_tree = MerkleTree()
    for record in ballot_records(proposal_id):
        tally.add(record)  # the checks; ballot_leaf writes the canonical bytes
        ballots_tree.append(ballot_leaf(record))

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
    # Peak memory is here, at a million ballots: drop the tally's arrays before packing.
    del tally, roll
    views = ballots_tree.level_views()
    packed_tree = _pack_levels(views)
    for view in views:
        view.release()
    roll_blob = bytes(roll_leaves)
    del ballots_tree, views, roll_leaves
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
        ballots_tree=packed_tree,
        roll_leaves=roll_blob,
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


def _stored_path(row: SealedResult, index: int) -> tuple[int, list[bytes]] | None:
    """(size, inclusion path) from the stored tree, reading only the ~log2(n) nodes it needs.

    The blob is level 0 upward, each level an 8-byte length and its hashes; a level's offset
    follows from the tree size alone, so the nodes are cut out in the database with substr.
    """
    head = db.session.scalar(
        select(func.substr(SealedResult.ballots_tree, 1, 8)).where(SealedResult.id == row.id)
    )
    if head is None or len(head) < 8:
        return None
    (level0,) = struct.unpack(">Q", bytes(head))
    size = level0 // HASH_SIZE
    starts, offset = [], 0
    for k in range(max(1, size.bit_length())):
        starts.append(offset + 8)
        offset += 8 + (size >> k) * HASH_SIZE
    dry = _StoredTree(size, {})
    dry.inclusion_proof(index)
    wanted = sorted(dry.missing)
    nodes: dict[tuple[int, int], bytes] = {}
    if wanted:
        cuts = [
            func.substr(SealedResult.ballots_tree, starts[k] + i * HASH_SIZE + 1, HASH_SIZE)
            for k, i in wanted
        ]
        values = db.session.execute(select(*cuts).where(SealedResult.id == row.id)).one()
        nodes = {key: bytes(value) for key, value in zip(wanted, values, strict=True)}
    return size, _StoredTree(size, nodes).inclusion_proof(index)


def inclusion_for_receipt(row: SealedResult, receipt: str) -> dict[str, Any] | None:
    ballot = db.session.scalar(
        select(Ballot).where(Ballot.proposal_id == row.proposal_id, Ballot.receipt == receipt)
    )
    if ballot is None or ballot.seq is None:
        return None
    index = ballot.seq - 1
    stored = _stored_path(row, index)
    if stored is not None:
        size, path = stored
    else:
        tree = MerkleTree.from_leaf_hashes(
            leaf_hash(canonical_bytes(r)) for r in ballot_records(row.proposal_id)
        )
        size, path = tree.size, tree.inclusion_proof(index)
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
        "size": size,
        "path": [h.hex() for h in path],
    }
