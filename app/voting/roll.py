"""The roll of a vote: read back, checked and hashed in one place (its Merkle root is what
opening publishes and what the seal and the audit recount)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from typing import Any

from sqlalchemy import select

from app.core.extensions import db
from app.results import rows as result_rows
from app.voting.models import RollEntry
from ballots.canonical import canonical_bytes
from ballots.merkle import all_levels, leaf_hash, levels_root
from ballots.records import roll_record
from ballots.roll import Roll, RollError

STREAM_CHUNK = 10_000


def roll_records(proposal_id: str) -> Iterator[dict[str, Any]]:
    rows = db.session.execute(
        select(RollEntry.token, RollEntry.weight)
        .where(RollEntry.proposal_id == proposal_id)
        .order_by(RollEntry.token)
        .execution_options(yield_per=STREAM_CHUNK)
    )
    for token, weight in rows:
        yield roll_record(token, int(weight))


# A block of roll lines that are all plainly well formed: a 64-hex token and a weight of at
# most 15 digits without a leading zero (so below 2**53, as JCS requires). Their leaves are
# then exactly canonical_bytes(roll_record(token, weight)) and can be glued from the lines.
_PLAIN_ROLL = re.compile(rb"(?:[0-9a-f]{64}\t[1-9][0-9]{0,14}\n)*")


def read_roll(proposal_id: str) -> tuple[Roll, bytearray]:
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


def roll_root_of(hashes: bytes | bytearray) -> bytes:
    return levels_root(all_levels(hashes))


def roll_root(proposal_id: str) -> bytes:
    """The Merkle root of the frozen roll, as published when voting opens."""
    return roll_root_of(read_roll(proposal_id)[1])
