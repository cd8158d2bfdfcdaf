"""The roll of a vote, in one place: frozen when voting opens (every eligible owner's weight,
written once), read back and checked entry by entry, and hashed (its Merkle root is what opening
publishes and what the seal and the audit recount)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import func, insert, or_, select, text

from app.accounts.backing import backed_admin_ids
from app.accounts.models import User
from app.core.extensions import db
from app.growth.models import GrowthEntry
from app.proposals.models import Proposal
from app.results import rows as result_rows
from app.voting.models import RollEntry
from ballots.canonical import canonical_bytes
from ballots.merkle import all_levels, leaf_hash, levels_root
from ballots.records import roll_record, voter_token
from ballots.roll import Roll, RollError
from ballots.weights import parse_weight_rule

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


ROLL_CHUNK = 5000


@dataclass(frozen=True)
class RollSummary:
    size: int
    total_weight: int


def token_for(proposal_id: str, owner_id: int) -> str:
    secret = str(current_app.config["TRUST_TOKEN_SECRET"]).encode()
    return voter_token(secret, proposal_id, owner_id)


def freeze_roll(proposal: Proposal, at: datetime) -> RollSummary:
    """Every eligible owner's weight at `at`, per the proposal's rule, written once.

    Administrators (whose role the log backs) are staff, not owners, and are never on a roll.
    Later growth-value entries cannot touch a frozen roll: it is a table of its own, written
    here and never updated.
    """
    rule = parse_weight_rule(proposal.weight_rule, minimum=proposal.eligibility_min)
    balance = (
        select(GrowthEntry.owner_id, func.sum(GrowthEntry.points).label("gv"))
        .where(GrowthEntry.occurred_at <= at)
        .group_by(GrowthEntry.owner_id)
        .subquery()
    )
    # A Core execute hands rows over as they are read; the ORM's would first build a Python
    # row object for every owner (about 190 MB at a million owners). It does not autoflush.
    db.session.flush()
    result = db.session.connection().execute(
        select(User.id, func.coalesce(balance.c.gv, 0))
        .outerjoin(balance, balance.c.owner_id == User.id)
        # A role set to admin by SQL alone must not take an owner off the roll.
        .where(or_(User.role != "admin", User.id.not_in(backed_admin_ids())))
        .order_by(User.id)
    )
    # The rows have arrived whole (no server-side cursor), so COPY may start on the connection.
    copy = _roll_copier(proposal.id)
    # SQLite inserts the roll through the same connection as it goes: read every row first.
    rows = result if copy is not None else result.all()
    size = total = 0
    chunk: list[dict[str, Any]] = []
    try:
        for owner_id, growth_value in rows:
            weight = rule.weight(max(int(growth_value), 0))
            if weight <= 0:
                continue
            token = token_for(proposal.id, owner_id)
            size += 1
            total += weight
            if copy is not None:
                copy.write_row((proposal.id, token, owner_id, weight, int(growth_value)))
                continue
            chunk.append(
                {
                    "proposal_id": proposal.id,
                    "token": token,
                    "owner_id": owner_id,
                    "weight": weight,
                    "growth_value": int(growth_value),
                }
            )
            if len(chunk) >= ROLL_CHUNK:
                db.session.execute(insert(RollEntry), chunk)
                chunk = []
    except BaseException as exc:
        # A failure with COPY still open must end the COPY first: rolling back a connection
        # in the middle of one waits forever (PostgreSQL is still reading rows).
        if copy is not None:
            copy.abort(exc)
        raise
    if copy is not None:
        copy.finish()
        # A million rows arrived at once: refresh the planner's statistics now, or every
        # cast's roll lookup may be planned as a scan until autovacuum gets round to it.
        db.session.execute(text("ANALYZE roll_entries"))
    if chunk:
        db.session.execute(insert(RollEntry), chunk)
    proposal.roll_size = size
    proposal.roll_total_weight = total
    return RollSummary(size, total)


class _RollCopy:
    """COPY into roll_entries on the session's own PostgreSQL connection and transaction.

    A million-row roll is written in seconds this way; the ORM's executemany takes minutes.
    """

    def __init__(self, cursor: Any) -> None:
        self._cursor = cursor
        self._copy = cursor.copy(
            "COPY roll_entries (proposal_id, token, owner_id, weight, growth_value) FROM STDIN"
        )
        self._writer = self._copy.__enter__()

    def write_row(self, row: tuple[Any, ...]) -> None:
        self._writer.write_row(row)

    def finish(self) -> None:
        self._copy.__exit__(None, None, None)
        self._cursor.close()

    def abort(self, exc: BaseException) -> None:
        """Tell the server the COPY failed (it discards the rows), so the caller's rollback
        returns at once."""
        try:
            self._copy.__exit__(type(exc), exc, exc.__traceback__)
        except Exception:  # noqa: BLE001, S110 - the original failure is what gets raised
            pass
        finally:
            self._cursor.close()


def _roll_copier(proposal_id: str) -> _RollCopy | None:
    connection = db.session.connection()
    if connection.dialect.name != "postgresql":
        return None
    # Everything the session holds must reach the database before COPY writes beside it.
    db.session.flush()
    return _RollCopy(connection.connection.driver_connection.cursor())


def roll_entry_for(proposal_id: str, owner_id: int, *, lock: bool = False) -> RollEntry | None:
    query = select(RollEntry).where(
        RollEntry.proposal_id == proposal_id, RollEntry.owner_id == owner_id
    )
    if lock:
        query = query.with_for_update()
    return db.session.scalar(query)
