from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db_types import UTCDateTime
from app.core.extensions import db


class LogLeaf(db.Model):  # type: ignore[name-defined,misc]
    """One leaf of the append-only transparency log; `index` is its position, from 0."""

    __tablename__ = "log_leaves"

    index: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False
    )
    type: Mapped[str] = mapped_column(String(48), index=True)
    # The event's own time (when it happened, as the caller says).
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    # When the log appended it: never before the leaf before it. Null on leaves appended
    # before the log timed its own appends; those keep their published form.
    logged_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    subject: Mapped[str] = mapped_column(String(128), index=True)
    sha256: Mapped[str] = mapped_column(String(64))
    # The full record the leaf commits to, kept so anyone can check sha256 against it.
    record_json: Mapped[str] = mapped_column(Text)
    leaf_hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class Checkpoint(db.Model):  # type: ignore[name-defined,misc]
    """Signed checkpoints issued, so that every one can later be proved consistent."""

    __tablename__ = "log_checkpoints"

    size: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False
    )
    root: Mapped[str] = mapped_column(String(64))
    signed_json: Mapped[str] = mapped_column(Text)
    # The same tree head as a C2SP checkpoint note with the trust's signature (no cosignatures;
    # those are rows of log_cosignatures). Null for checkpoints issued before notes existed.
    note: Mapped[str | None] = mapped_column(Text, nullable=True)


class Cosignature(db.Model):  # type: ignore[name-defined,misc]
    """A witness's cosignature/v1 on one checkpoint, as the witness returned it."""

    __tablename__ = "log_cosignatures"
    __table_args__ = (UniqueConstraint("size", "vkey", name="uq_log_cosignatures_size_vkey"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    size: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), ForeignKey("log_checkpoints.size"), index=True
    )
    vkey: Mapped[str] = mapped_column(String(300), index=True)
    line: Mapped[str] = mapped_column(Text)
    # The witness's own time in the cosignature, and when the trust received it.
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())


class WitnessContact(db.Model):  # type: ignore[name-defined,misc]
    """The last time the trust asked each witness, and what came of it (shown publicly)."""

    __tablename__ = "log_witness_contacts"

    vkey: Mapped[str] = mapped_column(String(300), primary_key=True)
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    size: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    ok: Mapped[bool] = mapped_column(Boolean)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
