from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db_types import UTCDateTime, utcnow
from app.core.extensions import db

ROLE_CHECK = (
    "role IN ('chair', 'asset_committee', 'proceeds_committee', 'supervisors', 'protector')"
)


class CouncilSeat(db.Model):  # type: ignore[name-defined,misc]
    """One member's term in one council role. A seat ends by itself at `term_end`."""

    __tablename__ = "council_seats"
    __table_args__ = (
        CheckConstraint(ROLE_CHECK, name="role_known"),
        CheckConstraint("term_end > term_start", name="term_positive"),
        Index("ix_council_seats_term", "term_start", "term_end"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    role: Mapped[str] = mapped_column(String(32))
    term_start: Mapped[datetime] = mapped_column(UTCDateTime())
    term_end: Mapped[datetime] = mapped_column(UTCDateTime())
    # The council_election proposal whose sealed result seated the member (NULL at setup).
    elected_by: Mapped[str | None] = mapped_column(ForeignKey("proposals.id"))
    vacated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    vacated_reason: Mapped[str | None] = mapped_column(Text)


class Motion(db.Model):  # type: ignore[name-defined,misc]
    """A council resolution: opened by a member, voted by seated members, public once closed."""

    __tablename__ = "motions"
    __table_args__ = (
        CheckConstraint(
            "state IN ('open', 'passed', 'failed', 'withdrawn', 'referred')", name="state_known"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    # What the motion is about, as tags shared with interest declarations: "community:12".
    subject: Mapped[str] = mapped_column(String(128), index=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    opened_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    state: Mapped[str] = mapped_column(String(16), default="open", index=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    outcome_json: Mapped[str | None] = mapped_column(Text)
    # The voting deadline, within the charter's window; cron closes the motion then.
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    # When recusals left too few members, the owners' vote the question went to instead.
    referred_to: Mapped[str | None] = mapped_column(ForeignKey("proposals.id"))


class MotionVoteRecord(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "motion_votes"
    __table_args__ = (
        UniqueConstraint("motion_id", "member_id"),
        CheckConstraint("choice IN ('for', 'against', 'abstain')", name="choice_known"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    motion_id: Mapped[int] = mapped_column(ForeignKey("motions.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    choice: Mapped[str] = mapped_column(String(8))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Recusal(db.Model):  # type: ignore[name-defined,misc]
    """A member's declared interest in a motion's subject: they may not vote on it."""

    __tablename__ = "recusals"
    __table_args__ = (UniqueConstraint("motion_id", "member_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    motion_id: Mapped[int] = mapped_column(ForeignKey("motions.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class MemberInterest(db.Model):  # type: ignore[name-defined,misc]
    """One line of a member's public register of interests, kept by the member alone.

    ``tag`` is what motions are matched on (``community:12``, ``beneficiary:red-cross``);
    ``description`` is what the public reads. A withdrawn line stays on record.
    """

    __tablename__ = "member_interests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    tag: Mapped[str] = mapped_column(String(128))
    description: Mapped[str] = mapped_column(Text)
    declared_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Candidacy(db.Model):  # type: ignore[name-defined,misc]
    """An owner standing for a council role, with a public statement.

    Open candidacies (no `proposal_id`) are gathered into the next `council_election` for the
    role; the election's proposal then names them as its options.
    """

    __tablename__ = "candidacies"
    __table_args__ = (
        CheckConstraint(ROLE_CHECK, name="role_known"),
        Index("ix_candidacies_role_open", "role", "proposal_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    role: Mapped[str] = mapped_column(String(32))
    statement: Mapped[str] = mapped_column(Text)
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    proposal_id: Mapped[str | None] = mapped_column(ForeignKey("proposals.id"))
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Art. 11.5: nominations given after this do not count (NULL: a charter without them).
    nomination_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Nomination(db.Model):  # type: ignore[name-defined,misc]
    """One owner's nomination of a candidate, given in the owner's own account."""

    __tablename__ = "nominations"
    __table_args__ = (UniqueConstraint("candidacy_id", "owner_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    candidacy_id: Mapped[int] = mapped_column(ForeignKey("candidacies.id"), index=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    given_at: Mapped[datetime] = mapped_column(UTCDateTime())
