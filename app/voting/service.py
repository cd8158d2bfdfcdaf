"""Casting ballots and reading receipts; the roll itself (freeze, read, hash) is in roll.py."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, insert, select, update

from app.core.db_types import utcnow
from app.core.extensions import db
from app.keys import service as keys
from app.proposals.models import Proposal
from app.proposals.spec import vote_spec
from app.voting.locks import hold_vote_open, vote_lock_key
from app.voting.models import Ballot, RollEntry
from app.voting.roll import RollSummary as RollSummary
from app.voting.roll import freeze_roll as freeze_roll
from app.voting.roll import roll_entry_for as roll_entry_for
from app.voting.roll import token_for as token_for
from ballots.receipts import build_receipt, new_nonce
from ballots.records import format_time
from ballots.tally import SelectionError, VoteSpec, validate_selection


class VoteRefused(ValueError):
    """A cast that was refused; nothing was written."""


# The columns vote_spec reads: a cast fetches just these and reuses the spec built from them.
_SPEC_COLUMNS = (
    Proposal.id,
    Proposal.title,
    Proposal.method,
    Proposal.options_json,
    Proposal.opens_at,
    Proposal.closes_at,
    Proposal.weight_rule,
    Proposal.eligibility_min,
    Proposal.quorum_num,
    Proposal.quorum_den,
    Proposal.threshold_num,
    Proposal.threshold_den,
    Proposal.seats,
    Proposal.secrecy,
)


# Built once: constructing and cache-keying these statements cost more CPU per cast than
# running them.
_PROPOSAL = select(Proposal.state, *_SPEC_COLUMNS).where(Proposal.id == bindparam("p"))
_LOCKED_ENTRY = (
    select(RollEntry.token, RollEntry.weight)
    .where(RollEntry.proposal_id == bindparam("p"), RollEntry.owner_id == bindparam("o"))
    .with_for_update()
)
_INSERT_BALLOT = insert(Ballot).returning(Ballot.id)
_SET_LIVE = (
    update(RollEntry)
    .where(RollEntry.proposal_id == bindparam("p"), RollEntry.token == bindparam("t"))
    .values(live_ballot_id=bindparam("b"))
)


@lru_cache(maxsize=64)
def _spec_from(values: tuple[Any, ...]) -> VoteSpec:
    # Keyed by every value the spec is built from, so it can never be stale or cross databases.
    return vote_spec(Proposal(**{c.key: v for c, v in zip(_SPEC_COLUMNS, values, strict=True)}))


@dataclass(frozen=True)
class _Seen:
    """What a cast reads under its locks: the proposal and the owner's locked roll row."""

    state: str
    spec_values: tuple[Any, ...]
    opens_at: datetime | None
    closes_at: datetime | None
    token: str | None
    weight: int | None
    key_id: str | None  # the active signing key, when the read could fetch it


@dataclass(frozen=True)
class _NewBallot:
    proposal_id: str
    token: str
    selection_json: str
    weight: int
    cast_at: datetime
    nonce: str
    receipt: str
    signature_json: str


class _CoreCast:
    """Casting through SQLAlchemy Core: every database (SQLite serialises whole transactions)."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn

    def read(self, proposal_id: str, owner_id: int) -> _Seen | None:
        hold_vote_open(proposal_id)
        found = self.conn.execute(_PROPOSAL, {"p": proposal_id}).one_or_none()
        if found is None:
            return None
        entry = self.conn.execute(_LOCKED_ENTRY, {"p": proposal_id, "o": owner_id}).one_or_none()
        token, weight = entry if entry is not None else (None, None)
        return _Seen(
            found[0], tuple(found[1:]), found.opens_at, found.closes_at, token, weight, None
        )

    def write(self, ballot: _NewBallot) -> bool:
        ballot_id = self.conn.execute(_INSERT_BALLOT, vars(ballot)).scalar_one()
        self.conn.execute(_SET_LIVE, {"p": ballot.proposal_id, "t": ballot.token, "b": ballot_id})
        return True


def _column(attribute: Any) -> str:
    return str(attribute.expression.name)


# PostgreSQL: the same cast in two statements instead of six (each round trip cost the app
# and the database more CPU than the work in it). Column names come from the models.
_PG_READ = f"""
SELECT pg_advisory_xact_lock_shared(%(lock_class)s, %(lock_key)s),
       p.state, {", ".join("p." + _column(c) for c in _SPEC_COLUMNS)},
       r.token, r.weight,
       (SELECT key_id FROM signing_keys WHERE valid_until IS NULL
        ORDER BY valid_from DESC, id DESC LIMIT 1)
FROM proposals p
LEFT JOIN LATERAL (
    SELECT token, weight FROM roll_entries
    WHERE proposal_id = p.id AND owner_id = %(owner)s FOR UPDATE
) r ON true
WHERE p.id = %(p)s
"""  # noqa: S608 (column names from the models, nothing from a request)
# The proposal's state is checked again here: the read above took its snapshot before it
# waited for the vote lock, so a close committed during that wait is only visible now.
_PG_WRITE = """
WITH b AS (
    INSERT INTO ballots (proposal_id, token, selection_json, weight, cast_at, nonce, receipt,
                         signature_json)
    SELECT %(proposal_id)s, %(token)s, %(selection_json)s, %(weight)s, %(cast_at)s, %(nonce)s,
           %(receipt)s, %(signature_json)s
    WHERE EXISTS (SELECT 1 FROM proposals WHERE id = %(p)s AND state = 'voting')
    RETURNING id
)
UPDATE roll_entries SET live_ballot_id = b.id FROM b
WHERE roll_entries.proposal_id = %(p)s AND roll_entries.token = %(token)s
RETURNING b.id
"""


class _PostgresCast:
    def __init__(self, conn: Any) -> None:
        self.raw = conn.connection.driver_connection

    def read(self, proposal_id: str, owner_id: int) -> _Seen | None:
        lock_class, lock_key = vote_lock_key(proposal_id)
        row = self.raw.execute(
            _PG_READ,
            {"lock_class": lock_class, "lock_key": lock_key, "owner": owner_id, "p": proposal_id},
            prepare=True,
        ).fetchone()
        if row is None:
            return None
        values = tuple(_utc(v) if isinstance(v, datetime) else v for v in row[2:-3])
        opens_at, closes_at = values[_OPENS], values[_CLOSES]
        return _Seen(row[1], values, opens_at, closes_at, row[-3], row[-2], row[-1])

    def write(self, ballot: _NewBallot) -> bool:
        params = {**vars(ballot), "p": ballot.proposal_id}
        return self.raw.execute(_PG_WRITE, params, prepare=True).fetchone() is not None


_OPENS = _SPEC_COLUMNS.index(Proposal.opens_at)
_CLOSES = _SPEC_COLUMNS.index(Proposal.closes_at)
_SECRECY = _SPEC_COLUMNS.index(Proposal.secrecy)


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


def cast(
    proposal_id: str, owner_id: int, selection: Any, now: datetime | None = None
) -> dict[str, Any]:
    """Accept one ballot and return its signed receipt, or raise VoteRefused writing nothing.

    The owner's roll row is locked for the transaction, so one owner's casts are accepted one at
    a time and exactly one of their ballots is live; the vote-wide shared lock keeps a close
    from slipping between the checks below and the commit.

    Plain statements on the session's connection, not ORM objects: this is the hottest write
    path (a million ballots per vote), and the unit of work cost more CPU than the database.
    """
    now = now or utcnow()
    try:
        conn = db.session.connection()
        store = _PostgresCast(conn) if conn.dialect.name == "postgresql" else _CoreCast(conn)
        seen = store.read(proposal_id, owner_id)
        if seen is None:
            raise VoteRefused(_l("There is no such proposal."))
        opens_at, closes_at = seen.opens_at, seen.closes_at
        if seen.state != "voting" or opens_at is None or closes_at is None:
            raise VoteRefused(_l("This proposal is not open for voting."))
        if now < opens_at:
            raise VoteRefused(_l("Voting has not opened yet."))
        if now >= closes_at:
            raise VoteRefused(_l("Voting has closed."))
        if seen.spec_values[_SECRECY] == "secret":
            raise VoteRefused(_l("This vote is secret: ballots are encrypted on your device "
                                 "and sent as encrypted ballots, never as a plain choice."))
        spec = _spec_from(seen.spec_values)
        try:
            chosen = list(validate_selection(spec, selection))
        except SelectionError as exc:
            raise VoteRefused(_l("Invalid selection: %(problem)s", problem=str(exc))) from exc
        if seen.token is None or seen.weight is None:
            raise VoteRefused(
                _l(
                    "You are not on the roll of this vote: your growth value when voting opened "
                    "was below the charter's minimum, or you joined after it opened."
                )
            )
        key = keys.signing_key_by_id(seen.key_id) if seen.key_id else keys.signing_key()
        nonce = new_nonce()
        receipt = key.sign_object(
            build_receipt(proposal_id, seen.token, chosen, seen.weight, format_time(now), nonce)
        )
        accepted = store.write(
            _NewBallot(
                proposal_id=proposal_id,
                token=seen.token,
                selection_json=json.dumps(chosen),
                weight=seen.weight,
                cast_at=now,
                nonce=nonce,
                receipt=receipt["receipt"],
                signature_json=json.dumps(receipt["signature"]),
            )
        )
        if not accepted:
            raise VoteRefused(_l("This proposal is not open for voting."))
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return receipt


def receipt_of(ballot: Ballot, proposal_id: str) -> dict[str, Any]:
    """Rebuild the signed receipt that was handed out for a stored ballot."""
    receipt = build_receipt(
        proposal_id,
        ballot.token,
        json.loads(ballot.selection_json),
        ballot.weight,
        format_time(ballot.cast_at),
        ballot.nonce,
    )
    receipt["signature"] = json.loads(ballot.signature_json)
    return receipt


def receipts_of(owner_id: int) -> list[tuple[Proposal, Ballot, bool]]:
    """An owner's ballots, newest first, with whether each is the one that counts."""
    rows = db.session.execute(
        select(Proposal, Ballot, RollEntry.live_ballot_id)
        .join(RollEntry, RollEntry.proposal_id == Proposal.id)
        .join(
            Ballot,
            (Ballot.proposal_id == RollEntry.proposal_id) & (Ballot.token == RollEntry.token),
        )
        .where(RollEntry.owner_id == owner_id)
        .order_by(Ballot.id.desc())
    )
    return [(p, b, live == b.id) for p, b, live in rows]
