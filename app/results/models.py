from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db_types import UTCDateTime
from app.core.extensions import db


class SealedResult(db.Model):  # type: ignore[name-defined,misc]
    """A signed result statement. Never edited: a correction is a new row that supersedes it."""

    __tablename__ = "sealed_results"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    proposal_id: Mapped[str] = mapped_column(ForeignKey("proposals.id"), index=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    supersedes: Mapped[str | None] = mapped_column(String(64), unique=True)
    result_json: Mapped[str] = mapped_column(Text)
    sealed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    key_id: Mapped[str] = mapped_column(String(64))
    current: Mapped[bool] = mapped_column(Boolean, default=True)
    # Interior nodes of the ballots tree, so a receipt's proof needs no rebuild.
    ballots_tree: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    # The roll's leaf hashes, so an audit can name the exact roll row that was edited.
    roll_leaves: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)


class SealedBallotBlock(db.Model):  # type: ignore[name-defined,misc]
    """Which ballot rows a sealed result numbered: the ids of up to 512 ballots in seq order.

    Numbering at sealing writes these few rows instead of a seq into every ballot row (an
    UPDATE of a million rows and their indexes). A proof finds a ballot's seq from its id with
    one index probe and a bisect within the block.
    """

    __tablename__ = "sealed_ballot_blocks"

    result_id: Mapped[int] = mapped_column(
        ForeignKey("sealed_results.id"), primary_key=True, autoincrement=False
    )
    first_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    first_seq: Mapped[int] = mapped_column(Integer)
    # Big-endian 8-byte ballot ids, ascending (acceptance order is id order).
    ballot_ids: Mapped[bytes] = mapped_column(LargeBinary)
