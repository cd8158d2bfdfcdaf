from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db_types import UTCDateTime, utcnow
from app.core.extensions import db

STATE_CHECK = (
    "state IN ('applied', 'under_review', 'certified', 'rejected', 'renewal_due', 'lapsed', "
    "'revoked')"
)


class Community(db.Model):  # type: ignore[name-defined,misc]
    """An owners' industry community and where its certification stands."""

    __tablename__ = "communities"
    __table_args__ = (
        CheckConstraint(STATE_CHECK, name="state_known"),
        CheckConstraint("member_count >= 0", name="members_non_negative"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    industry: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text)
    representative_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    applicant_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    member_count: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16), default="applied", index=True)
    # The passed community_scheme proposal the application was made under.
    scheme_proposal_id: Mapped[str | None] = mapped_column(ForeignKey("proposals.id"))
    applied_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    certified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Co-signatures not given by then do not count.
    cosign_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime())


class CommunityMember(db.Model):  # type: ignore[name-defined,misc]
    """A member owner named on the application: its representative or a co-signer.

    Council members listed here have an interest in the community and are recused from its
    motions."""

    __tablename__ = "community_members"
    __table_args__ = (
        UniqueConstraint("community_id", "owner_id"),
        CheckConstraint("role IN ('representative', 'cosigner')", name="role_known"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # A co-signature is asked for by the applicant and given by the owner in their own
    # account; until then (NULL) it neither counts nor makes an interest.
    given_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class CommunityDocument(db.Model):  # type: ignore[name-defined,misc]
    """A supporting document: the file lives in the instance folder; only its hash is public."""

    __tablename__ = "community_documents"
    __table_args__ = (UniqueConstraint("community_id", "sha256"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    sha256: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CommunityEvent(db.Model):  # type: ignore[name-defined,misc]
    """One step of a community's certification, with the motion that decided it."""

    __tablename__ = "community_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    action: Mapped[str] = mapped_column(String(32))
    from_state: Mapped[str] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    motion_id: Mapped[int | None] = mapped_column(ForeignKey("motions.id"))
    reason: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
