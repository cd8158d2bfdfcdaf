from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db_types import UTCDateTime, utcnow
from app.core.extensions import db


class Proposal(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "proposals"
    __table_args__ = (
        CheckConstraint("quorum_den > 0 AND threshold_den > 0", name="fractions_positive"),
        CheckConstraint("seats >= 1", name="seats_positive"),
    )

    # Public id, as used in /results/<id>/: ASCII letters, digits, '-', '_', '.'.
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    state: Mapped[str] = mapped_column(String(16), index=True, default="draft")
    method: Mapped[str] = mapped_column(String(16))
    options_json: Mapped[str] = mapped_column(Text)
    payload_json: Mapped[str] = mapped_column(Text, default="{}")
    weight_rule: Mapped[str] = mapped_column(String(64))
    eligibility_min: Mapped[int] = mapped_column(Integer, default=0)
    quorum_num: Mapped[int] = mapped_column(Integer)
    quorum_den: Mapped[int] = mapped_column(Integer)
    threshold_num: Mapped[int] = mapped_column(Integer)
    threshold_den: Mapped[int] = mapped_column(Integer)
    seats: Mapped[int] = mapped_column(Integer, default=1)
    opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    charter_version: Mapped[int] = mapped_column(Integer)
    # "secret" (encrypted ballots, app.secret) or "open"; from the charter, frozen at creation.
    secrecy: Mapped[str] = mapped_column(String(8), default="open", server_default="open")
    roll_size: Mapped[int | None] = mapped_column(BigInteger)
    # A million owners averaging 10,000 points overflow a 32-bit integer.
    roll_total_weight: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class ProposalEvent(db.Model):  # type: ignore[name-defined,misc]
    """A recorded state transition: who did what, when and why."""

    __tablename__ = "proposal_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    proposal_id: Mapped[str] = mapped_column(ForeignKey("proposals.id"), index=True)
    action: Mapped[str] = mapped_column(String(32))
    from_state: Mapped[str] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Cosignature(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "cosignatures"
    __table_args__ = (UniqueConstraint("proposal_id", "owner_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    proposal_id: Mapped[str] = mapped_column(ForeignKey("proposals.id"))
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


Index("ix_cosignatures_proposal", Cosignature.proposal_id)
