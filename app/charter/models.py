from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db_types import UTCDateTime, utcnow
from app.core.extensions import db


class CharterVersion(db.Model):  # type: ignore[name-defined,misc]
    """One adopted version of the charter: its text and its machine-readable rules."""

    __tablename__ = "charter_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, unique=True)
    text: Mapped[str] = mapped_column(Text)
    # The same charter in Chinese; NULL for a version adopted in English only.
    text_zh: Mapped[str | None] = mapped_column(Text)
    rules_json: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    effective_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # NULL only for the first version, installed at setup.
    adopted_by: Mapped[str | None] = mapped_column(ForeignKey("proposals.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
