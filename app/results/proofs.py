"""Inclusion proofs for receipts, read from the stored tree of the current seal."""

from __future__ import annotations

import json
import sys
from array import array
from bisect import bisect_left
from typing import Any

from sqlalchemy import bindparam, func, select, text

from app.core.extensions import db
from app.results import rows as result_rows
from app.results.models import SealedBallotBlock, SealedResult
from app.results.reads import ResultHead, ballot_records
from app.voting.models import Ballot
from ballots.canonical import canonical_bytes
from ballots.merkle import HASH_SIZE, MerkleTree, leaf_hash
from ballots.records import ballot_record, format_time


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
    spans = result_rows.level_spans(size)
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
