"""The treasury's tables. The ledger is append-only: balances are sums of its rows, never stored,
and a mistake is corrected by a reversing transaction, never by an edit."""

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


class TreasuryTxn(db.Model):  # type: ignore[name-defined,misc]
    """One balanced ledger transaction: what it is, when, who entered it and why."""

    __tablename__ = "treasury_txns"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('income', 'budget_authorised', 'disbursement', 'reversal')",
            name="kind_known",
        ),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, unique=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    # Income only: the source account name and the bank / receipt reference.
    source: Mapped[str | None] = mapped_column(String(64))
    reference: Mapped[str] = mapped_column(String(200), default="")
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # A reversal names the transaction it undoes; unique, so nothing is reversed twice.
    reverses: Mapped[str | None] = mapped_column(ForeignKey("treasury_txns.id"), unique=True)


class LedgerRow(db.Model):  # type: ignore[name-defined,misc]
    """One posting (debit positive, credit negative), in integer fen."""

    __tablename__ = "ledger_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    txn: Mapped[str] = mapped_column(ForeignKey("treasury_txns.id"), index=True)
    account: Mapped[str] = mapped_column(String(80), index=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(32))
    reference: Mapped[str] = mapped_column(String(80))


class Budget(db.Model):  # type: ignore[name-defined,misc]
    """Spending authority granted by a passed spending proposal or an emergency motion.

    Its remaining amount is the ledger balance of ``budget:<id>``, never a column here."""

    __tablename__ = "budgets"
    __table_args__ = (
        CheckConstraint("source IN ('proposal', 'emergency')", name="source_known"),
        CheckConstraint("amount_fen > 0", name="amount_positive"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    source: Mapped[str] = mapped_column(String(16))
    proposal_id: Mapped[str | None] = mapped_column(ForeignKey("proposals.id"), unique=True)
    motion_id: Mapped[int | None] = mapped_column(ForeignKey("motions.id"), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    category: Mapped[str] = mapped_column(String(64))
    beneficiary: Mapped[str] = mapped_column(String(300))
    purpose: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Set when the authorisation was written to the ledger (an emergency waits for its motion).
    authorised_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ratification_due: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ratified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ratified_by: Mapped[str | None] = mapped_column(String(80))


class Disbursement(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "disbursements"
    __table_args__ = (
        CheckConstraint("state IN ('pending', 'recorded')", name="state_known"),
        CheckConstraint("amount_fen > 0", name="amount_positive"),
        Index("ix_disbursements_state_recorded", "state", "recorded_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    budget_id: Mapped[str] = mapped_column(ForeignKey("budgets.id"), index=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    category: Mapped[str] = mapped_column(String(64))
    # Public: who benefits, described without personal data ("12 owners' families in Hubei").
    beneficiary: Mapped[str] = mapped_column(String(300))
    # Private: names, accounts, contacts. Shown to council and admins only, never published.
    beneficiary_private: Mapped[str] = mapped_column(Text, default="")
    purpose: Mapped[str] = mapped_column(Text)
    submitter_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    txn: Mapped[str | None] = mapped_column(ForeignKey("treasury_txns.id"), unique=True)
    log_index: Mapped[int | None] = mapped_column(Integer)


class DisbursementApproval(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "disbursement_approvals"
    __table_args__ = (UniqueConstraint("disbursement_id", "member_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    disbursement_id: Mapped[int] = mapped_column(ForeignKey("disbursements.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class DisbursementSuspension(db.Model):  # type: ignore[name-defined,misc]
    """A supervisor's hold on a pending disbursement, until a council motion lifts it."""

    __tablename__ = "disbursement_suspensions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    disbursement_id: Mapped[int] = mapped_column(ForeignKey("disbursements.id"), index=True)
    supervisor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(Text)
    suspended_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    motion_id: Mapped[int] = mapped_column(ForeignKey("motions.id"))
    lifted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Evidence(db.Model):  # type: ignore[name-defined,misc]
    """An invoice or certificate: the file stays private, its SHA-256 is public."""

    __tablename__ = "treasury_evidence"
    __table_args__ = (UniqueConstraint("disbursement_id", "sha256"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    disbursement_id: Mapped[int] = mapped_column(ForeignKey("disbursements.id"), index=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    # The uploaded file name may itself name a person, so it stays private too.
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    uploaded_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
