"""Running commitments of open votes: the ballots so far, committed to the log every minute.

A seal only proves what the ballots table held when it ran. Someone who can edit the database
could, while a vote runs, delete ballots, insert forged ones or change a choice, and the seal
would sign the result of the edited table. So while a vote is open, `flask trust seal-due`
(cron, every minute) appends a `ballots.committed` leaf for each vote that received ballots:
the number of ballots so far and the Merkle root of their records, the very leaves the sealed
ballots tree will have. Each ballot is checked before it is committed: its receipt must
recompute from its stored fields and its signature must verify under the trust's keys.

The seal, the audit and anyone holding the log and the published ballots can then check that
the first `count` ballots of the sealed tree have the committed root: a later deletion,
insertion or edit of a committed ballot is caught, and a ballot that arrived after the last
commitment is checked one by one (receipt and signature) at the seal.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from app.core.db_types import utcnow
from app.core.extensions import db
from app.keys import service as keys
from app.proposals.models import Proposal
from app.translog import kinds
from app.translog import service as translog
from app.translog.models import LogLeaf
from app.voting.locks import hold_vote_exclusive
from app.voting.models import Ballot
from ballots.canonical import canonical_bytes
from ballots.keys import KeyRing, SignatureError, verify_object
from ballots.merkle import MerkleStream, leaf_hash
from ballots.receipts import build_receipt
from ballots.records import ballot_record, format_time

LOG_TYPE = kinds.BALLOTS_COMMITTED
OPENED_TYPE = "proposal.opened"
READ_CHUNK = 5000

log = logging.getLogger(__name__)

# The columns a ballot is checked and committed from, in this order.
CHECK_FIELDS = (
    Ballot.id,
    Ballot.token,
    Ballot.selection_json,
    Ballot.weight,
    Ballot.cast_at,
    Ballot.nonce,
    Ballot.receipt,
    Ballot.signature_json,
)


@dataclass(frozen=True)
class Commitment:
    """One `ballots.committed` record: the first `count` ballots (by id) have `root`."""

    index: int  # the log leaf
    count: int
    root: str
    last_id: int
    frontier: list[str]

    @classmethod
    def from_record(cls, index: int, record: dict[str, Any]) -> Commitment:
        return cls(
            index,
            int(record["count"]),
            str(record["root"]),
            int(record["last_id"]),
            [str(h) for h in record["frontier"]],
        )


def ballot_problem(proposal_id: str, row: Any, keyring: KeyRing) -> str | None:
    """Why this stored ballot is not one the trust accepted, or None if it is.

    The receipt must recompute from the stored proposal, token, selection, time and nonce,
    and the receipt rebuilt from the stored fields must carry the trust's signature.
    """
    _id, token, selection_json, weight, cast_at, nonce, receipt, signature_json = row
    try:
        selection = json.loads(selection_json)
        when = format_time(cast_at)
        # build_receipt computes the receipt hash itself: once per ballot, not twice.
        rebuilt = build_receipt(proposal_id, token, selection, int(weight), when, nonce)
        if rebuilt["receipt"] != receipt:
            return "its receipt does not recompute from its stored fields"
        rebuilt["signature"] = json.loads(signature_json)
        verify_object(rebuilt, keyring)
    except SignatureError as exc:
        return f"its signature does not verify ({exc})"
    except (ValueError, TypeError, KeyError) as exc:
        return f"its stored fields are malformed ({exc})"
    return None


def leaf_of(seq: int, row: Any) -> bytes:
    """The ballot's leaf hash as the sealed ballots tree will hold it at `seq`."""
    _id, token, selection_json, weight, cast_at, _nonce, receipt, _sig = row
    record = ballot_record(
        seq, token, json.loads(selection_json), int(weight), format_time(cast_at), receipt
    )
    return leaf_hash(canonical_bytes(record))


def logged(proposal_id: str, type_: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """The log records of one type about one proposal, in log order."""
    rows = db.session.execute(
        select(LogLeaf.index, LogLeaf.record_json)
        .where(LogLeaf.type == type_, LogLeaf.subject == proposal_id)
        .order_by(LogLeaf.index)
    )
    for index, record_json in rows:
        yield index, json.loads(record_json)


def commitments(proposal_id: str) -> list[Commitment]:
    return [Commitment.from_record(i, r) for i, r in logged(proposal_id, LOG_TYPE)]


def opened_roll(proposal_id: str) -> dict[str, Any] | None:
    """The roll (size, total weight, root) logged when the vote opened; the first opening."""
    for _index, record in logged(proposal_id, OPENED_TYPE):
        roll: dict[str, Any] = record["roll"]
        return roll
    return None


def opened_spec(proposal_id: str) -> dict[str, Any] | None:
    for _index, record in logged(proposal_id, OPENED_TYPE):
        spec: dict[str, Any] = record["proposal"]
        return spec
    return None


def ballot_rows(proposal_id: str, after_id: int = 0, upto_id: int | None = None) -> Iterator[Any]:
    query = select(*CHECK_FIELDS).where(Ballot.proposal_id == proposal_id, Ballot.id > after_id)
    if upto_id is not None:
        query = query.where(Ballot.id <= upto_id)
    yield from db.session.execute(
        query.order_by(Ballot.id).execution_options(yield_per=READ_CHUNK)
    )


def rows_by_id(proposal_id: str, ids: Iterable[int]) -> Iterator[Any]:
    """The rows of these ballot ids, in the order given, a chunk at a time."""
    chunk: list[int] = []
    for ballot_id in ids:
        chunk.append(ballot_id)
        if len(chunk) >= READ_CHUNK:
            yield from _chunk_rows(proposal_id, chunk)
            chunk = []
    if chunk:
        yield from _chunk_rows(proposal_id, chunk)


def _chunk_rows(proposal_id: str, ids: list[int]) -> Iterator[Any]:
    found = {
        row[0]: row
        for row in db.session.execute(
            select(*CHECK_FIELDS).where(Ballot.proposal_id == proposal_id, Ballot.id.in_(ids))
        )
    }
    for ballot_id in ids:
        if ballot_id in found:
            yield found[ballot_id]


@dataclass
class CommitOutcome:
    proposal_id: str
    committed: int  # ballots newly committed
    count: int  # ballots committed in all
    problem: str | None = None


def commit_vote(proposal_id: str, now: datetime | None = None) -> CommitOutcome:
    """Commit the ballots that arrived since the last commitment; the caller commits.

    On PostgreSQL the newest ballot id is read while holding the vote's lock exclusively, then
    the lock is released at once: every cast that had taken an id by then has committed, and
    every later cast takes a larger id, so the ballots up to that id are final and in order.
    """
    hold_vote_exclusive(proposal_id)
    newest = db.session.scalar(
        select(func.max(Ballot.id)).where(Ballot.proposal_id == proposal_id)
    )
    db.session.commit()  # releases the lock: casting waits only for the read above
    previous = commitments(proposal_id)
    last = previous[-1] if previous else None
    count = last.count if last else 0
    last_id = last.last_id if last else 0
    if newest is None or newest <= last_id:
        return CommitOutcome(proposal_id, 0, count)
    if last is not None:
        held = db.session.scalar(
            select(func.count())
            .select_from(Ballot)
            .where(Ballot.proposal_id == proposal_id, Ballot.id <= last_id)
        )
        if held != count:
            return _refuse(
                proposal_id, count, f"{held} ballots up to id {last_id} are stored but {count} "
                f"were committed at log leaf {last.index}: ballots were deleted or inserted"
            )
    try:
        stream = MerkleStream.resume(count, [bytes.fromhex(h) for h in last.frontier]) \
            if last else MerkleStream()
    except ValueError as exc:
        return _refuse(proposal_id, count, f"the last commitment cannot be continued: {exc}")
    keyring = KeyRing.from_document(keys.published_keys())
    problem = None
    for row in ballot_rows(proposal_id, last_id, newest):
        problem = ballot_problem(proposal_id, row, keyring)
        if problem is not None:
            problem = f"ballot id {row[0]} (receipt {str(row[6])[:12]}…): {problem}"
            break
        stream.append_leaf_hash(leaf_of(stream.size + 1, row))
        last_id = row[0]
    added = stream.size - count
    if added:
        when = now or utcnow()
        translog.append(
            LOG_TYPE,
            proposal_id,
            {
                "type": LOG_TYPE,
                "proposal": proposal_id,
                "count": stream.size,
                "root": stream.root().hex(),
                "last_id": last_id,
                "frontier": [h.hex() for h in stream.frontier()],
                "at": format_time(when),
            },
            at=when,
        )
    if problem is not None:
        log.error("not committing a ballot of %s: %s", proposal_id, problem)
    return CommitOutcome(proposal_id, added, stream.size, problem)


def _refuse(proposal_id: str, count: int, problem: str) -> CommitOutcome:
    log.error("cannot commit the ballots of %s: %s", proposal_id, problem)
    return CommitOutcome(proposal_id, 0, count, problem)


def commit_open_votes(now: datetime | None = None) -> list[CommitOutcome]:
    """One commitment per open vote that received ballots since its last; each vote in its
    own transaction, so a failure in one is logged and stops no other."""
    outcomes = []
    open_ids = db.session.scalars(
        select(Proposal.id).where(Proposal.state.in_(("voting", "closed"))).order_by(Proposal.id)
    ).all()
    db.session.commit()
    for proposal_id in open_ids:
        try:
            outcome = commit_vote(proposal_id, now)
            db.session.commit()
        except Exception as exc:  # one vote's failure must not stop the others
            db.session.rollback()
            log.exception("committing the ballots of %s failed", proposal_id)
            outcome = CommitOutcome(proposal_id, 0, 0, f"failed: {exc}")
        outcomes.append(outcome)
    return outcomes
