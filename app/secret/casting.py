"""Casting an encrypted ballot: every proof checked before anything is stored.

The same locks as an open cast (app.voting.service): the vote-wide shared lock against a close,
the owner's roll row locked so one owner's casts go one at a time and exactly one is live. The
ballots row holds the cast object (canonical JSON) where an open ballot holds its selection, and
the tracker where an open ballot holds its receipt hash; the receipt is signed over the tracker.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, select

from app.accounts.services import _TOKEN_OWNER, token_digest_owner, token_use_due
from app.core.db_types import utcnow
from app.core.extensions import db
from app.keys import service as keys
from app.keys.models import SigningKeyRecord
from app.proposals.models import Proposal
from app.secret.models import SecretElection
from app.voting.locks import vote_lock_key
from app.voting.models import Ballot
from app.voting.service import (
    _CLOSES,
    _OPENS,
    _SPEC_COLUMNS,
    VoteRefused,
    _column,
    _CoreCast,
    _NewBallot,
    _Seen,
    _spec_from,
    _utc,
)
from ballots.records import format_time
from ballots.secret.ballot import BallotChecker, BallotError
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


@dataclass(frozen=True)
class _Election:
    """The spec's values and the election as a cast reads them (with its locks, on PostgreSQL)."""

    spec_values: tuple[Any, ...]
    state: str
    election_json: str | None
    key_id: str | None


@dataclass(frozen=True)
class Bearer:
    """A caster named by a personal API token's digest, checked by the cast's own read."""

    digest: str


class NotAuthenticated(Exception):
    """The API token is unknown, revoked, expired, or its owner may not sign in (a 401)."""


class _CoreSecretCast:
    """Every database: the caster, the election read, then the open cast's locked read and write."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn
        self.core = _CoreCast(conn)
        self.owner_id = 0

    def election(self, proposal_id: str, caster: int | Bearer, now: datetime
                 ) -> _Election | None:
        owner = token_digest_owner(caster.digest) if isinstance(caster, Bearer) else caster
        if owner is None:
            raise NotAuthenticated
        self.owner_id = owner
        found = self.conn.execute(_READ, {"p": proposal_id}).one_or_none()
        if found is None:
            return None
        state, election_json, key_id = found[len(_SPEC_COLUMNS):]
        return _Election(tuple(found[: len(_SPEC_COLUMNS)]), state, election_json, key_id)

    def seen(self, proposal_id: str) -> _Seen | None:
        return self.core.read(proposal_id, self.owner_id)

    def write(self, ballot: _NewBallot) -> str | None:
        # Under the owner's row lock, so two copies of one ballot cannot both pass this.
        if self.conn.execute(_REPLAY, {"p": ballot.proposal_id, "t": ballot.receipt}).first():
            return "replay"
        self.core.write(ballot)
        return None


# PostgreSQL: the cast in two statements, as the open cast (app.voting.service), and the API
# token's check folded in: the caster, the vote lock, the proposal, its election, the owner's
# locked roll row and the signing key's id in one read. Always one row, so an unknown token is
# told apart from an unknown vote (a 401 comes first, as on every API call).
_PG_READ = f"""
WITH o AS ({{owner}})
SELECT (SELECT user_id FROM o),
       CASE WHEN e.proposal_id IS NOT NULL AND (SELECT user_id FROM o) IS NOT NULL
            THEN pg_advisory_xact_lock_shared(%(lock_class)s, %(lock_key)s) END,
       p.state, {", ".join("p." + _column(c) for c in _SPEC_COLUMNS)},
       e.state, e.election_json, r.token, r.weight,
       (SELECT key_id FROM signing_keys WHERE valid_until IS NULL
        ORDER BY valid_from DESC, id DESC LIMIT 1)
FROM (SELECT 1) AS one
LEFT JOIN proposals p ON p.id = %(p)s
LEFT JOIN secret_elections e ON e.proposal_id = p.id
LEFT JOIN LATERAL (
    SELECT token, weight FROM roll_entries
    WHERE proposal_id = p.id AND owner_id = (SELECT user_id FROM o) FOR UPDATE
) r ON true
"""  # noqa: S608 (column names from the models, nothing from a request)
_OWNER_GIVEN = "SELECT CAST(%(owner)s AS integer) AS user_id"
_read_sql: dict[bool, str] = {}
# Its own snapshot, taken after the read's locks: the replay check sees every ballot committed
# before this owner's row lock was granted, and a close committed while the read waited for the
# vote lock is seen here (as in the open cast's write). The token's last use rides along when
# due (app.accounts.services.token_use_due), in the same transaction as before.
_PG_WRITE = """
WITH seen AS (
    SELECT EXISTS (SELECT 1 FROM ballots WHERE proposal_id = %(p)s AND receipt = %(receipt)s)
               AS replay,
           EXISTS (SELECT 1 FROM proposals WHERE id = %(p)s AND state = 'voting') AS open
), used AS (
    UPDATE api_tokens SET last_used_at = %(cast_at)s
    WHERE %(touch)s AND token_sha256 = %(d)s
), b AS (
    INSERT INTO ballots (proposal_id, token, selection_json, weight, cast_at, nonce, receipt,
                         signature_json)
    SELECT %(proposal_id)s, %(token)s, %(selection_json)s, %(weight)s, %(cast_at)s, %(nonce)s,
           %(receipt)s, %(signature_json)s
    FROM seen WHERE seen.open AND NOT seen.replay
    RETURNING id
), u AS (
    UPDATE roll_entries SET live_ballot_id = b.id FROM b
    WHERE roll_entries.proposal_id = %(p)s AND roll_entries.token = %(token)s
    RETURNING b.id
)
SELECT seen.replay, (SELECT id FROM u) FROM seen
"""


def _read_statement(conn: Any, by_token: bool) -> str:
    sql = _read_sql.get(by_token)
    if sql is None:
        owner = (str(_TOKEN_OWNER.compile(dialect=conn.dialect)) if by_token
                 else _OWNER_GIVEN)
        sql = _read_sql[by_token] = _PG_READ.replace("{owner}", owner)
    return sql


class _PostgresSecretCast:
    def __init__(self, conn: Any) -> None:
        self.conn = conn
        self.raw = conn.connection.driver_connection
        self._seen: _Seen | None = None
        self._digest: str | None = None

    def election(self, proposal_id: str, caster: int | Bearer, now: datetime
                 ) -> _Election | None:
        lock_class, lock_key = vote_lock_key(proposal_id)
        by_token = isinstance(caster, Bearer)
        params = {"lock_class": lock_class, "lock_key": lock_key, "p": proposal_id,
                  "owner": None if by_token else caster, "now": now,
                  "d": caster.digest if isinstance(caster, Bearer) else None}
        row = self.raw.execute(_read_statement(self.conn, by_token), params,
                               prepare=True).fetchone()
        if row[0] is None:
            raise NotAuthenticated
        if isinstance(caster, Bearer) and token_use_due(caster.digest):
            self._digest = caster.digest
        values = tuple(_utc(v) if isinstance(v, datetime) else v for v in row[3:-5])
        state, election_json, token, weight, key_id = row[-5:]
        if state is None:
            return None
        self._seen = _Seen(row[2], values, values[_OPENS], values[_CLOSES], token, weight, key_id)
        return _Election(values, state, election_json, key_id)

    def seen(self, proposal_id: str) -> _Seen | None:
        return self._seen

    def write(self, ballot: _NewBallot) -> str | None:
        params = {**vars(ballot), "p": ballot.proposal_id, "d": self._digest,
                  "touch": self._digest is not None}
        replay, ballot_id = self.raw.execute(_PG_WRITE, params, prepare=True).fetchone()
        if replay:
            return "replay"
        return None if ballot_id is not None else "closed"


def cast_secret(
    proposal_id: str, caster: int | Bearer, cast: Any, now: datetime | None = None
) -> dict[str, Any]:
    """Check and store one encrypted ballot; its signed receipt holds the tracker only.

    ``caster`` is the owner's id, or a Bearer token that this cast checks itself (NotAuthenticated
    if it does not hold). ``cast`` is the cast object, or a function that reads it: called once
    the caster is known, so an unauthenticated request hears that before anything about its body.
    """
    now = now or utcnow()
    try:
        conn = db.session.connection()
        store = (_PostgresSecretCast(conn) if conn.dialect.name == "postgresql"
                 else _CoreSecretCast(conn))
        receipt = _cast(store, proposal_id, caster, cast, now)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return receipt


def _cast(store: Any, proposal_id: str, caster: int | Bearer, cast: Any, now: datetime
          ) -> dict[str, Any]:
    found = store.election(proposal_id, caster, now)
    if callable(cast):
        cast = cast()
    if found is None or found.spec_values[_SECRECY] != "secret":
        raise VoteRefused(_l("This vote does not take encrypted ballots."))
    if found.state == "failed":
        raise VoteRefused(_l("The trustees' key ceremony failed: this vote cannot take "
                             "secret ballots. The council has been told."))
    if found.state != "ready":
        raise VoteRefused(_l("The trustees have not finished the key ceremony; ballots are "
                             "accepted once the election key is ready."))
    try:
        checked = _checker(found.spec_values, found.election_json or "").accept(cast)
    except BallotError as exc:
        raise BallotRefused(str(exc), exc.reason) from None
    seen = store.seen(proposal_id)
    if seen is None or seen.state != "voting" or seen.opens_at is None:
        raise VoteRefused(_l("This proposal is not open for voting."))
    if now < seen.opens_at:
        raise VoteRefused(_l("Voting has not opened yet."))
    if seen.closes_at is None or now >= seen.closes_at:
        raise VoteRefused(_l("Voting has closed."))
    if seen.token is None or seen.weight is None:
        raise VoteRefused(_l("You are not on the roll of this vote."))
    if cast["token"] != seen.token:
        raise BallotRefused("the ballot is made for another roll token than yours", "token")
    key_id = found.key_id
    key = keys.signing_key_by_id(str(key_id)) if key_id else keys.signing_key()
    receipt = build_receipt2(key, proposal_id, seen.token, checked.tracker, format_time(now))
    refused = store.write(_NewBallot(
        proposal_id=proposal_id, token=seen.token, selection_json=checked.canonical.decode(),
        weight=seen.weight, cast_at=now, nonce="", receipt=checked.tracker,
        signature_json=json.dumps(receipt["signature"])))
    if refused == "replay":
        raise BallotRefused("this exact ballot was already cast; encrypt a new one", "replay")
    if refused is not None:
        raise VoteRefused(_l("This proposal is not open for voting."))
    return receipt


def receipt_of(ballot: Any, proposal_id: str) -> dict[str, Any]:
    """The signed tracker receipt handed out for a stored encrypted ballot."""
    return {"type": "receipt", "format": 2, "proposal": proposal_id, "token": ballot.token,
            "tracker": ballot.receipt, "cast_at": format_time(ballot.cast_at),
            "signature": json.loads(ballot.signature_json)}
