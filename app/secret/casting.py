"""Casting an encrypted ballot: every proof checked before anything is stored.

The same locks as an open cast (app.voting.service): the vote-wide shared lock against a close,
the owner's roll row locked so one owner's casts go one at a time and exactly one is live. The
ballots row holds the cast object (canonical JSON) where an open ballot holds its selection, and
the tracker where an open ballot holds its receipt hash; the receipt is signed over the tracker.
"""

from __future__ import annotations

import json
from datetime import datetime
from functools import lru_cache
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, select

from app.core.db_types import utcnow
from app.core.extensions import db
from app.keys import service as keys
from app.keys.models import SigningKeyRecord
from app.proposals.models import Proposal
from app.secret.models import SecretElection
from app.voting.models import Ballot
from app.voting.service import _SPEC_COLUMNS, VoteRefused, _CoreCast, _NewBallot, _spec_from
from ballots.canonical import canonical_bytes
from ballots.records import format_time
from ballots.secret.ballot import BallotChecker, BallotError, tracker_of
from ballots.secret.bundle import build_receipt2
from ballots.secret.trustees import verify_election


class BallotRefused(VoteRefused):
    """A cast object that is malformed or whose proof fails (a 4xx; nothing stored)."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


# One statement for what a cast needs to know before its locks: the spec's columns, the
# proposal's secrecy, the election's state and document, the active signing key's id.
_READ = (
    select(*_SPEC_COLUMNS, SecretElection.state, SecretElection.election_json,
           select(SigningKeyRecord.key_id).where(SigningKeyRecord.valid_until.is_(None))
           .order_by(SigningKeyRecord.valid_from.desc(), SigningKeyRecord.id.desc())
           .limit(1).scalar_subquery())
    .join(SecretElection, SecretElection.proposal_id == Proposal.id)
    .where(Proposal.id == bindparam("p"))
)
_REPLAY = select(Ballot.id).where(Ballot.proposal_id == bindparam("p"),
                                  Ballot.receipt == bindparam("t"))
_SECRECY = _SPEC_COLUMNS.index(Proposal.secrecy)


@lru_cache(maxsize=16)
def _checker(spec_values: tuple[Any, ...], election_json: str) -> BallotChecker:
    # Keyed by everything the checker is built from, so it is never stale.
    spec = _spec_from(spec_values)
    return BallotChecker(spec, verify_election(json.loads(election_json), spec.id).key)


def cast_secret(
    proposal_id: str, owner_id: int, cast: Any, now: datetime | None = None
) -> dict[str, Any]:
    """Check and store one encrypted ballot; its signed receipt holds the tracker only."""
    now = now or utcnow()
    try:
        conn = db.session.connection()
        found = conn.execute(_READ, {"p": proposal_id}).one_or_none()
        if found is None or found[_SECRECY] != "secret":
            raise VoteRefused(_l("This vote does not take encrypted ballots."))
        spec_values = tuple(found[: len(_SPEC_COLUMNS)])
        state, election_json, key_id = found[len(_SPEC_COLUMNS):]
        if state == "failed":
            raise VoteRefused(_l("The trustees' key ceremony failed (fewer trustees' dealings "
                                 "stood than are needed): this vote cannot take secret "
                                 "ballots. The council has been told."))
        if state != "ready":
            raise VoteRefused(_l("The trustees have not finished the key ceremony; ballots are "
                                 "accepted once the election key is ready."))
        checker = _checker(spec_values, election_json or "")
        try:
            checker.check_cast(cast)
        except BallotError as exc:
            raise BallotRefused(str(exc), exc.reason) from None
        store = _CoreCast(conn)
        seen = store.read(proposal_id, owner_id)
        if seen is None or seen.state != "voting" or seen.opens_at is None:
            raise VoteRefused(_l("This proposal is not open for voting."))
        if now < seen.opens_at:
            raise VoteRefused(_l("Voting has not opened yet."))
        if seen.closes_at is None or now >= seen.closes_at:
            raise VoteRefused(_l("Voting has closed."))
        if seen.token is None or seen.weight is None:
            raise VoteRefused(_l("You are not on the roll of this vote."))
        if cast["token"] != seen.token:
            raise BallotRefused("the ballot is made for another roll token than yours",
                                "token")
        tracker = tracker_of(cast)
        # Under the owner's row lock, so two copies of one ballot cannot both pass this.
        if conn.execute(_REPLAY, {"p": proposal_id, "t": tracker}).first() is not None:
            raise BallotRefused("this exact ballot was already cast; encrypt a new one",
                                "replay")
        key = keys.signing_key_by_id(str(key_id)) if key_id else keys.signing_key()
        receipt = build_receipt2(key, proposal_id, seen.token, tracker, format_time(now))
        store.write(_NewBallot(
            proposal_id=proposal_id, token=seen.token,
            selection_json=canonical_bytes(cast).decode(), weight=seen.weight, cast_at=now,
            nonce="", receipt=tracker, signature_json=json.dumps(receipt["signature"])))
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return receipt


def receipt_of(ballot: Any, proposal_id: str) -> dict[str, Any]:
    """The signed tracker receipt handed out for a stored encrypted ballot."""
    return {"type": "receipt", "format": 2, "proposal": proposal_id, "token": ballot.token,
            "tracker": ballot.receipt, "cast_at": format_time(ballot.cast_at),
            "signature": json.loads(ballot.signature_json)}
