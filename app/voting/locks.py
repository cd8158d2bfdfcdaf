"""Per-vote locks that let many casts run together but never across a close."""

from __future__ import annotations

import zlib

from sqlalchemy import text

from app.core.extensions import db

VOTE_LOCK_CLASS = 0x766F7465  # any constant shared by every worker


def _key(proposal_id: str) -> int:
    # crc32 fits PostgreSQL's int4; two votes sharing a key only ever wait a little longer.
    return zlib.crc32(proposal_id.encode()) - 2**31


def vote_lock_key(proposal_id: str) -> tuple[int, int]:
    """The (class, key) pair of a vote's advisory lock, for SQL that takes it inline."""
    return VOTE_LOCK_CLASS - 2**31, _key(proposal_id)


def hold_vote_open(proposal_id: str) -> None:
    """Taken by every cast: shared, held to commit. Closing waits for casts in flight."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(
            text("SELECT pg_advisory_xact_lock_shared(:c, :k)"),
            dict(zip(("c", "k"), vote_lock_key(proposal_id), strict=True)),
        )


def hold_vote_exclusive(proposal_id: str) -> None:
    """Taken by closing: once held, no cast is in flight and none can start until commit."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(
            text("SELECT pg_advisory_xact_lock(:c, :k)"),
            dict(zip(("c", "k"), vote_lock_key(proposal_id), strict=True)),
        )
