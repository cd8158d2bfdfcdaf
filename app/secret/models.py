"""The key ceremony of one secret vote and the trustees' posts. The server holds only public
parts and ciphertexts it cannot open: no row here lets it decrypt a ballot or the tally."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db_types import UTCDateTime, utcnow
from app.core.extensions import db


class SecretElection(db.Model):  # type: ignore[name-defined,misc]
    """A secret vote's ceremony: keygen -> dealing (complaints) -> ready -> (closed) -> sealed
    | pending; or failed (fewer than k dealers qualified, or no key before voting closed)."""

    __tablename__ = "secret_elections"

    proposal_id: Mapped[str] = mapped_column(ForeignKey("proposals.id"), primary_key=True)
    state: Mapped[str] = mapped_column(String(16), default="keygen")
    threshold: Mapped[int] = mapped_column(Integer)
    trustees: Mapped[int] = mapped_column(Integer)
    # election.json once every trustee's commitments are in and checked.
    election_json: Mapped[str | None] = mapped_column(Text)
    key_due: Mapped[datetime] = mapped_column(UTCDateTime())
    share_hours: Mapped[int] = mapped_column(Integer)
    # The encrypted tally the trustees decrypt (fixed at close).
    tally_json: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SecretTrustee(db.Model):  # type: ignore[name-defined,misc]
    """Trustee ``index`` (1..n) of a secret vote: a council member seated when it opened."""

    __tablename__ = "secret_trustees"
    __table_args__ = (UniqueConstraint("proposal_id", "user_id"),)

    proposal_id: Mapped[str] = mapped_column(ForeignKey("proposals.id"), primary_key=True)
    index: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    name: Mapped[str] = mapped_column(String(200))
    # X25519 public key (hex) the other trustees encrypt this trustee's shares to.
    transport_key: Mapped[str | None] = mapped_column(String(64))
    # The trustee's election.json entry: Feldman commitments, each with its Schnorr proof.
    public_json: Mapped[str | None] = mapped_column(Text)
    keygen_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    dealt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Checked every share it received against the senders' commitments.
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decryption_json: Mapped[str | None] = mapped_column(Text)
    decrypted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class SecretDealtShare(db.Model):  # type: ignore[name-defined,misc]
    """f_sender(recipient), encrypted to the recipient's transport key; relayed, never read."""

    __tablename__ = "secret_dealt_shares"

    proposal_id: Mapped[str] = mapped_column(ForeignKey("proposals.id"), primary_key=True)
    sender: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    recipient: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    box: Mapped[str] = mapped_column(Text)
    posted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SecretBundleFiles(db.Model):  # type: ignore[name-defined,misc]
    """The format 2 files beside a sealed result (result.json is the SealedResult row)."""

    __tablename__ = "secret_bundle_files"

    result_id: Mapped[int] = mapped_column(ForeignKey("sealed_results.id"), primary_key=True,
                                           autoincrement=False)
    election_json: Mapped[str] = mapped_column(Text)
    tally_json: Mapped[str] = mapped_column(Text)
    roll_jsonl: Mapped[str] = mapped_column(Text)
    ballots_jsonl: Mapped[str] = mapped_column(Text)


class SecretComplaint(db.Model):  # type: ignore[name-defined,misc]
    """Trustee ``accuser``'s public complaint that dealer ``dealer``'s share did not open or
    failed its commitments, and the dealer's public answer: f_dealer(accuser) in the clear.
    ``filed_by`` is "trustee", or "deadline" when the server filed it for a dealer who dealt
    nothing by the key ceremony's deadline. ``valid`` is the answer's check against the
    dealer's commitments (None while unanswered)."""

    __tablename__ = "secret_complaints"

    proposal_id: Mapped[str] = mapped_column(ForeignKey("proposals.id"), primary_key=True)
    dealer: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    accuser: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    filed_by: Mapped[str] = mapped_column(String(16), default="trustee")
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    answer: Mapped[str | None] = mapped_column(String(64))
    valid: Mapped[bool | None] = mapped_column(Boolean)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
