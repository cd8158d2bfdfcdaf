from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Integer, LargeBinary, String, Text
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
    at: Mapped[datetime] = mapped_column(UTCDateTime())
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
