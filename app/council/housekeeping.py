"""Time-driven council work, run from cron after sealing: ended terms, due renewals, lapses."""

from __future__ import annotations

from datetime import datetime

from app.communities import service as communities
from app.council import service as council
from app.db_types import utcnow
from app.extensions import db


def run(now: datetime | None = None) -> list[str]:
    now = now or utcnow()
    lines = council.expire_due(now)
    lines += communities.housekeeping(now)
    db.session.commit()
    return lines
